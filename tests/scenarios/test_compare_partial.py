"""scenarios.compare on partial sweeps: jobs never started and incomplete jobs are listed, results
that fail their checksum are not used, and a partial sweep exits non-zero unless allowed.

Row 12 of issue 13. The partial sweep is a real one: ``python -m sim -m`` killed (SIGKILL) after
its first job, then resumed to completion.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from scenarios.compare import expected_jobs, main

ROOT = Path(__file__).resolve().parents[2]
VALUES = ("0", "0.04", "0.08")
SWEEP = [
    "-m",
    f"levers.bonded_duty_relief_rate={','.join(VALUES)}",
    "run.replicates=2",
    "run.people_per_agent=5000",
    "run.workers=1",
    "run.plots=false",
    "run.progress=false",
]


def job_dirs(sweep: Path) -> list[Path]:
    dirs = [d for d in sweep.iterdir() if d.is_dir() and d.name[0].isdigit()]
    return sorted(dirs, key=lambda d: int(d.name.split("_")[0]))


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory) -> tuple[Path, Path]:
    """(a copy of the sweep killed after its first job, the same sweep resumed to completion)."""
    base = tmp_path_factory.mktemp("partial")
    sweep = base / "sweep"
    cmd = [sys.executable, "-m", "sim", *SWEEP, f"hydra.sweep.dir={sweep}"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.time() + 300
    while time.time() < deadline and not list(sweep.glob("*/done.json")):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = base / "killed"
    shutil.copytree(sweep, partial)
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    return partial, sweep


def errors(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def test_the_expected_jobs_come_from_multirun_yaml(sweeps):
    _, complete = sweeps
    jobs = expected_jobs(complete)
    assert [job[0] for job in jobs] == [f"levers.bonded_duty_relief_rate={v}" for v in VALUES]
    assert len(job_dirs(complete)) == len(jobs)


def test_a_complete_sweep_compares_without_warnings(sweeps, tmp_path, capsys):
    _, complete = sweeps
    assert main([str(complete), "--out", str(tmp_path)]) == 0
    assert not any("partial" in line for line in errors(capsys))
    assert sorted(pd.read_parquet(tmp_path / "sweep.parquet").job.unique()) == [0, 1, 2]


def test_a_killed_sweep_is_partial_and_names_what_is_missing(sweeps, tmp_path, capsys):
    killed, _ = sweeps
    started = {int(d.name.split("_")[0]) for d in job_dirs(killed)}
    assert 0 in started and len(started) < 3  # killed during job 1 at the latest
    assert main([str(killed), "--out", str(tmp_path)]) == 3
    lines = errors(capsys)
    assert len(lines) == 1 and lines[0].startswith(f"error: {killed}: partial sweep, 1 of 3 jobs")
    for num in sorted({0, 1, 2} - started):
        assert f"job {num} (levers.bonded_duty_relief_rate={VALUES[num]}" in lines[0]
    assert "never started" in lines[0] and "--allow-partial" in lines[0]
    assert not (tmp_path / "sweep.parquet").exists()


def test_allow_partial_compares_the_complete_jobs_with_the_list_as_a_warning(
    sweeps, tmp_path, capsys
):
    killed, _ = sweeps
    assert main([str(killed), "--allow-partial", "--out", str(tmp_path)]) == 0
    warnings = [line for line in errors(capsys) if line.startswith("warning:")]
    assert any("partial sweep, 1 of 3 jobs complete" in line for line in warnings)
    assert sorted(pd.read_parquet(tmp_path / "sweep.parquet").job.unique()) == [0]


def test_a_result_changed_after_the_run_is_not_used(sweeps, tmp_path, capsys):
    _, complete = sweeps
    copy = tmp_path / "sweep"
    shutil.copytree(complete, copy)
    job = job_dirs(copy)[1]
    costs = pd.read_csv(job / "costs.csv")
    costs["yuan"] *= 10  # a tampered cost table
    costs.to_csv(job / "costs.csv", index=False)
    assert main([str(copy), "--out", str(tmp_path)]) == 3
    lines = errors(capsys)
    assert len(lines) == 1 and job.name in lines[0] and "costs.csv" in lines[0]
    assert main([str(copy), "--allow-partial", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    table = pd.read_csv(tmp_path / "cost_effectiveness.csv")
    assert 1 not in set(table.job)  # the tampered job's costs were not used
    # Pair mode refuses the changed file by name.
    assert main([str(job_dirs(copy)[0]), str(job)]) == 2
    lines = errors(capsys)
    assert len(lines) == 1 and str(job / "costs.csv") in lines[0] and "checksum" in lines[0]


def test_pair_mode_refuses_an_incomplete_run_unless_allowed(sweeps, tmp_path, capsys):
    _, complete = sweeps
    a, b = job_dirs(complete)[0], tmp_path / "b"
    shutil.copytree(job_dirs(complete)[2], b)
    (b / "done.json").unlink()
    assert main([str(a), str(b), "--out", str(tmp_path)]) == 3
    lines = errors(capsys)
    assert len(lines) == 1 and "no readable done.json" in lines[0]
    assert main([str(a), str(b), "--allow-partial", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "comparison.csv").is_file()
