"""Calibration: a twin experiment recovers known parameters; the CLI writes its report."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pandas as pd
import pytest

from scenarios.calibrate import (
    history_config,
    load_observations,
    prior_box,
    region_yaml,
)
from sim.compose import load_config
from sim.config import ConfigError
from sim.posterior import with_params
from tests.helpers import ROOT, run_model


def test_history_replays_the_policy_timeline_from_the_calibration_base_year():
    cfg = load_config(["calibration=quick"])
    hist = history_config(cfg)
    assert hist.region.base_year == cfg.calibration.base_year == 2017
    assert hist.region.data_file.endswith("2017.csv")
    assert hist.run.horizon == cfg.calibration.end_year
    assert hist.run.policy == "timeline" and not hist.run.assimilate
    frame = run_model(hist, seed=3).kpi_frame()
    assert list(frame.index) == list(range(2017, cfg.calibration.end_year + 1))


def test_free_parameters_change_the_replay_they_are_fitted_on():
    """A free parameter set by ``with_params`` reaches the rule: tech SMEs follow their rate."""
    cfg = history_config(load_config(["calibration=quick", "calibration.end_year=2020"]))
    name = "region.behaviour.statuses.tech_sme_registration_rate"
    low, high = prior_box(cfg, [name])
    smes = [
        run_model(with_params(cfg, [name], [v]), seed=5).kpi_frame().at[2020, "tech_smes"]
        for v in (low[0], high[0])
    ]
    assert smes[1] > 1.2 * smes[0], smes


def test_observations_map_indicators_to_kpis():
    cal = load_config().calibration
    obs = load_observations(cal)
    assert set(obs.kpi) >= {"high_tech_enterprises", "listed", "rd_expenditure", "clusters"}
    assert obs.year.between(2018, 2025).all()
    assert not obs.kpi.isin(["gdp", "public_cost"]).any()  # an input and an unrecorded KPI
    hte = obs[obs.kpi == "high_tech_enterprises"].set_index("year")["value"]
    assert hte[2020] == 4142 and hte[2022] == 6594  # 6588 and ">6600": the range 6588-6600


def test_unknown_free_parameter_is_refused():
    cfg = load_config(["calibration.free=[region.behaviour.firm.no_such_thing]"])
    with pytest.raises(ConfigError, match="no_such_thing"):
        prior_box(cfg, list(cfg.calibration.free))


def conf_snapshot() -> dict[str, str]:
    """SHA-256 of every file under conf/ (the calibration must not install without asking)."""
    conf = ROOT / "conf"
    return {
        str(p.relative_to(conf)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(conf.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_calibrate_cli_writes_report_without_touching_conf(tmp_path):
    out = tmp_path / "cal"
    before = conf_snapshot()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "scenarios.calibrate",
            "calibration=quick",
            "calibration.samples=6",
            "calibration.posterior_size=3",
            "calibration.check_sets=2",
            "run.workers=1",
            f"hydra.run.dir={out}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = ("runs.csv", "waves.csv", "diagnostics.csv", "fit_errors.csv", "fit_summary.csv")
    for name in (*names, "fit_report.png", "prior_predictive.png", "marginals.png"):
        assert (out / name).stat().st_size > 0, name
    post = pd.read_csv(out / "changsha_calibrated_posterior.csv")
    quick = load_config(["calibration=quick"]).calibration.free
    assert len(post) == 3 and list(post.columns) == list(quick)
    assert len(quick) < len(load_config().calibration.free)  # a short list: tests and previews
    waves = pd.read_csv(out / "waves.csv")
    # two waves of simulations (6 + 12 points), then the final screening row (no simulation)
    assert waves.wave.tolist() == [1, 2, 3] and waves.simulations.tolist() == [6, 12, 0]
    assert f"{waves.simulations.sum()} simulations" in proc.stdout
    report = (out / "report.md").read_text()
    assert "18 replays from 2017" in report and "## Fit per series" in report
    assert "with 1 worker(s)" in report  # run.workers reaches the calibration's simulations
    assert "No base-year indicator of the 2017 file is estimated." in report
    for name in quick:
        assert f"`{name}`" in report, name
    text = (out / "changsha_calibrated.yaml").read_text()
    assert "defaults:" in text and "posterior_file: changsha_calibrated_posterior.csv" in text
    assert "calibrated_for: changsha" in text  # the posterior is only used by its own region
    summary = pd.read_csv(out / "fit_summary.csv")
    assert {"kpi", "points", "mape_pct", "in_band_share"} <= set(summary.columns)
    assert conf_snapshot() == before  # calibration.install is false: conf/ is left alone


def test_region_yaml_reloads_to_the_calibrated_values(tmp_path, monkeypatch):
    """The calibrated region file, composed like any region, carries the posterior median."""
    cfg = load_config()
    names = list(cfg.calibration.free)[:3]
    low, high = prior_box(cfg, names)
    best = pd.Series(0.5 * (low + high), index=names)
    text = region_yaml(cfg, names, best, "x_posterior.csv")
    assert f"  - {cfg.region.name}" in text and "posterior_file: x_posterior.csv" in text
    import yaml

    tree = yaml.safe_load(text)
    for name in names:
        node = tree
        for part in name.split(".")[1:]:
            node = node[part]
        assert node == pytest.approx(best[name], rel=1e-5), name


def test_identified_parameters_are_those_the_posterior_narrowed_and_are_written_to_the_region():
    from scenarios.calibrate import IDENTIFIED_SHRINKAGE, identified

    diag = pd.DataFrame(
        {"parameter": ["a", "b", "c"], "shrinkage": [IDENTIFIED_SHRINKAGE, 0.1, 0.9]}
    )
    assert identified(diag) == ["a", "c"]
    cfg = load_config()
    names = list(cfg.calibration.free)[:3]
    low, high = prior_box(cfg, names)
    best = pd.Series(0.5 * (low + high), index=names)
    import yaml

    tree = yaml.safe_load(region_yaml(cfg, names, best, "x.csv", names[1:2]))
    assert tree["calibrated_parameters"] == names
    assert tree["identified_parameters"] == names[1:2]
    assert yaml.safe_load(region_yaml(cfg, names, best, "x.csv", []))["identified_parameters"] == []
