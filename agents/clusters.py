"""National advanced-manufacturing cluster rounds: candidate industries win by R&D strength.

In a round year (``region.exogenous.cluster_round_years``) every industry of the city that is not
yet a national cluster (never the catch-all industry,
``region.population.catch_all_industry``) wins with probability
``cluster_win_rate * (share / mean share) ** cluster_strength_elasticity``, where ``share`` is the
industry's share of firms' real R&D (capped at 0.9).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.firm import FirmState
from agents.params import param


@dataclass
class ClusterParams:
    """Parameters of the cluster rounds (``region.behaviour.clusters``)."""

    cluster_win_rate: float = param(
        0.06,
        low=0.01,
        high=0.2,
        unit="probability per candidate industry per round",
        source="calibrated; 2 of 9 industries won in the 2019-2022 rounds",
        rule="agents.clusters.cluster_round",
    )
    cluster_strength_elasticity: float = param(
        1.0,
        low=0.0,
        high=2.0,
        unit="elasticity to industry R&D share",
        source="assumption",
        rule="agents.clusters.cluster_round",
    )


def cluster_round(
    firms: FirmState,
    clusters: list[str],
    p: ClusterParams,
    rng: np.random.Generator,
    industries: tuple[str, ...],
    candidates: np.ndarray,
) -> list[str]:
    """One national selection round.

    Args:
        firms: The firm population.
        clusters: Industries that are national clusters already.
        p: Cluster parameters.
        rng: Random generator.
        industries: The region's industries (codes index them).
        candidates: Codes of the industries that can win (all but the catch-all industry).

    Returns:
        Names of the industries that won this round (not yet added to ``clusters``).
    """
    idx = firms.live()
    rd_by_ind = np.bincount(
        firms.industry[idx], weights=firms.rd_real[idx], minlength=len(industries)
    )
    share = rd_by_ind / max(rd_by_ind.sum(), 1.0)
    mean = share[candidates].mean()
    won = []
    for k in candidates:
        name = industries[k]
        if name in clusters:
            continue
        prob = min(p.cluster_win_rate * (share[k] / mean) ** p.cluster_strength_elasticity, 0.9)
        if rng.random() < prob:
            won.append(name)
    return won


def count(clusters: list[str]) -> int:
    """National advanced-manufacturing clusters of the city (the ``clusters`` KPI)."""
    return len(clusters)
