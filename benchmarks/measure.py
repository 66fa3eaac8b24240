"""Timing, memory and subprocess helpers shared by the benchmark cases."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULT_MARK = "BENCHMARK-RESULT "


def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def children_peak_rss_bytes() -> int:
    """Largest peak RSS of any waited-for child process (e.g. ensemble workers)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


def current_rss_bytes() -> int:
    """Resident set size of this process now (``/proc/self/statm``; 0 where unavailable)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """Context manager filling ``{"s": seconds}`` with the wall time of its block."""
    out = {"s": float("nan")}
    start = time.perf_counter()
    try:
        yield out
    finally:
        out["s"] = time.perf_counter() - start


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``fn`` and return ``(seconds, result)``."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def summary(values: list[float]) -> dict[str, float]:
    """Median, min, max and count of a list of measurements."""
    vals = [float(v) for v in values]
    if not vals:
        return {"median": float("nan"), "min": float("nan"), "max": float("nan"), "n": 0}
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


def emit(result: dict[str, Any]) -> None:
    """Print a child's result as one marked JSON line (parsed by :func:`run_child`)."""
    result = {**result, "peak_rss_bytes": peak_rss_bytes()}
    result["children_peak_rss_bytes"] = children_peak_rss_bytes()
    print(RESULT_MARK + json.dumps(result), flush=True)


def load_average() -> float:
    """One-minute load average of the machine (NaN where unavailable)."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return float("nan")


def run_child(case: str, params: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one case in a fresh interpreter (``python -m benchmarks.child``) and parse its result.

    Args:
        case: Case name known to ``benchmarks.child``.
        params: JSON-serialisable parameters of the case.
        timeout: Seconds before the child is killed.

    Returns:
        The child's result, with ``wall_s`` (whole child including imports) added, or
        ``{"error": ...}`` if it failed or timed out.
    """
    cmd = [sys.executable, "-m", "benchmarks.child", case, json.dumps(params)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    load0 = load_average()
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s", "wall_s": timeout}
    wall = time.perf_counter() - start
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            loads = {"load_before": load0, "load_after": load_average()}
            return {**json.loads(line[len(RESULT_MARK) :]), "wall_s": wall, **loads}
    tail = "\n".join(proc.stderr.strip().splitlines()[-6:])
    return {"error": f"exit code {proc.returncode}: {tail}", "wall_s": wall}
