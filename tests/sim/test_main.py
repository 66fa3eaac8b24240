"""End-to-end: `python -m sim` writes every result file (run and back-test modes)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.compose import load_config
from sim.config import KPI_IDS


def test_main_job_writes_results_and_prints_every_target(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "run.replicates=6",
            "run.people_per_agent=2000",
            "run.workers=2",
            f"hydra.run.dir={out}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    targets = load_config().targets.targets
    for t in targets:
        assert any(
            line.startswith(t.id) and f" {t.year} " in line for line in proc.stdout.splitlines()
        )

    kpis = pd.read_parquet(out / "kpis.parquet")
    assert list(kpis.columns) == ["replicate", "year", "kpi", "value"]
    assert set(kpis.kpi) == set(KPI_IDS)
    assert kpis.replicate.nunique() == 6 and kpis.year.min() == 2022 and kpis.year.max() == 2030

    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == ["year", "kpi", "mean", "p05", "p50", "p95"]
    assert len(summary) == 9 * len(KPI_IDS)
    for row in summary.itertuples():  # recomputed from kpis.parquet with numpy
        v = kpis[(kpis.kpi == row.kpi) & (kpis.year == row.year)]["value"].to_numpy()
        want = (v.mean(), *np.percentile(v, [5, 50, 95]))
        assert (row.mean, row.p05, row.p50, row.p95) == pytest.approx(want, rel=1e-12), row

    reach = pd.read_csv(out / "reachability.csv")
    assert list(reach.columns[:6]) == [
        "target",
        "year",
        "threshold",
        "probability",
        "ci_low",
        "ci_high",
    ]
    assert len(reach) == len(targets)
    assert ((reach.ci_low <= reach.probability) & (reach.probability <= reach.ci_high)).all()
    for t, row in zip(targets, reach.itertuples(), strict=True):
        v = kpis[(kpis.kpi == t.kpi) & (kpis.year == t.year)]["value"].to_numpy()
        assert (row.target, row.year, row.threshold) == (t.id, t.year, t.threshold)
        assert row.probability == (v >= t.threshold).mean() and row.replicates == 6

    costs = pd.read_csv(out / "costs.csv")
    assert list(costs.columns) == ["year", "lever", "yuan"]
    assert {"housing_rent_subsidy", "centre_awards", "national_super_deduction"} <= set(costs.lever)
    assert costs.year.min() == 2023

    seeds = pd.read_csv(out / "seeds.csv")
    assert list(seeds.spawn_key) == list(range(6)) and (seeds.status == "ok").all()
    text = (out / "config.yaml").read_text()
    assert text.startswith("# model_version: ")
    assert yaml.safe_load(text)["levers"]["name"] == "enacted_2023"
    pngs = sorted(p.name for p in out.glob("fan_*.png"))
    assert pngs == sorted({f"fan_{t.id}.png" for t in targets})


def test_backtest_bands_are_the_replicate_percentiles_of_each_projection(tmp_path):
    out = tmp_path / "bt"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "mode=backtest",
            "run.horizon=2025",
            "run.replicates=5",
            "run.people_per_agent=4000",
            "run.workers=1",
            f"hydra.run.dir={out}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    bt = pd.read_csv(out / "backtest.csv")
    assert list(bt.columns) == ["kpi", "year", "p05", "p50", "p95"]
    assert len(bt) == len(KPI_IDS) * 3 and set(bt.year) == {2023, 2024, 2025}
    # The bands are the 5/50/95 % percentiles over the replicates of kpis.parquet (base year
    # excluded): recomputed here with numpy, independently of sim.targets.summary.
    kpis = pd.read_parquet(out / "kpis.parquet")
    assert kpis.replicate.nunique() == 5
    for row in bt.itertuples():
        v = kpis[(kpis.kpi == row.kpi) & (kpis.year == row.year)]["value"].to_numpy()
        assert len(v) == 5
        got = (row.p05, row.p50, row.p95)
        assert got == pytest.approx(tuple(np.percentile(v, [5, 50, 95])), rel=1e-12), row
    # Projections are uncertain: the stochastic KPIs have a band, not a point.
    wide = bt[bt.year == 2025].set_index("kpi")
    for kpi in ("talent", "rd_expenditure", "high_tech_enterprises", "tech_smes", "gdp"):
        assert wide.at[kpi, "p05"] < wide.at[kpi, "p95"], kpi
    # ... and they start from the base-year data the calibration ends at.
    base = kpis[kpis.year == 2022].groupby("kpi")["value"]
    assert (base.nunique() == 1).all()
    assert "median projections" in proc.stdout
    assert not (out / "reachability.csv").exists()
    assert json.loads((out / "done.json").read_text())["replicates"] == 5
