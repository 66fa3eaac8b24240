"""The ensemble entering the projection years agrees with what the city has reported since.

A bootstrap particle filter with one resampling step (Gordon, Salmond & Smith 1993): a pool of
``run.assimilation_pool`` replicates (particles: a parameter set from the posterior, a base state
and a random path) is run from the base year to the last observed year; each is weighted by the
likelihood of every observation in between (:mod:`sim.likelihood`, the calibration's observation
model); ``run.replicates`` particles are drawn by systematic resampling; each continues from that
year with random streams of its own (:meth:`sim.model.InnovationModel.reseed`), so copies of the
same particle share their history and differ in their future.

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
from sim.likelihood import log_likelihood, observation_table, systematic_resample

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
    ess: float

    def table(self) -> pd.DataFrame:
        """One row per pool particle: its log weight and how often it was drawn."""
        counts = np.bincount(self.parents, minlength=len(self.log_weights))
        return pd.DataFrame(
            {
                "particle": np.arange(len(self.log_weights)),
                "log_weight": self.log_weights,
                "drawn": counts,
            }
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
    timeline = resolve_timeline(cfg.region.policy_timeline)
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


def choose(cfg: SimConfig, log_weights: np.ndarray) -> np.ndarray:
    """Pool particles of the output replicates (systematic resampling, seeded by run.seed)."""
    rng = np.random.default_rng([cfg.run.seed, ASSIMILATION_STREAM])
    return systematic_resample(log_weights, cfg.run.replicates, rng)


def child_seed(cfg: SimConfig, replicate: int) -> np.random.SeedSequence:
    """The random streams an output replicate continues with after the assimilation year."""
    return np.random.SeedSequence([cfg.run.seed, ASSIMILATION_STREAM, replicate])


def pool_config(cfg: SimConfig, last_year: int) -> SimConfig:
    """The pool's config: ``run.assimilation_pool`` replicates to the assimilation year."""
    run = replace(cfg.run, replicates=cfg.run.assimilation_pool, horizon=last_year)
    return replace(cfg, run=run)
