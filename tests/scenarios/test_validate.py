"""Rolling-origin back-tests: no observation after an origin reaches it; a quick run end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from scenarios.validate import (
    SCORECARD_COLUMNS,
    base_for_origin,
    base_years,
    calibrate_origin,
    ex_ante,
    observations_at,
    observed_file,
    projection_config,
)
from sim.compose import load_config
from sim.config import CalibrationConfig, ConfigError, check_origins
from sim.observations import COLUMNS, load_observed, observed_path
from sim.targets import read_track_record

TINY = [
    "validation=quick",
    "calibration.samples=6",
    "calibration.posterior_size=3",
    "calibration.check_sets=2",
]


@pytest.fixture(scope="module")
def cfg():
    return load_config(TINY)


@pytest.fixture(scope="module")
def observed(cfg):
    return load_observed(observed_file(cfg))


def _scaled(observed: pd.DataFrame, kpi: str, year: int, factor: float) -> pd.DataFrame:
    out = observed.copy()
    sel = (out.kpi == kpi) & (out.year == year)
    assert sel.sum() == 1
    out.loc[sel, ["value", "low", "high"]] *= factor
    return out


def test_no_later_observation_reaches_an_origins_calibration(cfg, observed, tmp_path):
    origin = 2021
    assert observations_at(observed, origin).year.max() == origin
    base = calibrate_origin(cfg, observed, origin, tmp_path / "base", workers=1)
    assert base["observations"].year.max() <= origin
    later = _scaled(observed, "high_tech_enterprises", 2022, 10.0)  # a later point x 10 ...
    later = later[~((later.kpi == "gdp") & (later.year == 2023))]  # ... and one dropped
    again = calibrate_origin(cfg, later, origin, tmp_path / "later", workers=1)
    for name in ("changsha_calibrated_posterior.csv", "runs.csv", "observations.csv"):
        assert (tmp_path / "base" / name).read_bytes() == (tmp_path / "later" / name).read_bytes()
    # control: the same perturbation of a point up to the origin does change the calibration
    earlier = _scaled(observed, "high_tech_enterprises", 2020, 10.0)
    calibrate_origin(cfg, earlier, origin, tmp_path / "earlier", workers=1)
    posts = [
        (tmp_path / d / "changsha_calibrated_posterior.csv").read_bytes()
        for d in ("base", "earlier")
    ]
    assert posts[0] != posts[1]
    assert again["posterior_file"].is_absolute()


def test_projection_starts_from_the_latest_base_file_with_drivers_known_at_the_origin(cfg):
    assert base_years(cfg.region) == {
        2017: "changsha_base_2017.csv",
        2022: "changsha_base_2022.csv",
    }
    assert base_for_origin(cfg.region, 2021) == (2017, "changsha_base_2017.csv")
    assert base_for_origin(cfg.region, 2023) == (2022, "changsha_base_2022.csv")
    with pytest.raises(ConfigError, match="no base-year file"):
        base_for_origin(cfg.region, 2016)
    exo = ex_ante(cfg.region.exogenous, 2020)
    assert max(exo.gdp_growth_by_year) == 2020 and max(exo.listing_window) == 2020
    assert max(exo.little_giant_batch) == 2020
    assert not exo.national_key_lab_rounds  # the 2023 round is not known in 2020
    assert ex_ante(cfg.region.exogenous, 2023).national_key_lab_rounds == {2023: 1.0}
    post = observed_path("changsha_calibrated_posterior.csv")
    p = projection_config(cfg, 2021, post)
    assert (p.region.base_year, p.run.horizon, p.mode) == (2017, 2024, "backtest")
    assert Path(p.region.posterior_file).is_absolute() and p.run.parameter_uncertainty
    assert max(p.region.exogenous.listing_window) == 2021
    assert p.run.policy == "timeline" and not p.run.assimilate  # history as it was, unconditioned
    ex_post = load_config([*TINY, "validation.exogenous=ex_post"])
    assert projection_config(ex_post, 2021, post).region.exogenous == cfg.region.exogenous


def test_a_region_without_an_observed_file_is_refused_in_one_line(tmp_path):
    renamed = ["region=changsha", "region.name=lakeside", "targets.name=lakeside"]
    other = load_config(renamed)
    with pytest.raises(ConfigError, match="'lakeside_observed.csv' not found"):
        observed_file(other)
    proc = subprocess.run(
        [sys.executable, "-m", "scenarios.validate", "validation=quick", *renamed,
         f"hydra.run.dir={tmp_path}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "region 'lakeside' has no observed file" in lines[0]
    with pytest.raises(ConfigError, match="validation.exogenous='later'"):
        load_config(["validation.exogenous=later"])
    with pytest.raises(ConfigError, match="must be after calibration.base_year"):
        check_origins(load_config(["validation.origins=[2017]"]).validation, CalibrationConfig())


FAR_OUTSIDE = {"kpi": "high_tech_enterprises", "year": 2024, "published": "1"}
TRIVIAL = {"kpi": "little_giants", "year": 2024, "published": ">0"}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """``python -m scenarios.validate validation=quick`` on the region's file plus two test rows."""
    tmp = tmp_path_factory.mktemp("validate")
    raw = pd.read_csv(observed_path("changsha_observed.csv"), dtype=str, keep_default_na=False)
    extra = pd.DataFrame([FAR_OUTSIDE, TRIVIAL]).astype(str)
    extra = extra.assign(
        factor="1", value=["1", "0"], low=["1", "0"], high=["1", ""], kind=["exact", "lower"]
    )
    path = tmp / "test_observed.csv"
    pd.concat([raw, extra], ignore_index=True)[list(COLUMNS)].to_csv(path, index=False)
    out = tmp / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "scenarios.validate", "validation=quick", "run.progress=false",
         f"validation.observed_file={path}", f"hydra.run.dir={out}",
         "validation.install=true", f"calibration.install_dir={tmp / 'installed'}"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, load_observed(path), proc.stdout


def test_quick_validate_run_writes_a_scorecard_of_every_observation_in_the_windows(quick_run):
    out, observed, stdout = quick_run
    card = pd.read_csv(out / "scorecard.csv")
    assert set(SCORECARD_COLUMNS) <= set(card.columns)
    expected = sum(
        int(((observed.year > o) & (observed.year <= o + 3)).sum()) for o in (2021, 2022)
    )
    assert len(card) == expected and set(card.origin) == {2021, 2022}
    assert (card.year > card.origin).all() and (card.lead <= 3).all()
    assert set(card.base_year) == {2017, 2022} and (card.region == "changsha").all()
    assert ((card.p05 <= card.p25) & (card.p25 <= card.p50) & (card.p50 <= card.p95)).all()
    assert card.pit.between(0, 1).all() and (card.crps >= 0).all()
    far = card[(card.kpi == FAR_OUTSIDE["kpi"]) & (card.year == 2024)]
    assert len(far) == 2 and not far.in90.any() and not far.in50.any()
    trivial = card[(card.kpi == TRIVIAL["kpi"]) & (card.year == 2024)]
    assert trivial.in90.all() and (trivial.kind == "lower").all()
    platforms = card[card.kpi == "platforms"]  # first observed in 2022 (a range)
    no_history = platforms[platforms.origin == 2021]
    assert len(no_history) and no_history.crps_trend.isna().all()
    assert platforms[platforms.origin == 2022].crps_persistence.notna().all()
    summary = pd.read_csv(out / "scorecard_summary.csv").set_index("kpi")
    assert summary.index[-1] == "pooled" and summary.loc["pooled", "points"] == len(card)
    assert summary.drop("pooled").points.sum() == len(card)
    for col in ("coverage50", "coverage90"):
        assert summary[col].between(0, 1).all()
    assert "pooled" in stdout and "coverage90" in stdout


def test_quick_validate_run_writes_fans_figures_and_its_record(quick_run):
    out, observed, _ = quick_run
    fans = pd.read_csv(out / "fans.csv")
    assert list(fans.columns) == ["kpi", "origin", "year", "p05", "p25", "p50", "p75", "p95"]
    assert set(fans.kpi) == set(observed.kpi)
    assert {(o, fans[fans.origin == o].year.min(), fans[fans.origin == o].year.max())
            for o in (2021, 2022)} == {(2021, 2021, 2024), (2022, 2022, 2025)}  # fmt: skip
    assert (out / "pit_histogram.png").stat().st_size > 5000
    for kpi in set(observed.kpi):
        assert (out / f"fan_{kpi}.png").exists(), kpi
    info = json.loads((out / "run.json").read_text())
    assert info["origins"] == [2021, 2022] and info["seconds"] > 0
    assert info["machine"]["workers"] == 1  # validation=quick runs in one process
    assert info["points"] == len(pd.read_csv(out / "scorecard.csv"))
    for o in (2021, 2022):
        assert (out / f"origin_{o}" / "changsha_calibrated_posterior.csv").exists()
        assert (out / f"origin_{o}" / "kpis.parquet").exists()
    assert not list(out.glob("**/.*.tmp"))  # atomic writes leave no partial files
    report = (out / "report.md").read_text()
    assert f"pooled over {info['points']} points" in report and "| listed |" in report
    assert "- by origin: 2021:" in report
    probs = pd.read_csv(out / "target_probabilities.csv")
    assert set(probs.origin) == {2022}  # from 2021 the window ends in 2024: no target year
    assert (probs.year > probs.origin).all() and (probs.year <= probs.origin + 3).all()
    assert set(probs[probs.origin == 2022].target) >= {"platforms", "listed", "little_giants"}
    assert probs.probability.between(0, 1).all() and (probs.ci_low <= probs.probability).all()
    kpis = pd.read_parquet(out / "origin_2022" / "kpis.parquet")
    listed = kpis[(kpis.kpi == "listed") & (kpis.year == 2025)].value
    row = probs[(probs.origin == 2022) & (probs.target == "listed") & (probs.year == 2025)]
    assert row.probability.iloc[0] == pytest.approx((listed >= 100).mean())
    # validation.install: the same table becomes the region's track-record file, which make run
    # reads (sim.targets.read_track_record)
    installed = out.parent / "installed" / "changsha_track_record.csv"
    assert installed.read_bytes() == (out / "target_probabilities.csv").read_bytes()
    assert read_track_record(installed).equals(probs)


def test_installing_a_track_record_needs_the_regions_file_name_and_fails_before_any_work(tmp_path):
    from scenarios.validate import run_validation

    cfg = load_config(["region=hefei", "calibration=hefei", "validation=hefei"])
    assert cfg.region.track_record_file == ""  # Hefei has no track-record file (yet)
    bad = load_config(
        ["region=hefei", "calibration=hefei", "validation=hefei", "validation.install=true"]
    )
    with pytest.raises(ConfigError, match="sets no region.track_record_file"):
        run_validation(bad, tmp_path)
    assert not list(tmp_path.iterdir())  # nothing calibrated or written
