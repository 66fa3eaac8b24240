"""Interrupting a run leaves no worker processes; executors fail before touching results.

Rows 5 and 8 of issue 13: ``kill -9`` (and SIGTERM, SIGINT) of a run used to leave the fork server
and the pool workers alive; Ray without a cluster hung; Slurm without submitit deleted done.json.
Processes are found through /proc (children of children), and only the ones these tests started
are ever signalled.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.rundir import DONE_FILE

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def children() -> dict[int, int]:
    """pid -> parent pid of every live (non-zombie) process."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if state not in ("Z", "X"):
            out[int(entry.name)] = int(ppid)
    return out


def descendants(pid: int) -> set[int]:
    table = children()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in table.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    return pids & set(children())


def start_run(out: Path, *overrides: str) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "sim",
        "run.replicates=40",
        "run.workers=2",
        "run.people_per_agent=5000",
        "run.plots=false",
        "run.progress=false",
        *overrides,
        f"hydra.run.dir={out}",
    ]
    # Its own session: a signal to the run's pid reaches the run only, as from `kill <pid>`.
    # SIGINT back to its default: a pytest-xdist worker ignores it, a child inherits an ignored
    # signal across exec, and Python then leaves it ignored (as for a background job of a shell).
    return subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for_workers(proc: subprocess.Popen, n: int, timeout: float = 180) -> set[int]:
    """The run's descendants once its pool has ``n`` workers busy (fork server + workers)."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        found = descendants(proc.pid)
        grandchildren = {p for p, parent in children().items() if parent in found}
        if len(grandchildren) >= n:
            time.sleep(1.0)  # let the workers start their first tasks
            return descendants(proc.pid)
        time.sleep(0.1)
    raise AssertionError(f"no pool of {n} workers appeared: {proc.stderr.read()[-2000:]}")


@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGKILL, -signal.SIGKILL), (signal.SIGTERM, 128 + 15), (signal.SIGINT, 128 + 2)],
    ids=["SIGKILL", "SIGTERM", "SIGINT"],
)
def test_an_interrupted_run_leaves_no_worker_processes(tmp_path, signum, code):
    out = tmp_path / "run"
    proc = start_run(out)
    started = wait_for_workers(proc, n=2)
    assert len(started) >= 3  # fork server, two workers (and the resource tracker)
    try:
        os.kill(proc.pid, signum)
        assert proc.wait(timeout=60) == code
        deadline = time.time() + 20
        while alive(started) and time.time() < deadline:
            time.sleep(0.1)
        assert alive(started) == set(), "processes left behind"
    finally:
        for pid in alive(started):  # only processes this test started
            os.kill(pid, signal.SIGKILL)
    assert not (out / DONE_FILE).exists()
    if signum != signal.SIGKILL:
        lines = [line for line in proc.stderr.read().splitlines() if line.startswith("error:")]
        assert lines == [
            f"error: stopped by {signal.Signals(signum).name}; workers stopped, results of the "
            "current job not marked complete (re-run the same command to resume)"
        ]


# ---------------------------------------------------------------------------------------------
# Row 8: executors that cannot start lose nothing


@pytest.fixture(scope="module")
def complete_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("complete") / "run"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "run.replicates=2",
            "run.people_per_agent=5000",
            "run.plots=false",
            "run.progress=false",
            f"hydra.run.dir={out}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def rerun(
    out: Path, *overrides: str, timeout: float = 120
) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "run.seed=3", *overrides, f"hydra.run.dir={out}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return proc, time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_untouched(out: Path, done: str) -> None:
    assert (out / DONE_FILE).read_text() == done  # the other config's results are still complete


def test_ray_without_a_cluster_fails_within_its_timeout(complete_run):
    done = (complete_run / DONE_FILE).read_text()
    port = free_port()
    proc, seconds = rerun(
        complete_run,
        "executor=ray",
        f"executor.address=127.0.0.1:{port}",
        "executor.ray_connect_timeout_s=3",
    )
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: executor=ray: no cluster answered at 127.0.0.1:{port} within 3 s "
        "(Connection refused)"
    ]
    assert seconds < 60  # start-up of the CLI plus the 3 s timeout
    assert_untouched(complete_run, done)


def test_ray_with_a_silent_port_fails_within_its_timeout(complete_run):
    if importlib.util.find_spec("ray") is None:  # not imported here: Ray reads its env at import
        pytest.skip("ray not installed")
    done = (complete_run / DONE_FILE).read_text()
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        proc, seconds = rerun(
            complete_run,
            "executor=ray",
            f"executor.address=127.0.0.1:{port}",
            "executor.ray_connect_timeout_s=4",
        )
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"no cluster answered at 127.0.0.1:{port} within 4 s" in errors[0]
    assert seconds < 60
    assert_untouched(complete_run, done)


def test_slurm_without_submitit_fails_before_touching_the_run_directory(complete_run):
    try:
        import submitit  # noqa: F401

        pytest.skip("submitit is installed")
    except ImportError:
        pass
    done = (complete_run / DONE_FILE).read_text()
    proc, _ = rerun(complete_run, "executor=slurm")
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == ["error: executor.kind=slurm needs submitit: pip install -e '.[slurm]'"]
    assert_untouched(complete_run, done)
    assert json.loads(done)["replicates"] == 2
