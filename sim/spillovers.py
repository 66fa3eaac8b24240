"""Knowledge spillovers to firms from universities, platforms and same-industry firms.

The whole city lies well inside the 150-250 km scale over which university knowledge flows decay
(Belenzon & Schankerman 2013), so spillovers are city-wide; same-industry spillovers follow the
industry's share of firm knowledge (Jaffe, Trajtenberg & Henderson 1993).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.categories import INDUSTRIES

if TYPE_CHECKING:
    from sim.model import InnovationModel


def multiplier(
    univ_ratio: float, platform_ratio: float, industry_ratio: np.ndarray, p
) -> np.ndarray:
    """Innovation-rate multiplier: ``1 + w_u U/U0 + w_p P/P0 + w_f K_ind/K_ind0``.

    Args:
        univ_ratio: University research output relative to the base year.
        platform_ratio: Platform count relative to the base year.
        industry_ratio: Knowledge of each firm's industry relative to the base year.
        p: Firm behaviour parameters (the three weights).

    Returns:
        Multiplier per firm.
    """
    return (
        1.0
        + p.spillover_university_weight * univ_ratio
        + p.spillover_platform_weight * platform_ratio
        + p.spillover_industry_weight * industry_ratio
    )


class Spillovers:
    """Computes the spillover multiplier of firms from current and base-year sources."""

    def __init__(self, model: InnovationModel) -> None:
        self.model = model
        self.univ0 = max(self._univ_output(), 1e-9)
        self.platforms0 = max(model.platform_count(), 1)
        self.industry0 = np.maximum(self._industry_knowledge(), 1.0)

    def _univ_output(self) -> float:
        u = self.model.universities
        return float(u.research_output[u.live()].sum())

    def _industry_knowledge(self) -> np.ndarray:
        f = self.model.firms
        idx = f.live()
        return np.bincount(f.industry[idx], weights=f.knowledge[idx], minlength=len(INDUSTRIES))

    def firm_multiplier(self, idx: np.ndarray) -> np.ndarray:
        """Multiplier for the given firm rows."""
        m = self.model
        ind = self._industry_knowledge() / self.industry0
        return multiplier(
            self._univ_output() / self.univ0,
            m.platform_count() / self.platforms0,
            ind[m.firms.industry[idx]],
            m.behaviour.firm,
        )
