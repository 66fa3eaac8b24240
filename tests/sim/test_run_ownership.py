"""A run directory is owned by one run at a time, and done.json vouches only for its own files.

Row 4 of issue 13 (two runs with different configs in one ``hydra.run.dir``) and row 11 (keys
that change no result do not force a recomputation).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.charts import chart_names
from sim.compose import load_config, to_yaml
from sim.outputs import config_hash, inputs_hash
from sim.rundir import (
    DONE_FILE,
    LOCK_FILE,
    RunDirBusy,
    RunDirError,
    file_digest,
    incomplete_reason,
    is_complete,
    mark_complete,
    own,
    recorded_config_hash,
)

ROOT = Path(__file__).resolve().parents[2]
QUICK = ["run.people_per_agent=5000", "run.progress=false", "run.workers=1", "run.assimilate=false"]
CHARTS = len(chart_names(load_config().targets.targets))  # one fan chart per target id


def start(out: Path, *overrides: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "sim", *QUICK, *overrides, f"hydra.run.dir={out}"]
    return subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def run(out: Path, *overrides: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "sim", *QUICK, *overrides, f"hydra.run.dir={out}"]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


def wait_for_owner(out: Path, pid: int, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if json.loads((out / LOCK_FILE).read_text())["pid"] == pid:
                return
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"pid {pid} never took {out}")


def test_a_second_run_into_a_busy_directory_refuses_and_the_first_stays_consistent(tmp_path):
    out = tmp_path / "run"
    first = start(out, "run.replicates=6", "levers=baseline", "run.plots=true")
    wait_for_owner(out, first.pid)
    second = run(out, "run.replicates=2", "levers=platform_push")
    assert second.returncode == 2
    lines = [line for line in second.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"in use by pid {first.pid}" in lines[0] and str(out) in lines[0]
    assert first.wait(timeout=600) == 0, first.stderr[-2000:]

    done = json.loads((out / DONE_FILE).read_text())
    assert done["config_hash"] == config_hash(
        load_config([*QUICK, "run.replicates=6", "levers=baseline", "run.plots=true"])
    )
    assert done["config_hash"] == recorded_config_hash(out)
    assert incomplete_reason(out) is None
    for name, digest in done["files"].items():  # every file, fan charts included, is the first's
        assert file_digest(out / name) == digest
    assert sum(name.startswith("fan_") for name in done["files"]) == CHARTS
    assert pd.read_parquet(out / "kpis.parquet").replicate.nunique() == 6
    assert list(out.glob(".*.tmp")) == []


def test_runs_one_after_the_other_each_get_their_own_results(tmp_path):
    out = tmp_path / "run"
    a = ["run.replicates=2", "levers=baseline", "run.plots=false"]
    b = ["run.replicates=2", "levers=platform_push", "run.plots=false"]
    assert run(out, *a).returncode == 0
    kpis_a = pd.read_parquet(out / "kpis.parquet")
    assert run(out, *b).returncode == 0
    again = run(out, *a)
    assert again.returncode == 0 and "skipping" not in again.stdout  # b's results not served as a
    pd.testing.assert_frame_equal(pd.read_parquet(out / "kpis.parquet"), kpis_a)


def test_the_lock_names_its_owner_and_dies_with_it(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from sim.rundir import own\n"
            f"with own({str(tmp_path)!r}):\n    print('held', flush=True); time.sleep(600)",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(RunDirBusy, match=f"in use by pid {holder.pid} on "):
        with own(tmp_path):
            pass
    os.kill(holder.pid, signal.SIGKILL)  # no clean-up at all: the kernel releases the lock
    holder.wait()
    with own(tmp_path):
        assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()


def test_done_json_is_refused_when_config_yaml_is_another_runs(tmp_path):
    (tmp_path / "config.yaml").write_text("levers: {name: other}\n")
    with pytest.raises(RunDirError, match="not the config of these results"):
        mark_complete(tmp_path, "0" * 64, ["config.yaml"])
    assert not (tmp_path / DONE_FILE).exists()


# ---------------------------------------------------------------------------------------------
# Row 11: only what changes results is in the config hash


@pytest.mark.parametrize(
    "plumbing",
    [
        ["run.workers=2"],
        ["run.progress=false"],
        ["run.plots=false"],
        ["run.lazy_agents=false"],
        ["run.tolerate_failures=true"],
        ["executor=ray", "executor.address=10.0.0.1:6379"],
        ["calibration.samples=7"],
        ["experiment.replicates=3"],
    ],
)
def test_keys_that_change_no_result_are_not_in_the_hash(plumbing):
    assert config_hash(load_config(plumbing)) == config_hash(load_config())


@pytest.mark.parametrize(
    "result_key",
    [
        "run.seed=1",
        "run.replicates=5",
        "levers.adjust_step=0.3",
        "mode=backtest",
        "run.horizon=2029",
    ],
)
def test_keys_that_change_results_are_in_the_hash(result_key):
    assert config_hash(load_config([result_key])) != config_hash(load_config())


def test_resuming_with_other_workers_progress_or_plots_skips_and_draws_missing_charts(tmp_path):
    out = tmp_path / "run"
    assert run(out, "run.replicates=2", "run.plots=false").returncode == 0
    kpis = out / "kpis.parquet"
    stamp = kpis.stat().st_mtime_ns
    assert not list(out.glob("fan_*.png"))
    again = run(out, "run.replicates=2", "run.plots=true", "run.workers=2", "run.progress=true")
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"skipping; drew {CHARTS} missing fan chart(s)" in again.stdout
    assert kpis.stat().st_mtime_ns == stamp  # not recomputed
    done = json.loads((out / DONE_FILE).read_text())
    charts = sorted(p.name for p in out.glob("fan_*.png"))
    assert len(charts) == CHARTS and all(name in done["files"] for name in charts)
    assert incomplete_reason(out) is None


def test_results_of_other_model_code_or_region_data_are_not_complete(tmp_path):
    cfg = load_config()
    (tmp_path / "config.yaml").write_text("# model_version: x\n" + to_yaml(cfg))
    (tmp_path / "kpis.parquet").write_bytes(b"kpis")
    mark_complete(tmp_path, config_hash(cfg), ["config.yaml", "kpis.parquet"], inputs_hash="a")
    assert is_complete(tmp_path, config_hash(cfg), "a")
    assert not is_complete(tmp_path, config_hash(cfg), "b")
    assert "other model code or region data" in incomplete_reason(tmp_path, None, "b")
    assert inputs_hash(cfg) != inputs_hash(load_config(["region=changsha"]))  # no posterior file
