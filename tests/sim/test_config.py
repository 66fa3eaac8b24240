"""Config composition and validation: bad input is refused with one clear line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sim.compose import load_config
from sim.config import ConfigError
from sim.levers import preset_names


def test_default_config_is_the_enacted_changsha_scenario():
    cfg = load_config()
    assert cfg.levers.name == "enacted_2023"
    # The reference (base-year) policy is the policy timeline's state at the end of 2022.
    assert cfg.reference_levers.name.startswith("2022 Q4")
    assert cfg.reference_levers.super_deduction_rate == 1.0
    assert cfg.region.base_year == 2022 and cfg.run.horizon == 2030
    assert cfg.run.replicates >= 100
    assert cfg.levers.centre_incremental_rd_rate == 0.10
    assert cfg.levers.centre_award_cap_yuan.fortune500 == 1e9
    assert cfg.reference_levers.centre_incremental_rd_rate == 0.0
    ids = {(t.id, t.year) for t in cfg.targets.targets}
    for tid in (
        "rd_growth",
        "platforms",
        "rd_centres",
        "clusters",
        "talent",
        "listed",
        "little_giants",
        "big_science",
    ):
        assert (tid, 2025) in ids and (tid, 2030) in ids


@pytest.mark.parametrize("preset", preset_names())
def test_every_lever_preset_composes(preset):
    assert load_config([f"levers={preset}"]).levers.name == preset


def test_presets_build_on_each_other():
    push = load_config(["levers=bonded_rd_push"]).levers
    enacted = load_config(["levers=enacted_2023"]).levers
    assert push.bonded_duty_relief_rate > enacted.bonded_duty_relief_rate > 0
    assert push.centre_incremental_rd_rate == enacted.centre_incremental_rd_rate


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ("levers.rd_post_subsidy_rate=-0.1", ["levers.rd_post_subsidy_rate", "-0.1", "below"]),
        ("levers.bonded_duty_relief_rate=1.5", ["levers.bonded_duty_relief_rate", "above"]),
        ("levers.rent_subsidy_yuan_per_year.graduate=-5", ["rent_subsidy_yuan_per_year.graduate"]),
        ("region.behaviour.talent.housing_cost_weight=-1", ["housing_cost_weight", "below"]),
        ("levers=unknown_scenario", ["unknown_scenario", "enacted_2023"]),
        ("levers.not_a_lever=1", ["not_a_lever"]),
        ("levers.centre_incremental_rd_rate=abc", ["centre_incremental_rd_rate", "abc"]),
        ("run.replicates=0", ["run.replicates"]),
        ("region.base_year=2031", ["run.horizon", "region.base_year"]),
        ("region.population.zone_shares.rest_of_city=0.9", ["zone_shares", "sum to 1"]),
        ("region.exogenous.gdp_growth.low=0.1", ["region.exogenous.gdp_growth", "low <= value"]),
        ("region.exogenous.house_price_growth.low=-0.9", ["house_price_growth.low", "minimum"]),
        ("calibration.waves=0", ["calibration.waves"]),
        ("calibration.end_year=2016", ["calibration.end_year", "base_year"]),
        ("targets.targets.0.kind=wish", ["kind='wish'", "three_year"]),
        ("targets.targets.0.year=2020", ["year=2020", "region.base_year"]),
        ("run.seed=-3", ["run.seed"]),
        ("experiment.min_probability=1.5", ["experiment.min_probability"]),
        ("experiment.replicates=0", ["experiment.replicates"]),
        ("executor=ray", ["executor.address"]),
        ("executor.kind=dask", ["executor.kind", "ray"]),
        ("mode=forecast", ["mode='forecast'", "backtest"]),
    ],
)
def test_bad_values_are_refused_with_the_field_named(override, words):
    with pytest.raises(ConfigError) as err:
        load_config([override])
    msg = str(err.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg


def test_missing_base_year_data_names_available_files():
    from sim.region import load_base_state

    cfg = load_config(["region.base_year=2021"])
    with pytest.raises(ConfigError, match=r"changsha_base_2021.csv.*changsha_base_2022.csv"):
        load_base_state(cfg.region)


def test_corrupt_region_file_is_reported(tmp_path, monkeypatch):
    import sim.region as region

    good = (region.CONF_DIR / "region" / "changsha_base_2022.csv").read_text()
    (tmp_path / "region").mkdir()
    bad = good.replace("talent_total,280,", "talent_total,lots,")
    (tmp_path / "region" / "changsha_base_2022.csv").write_text(bad)
    monkeypatch.setattr(region, "CONF_DIR", tmp_path)
    with pytest.raises(ConfigError, match="talent_total.value='lots' is not a number"):
        region.load_base_state(load_config().region)
    missing = "\n".join(line for line in good.splitlines() if not line.startswith("little_giants"))
    (tmp_path / "region" / "changsha_base_2022.csv").write_text(missing)
    with pytest.raises(ConfigError, match="'little_giants' is missing"):
        region.load_base_state(load_config().region)


def test_cli_refuses_bad_input_with_one_line_and_exit_code(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "levers.rd_post_subsidy_rate=-1",
            f"hydra.run.dir={tmp_path}/run",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [
        "error: levers.rd_post_subsidy_rate=-1.0 is below the allowed range [0.0, 1.0]"
    ]
    assert not (tmp_path / "run" / "kpis.parquet").exists()
