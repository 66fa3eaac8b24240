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


def test_assumed_lever_parameters_are_drawn_over_their_range_and_shared_across_settings():
    """``run.assumed_lever_draws``: assumed lever parameters vary by replicate, within their
    range, the same in every setting; sourced, structural and posterior parameters do not."""
    from agents.params import documented_fields
    from sim.posterior import assumed_draws

    on = ["run.assumed_lever_draws=true"]
    a = load_config([*on, "levers=enacted_2023"])
    b = load_config([*on, "levers=baseline"])
    meta = {n: m for n, _, m in documented_fields(a.region.behaviour, "region.behaviour.")}
    name = "region.behaviour.talent.service_take_up"  # assumed; family services rest on it
    low, high = meta[name]["low"], meta[name]["high"]
    values = []
    for r in range(40):
        cfg_a, k = for_replicate(a, r)
        cfg_b, _ = for_replicate(b, r)
        take_up = cfg_a.region.behaviour.talent.service_take_up
        assert take_up == cfg_b.region.behaviour.talent.service_take_up  # common draws
        assert cfg_a.region.behaviour.talent.wage_weight == a.region.behaviour.talent.wage_weight
        assert cfg_a.region.behaviour.firm.rd_adjustment_speed == (
            a.region.behaviour.firm.rd_adjustment_speed
        )  # sourced: kept
        values.append(take_up)
    assert low <= min(values) and max(values) <= high
    assert max(values) - min(values) > 0.4 * (high - low)  # the range is explored
    # Triangular with the default as mode: the mean is (low + mode + high) / 3 (sd of the
    # mean of 40 draws about 0.02 for this range).
    mode = a.region.behaviour.talent.service_take_up
    assert abs(sum(values) / len(values) - (low + mode + high) / 3) < 0.07
    # posterior columns keep the posterior's draw; fixed parameters keep the config's value
    post = load_posterior(a.region.posterior_file, tuple(a.region.config_dirs))
    drawn = assumed_draws(a, 0, set(post.columns))
    assert not set(drawn) & set(post.columns) and name in drawn
    fixed = load_config([*on, f"run.fixed_parameters=[{name}]"])
    assert for_replicate(fixed, 3)[0].region.behaviour.talent.service_take_up == mode
    off, _ = for_replicate(load_config(["levers=enacted_2023"]), 0)
    assert off.region.behaviour.talent.service_take_up == mode  # off by default
