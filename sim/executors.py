"""Executors for replicate tasks: a reused local process pool, Ray tasks, or Slurm via submitit.

Every scenario x replicate task of a run or a sweep goes through one executor chosen by
``executor.kind``. Each returns results as they complete, so callers can show progress; a task
that raises is the task's own business (the task functions catch model errors and report them).

Executors are made before a run touches its directory (:func:`make_executor` connects to Ray or
imports submitit), so a missing cluster or package is refused before any result is invalidated.

Local pool workers never outlive the process that started the pool: each watches it (a pidfd on
Linux, else polling) and exits when it exits, however it ends (``kill -9`` included). They ignore
SIGINT, so Ctrl-C is the parent's to handle: an interrupted :meth:`LocalExecutor.run` terminates
the pool before re-raising.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import select
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sim.config import ConfigError, ExecutorConfig

Task = Any
Result = Any

_POOLS: dict[int, ProcessPoolExecutor] = {}
PARENT_POLL_S = 0.5
"""Polling interval of the parent watch where pidfds are not available."""


# ---------------------------------------------------------------------------------------------
# Local pool


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie counts as dead)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_for_exit(pid: int) -> None:
    """Block until process ``pid`` has exited."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    except (AttributeError, OSError):
        while _alive(pid):
            time.sleep(PARENT_POLL_S)
        return
    try:
        select.select([fd], [], [])
    finally:
        os.close(fd)


def _watch_parent(parent_pid: int) -> None:
    """Pool worker initializer: ignore SIGINT and exit as soon as ``parent_pid`` exits."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        _wait_for_exit(parent_pid)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _stop(pool: ProcessPoolExecutor, terminate: bool) -> None:
    processes = list((getattr(pool, "_processes", None) or {}).values())
    if terminate:
        for proc in processes:
            if proc.is_alive():
                proc.kill()
    pool.shutdown(wait=not terminate, cancel_futures=True)
    for proc in processes:
        proc.join(timeout=5)


def shutdown_pools(terminate: bool = False) -> None:
    """Stop every local pool; ``terminate`` kills the workers instead of letting them finish."""
    while _POOLS:
        _, pool = _POOLS.popitem()
        _stop(pool, terminate)


_shutdown_pools = shutdown_pools  # the name tests/test_notebooks.py calls between notebooks
atexit.register(shutdown_pools)


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
            pool = ProcessPoolExecutor(
                self.workers, mp_context=ctx, initializer=_watch_parent, initargs=(os.getpid(),)
            )
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
        except BaseException:  # interrupted (Ctrl-C, SIGTERM turned into SystemExit): no leftovers
            pool = _POOLS.pop(self.workers, None)
            if pool is not None:
                _stop(pool, terminate=True)
            raise


# ---------------------------------------------------------------------------------------------
# Ray


def _host_port(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of a Ray address (``host:port`` or ``ray://host:port``), else None."""
    rest = address.split("://", 1)[-1]
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return host or "127.0.0.1", int(port)


class RayExecutor:
    """Ray tasks on an existing cluster (``ray start --head``; ``executor.address``).

    Connecting fails within ``timeout_s`` seconds when no cluster answers: the address is probed
    first, then ``ray.init`` runs with the same deadline.
    """

    def __init__(self, address: str, timeout_s: float = 30.0) -> None:
        try:
            import ray
        except ImportError as err:
            raise ConfigError("executor.kind=ray needs Ray: pip install -e '.[ray]'") from err
        self.ray = ray
        if ray.is_initialized():
            return
        no_answer = f"executor=ray: no cluster answered at {address} within {timeout_s:g} s"
        target = _host_port(address)
        if target is not None:
            try:
                socket.create_connection(target, timeout=timeout_s).close()
            except OSError as err:
                raise ConfigError(f"{no_answer} ({err.strerror or err})") from None
        outcome: dict[str, BaseException] = {}
        done = threading.Event()

        def connect() -> None:
            try:
                ray.init(address=address, log_to_driver=False)
            except BaseException as err:  # reported in the caller's thread
                outcome["error"] = err
            finally:
                done.set()

        threading.Thread(target=connect, name="ray-connect", daemon=True).start()
        if not done.wait(timeout_s):
            raise ConfigError(f"{no_answer} (ray.init did not return)")
        if "error" in outcome:
            err = outcome["error"]
            raise ConfigError(f"{no_answer} ({' '.join(str(err).split())[:200]})") from err

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


# ---------------------------------------------------------------------------------------------
# Slurm


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
    """The executor selected by ``executor.kind`` (``workers`` = local processes, 0 = all).

    Raises:
        ConfigError: Ray or submitit missing, or no Ray cluster answering in time.
    """
    if cfg.kind == "local":
        return LocalExecutor(workers or os.cpu_count() or 1)
    if cfg.kind == "ray":
        return RayExecutor(cfg.address, cfg.ray_connect_timeout_s)
    if cfg.kind == "slurm":
        return SlurmExecutor(cfg)
    raise ConfigError(f"executor.kind={cfg.kind!r}; allowed: 'local', 'ray', 'slurm'")
