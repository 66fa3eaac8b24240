"""Executors for replicate tasks: a reused local process pool, Ray tasks, or Slurm via submitit.

Every scenario x replicate task of a run or a sweep goes through one executor chosen by
``executor.kind``. Each returns results as they complete, so callers can show progress; a task
that raises is the task's own business (the task functions catch model errors and report them).
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sim.config import ConfigError, ExecutorConfig

Task = Any
Result = Any

_POOLS: dict[int, ProcessPoolExecutor] = {}


def _shutdown_pools() -> None:
    for pool in _POOLS.values():
        pool.shutdown(cancel_futures=True)
    _POOLS.clear()


atexit.register(_shutdown_pools)


class LocalExecutor:
    """A process pool over local cores, kept alive and reused by later runs of the same process.

    Workers are started by a fork server (no threads are forked) and keep their caches (the
    base-year population) between tasks and between the jobs of a sweep.
    """

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)

    def _pool(self) -> ProcessPoolExecutor:
        pool = _POOLS.get(self.workers)
        if pool is None:
            ctx = multiprocessing.get_context("forkserver")
            pool = ProcessPoolExecutor(self.workers, mp_context=ctx)
            _POOLS[self.workers] = pool
        return pool

    def run(
        self,
        fn: Callable[[Task], Result],
        tasks: Iterable[Task],
        on_result: Callable[[Result], None],
    ) -> None:
        """Run ``fn`` over ``tasks``; call ``on_result`` as each finishes."""
        tasks = list(tasks)
        if self.workers == 1 or len(tasks) <= 1:
            for task in tasks:
                on_result(fn(task))
            return
        try:
            futures = [self._pool().submit(fn, t) for t in tasks]
            for fut in as_completed(futures):
                on_result(fut.result())
        except BrokenProcessPool:
            _POOLS.pop(self.workers, None)  # a worker died (e.g. killed): start afresh next time
            raise


class RayExecutor:
    """Ray tasks on an existing cluster (``ray start --head``; ``executor.address``)."""

    def __init__(self, address: str) -> None:
        try:
            import ray
        except ImportError as err:
            raise ConfigError("executor.kind=ray needs Ray: pip install -e '.[ray]'") from err
        self.ray = ray
        if not ray.is_initialized():
            ray.init(address=address, log_to_driver=False)

    def run(
        self,
        fn: Callable[[Task], Result],
        tasks: Iterable[Task],
        on_result: Callable[[Result], None],
    ) -> None:
        """Submit every task as a Ray task; call ``on_result`` as each finishes."""
        remote = self.ray.remote(fn)
        pending = [remote.remote(t) for t in tasks]
        while pending:
            done, pending = self.ray.wait(pending, num_returns=1)
            on_result(self.ray.get(done[0]))


class SlurmExecutor:
    """One Slurm array job per run through submitit (``executor.slurm_*`` settings)."""

    def __init__(self, cfg: ExecutorConfig) -> None:
        try:
            import submitit
        except ImportError as err:
            raise ConfigError(
                "executor.kind=slurm needs submitit: pip install -e '.[slurm]'"
            ) from err
        self.executor = submitit.AutoExecutor(folder=cfg.slurm_folder)
        params: dict[str, Any] = {
            "timeout_min": cfg.slurm_time_min,
            "cpus_per_task": cfg.slurm_cpus_per_task,
        }
        if cfg.slurm_partition:
            params["slurm_partition"] = cfg.slurm_partition
        self.executor.update_parameters(**params)

    def run(
        self,
        fn: Callable[[Task], Result],
        tasks: Iterable[Task],
        on_result: Callable[[Result], None],
    ) -> None:
        """Submit the tasks as one job array and collect the results in order."""
        for job in self.executor.map_array(fn, list(tasks)):
            on_result(job.result())


def make_executor(cfg: ExecutorConfig, workers: int) -> LocalExecutor | RayExecutor | SlurmExecutor:
    """The executor selected by ``executor.kind`` (``workers`` = local processes, 0 = all)."""
    if cfg.kind == "local":
        return LocalExecutor(workers or os.cpu_count() or 1)
    if cfg.kind == "ray":
        return RayExecutor(cfg.address)
    if cfg.kind == "slurm":
        return SlurmExecutor(cfg)
    raise ConfigError(f"executor.kind={cfg.kind!r}; allowed: 'local', 'ray', 'slurm'")
