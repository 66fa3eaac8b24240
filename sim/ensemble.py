"""Ensembles: replicate seeds from a SeedSequence, a process pool, tidy results.

Every replicate ``r`` of a run uses ``SeedSequence(run.seed).spawn(replicates)[r]``, so two
settings run with the same ``run.seed`` share their random numbers replicate by replicate (common
random numbers). Tasks go through the executor of ``executor.kind`` (a reused local process pool
by default); each worker builds the base-year population once and replicates only clone it.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sim import assimilation, posterior
from sim.assimilation import Assimilation
from sim.config import KPI_IDS, SimConfig
from sim.executors import LocalExecutor, RayExecutor, SlurmExecutor, make_executor
from sim.model import InnovationModel

Executor = LocalExecutor | RayExecutor | SlurmExecutor


def replicate_seeds(root_seed: int, replicates: int) -> list[np.random.SeedSequence]:
    """One independent SeedSequence per replicate, spawned from the root seed."""
    return np.random.SeedSequence(root_seed).spawn(replicates)


def replicate_seed(root_seed: int, replicate: int) -> np.random.SeedSequence:
    """``replicate_seeds(root_seed, n)[replicate]`` for any ``n > replicate``, without the others.

    ``SeedSequence.spawn`` gives child ``i`` the spawn key ``(i,)`` and the parent's entropy.
    """
    return np.random.SeedSequence(root_seed, spawn_key=(replicate,))


@dataclass
class ReplicateResult:
    """Tidy output of one replicate (or the error that stopped it)."""

    replicate: int
    kpis: pd.DataFrame | None = None
    costs: pd.DataFrame | None = None
    flows: pd.DataFrame | None = None
    param_set: int = -1
    error: str | None = None


@dataclass
class EnsembleResult:
    """All replicates of one setting."""

    kpis: pd.DataFrame
    costs: pd.DataFrame
    flows: pd.DataFrame
    seeds: pd.DataFrame
    errors: list[str] = field(default_factory=list)
    assimilation: Assimilation | None = None

    def failed(self) -> pd.DataFrame:
        """The ``seeds`` rows of the replicates that failed."""
        return self.seeds[self.seeds.status != "ok"]


class ReplicatesFailed(RuntimeError):
    """Replicates failed and ``run.tolerate_failures`` is off.

    Attributes:
        result: What the other replicates produced (None when every replicate failed).
        errors: One message per failed replicate (with its seed and a short traceback).
        seeds: The seed table of all replicates (``status`` says which failed).
    """

    def __init__(
        self, result: EnsembleResult | None, errors: list[str], seeds: pd.DataFrame
    ) -> None:
        self.result, self.errors, self.seeds = result, errors, seeds
        super().__init__(self.summary())

    def summary(self) -> str:
        """One line: how many failed, their seeds and the first error."""
        failed = self.seeds[self.seeds.status != "ok"]
        root = int(self.seeds.root_seed.iloc[0])
        keys = ", ".join(str(int(k)) for k in failed.spawn_key[:20])
        more = f" and {len(failed) - 20} more" if len(failed) > 20 else ""
        first = self.errors[0].splitlines()[0] if self.errors else "?"
        return (
            f"{len(failed)} of {len(self.seeds)} replicates failed (run.seed {root}, spawn keys "
            f"{keys}{more}); first: {first}"
        )


@dataclass(frozen=True)
class Continuation:
    """Replicate ``parent``'s path to the end of ``year``, then streams from ``seed``.

    ``param_source`` is the replicate index whose posterior draw the path uses (-1: ``parent``).
    """

    parent: int
    year: int
    seed: np.random.SeedSequence | None = None
    param_source: int = -1


def run_replicate(
    cfg: SimConfig, replicate: int, continuation: Continuation | None = None
) -> ReplicateResult:
    """Run one replicate to the horizon and return its KPIs, costs and talent flows.

    With ``run.parameter_uncertainty`` and a calibrated posterior, the replicate's behavioural
    parameters are one plausible set drawn for this replicate (same draw in every setting). With a
    ``continuation`` (a resampled particle, :mod:`sim.assimilation`) the replicate replays its
    parent's path (seed and parameter set) to the end of the assimilation year and continues with
    its own random streams.
    """
    source = replicate if continuation is None else continuation.parent
    seed = replicate_seed(cfg.run.seed, source)
    drawn_as = (
        source
        if continuation is None or continuation.param_source < 0
        else continuation.param_source
    )
    param_set = -1
    try:
        cfg, param_set = posterior.for_replicate(cfg, drawn_as)
        model = InnovationModel(cfg, rng=np.random.default_rng(seed))
        while model.running:
            model.step()
            if (
                continuation
                and continuation.seed is not None
                and (model.year, model.quarter) == (continuation.year, 4)
            ):
                model.reseed(continuation.seed)
    except Exception as err:  # reported with the seed; the ensemble goes on
        where = f"seed {cfg.run.seed}, spawn key {seed.spawn_key}, levers {cfg.levers.name}"
        msg = f"replicate {replicate} ({where}) failed: {err!r}"
        return ReplicateResult(
            replicate, param_set=param_set, error=msg + "\n" + traceback.format_exc(limit=3)
        )
    wide = model.kpi_frame()
    kpis = (
        wide[list(KPI_IDS)].reset_index().melt(id_vars="year", var_name="kpi", value_name="value")
    )
    kpis.insert(0, "replicate", replicate)
    costs = pd.DataFrame(model.cost_records(), columns=["year", "lever", "yuan"])
    costs.insert(0, "replicate", replicate)
    flows = pd.DataFrame(model.flows.history)
    flows.insert(0, "replicate", replicate)
    return ReplicateResult(replicate, kpis, costs, flows, param_set=param_set)


def _worker(args: tuple) -> ReplicateResult:
    return run_replicate(*args)


def default_workers(requested: int, tasks: int) -> int:
    """Processes to use: ``requested`` or all cores (0), never more than tasks."""
    n = requested or os.cpu_count() or 1
    return max(1, min(n, tasks))


def run_ensemble(
    cfg: SimConfig, progress: bool | None = None, executor: Executor | None = None
) -> EnsembleResult:
    """Run ``cfg.run.replicates`` replicates through the configured executor.

    Args:
        cfg: Validated config.
        progress: Show a progress bar with ETA (default: ``cfg.run.progress``).
        executor: Where the tasks run (default: :func:`make_executor` of ``cfg.executor``).

    Returns:
        Tidy KPIs (replicate, year, kpi, value), costs, flows, seeds and, with
        ``run.tolerate_failures``, the errors of failed replicates. When observations are
        assimilated (:func:`assimilation_plan`), ``assimilation`` says how and ``seeds`` has a
        ``parent`` column (the pool particle each replicate continues).

    Raises:
        ReplicatesFailed: a replicate failed and ``run.tolerate_failures`` is off, or every
            replicate failed; it carries what the other replicates produced.
    """
    n = cfg.run.replicates
    if executor is None:
        pool = max(n, assimilation.pool_size(cfg.run) if cfg.run.assimilate else 0)
        executor = make_executor(cfg.executor, default_workers(cfg.run.workers, pool))
    show = cfg.run.progress if progress is None else progress
    plan = assimilation_plan(cfg, show, executor)
    if plan is None:
        return _run_tasks(cfg, [(cfg, r) for r in range(n)], show, executor)
    tasks = [
        (cfg, r, Continuation(int(p), plan.last_year, assimilation.child_seed(cfg, r), r))
        for r, p in enumerate(plan.parents)
    ]
    result = _run_tasks(cfg, tasks, show, executor)
    result.assimilation = plan
    result.seeds["parent"] = plan.parents
    return result


def assimilation_plan(cfg: SimConfig, show: bool, executor: Executor) -> Assimilation | None:
    """Run the pool and choose the particles, or None when nothing is to be assimilated.

    Raises:
        ReplicatesFailed: a pool particle failed and ``run.tolerate_failures`` is off (no
            results are carried: the pool is not the ensemble).
    """
    if not cfg.run.assimilate:
        return None
    from sim.observations import load_observed, observed_path  # local: only when assimilating

    name = cfg.region.observed_file
    observed = load_observed(observed_path(name, cfg.region.config_dirs)) if name else None
    if assimilation.skip_reason(cfg, observed) is not None:
        return None
    first, last = assimilation.window(cfg, observed)
    obs = assimilation.observations_in(observed, first, last, KPI_IDS)
    pool_cfg = assimilation.pool_config(cfg, last)
    n_pool = pool_cfg.run.replicates
    try:
        tasks = [
            (pool_cfg, p, Continuation(p, pool_cfg.run.horizon, None, int(g)))
            for p, g in enumerate(assimilation.groups(cfg))
        ]
        pool = _run_tasks(pool_cfg, tasks, show, executor, "pool")
    except ReplicatesFailed as err:
        errors = [f"assimilation pool: {e}" for e in err.errors]
        raise ReplicatesFailed(None, errors, err.seeds) from err
    log_w = np.full(n_pool, -np.inf)
    ok = pool.seeds["status"].to_numpy() == "ok"
    log_w[ok] = assimilation.weigh(pool.kpis, obs, cfg.calibration.discrepancy)
    parents = assimilation.choose(cfg, log_w)
    return Assimilation(
        first,
        last,
        obs,
        log_w,
        parents,
        assimilation.effective_paths(cfg, log_w),
        param_sets=pool.seeds["param_set"].to_numpy(),
        note=assimilation.window_note(cfg),
    )


def _run_tasks(
    cfg: SimConfig, tasks: list[tuple], show: bool, executor: Executor, label: str = "replicates"
) -> EnsembleResult:
    """Run replicate tasks; tidy results and the seed table (raises on failures, see above)."""
    n = len(tasks)
    results: list[ReplicateResult] = []
    with tqdm(total=n, desc=label, unit="run", disable=not show) as bar:

        def collect(result: ReplicateResult) -> None:
            results.append(result)
            bar.update()

        executor.run(_worker, tasks, collect)
    results.sort(key=lambda r: r.replicate)
    ok = [r for r in results if r.error is None]
    errors = [r.error for r in results if r.error is not None]
    seed_table = pd.DataFrame(
        {
            "replicate": range(n),
            "root_seed": cfg.run.seed,
            "spawn_key": [r.replicate for r in results],
            "param_set": [r.param_set for r in results],
            "status": ["ok" if r.error is None else "failed" for r in results],
        }
    )
    if not ok:
        raise ReplicatesFailed(None, errors, seed_table)
    result = EnsembleResult(
        kpis=pd.concat([r.kpis for r in ok], ignore_index=True),
        costs=pd.concat([r.costs for r in ok], ignore_index=True),
        flows=pd.concat([r.flows for r in ok], ignore_index=True),
        seeds=seed_table,
        errors=errors,
    )
    if errors and not cfg.run.tolerate_failures:
        raise ReplicatesFailed(result, errors, seed_table)
    return result
