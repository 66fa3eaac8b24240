"""Knowledge spillovers to firms from universities, platforms and same-industry firms.

The whole city lies well inside the 150-250 km scale over which university knowledge flows decay
(Belenzon & Schankerman 2013), so spillovers are city-wide; same-industry spillovers follow the
industry's share of firm knowledge (Jaffe, Trajtenberg & Henderson 1993).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.firm import FirmState
from agents.params import param


@dataclass
class SpilloverParams:
    """Weights of the spillover sources (``region.behaviour.spillovers``)."""

    spillover_university_weight: float = param(
        0.3,
        low=0.0,
        high=1.0,
        unit="innovation-rate multiplier at base",
        source="hand-set; local university knowledge flows, Belenzon & Schankerman (2013)",
        rule="agents.spillovers.multiplier",
    )
    spillover_platform_weight: float = param(
        0.2,
        low=0.0,
        high=1.0,
        unit="innovation-rate multiplier at base",
        source="hand-set; assumption that platforms act like local public research",
        rule="agents.spillovers.multiplier",
    )
    spillover_industry_weight: float = param(
        0.3,
        low=0.0,
        high=1.0,
        unit="innovation-rate multiplier at base",
        source="hand-set; Jaffe, Trajtenberg & Henderson (1993) same-area citations",
        rule="agents.spillovers.multiplier",
    )


def multiplier(
    univ_ratio: float, platform_ratio: float, industry_ratio: np.ndarray, p: SpilloverParams
) -> np.ndarray:
    """Innovation-rate multiplier: ``1 + w_u U/U0 + w_p P/P0 + w_f K_ind/K_ind0``.

    Args:
        univ_ratio: University research output relative to the base year.
        platform_ratio: Platform count relative to the base year.
        industry_ratio: Knowledge of each firm's industry relative to the base year.
        p: The three weights.

    Returns:
        Multiplier per firm.
    """
    return (
        1.0
        + p.spillover_university_weight * univ_ratio
        + p.spillover_platform_weight * platform_ratio
        + p.spillover_industry_weight * industry_ratio
    )


def industry_knowledge(firms: FirmState, n_industries: int) -> np.ndarray:
    """Knowledge stock of live firms per industry (yuan)."""
    idx = firms.live()
    return np.bincount(firms.industry[idx], weights=firms.knowledge[idx], minlength=n_industries)


class Spillovers:
    """The spillover multiplier of firms against the base-year sources.

    Args:
        params: Spillover weights.
        univ_output: University research output in the base year.
        platforms: Platforms in the base year.
        industry: Firm knowledge per industry in the base year.
    """

    def __init__(
        self, params: SpilloverParams, univ_output: float, platforms: int, industry: np.ndarray
    ) -> None:
        self.params = params
        self.univ0 = max(univ_output, 1e-9)
        self.platforms0 = max(platforms, 1)
        self.industry0 = np.maximum(industry, 1.0)

    def firm_multiplier(
        self, firms: FirmState, idx: np.ndarray, univ_output: float, platforms: int
    ) -> np.ndarray:
        """Multiplier for the firm rows ``idx`` given today's university output and platforms."""
        ind = industry_knowledge(firms, len(self.industry0)) / self.industry0
        return multiplier(
            univ_output / self.univ0,
            platforms / self.platforms0,
            ind[firms.industry[idx]],
            self.params,
        )
