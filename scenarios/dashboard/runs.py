"""Ensembles for the dashboard: settings A and B with common random numbers, preview then full.

Replicate ``r`` of a setting uses ``SeedSequence(run.seed).spawn(...)[r]`` and the same posterior
draw in A and B (:mod:`sim.ensemble`), so B - A differences are lever effects. A replicate's result
depends only on its config and ``r``; results are kept in a bounded in-memory cache shared by all
sessions (a computation cache: it holds no session's settings), so an unchanged setting is not
recomputed and a restarted full run resumes where it stopped. Tasks run in chunks (one task per
worker) on the simulator's executor (a reused process pool), so a run reports progress and stops
between chunks when cancelled; sessions take turns chunk by chunk.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import pandas as pd

from sim.compose import to_yaml
from sim.config import SimConfig
from sim.ensemble import ReplicateResult, run_replicate
from sim.executors import make_executor

CACHE_SIZE = 4000  # replicate results (about 15 KB each)

_cache: OrderedDict[tuple[str, int], ReplicateResult] = OrderedDict()
_cache_lock = threading.Lock()
_pool_lock = threading.Lock()
_tokens = itertools.count(1)


@dataclass(frozen=True)
class Ensemble:
    """The replicates of one setting: tidy KPIs and costs (as in :mod:`sim.ensemble`)."""

    kpis: pd.DataFrame
    costs: pd.DataFrame
    replicates: int
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class PairResult:
    """Settings A and B run with the same seeds.

    Attributes:
        stage: ``"preview"`` or ``"full"``.
        key: Identifies the request (settings and options) the result belongs to.
        replicates: Replicates per setting.
        people_per_agent: Talent scale of the run.
        seed: Root seed shared by A and B.
        a: Ensemble of setting A.
        b: Ensemble of setting B.
        base_year: Region base year (costs are averaged over the years after it).
        token: Unique number of this result (for caching derived figures).
    """

    stage: str
    key: str
    replicates: int
    people_per_agent: int
    seed: int
    a: Ensemble
    b: Ensemble
    base_year: int
    token: int = field(default_factory=lambda: next(_tokens))

    def label(self) -> str:
        """What the numbers are: preview or full ensemble, replicates and scale."""
        what = "PREVIEW" if self.stage == "preview" else "Full ensemble"
        return (
            f"{what}: {self.replicates} replicates per setting at {self.people_per_agent:,} "
            f"people per talent agent, seed {self.seed} (A and B share seeds)"
        )


@dataclass(frozen=True)
class Progress:
    """One update of a running request: stage, tasks done and the latest finished result."""

    stage: str  # "preview", "full", "done" or "error"
    done: int
    total: int
    key: str
    result: PairResult | None = None
    message: str = ""


def setting_key(cfg: SimConfig) -> str:
    """What a replicate's result depends on: the config without ensemble size and display flags."""
    run = replace(cfg.run, replicates=1, workers=0, progress=False, plots=False)
    return hashlib.sha256(to_yaml(replace(cfg, run=run)).encode()).hexdigest()


def _task(args: tuple[str, SimConfig, int, int]) -> tuple[str, ReplicateResult]:
    """Run one replicate in a worker (talent flows are not kept); tagged with its setting key."""
    key, cfg, replicate, owner = args
    _exit_with(owner)
    result = run_replicate(cfg, replicate)
    result.flows = None
    return key, result


_watched: set[int] = set()


def _exit_with(owner: int) -> None:
    """In a pool worker: exit once the server that submitted the work is gone.

    A pool worker does not notice its server's end (the server may be stopped without running
    its exit handlers), so each worker watches the server's process id and then exits, taking
    its idle fork server (its parent, started by the same server) along.
    """
    if owner == os.getpid() or owner in _watched:
        return
    _watched.add(owner)

    def watch() -> None:
        while True:
            time.sleep(2.0)
            try:
                os.kill(owner, 0)
            except ProcessLookupError:
                parent = os.getppid()
                if parent not in (1, owner):
                    try:
                        os.kill(parent, signal.SIGTERM)
                    except OSError:
                        pass
                os._exit(0)
            except OSError:
                pass

    threading.Thread(target=watch, name="dashboard-owner-watch", daemon=True).start()


def _cached(key: str, r: int) -> ReplicateResult | None:
    with _cache_lock:
        hit = _cache.get((key, r))
        if hit is not None:
            _cache.move_to_end((key, r))
        return hit


def _store(key: str, result: ReplicateResult) -> None:
    with _cache_lock:
        _cache[(key, result.replicate)] = result
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def _chunks(tasks: list, size: int) -> list[list]:
    """Chunks of ``size``; a last chunk of one task joins the previous one (runs in the pool)."""
    chunks = [tasks[i : i + size] for i in range(0, len(tasks), size)]
    if len(chunks) > 1 and len(chunks[-1]) == 1:
        chunks[-2].extend(chunks.pop())
    return chunks


def iter_settings(
    cfgs: list[SimConfig], cancelled: Callable[[], bool] = lambda: False
) -> Iterator[tuple[int, int, list[Ensemble] | None]]:
    """Run every config's ``run.replicates`` replicates, reusing cached replicates.

    Args:
        cfgs: Configs to run (the same ``run.seed`` gives common random numbers).
        cancelled: Checked before every chunk; when it returns True the generator stops.

    Yields:
        ``(tasks done, tasks in all, None)`` after every chunk, then ``(total, total,
        ensembles)`` with one :class:`Ensemble` per config.

    Raises:
        RuntimeError: if every replicate of a setting failed.
    """
    keys = [setting_key(c) for c in cfgs]
    n = max(c.run.replicates for c in cfgs)
    owner = os.getpid()
    missing = {
        (k, r): (k, c, r, owner)
        for r in range(n)
        for c, k in zip(cfgs, keys, strict=True)
        if r < c.run.replicates and _cached(k, r) is None
    }  # keyed, so a setting given twice (A == B) runs once
    total, done = len(missing), 0
    workers = os.cpu_count() or 1
    yield 0, total, None
    for chunk in _chunks(list(missing.values()), workers):
        if cancelled():
            return
        executor = make_executor(chunk[0][1].executor, workers)
        with _pool_lock:  # sessions take turns chunk by chunk on the shared pool
            executor.run(_task, chunk, lambda tagged: _store(*tagged))
        done += len(chunk)
        yield done, total, None
    yield total, total, [_assemble(k, c.run.replicates) for c, k in zip(cfgs, keys, strict=True)]


def run_settings(cfgs: list[SimConfig]) -> list[Ensemble]:
    """Run the configs to the end (see :func:`iter_settings`)."""
    *_, (_, _, ensembles) = iter_settings(cfgs)
    return ensembles


def stages(
    plan: list[tuple[str, SimConfig, SimConfig]],
    key: str,
    cancelled: Callable[[], bool] = lambda: False,
    pause: Callable[[], object] = lambda: None,
) -> Iterator[Progress]:
    """Run the stages of a request (preview, then full) for settings A and B.

    Args:
        plan: ``(stage, config A, config B)`` in the order to run them.
        key: Identifies the request; copied into every update.
        cancelled: Checked between chunks; a cancelled request stops without a final update.
        pause: Called between stages (the page waits a moment for further changes before it
            starts the full ensemble, so a quick next change does not wait for a running chunk).

    Yields:
        Progress after every chunk, carrying the latest finished :class:`PairResult`; the last
        update has stage ``"done"`` and the last stage's result (or ``"error"`` with a message;
        the server goes on).
    """
    latest: PairResult | None = None
    for i, (stage, cfg_a, cfg_b) in enumerate(plan):
        if i:
            pause()
        if cancelled():
            return
        last = i == len(plan) - 1
        try:
            for done, total, ensembles in iter_settings([cfg_a, cfg_b], cancelled):
                if ensembles is None:
                    yield Progress(stage, done, total, key, latest)
                    continue
                latest = PairResult(
                    stage,
                    key,
                    cfg_a.run.replicates,
                    cfg_a.run.people_per_agent,
                    cfg_a.run.seed,
                    *ensembles,
                    base_year=cfg_a.region.base_year,
                )
                yield Progress("done" if last else stage, done, total, key, latest)
        except Exception as err:  # a model error is shown in the page; the server goes on
            yield Progress("error", 0, 0, key, latest, f"{type(err).__name__}: {err}")
            return


def _assemble(key: str, replicates: int) -> Ensemble:
    results = [_cached(key, r) for r in range(replicates)]
    if any(r is None for r in results):  # evicted meanwhile (cache too small for the load)
        raise RuntimeError("replicate results were evicted from the cache; run again")
    ok = [r for r in results if r.error is None]
    errors = tuple(r.error for r in results if r.error is not None)
    if not ok:
        raise RuntimeError("every replicate failed; first error:\n" + errors[0])
    return Ensemble(
        kpis=pd.concat([r.kpis for r in ok], ignore_index=True),
        costs=pd.concat([r.costs for r in ok], ignore_index=True),
        replicates=len(ok),
        errors=errors,
    )
