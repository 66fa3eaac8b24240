"""End-to-end: `python -m sim` writes every result file (run and back-test modes)."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
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
    assert (summary.p05 <= summary.p50).all() and (summary.p50 <= summary.p95).all()

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


def test_backtest_writes_every_kpi_and_year(tmp_path):
    out = tmp_path / "bt"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "mode=backtest",
            "run.horizon=2025",
            "run.replicates=3",
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
    assert set(bt.kpi) == set(KPI_IDS)
    assert set(bt.year) == {2023, 2024, 2025}
    assert len(bt) == len(KPI_IDS) * 3
    assert ((bt.p05 <= bt.p50) & (bt.p50 <= bt.p95)).all()
    assert not (out / "reachability.csv").exists()
