"""scenarios.compare on a real 2x2 Hydra sweep (run once per module) and on pairs of its jobs."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from scenarios.compare import (
    MAX_HEATMAP_PAIRS,
    MAX_HEATMAP_TARGETS,
    heatmap_plan,
    main,
    mean_difference_interval,
    paired_proportion_difference,
)
from sim.compose import load_config
from tests.helpers import ROOT

RENT = "levers.rent_subsidy_yuan_per_year.graduate"
BONDED = "levers.bonded_duty_relief_rate"
KEYS = [RENT, BONDED]
REPLICATES = 4


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    """A 2x2 sweep of two levers, 4 replicates each, as ``python -m sim -m`` writes it."""
    sweep = tmp_path_factory.mktemp("compare") / "sweep"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "-m",
            f"{RENT}=0,20000",
            f"{BONDED}=0,0.08",
            f"run.replicates={REPLICATES}",
            "run.people_per_agent=4000",
            "run.workers=2",
            "run.plots=false",
            "run.progress=false",
            f"hydra.sweep.dir={sweep}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return sweep


def test_every_job_of_the_sweep_is_marked_complete_by_the_simulator(sweep_dir):
    """The fixture writes nothing into the sweep: done.json is the simulator's own record."""
    jobs = job_dirs(sweep_dir)
    assert len(jobs) == 4
    hashes = set()
    for job in jobs:
        done = json.loads((job / "done.json").read_text())
        assert done["replicates"] == REPLICATES and done["failed_replicates"] == 0
        assert len(done["config_hash"]) == 64
        assert {"kpis.parquet", "seeds.csv", "config.yaml"} <= set(done["files"])
        hashes.add(done["config_hash"])
    assert len(hashes) == 4  # four settings, four configs


@pytest.fixture(scope="module")
def compared(sweep_dir) -> Path:
    """The sweep directory after ``python -m scenarios.compare <sweep>``."""
    assert main([str(sweep_dir)]) == 0
    return sweep_dir


def job_dirs(sweep: Path) -> list[Path]:
    """Job directories of a sweep, by job number."""
    dirs = [d for d in sweep.iterdir() if d.is_dir() and d.name[0].isdigit()]
    return sorted(dirs, key=lambda d: int(d.name.split("_")[0]))


def target_years() -> list[tuple[str, int]]:
    """(target id, year) of the default targets (all within the default horizon)."""
    return [(t.id, t.year) for t in load_config().targets.targets]


def test_sweep_parquet_has_swept_keys_first_and_every_setting(compared):
    table = pd.read_parquet(compared / "sweep.parquet")
    assert list(table.columns) == [*KEYS, "job", "replicate", "year", "kpi", "value"]
    settings = table.groupby(KEYS)["replicate"].nunique()
    assert len(settings) == 4 and (settings == REPLICATES).all()
    assert sorted(table[RENT].unique()) == [0, 20000]
    assert sorted(table[BONDED].unique()) == [0, 0.08]


def test_reachability_by_setting_has_one_row_per_setting_and_target_year(compared):
    reach = pd.read_csv(compared / "reachability_by_setting.csv")
    expected = [*KEYS, "target", "year", "probability", "ci_low", "ci_high"]
    assert list(reach.columns[: len(expected)]) == expected
    assert len(reach) == 4 * len(target_years())
    assert not reach.duplicated([*KEYS, "target", "year"]).any()
    assert ((reach.ci_low <= reach.probability) & (reach.probability <= reach.ci_high)).all()


def test_cost_effectiveness_is_zero_for_the_baseline_and_finite_elsewhere(compared):
    cost = pd.read_csv(compared / "cost_effectiveness.csv")
    expected = [*KEYS, "kpi", "year", "extra_units", "extra_cost_yuan", "yuan_per_unit"]
    assert list(cost.columns[: len(expected)]) == expected
    base = cost[(cost[RENT] == 0) & (cost[BONDED] == 0)]
    assert len(base) == len(set(target_years()))
    assert (base.extra_units == 0).all() and (base.extra_cost_yuan == 0).all()
    assert base.yuan_per_unit.isna().all()
    others = cost.drop(base.index)
    assert len(others) == 3 * len(base)
    assert np.isfinite(others[["extra_units", "extra_cost_yuan"]].to_numpy()).all()
    assert not np.isinf(others.yuan_per_unit).any()
    # More rent subsidy costs the city more (bonded duty relief is national, not local).
    assert (others[others[RENT] == 20000].extra_cost_yuan > 0).all()


def test_one_heatmap_per_target_year(compared):
    for target, year in target_years():
        png = compared / f"heatmap_{target}_{year}.png"
        assert png.is_file() and png.read_bytes()[:4] == b"\x89PNG"


def test_baseline_option_selects_another_setting(sweep_dir, tmp_path):
    assert (
        main([str(sweep_dir), "--baseline", f"{RENT}=20000,{BONDED}=0.08", "--out", str(tmp_path)])
        == 0
    )
    cost = pd.read_csv(tmp_path / "cost_effectiveness.csv")
    base = cost[(cost[RENT] == 20000) & (cost[BONDED] == 0.08)]
    assert (base.extra_units == 0).all() and (base.extra_cost_yuan == 0).all()
    assert (cost[cost[RENT] == 0].extra_cost_yuan < 0).all()


def test_incomplete_jobs_are_skipped_with_a_warning(sweep_dir, tmp_path, capsys):
    copy = tmp_path / "sweep"
    shutil.copytree(sweep_dir, copy)
    incomplete, stale = job_dirs(copy)[1], job_dirs(copy)[2]
    (incomplete / "done.json").unlink()
    # A done.json of another config (left while the job is recomputed) does not count either.
    info = json.loads((stale / "done.json").read_text())
    (stale / "done.json").write_text(json.dumps({**info, "config_hash": "0" * 64}))
    assert main([str(copy)]) == 3  # partial: refused unless allowed (tests/scenarios/)
    capsys.readouterr()
    assert main([str(copy), "--allow-partial"]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and incomplete.name in err and stale.name in err
    table = pd.read_parquet(copy / "sweep.parquet")
    assert sorted(table.job.unique()) == [0, 3]
    assert (incomplete / "kpis.parquet").is_file()  # job results are left alone


def test_pair_mode_reports_every_target_with_an_interval_around_the_mean(
    sweep_dir, tmp_path, capsys
):
    job_a, job_b = job_dirs(sweep_dir)[0], job_dirs(sweep_dir)[3]
    assert main([str(job_a), str(job_b), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    table = pd.read_csv(tmp_path / "comparison.csv")
    assert list(zip(table.target, table.year, strict=True)) == target_years()
    assert (table.replicates == REPLICATES).all()
    assert ((table.diff_ci_low <= table.mean_diff) & (table.mean_diff <= table.diff_ci_high)).all()
    assert ((table.p_diff_ci_low <= table.p_diff) & (table.p_diff <= table.p_diff_ci_high)).all()
    assert all(target in out for target, _ in target_years())
    assert not (job_b / "comparison.csv").exists()  # --out was given


def test_pair_mode_refuses_runs_with_different_seeds(sweep_dir, tmp_path, capsys):
    job_a = job_dirs(sweep_dir)[0]
    other = tmp_path / "other_seed"
    shutil.copytree(job_dirs(sweep_dir)[3], other)
    seeds = pd.read_csv(other / "seeds.csv")
    seeds["root_seed"] += 1
    seeds.to_csv(other / "seeds.csv", index=False)
    assert main([str(job_a), str(other), "--allow-partial"]) == 2  # past the checksum check
    err = capsys.readouterr().err.strip().splitlines()
    # The edited seeds.csv no longer matches the checksum in done.json: a warning, then the refusal.
    assert len(err) == 2 and "seeds.csv" in err[0] and "corrupt" in err[0]
    assert err[1].startswith("error:") and "seeds" in err[1]
    assert not (other / "comparison.csv").exists()


def test_corrupt_parquet_is_one_line_naming_the_file(sweep_dir, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(job_dirs(sweep_dir)[1], broken)
    (broken / "kpis.parquet").write_bytes(b"not a parquet file")
    assert main([str(job_dirs(sweep_dir)[0]), str(broken)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(broken / "kpis.parquet") in err[0]


def test_missing_path_exits_2_with_one_line(tmp_path):
    missing = tmp_path / "no_such_run"
    proc = subprocess.run(
        [sys.executable, "-m", "scenarios.compare", str(missing)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0]


def test_directory_without_jobs_exits_2(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no job" in err[0]


def test_mean_difference_interval_matches_a_one_sample_t_interval():
    diffs = np.array([1.0, 2.5, -0.5, 3.0, 1.5])
    mean, low, high = mean_difference_interval(diffs)
    ci = stats.ttest_1samp(diffs, 0.0).confidence_interval(0.95)
    assert mean == pytest.approx(diffs.mean())
    assert (low, high) == pytest.approx((ci.low, ci.high))
    assert mean_difference_interval(np.ones(4)) == (1.0, 1.0, 1.0)
    assert all(math.isnan(x) for x in mean_difference_interval(np.ones(1))[1:])


def test_paired_proportion_difference_counts_discordant_replicates():
    hit_a = np.array([True, False, False, True, False, False, False, False])
    hit_b = np.array([True, True, True, True, True, False, False, True])
    diff, low, high, b_only, a_only = paired_proportion_difference(hit_a, hit_b)
    assert (b_only, a_only) == (4, 0) and diff == 0.5
    assert -1 <= low < diff < high <= 1
    same = paired_proportion_difference(hit_a, hit_a)
    assert same[0] == 0 and same[1] < 0 < same[2]  # no change: an interval around 0, not a point


def test_heatmap_plan_with_more_than_two_numeric_keys_draws_pairs_for_the_first_targets():
    reach = pd.DataFrame({"target": [f"t{i}" for i in range(10)], "year": 2025})
    plan = heatmap_plan(reach, ["a", "b", "c"])
    assert len(plan) == min(3, MAX_HEATMAP_PAIRS) * MAX_HEATMAP_TARGETS
    assert {(x, y) for x, y, *_ in plan} == {("a", "b"), ("a", "c"), ("b", "c")}
    assert len({name for *_, name in plan}) == len(plan)
    assert len(heatmap_plan(reach, ["a", "b"])) == len(reach)
