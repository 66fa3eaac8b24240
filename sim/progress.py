"""Hydra multirun callbacks: job configs checked up front, then sweep progress.

:class:`SweepCheck` validates every job's config before the first job runs; :class:`SweepProgress`
logs jobs done / total, the ETA and where results go.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from sim.config import ConfigError, to_sim_config

log = logging.getLogger("sim.sweep")
BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


def sweep_size(task_overrides: list[str]) -> int:
    """Number of jobs a list of multirun overrides expands to (product of sweep lengths)."""
    parser = OverridesParser.create()
    total = 1
    for override in parser.parse_overrides(task_overrides):
        if override.is_sweep_override():
            total *= max(1, len(list(override.sweep_string_iterator())))
    return total


def sweep_jobs(
    task_overrides: list[str], params: dict | None = None, config_loader: Any = None
) -> list[list[str]]:
    """The override list of every job, in job-number order, as Hydra's basic sweeper makes them.

    Args:
        task_overrides: The multirun's command-line overrides (``hydra.overrides.task``).
        params: ``hydra.sweeper.params`` (key -> sweep string), put before the overrides.
        config_loader: Hydra's config loader (needed only for ``glob(...)`` sweeps of groups).
    """
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    arguments = [f"{k}={v}" for k, v in (params or {}).items()] + list(task_overrides)
    parsed = OverridesParser.create(config_loader=config_loader).parse_overrides(arguments)
    return [list(job) for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]


def jobs_of_config(config: DictConfig, config_loader: Any = None) -> list[list[str]] | None:
    """Job overrides of a multirun config (``multirun.yaml``), or None for another sweeper."""
    hydra_cfg = config.hydra
    if OmegaConf.select(hydra_cfg, "sweeper._target_", default=BASIC_SWEEPER) != BASIC_SWEEPER:
        return None
    params = OmegaConf.select(hydra_cfg, "sweeper.params", default=None)
    params = OmegaConf.to_container(params) if params is not None else None
    return sweep_jobs(list(hydra_cfg.overrides.task), params, config_loader)


class SweepCheck(Callback):
    """Validates the config of every job of a multirun before the first job runs.

    Each job's config is composed as the launcher will compose it, then checked like a single run
    (:func:`sim.config.to_sim_config`, the region's data file). The first bad job stops the sweep
    with one line naming the job and its overrides, exit code 2; no job has run.
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Check every job's config (exits with code 2 on the first bad one)."""
        from hydra.core.global_hydra import GlobalHydra

        from sim.region import load_base_state

        loader = GlobalHydra.instance().config_loader()
        start = time.perf_counter()
        try:
            jobs = jobs_of_config(config, loader)
        except HydraException:
            return  # Hydra's sweeper reports the sweep syntax itself
        if jobs is None:
            return
        for num, overrides in enumerate(jobs):
            try:
                job_cfg = loader.load_sweep_config(config, list(overrides))
                with open_dict(job_cfg):
                    del job_cfg["hydra"]
                load_base_state(to_sim_config(job_cfg).region)
            except (ConfigError, HydraException, OmegaConfBaseException) as err:
                line = " ".join(str(err).split())
                print(
                    f"error: sweep job {num} ({' '.join(overrides)}): {line}; no job was run",
                    file=sys.stderr,
                )
                sys.exit(2)
        log.info("checked the configs of %d jobs in %.1f s", len(jobs), time.perf_counter() - start)


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
