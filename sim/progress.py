"""Sweep progress for Hydra multiruns: jobs done / total, ETA, and where results go."""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

log = logging.getLogger("sim.sweep")


def sweep_size(task_overrides: list[str]) -> int:
    """Number of jobs a list of multirun overrides expands to (product of sweep lengths)."""
    parser = OverridesParser.create()
    total = 1
    for override in parser.parse_overrides(task_overrides):
        if override.is_sweep_override():
            total *= max(1, len(list(override.sweep_string_iterator())))
    return total


class SweepProgress(Callback):
    """Logs ``k/N jobs done``, the elapsed time and an ETA after each job of a multirun."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0
        self.start = time.perf_counter()

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Count the jobs of the sweep and say where results go."""
        self.total = sweep_size(list(config.hydra.overrides.task))
        self.start = time.perf_counter()
        log.info("sweep of %d jobs -> %s", self.total, config.hydra.sweep.dir)

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        """Report progress after a job (in multirun mode only)."""
        if not self.total:
            return
        self.done += 1
        elapsed = time.perf_counter() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        log.info(
            "sweep: %d/%d jobs done, %s elapsed, ETA %s",
            self.done,
            self.total,
            _fmt(elapsed),
            _fmt(eta),
        )


def _fmt(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    m, s = divmod(int(seconds), 60)
    return f"{m}m{s:02d}s" if m else f"{s}s"
