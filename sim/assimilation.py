"""The ensemble entering the projection years agrees with what the city has reported since.

A particle filter with one resampling step per replicate (sequential importance resampling,
Gordon, Salmond & Smith 1993), conditioned on the parameters: every replicate keeps the posterior
parameter set it draws anyway, runs ``run.assimilation_paths`` candidate paths (its own base
state and random streams each) from the base year to the last observed year, weights each by the
likelihood of every observation in between (:mod:`sim.likelihood`, the calibration's observation
model) and continues from one path drawn by weight, with random streams of its own from then on
(:meth:`sim.model.InnovationModel.reseed`). The parameters are not reweighted: the calibration
has already conditioned them on the same record (:func:`given_parameters`), and weighting them
again would count the data twice. The ensemble thus draws from ``p(theta | y) p(path | theta, y)``.

Observations are assimilated up to ``run.assimilate_until`` and never past the last full year in
which the scenario's levers equal the policy timeline (a counterfactual policy that starts in 2023
must not be conditioned on what happened under the real one). Replaying particles to the
assimilation year is exact because a replicate's path up to a year does not depend on the
horizon (one random stream per year for the exogenous draws).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sim.config import SimConfig
from sim.levers import LeverConfig, resolve_timeline, state_at
from sim.likelihood import effective_sample_size, log_likelihood, observation_table

ASSIMILATION_STREAM = 0xA551
"""Salt separating the resampling draws and the particles' new streams from other streams."""

SETTING_FIELDS = ("name", "start_year", "start_quarter")
"""Lever fields that name or time a policy rather than set an instrument."""


@dataclass
class Assimilation:
    """What the particle filter did: window, observations, weights and the chosen particles."""

    first_year: int
    last_year: int
    observations: pd.DataFrame
    log_weights: np.ndarray  # per pool particle
    parents: np.ndarray  # pool particle of each output replicate
    ess: float  # effective candidate paths per replicate (1 to run.assimilation_paths)
    param_sets: np.ndarray | None = None  # posterior row of each pool particle (-1: none)
    note: str = ""  # why the window ends before run.assimilate_until, if it does

    def table(self) -> pd.DataFrame:
        """One row per pool particle: replicate, parameter set, log-likelihood, weight, drawn.

        The weight is among the replicate's candidate paths (it sums to 1 per replicate);
        ``drawn`` is 1 for the path the replicate continues.
        """
        n = len(self.log_weights)
        k = n // max(len(self.parents), 1)
        counts = np.bincount(self.parents, minlength=n)
        rows = np.asarray(self.log_weights, dtype=float).reshape(-1, k)
        w = np.zeros_like(rows)
        for i, row in enumerate(rows):
            finite = np.isfinite(row)
            if finite.any():
                w[i, finite] = np.exp(row[finite] - row[finite].max())
                w[i] /= w[i].sum()
        sets = np.full(n, -1) if self.param_sets is None else np.asarray(self.param_sets)
        return pd.DataFrame(
            {
                "particle": np.arange(n),
                "replicate": np.arange(n) // k,
                "param_set": sets,
                "log_weight": self.log_weights,
                "weight": w.ravel(),
                "drawn": counts,
            }
        )

    def summary(self) -> str:
        """One line: years and observations assimilated, pool, effective paths per replicate."""
        per_year = self.observations.groupby("year").size()
        years = ", ".join(f"{y}: {k}" for y, k in per_year.items())
        kpis = self.observations["kpi"].nunique()
        pool = len(self.log_weights)
        note = f"; {self.note}" if self.note else ""
        return (
            f"assimilated {len(self.observations)} observations of {kpis} KPIs, "
            f"{self.first_year}-{self.last_year} ({years}): pool {pool} -> "
            f"{len(self.parents)} replicates (each keeps its parameter set and one of its "
            f"{pool // max(len(self.parents), 1)} paths; {self.ess:.2f} effective paths per "
            f"replicate){note}"
        )


def _same_instruments(a: LeverConfig, b: LeverConfig) -> bool:
    da, db = dataclasses.asdict(a), dataclasses.asdict(b)
    for key in SETTING_FIELDS:
        da.pop(key, None), db.pop(key, None)
    return da == db


def last_shared_year(cfg: SimConfig) -> int:
    """The last full year in which the scenario's levers equal the policy timeline.

    Before the scenario starts the timeline is in force by definition; from its start on, the
    years count while the scenario equals the timeline's levers in every quarter.
    """
    lv, base = cfg.levers, cfg.region.base_year
    if cfg.run.policy == "timeline":
        return cfg.run.horizon
    timeline = resolve_timeline(cfg.region.policy_timeline, tuple(cfg.region.config_dirs))
    for year in range(base + 1, cfg.run.horizon + 1):
        for quarter in (1, 2, 3, 4):
            if (year, quarter) < (lv.start_year, lv.start_quarter):
                continue
            in_force = state_at(timeline, year, quarter) or cfg.reference_levers
            if not _same_instruments(lv, in_force):
                return year - 1
    return cfg.run.horizon


def window(cfg: SimConfig, observed: pd.DataFrame) -> tuple[int, int] | None:
    """Years ``(first, last)`` of the observations to assimilate, or None when there are none."""
    last = min(cfg.run.assimilate_until, last_shared_year(cfg), cfg.run.horizon)
    first = cfg.region.base_year + 1
    inside = observed[(observed["year"] >= first) & (observed["year"] <= last)]
    if last < first or inside.empty:
        return None
    return first, int(inside["year"].max())


def skip_reason(cfg: SimConfig, observed: pd.DataFrame | None) -> str | None:
    """Why nothing is assimilated into this run (one line), or None when the filter runs.

    Args:
        cfg: The run's config.
        observed: The region's observations (None when ``region.observed_file`` is empty).
    """
    if not cfg.run.assimilate:
        return "run.assimilate=false"
    if cfg.mode == "backtest":
        return "mode=backtest scores projections against the observations, none are assimilated"
    if observed is None:
        return f"region {cfg.region.name!r} has no observed_file"
    if window(cfg, observed) is not None:
        return None
    first, shared = cfg.region.base_year + 1, last_shared_year(cfg)
    if shared < first:
        return (
            f"levers={cfg.levers.name} departs from the region's policy timeline in {shared + 1}, "
            f"so no observation after {cfg.region.base_year} was made under it"
        )
    last = min(cfg.run.assimilate_until, shared, cfg.run.horizon)
    return f"no observation of region {cfg.region.name!r} in {first}-{last}"


def window_note(cfg: SimConfig) -> str:
    """Why the window ends before ``run.assimilate_until`` when the scenario ends it (else "")."""
    shared = last_shared_year(cfg)
    if shared >= min(cfg.run.assimilate_until, cfg.run.horizon):
        return ""
    return f"levers={cfg.levers.name} departs from the policy timeline in {shared + 1}"


def observations_in(observed: pd.DataFrame, first: int, last: int, kpis) -> pd.DataFrame:
    """The observations of simulated KPIs in ``[first, last]``."""
    sel = observed[
        (observed["year"] >= first) & (observed["year"] <= last) & observed["kpi"].isin(kpis)
    ]
    return sel.reset_index(drop=True)


def simulated_at(kpis: pd.DataFrame, obs: pd.DataFrame, replicates: np.ndarray) -> np.ndarray:
    """Simulated values at the observations, shape ``(replicates, observations)``."""
    wide = kpis.set_index(["replicate", "kpi", "year"])["value"]
    keys = list(zip(obs["kpi"], obs["year"], strict=True))
    return np.array([[wide.get((r, k, y), np.nan) for k, y in keys] for r in replicates])


def weigh(pool_kpis: pd.DataFrame, obs: pd.DataFrame, discrepancy: dict[str, float]) -> np.ndarray:
    """Log weight of each pool particle: the log-likelihood of the observations."""
    replicates = np.sort(pool_kpis["replicate"].unique())
    sim = simulated_at(pool_kpis, obs, replicates)
    return log_likelihood(observation_table(obs, discrepancy), sim)


def given_parameters(log_weights: np.ndarray, param_sets: np.ndarray | None) -> np.ndarray:
    """Log weights normalised within each posterior parameter set: paths given the parameters.

    The posterior sets already condition the parameters on the observations (the calibration
    fits the same record), so weighting whole particles by the likelihood would count the data
    twice for the parameters. Normalising within each set keeps every set's share of the pool
    (its posterior mass) and weights only the paths of that set: the resampled ensemble draws
    from ``p(theta | y) p(path | theta, y)``. Particles without a set (``-1``, no parameter
    uncertainty) form one group, which is the plain bootstrap filter. A set whose particles are
    all impossible (``-inf``) keeps no weight.

    Args:
        log_weights: Log-likelihood of each pool particle (``-inf`` for failed particles).
        param_sets: Posterior row of each particle (None or ``-1``: no set).

    Returns:
        Log weights of the same length.
    """
    log_w = np.asarray(log_weights, dtype=float)
    if param_sets is None:
        return log_w.copy()
    sets = np.asarray(param_sets)
    out = np.full(len(log_w), -np.inf)
    for s in np.unique(sets):
        members = np.flatnonzero(sets == s)
        finite = members[np.isfinite(log_w[members])]
        if not len(finite):
            continue
        top = log_w[finite].max()
        norm = top + np.log(np.exp(log_w[finite] - top).sum())
        out[finite] = log_w[finite] - norm + np.log(len(members))
    return out


def effective_paths(cfg: SimConfig, log_weights: np.ndarray) -> float:
    """Mean over replicates of the effective number of its candidate paths (1 to ``paths``).

    Kish's effective sample size of each replicate's path weights; 1 means one path carries all
    the weight, ``run.assimilation_paths`` that the observations cannot tell the paths apart.
    Replicates without a possible path count as 1.
    """
    k = cfg.run.assimilation_paths
    rows = np.asarray(log_weights, dtype=float).reshape(-1, k)
    out = []
    for row in rows:
        finite = np.isfinite(row)
        out.append(effective_sample_size(row[finite]) if finite.any() else 1.0)
    return float(np.mean(out))


def choose(cfg: SimConfig, log_weights: np.ndarray) -> np.ndarray:
    """The pool particle each output replicate continues: one of its own paths, by weight.

    Replicate ``r`` draws one of its ``run.assimilation_paths`` candidate paths with probability
    proportional to the likelihood (seeded by ``run.seed``); when none is possible (every path
    failed or has likelihood 0) it draws one uniformly.
    """
    rng = np.random.default_rng([cfg.run.seed, ASSIMILATION_STREAM])
    k = cfg.run.assimilation_paths
    log_w = np.asarray(log_weights, dtype=float).reshape(cfg.run.replicates, k)
    parents = np.empty(cfg.run.replicates, dtype=int)
    for r, row in enumerate(log_w):
        finite = np.isfinite(row)
        if not finite.any():
            parents[r] = r * k + int(rng.integers(k))
            continue
        w = np.where(finite, np.exp(row - row[finite].max()), 0.0)
        parents[r] = r * k + int(rng.choice(k, p=w / w.sum()))
    return parents


def child_seed(cfg: SimConfig, replicate: int) -> np.random.SeedSequence:
    """The random streams an output replicate continues with after the assimilation year."""
    return np.random.SeedSequence([cfg.run.seed, ASSIMILATION_STREAM, replicate])


def pool_size(run) -> int:
    """Particles of the pool: ``run.assimilation_paths`` candidate paths per replicate."""
    return run.assimilation_paths * run.replicates


def groups(cfg: SimConfig) -> np.ndarray:
    """The output replicate of each pool particle: particle ``p`` is a path of ``p // paths``.

    A particle draws its posterior parameter set as its replicate would (same row), so each
    replicate keeps its parameter draw and only its path is chosen.
    """
    return np.arange(pool_size(cfg.run)) // cfg.run.assimilation_paths


def pool_config(cfg: SimConfig, last_year: int) -> SimConfig:
    """The pool's config: :func:`pool_size` replicates to the assimilation year."""
    run = replace(cfg.run, replicates=pool_size(cfg.run), horizon=last_year)
    return replace(cfg, run=run)
