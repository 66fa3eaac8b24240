"""Paired replicates of two settings under common random numbers, and test-local mutations.

A *setting* is a list of Hydra overrides. :func:`measure` runs replicate ``r`` of a setting with
the seed the ensemble gives replicate ``r`` (``SeedSequence(run.seed).spawn(n)[r]``), so two
settings share their random numbers replicate by replicate, and records what the directional
tests compare: KPIs at the horizon, bonded R&D centres and the booked cost lines.

A *mutation* removes one behavioural path from the model for the duration of one run (a
``unittest.mock.patch`` applied inside the worker process, then undone). The mutation checks run
a directional test's measurement with its lever's effect removed and require that the test's
assertion then fails: proof that the test measures the lever and not noise.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from unittest import mock

import numpy as np
from scipy import stats

from agents import firm, rd_centres, talent
from agents.firm import CENTRE_CODE
from sim.compose import load_config
from sim.config import SimConfig
from sim.ensemble import replicate_seeds
from sim.executors import LocalExecutor
from sim.model import InnovationModel
from tests.helpers import FAST

# ---------------------------------------------------------------------------------------------
# Mutations: each removes one lever's behavioural effect (cost bookings stay as they are).

_attractiveness = rd_centres.attractiveness


def _no_bonded_relief(award, investment, talent_ratio, bonded_relief, ip_ratio, p, bonded):
    """Arrivals ignore bonded duty relief."""
    return _attractiveness(award, investment, talent_ratio, 0.0, ip_ratio, p, bonded)


def _no_award_attraction(award, investment, talent_ratio, bonded_relief, ip_ratio, p, bonded):
    """Arrivals ignore the one-off award."""
    return _attractiveness(0.0, investment, talent_ratio, bonded_relief, ip_ratio, p, bonded)


def _no_marginal_support(firms, idx, levers, scale, increment_share):
    """The user cost of R&D ignores every local marginal subsidy."""
    return np.zeros(len(idx))


def _awards_not_spent(pool, crowding_out):
    """Awards and subsidies received are never spent on R&D."""
    return np.zeros_like(pool), pool


def _support_ignored(gross, support):
    """Talent's housing cost ignores housing support."""
    return np.maximum(gross, 0.0)


MUTATIONS: dict[str, list[tuple[object, str, Callable]]] = {
    "bonded relief does not attract bonded centres": [
        (rd_centres, "attractiveness", _no_bonded_relief)
    ],
    "housing support does not enter talent's utility": [
        (talent, "net_housing_cost", _support_ignored)
    ],
    "awards and R&D subsidies do not change R&D": [
        (firm, "spend_awards", _awards_not_spent),
        (firm, "marginal_support", _no_marginal_support),
        (rd_centres, "attractiveness", _no_award_attraction),
    ],
}
"""Mutation name -> (module, attribute, replacement) patches. Rules look their helpers up as
module globals at call time, so patching the module attribute changes the rule."""


def mutated(name: str | None) -> AbstractContextManager:
    """The patches of mutation ``name`` (nothing for ``None``)."""
    stack = ExitStack()
    for module, attr, replacement in MUTATIONS.get(name, []) if name else []:
        stack.enter_context(mock.patch.object(module, attr, replacement))
    return stack


# ---------------------------------------------------------------------------------------------
# Measuring paired replicates


def _run(task: tuple[SimConfig, int, int, str | None]) -> dict:
    cfg, replicate, n, mutation = task
    seed = replicate_seeds(cfg.run.seed, n)[replicate]
    with mutated(mutation):
        model = InnovationModel(cfg, rng=np.random.default_rng(seed))
        while model.running:
            model.step()
    last = model.kpi_frame().iloc[-1]
    f = model.firms
    costs: dict[str, float] = {}
    for _, line, yuan in model.cost_records():
        costs[line] = costs.get(line, 0.0) + yuan
    return {
        "replicate": replicate,
        "talent": float(last["talent"]),
        "rd_expenditure": float(last["rd_expenditure"]),
        "bonded_centres": float(f.count(f.centre_type == CENTRE_CODE["bonded"])),
        "kpis": {k: float(v) for k, v in last.items()},
        "costs": costs,
    }


def measure(overrides: list[str], n: int, mutation: str | None = None) -> list[dict]:
    """Replicates ``0..n-1`` of one setting (two local worker processes), by replicate."""
    cfg = load_config([*FAST, *overrides])  # composed once: Hydra takes about a second
    results: list[dict] = []
    LocalExecutor(2).run(_run, [(cfg, r, n, mutation) for r in range(n)], results.append)
    return sorted(results, key=lambda d: d["replicate"])


def values(runs: list[dict], key: str) -> np.ndarray:
    """One measured quantity per replicate; ``cost:a+b`` sums cost lines over all years."""
    if key.startswith("cost:"):
        lines = key.removeprefix("cost:").split("+")
        return np.array([sum(r["costs"].get(line, 0.0) for line in lines) for r in runs])
    return np.array([r[key] for r in runs])


def difference(a: list[dict], b: list[dict], key: str) -> np.ndarray:
    """Per-replicate difference b - a (the replicates share their random numbers)."""
    assert [r["replicate"] for r in a] == [r["replicate"] for r in b]
    return values(b, key) - values(a, key)


def significantly_positive(diff: np.ndarray, alpha: float) -> tuple[bool, str]:
    """One-sided paired t-test of mean(diff) > 0 at level ``alpha``.

    Returns:
        Whether the mean difference is significantly positive, and a one-line summary
        (mean, standard deviation, t and the critical t). A difference that is identically
        zero is not positive.
    """
    n = len(diff)
    mean, sd = float(diff.mean()), float(diff.std(ddof=1))
    crit = float(stats.t.ppf(1 - alpha, n - 1))
    t = mean / (sd / np.sqrt(n)) if sd > 0 else (np.inf if mean > 0 else 0.0)
    return t > crit, f"mean {mean:.4g}, sd {sd:.4g}, t = {t:.2f} (needs > {crit:.2f}, n = {n})"
