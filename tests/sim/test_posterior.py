"""Parameter uncertainty (sim/posterior.py): draws shared across settings, bad files refused."""

from __future__ import annotations

import pytest

from sim.compose import load_config
from sim.config import ConfigError
from sim.posterior import draw_index, for_replicate, load_posterior


def write_posterior(tmp_path, monkeypatch, text: str) -> str:
    import sim.posterior as posterior

    (tmp_path / "region").mkdir(exist_ok=True)
    (tmp_path / "region" / "post.csv").write_text(text)
    monkeypatch.setattr(posterior, "CONF_DIR", tmp_path)
    load_posterior.cache_clear()
    return "post.csv"


def test_each_replicate_draws_a_parameter_set_shared_across_settings(tmp_path, monkeypatch):
    name = write_posterior(
        tmp_path,
        monkeypatch,
        "region.behaviour.statuses.listing_rate,region.behaviour.statuses.hte_loss_rate\n"
        "0.005,0.02\n0.010,0.04\n0.020,0.06\n",
    )
    a = load_config([f"region.posterior_file={name}", "levers=baseline"])
    b = load_config([f"region.posterior_file={name}", "levers=platform_push"])
    draws = [for_replicate(a, r) for r in range(12)]
    rates = {round(c.region.behaviour.statuses.listing_rate, 3) for c, _ in draws}
    assert rates == {0.005, 0.01, 0.02}  # all sets used
    for r, (cfg_a, k) in enumerate(draws):
        cfg_b, k_b = for_replicate(b, r)
        assert k == k_b == draw_index(a, r, 3)
        assert (
            cfg_a.region.behaviour.statuses.listing_rate
            == cfg_b.region.behaviour.statuses.listing_rate
        )
    off = load_config([f"region.posterior_file={name}", "run.parameter_uncertainty=false"])
    cfg_off, k_off = for_replicate(off, 0)
    assert (
        k_off == -1
        and cfg_off.region.behaviour.statuses.listing_rate
        == off.region.behaviour.statuses.listing_rate
    )
    load_posterior.cache_clear()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("region.behaviour.firm.nope\n0.1\n", "unknown parameter columns"),
        ("region.behaviour.statuses.listing_rate\nabc\n", "numbers in every cell"),
        ("region.behaviour.statuses.listing_rate\n", "at least one row"),
        ("region.behaviour.statuses.listing_rate\n-3\n", "below the allowed range"),
    ],
)
def test_corrupt_posterior_is_reported(tmp_path, monkeypatch, text, words):
    name = write_posterior(tmp_path, monkeypatch, text)
    cfg = load_config([f"region.posterior_file={name}"])
    with pytest.raises(ConfigError, match=words):
        for_replicate(cfg, 0)
    load_posterior.cache_clear()
