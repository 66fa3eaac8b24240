"""Sweeps: resume after interruption (a real kill), executors, errors isolated per task."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.compose import load_config
from sim.ensemble import run_ensemble
from sim.progress import sweep_size

SWEEP = [
    "levers.bonded_duty_relief_rate=0,0.04,0.08",
    "run.replicates=3",
    "run.people_per_agent=5000",
    "run.workers=1",
    "run.plots=false",
    "run.progress=false",
]


def sweep(out: Path, **kw) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "sim", "-m", *SWEEP, f"hydra.sweep.dir={out}"]
    return subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        **kw,
    )


def jobs(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.is_dir() and p.name[0].isdigit())


def test_sweep_size_counts_the_grid():
    assert sweep_size(["a=1,2,3", "b=x,y", "c=5"]) == 6


def test_interrupted_sweep_resumes_without_loss_or_duplication(tmp_path):
    out = tmp_path / "sweep"
    proc = sweep(out)
    first_done = None
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        done = list(out.glob("*/done.json")) if out.exists() else []
        if done:
            first_done = done[0]
            break
        time.sleep(0.05)
    assert first_done is not None, "no job finished"
    os.killpg(proc.pid, signal.SIGKILL)  # a real kill, mid-sweep
    proc.wait()
    stamp = first_done.stat().st_mtime_ns
    kpis_before = pd.read_parquet(first_done.parent / "kpis.parquet")
    finished = sweep(out)
    log, _ = finished.communicate(timeout=600)
    assert finished.returncode == 0, log[-2000:]
    assert "skipping" in log
    dirs = jobs(out)
    assert len(dirs) == 3  # nothing duplicated
    assert all((d / "done.json").exists() and (d / "kpis.parquet").exists() for d in dirs)
    assert first_done.stat().st_mtime_ns == stamp  # finished job not recomputed
    pd.testing.assert_frame_equal(pd.read_parquet(first_done.parent / "kpis.parquet"), kpis_before)
    leftovers = [p for p in out.rglob("*.tmp")]
    assert leftovers == []


def test_partial_job_is_recomputed_and_matches(tmp_path):
    out = tmp_path / "sweep"
    assert sweep(out).wait(timeout=600) == 0
    job = jobs(out)[1]
    good = pd.read_parquet(job / "kpis.parquet")
    (job / "done.json").unlink()
    (job / "kpis.parquet").write_bytes(b"truncated")  # a partial / corrupt result
    assert sweep(out).wait(timeout=600) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(job / "kpis.parquet"), good)
    assert json.loads((job / "done.json").read_text())["replicates"] == 3


def test_a_failing_replicate_is_reported_and_the_rest_goes_on(tmp_path, monkeypatch):
    import sim.posterior as posterior

    (tmp_path / "region").mkdir()
    (tmp_path / "region" / "p.csv").write_text(
        "region.behaviour.statuses.listing_rate\n0.01\n-5\n"  # the second set is invalid
    )
    monkeypatch.setattr(posterior, "CONF_DIR", tmp_path)
    posterior.load_posterior.cache_clear()
    cfg = load_config(
        [
            "region.posterior_file=p.csv",
            "run.replicates=6",
            "run.workers=1",
            "run.people_per_agent=5000",
            "run.progress=false",
            "run.tolerate_failures=true",  # without it the ensemble raises (tests/sim/)
        ]
    )
    res = run_ensemble(cfg)
    failed = res.seeds[res.seeds.status == "failed"]
    assert 0 < len(failed) < 6
    assert len(res.errors) == len(failed)
    assert all(
        "seed 20230801" in e and "spawn key" in e and "listing_rate" in e for e in res.errors
    )
    assert res.kpis.replicate.nunique() == 6 - len(failed)
    posterior.load_posterior.cache_clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ray_head():
    """A local Ray head on loopback only, started by the test and stopped afterwards."""
    ray_bin = Path(sys.executable).parent / "ray"
    if not ray_bin.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("ray is not installed in CI (dev extra)")
        pytest.skip("ray not installed (pip install -e '.[ray]')")
    env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}  # keep Ray on 127.0.0.1
    port = free_port()
    start = [
        str(ray_bin),
        "start",
        "--head",
        f"--port={port}",
        "--num-cpus=2",
        "--include-dashboard=false",
        "--disable-usage-stats",
    ]
    subprocess.run(start, env=env, check=True, capture_output=True, timeout=180)
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    try:
        yield f"127.0.0.1:{port}"
    finally:
        import ray

        if ray.is_initialized():
            ray.shutdown()
        subprocess.run([str(ray_bin), "stop", "--force"], env=env, capture_output=True, timeout=120)
        shutil.rmtree("/tmp/ray/session_latest", ignore_errors=True)


def test_ray_executor_gives_the_same_results_as_the_local_pool(ray_head):
    base = ["run.replicates=3", "run.people_per_agent=5000", "run.progress=false"]
    on_ray = run_ensemble(load_config([*base, "executor=ray", f"executor.address={ray_head}"]))
    local = run_ensemble(load_config(base))
    pd.testing.assert_frame_equal(on_ray.kpis, local.kpis)
    import ray

    assert [n["NodeManagerAddress"] for n in ray.nodes()] == ["127.0.0.1"]
