"""Levers in force, their yearly public cost, the budget cap and "evaluate and adjust".

:class:`PolicyState` answers "which lever values apply now?" (the base-year policy until the
scenario's start quarter, then the scenario) and scales money levers by two factors: a per-family
effort multiplier (moved by the evaluate-and-adjust rule) and a budget ration (when a cap binds).
:class:`Government` books every yuan against the lever that spent it.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from agents.categories import CENTRE_TYPES
from sim.config import LeverConfig

FAMILIES = ("A", "B", "C", "D", "E", "F", "G", "H")

TARGET_FAMILIES = {
    "rd_growth": ("C",),
    "platforms": ("B",),
    "rd_centres": ("A",),
    "clusters": ("B",),
    "talent": ("E", "F"),
    "listed": ("G",),
    "little_giants": ("G",),
    "big_science": ("B",),
}
"""Which lever families the evaluate-and-adjust rule strengthens when a target lags."""

AWARD_FLOOR_YUAN = 1.0e5  # keeps award ratios finite when the reference has no award


class PolicyState:
    """The levers in force and the multipliers applied to their money amounts."""

    def __init__(
        self, levers: LeverConfig, reference: LeverConfig, centre_investment: dict
    ) -> None:
        self.scenario = levers
        self.reference = reference
        self.levers = reference
        self.active = False
        self.effort = dict.fromkeys(FAMILIES, 1.0)
        self.ration = 1.0
        self._investment = centre_investment

    def update(self, year: int, quarter: int) -> None:
        """Switch from the base-year policy to the scenario at its start quarter."""
        lv = self.scenario
        self.active = (year, quarter) >= (lv.start_year, lv.start_quarter)
        self.levers = lv if self.active else self.reference

    def scale(self, family: str) -> float:
        """Multiplier of money levers of one family (effort x budget ration)."""
        if not self.active:
            return 1.0
        return self.effort.get(family, 1.0) * self.ration

    def amount(self, name: str, family: str) -> float:
        """A money lever's current value in yuan, after effort and ration."""
        return float(getattr(self.levers, name)) * self.scale(family)

    def centre_award_by_code(self) -> np.ndarray:
        """One-off award per R&D-centre code (index 0 = no centre)."""
        lv = self.levers
        award = [
            min(
                lv.centre_award_investment_share * self._investment[c],
                getattr(lv.centre_award_cap_yuan, c),
            )
            for c in CENTRE_TYPES
        ]
        return np.array([0.0, *award]) * self.scale("A")

    def platform_award(self, kind: str, levers: LeverConfig | None = None) -> float:
        """Award per new platform of ``kind`` (yuan)."""
        lv = levers or self.levers
        scale = self.scale("B") if levers is None else 1.0
        return float(getattr(lv.platform_award_yuan, kind)) * scale

    def platform_award_multiplier(self, kind: str, elasticity: float) -> float:
        """Effect of the current platform award on formation, relative to the base-year award."""
        now = self.platform_award(kind) + AWARD_FLOOR_YUAN
        ref = self.platform_award(kind, self.reference) + AWARD_FLOOR_YUAN
        return (now / ref) ** elasticity


class Government:
    """Books public cost per lever and year; applies the budget cap and evaluate-and-adjust."""

    def __init__(self) -> None:
        self.year_costs: dict[str, float] = defaultdict(float)
        self.history: list[tuple[int, str, float]] = []

    def book(self, lever: str, yuan: float) -> None:
        """Add ``yuan`` of public cost to ``lever`` in the current year."""
        self.year_costs[lever] += float(yuan)

    def local_total(self) -> float:
        """Local (city) cost booked so far this year; national tax expenditure excluded."""
        return sum(v for k, v in self.year_costs.items() if not k.startswith("national_"))

    def close_year(self, year: int) -> dict[str, float]:
        """Record and reset this year's costs; returns them."""
        costs = dict(self.year_costs)
        self.history.extend((year, k, v) for k, v in sorted(costs.items()))
        self.year_costs = defaultdict(float)
        return costs

    @staticmethod
    def budget_ration(local_cost: float, cap: float, ration: float) -> float:
        """Next year's ration so that spending at the current ration fits the cap (0 = no cap)."""
        if cap <= 0 or local_cost <= 0:
            return 1.0
        return float(min(1.0, ration * cap / local_cost))

    @staticmethod
    def adjust_effort(
        effort: dict[str, float],
        progress: dict[str, float],
        family_cost: dict[str, float],
        step: float,
    ) -> dict[str, float]:
        """Shift effort towards lagging targets, keeping planned spending unchanged.

        Args:
            effort: Current multiplier per lever family.
            progress: Progress per target id: achieved share of the planned path (1 = on track).
            family_cost: Last year's local cost per family (yuan).
            step: Relative change applied per year.

        Returns:
            New multipliers, rescaled so that ``sum(cost * new / old)`` equals ``sum(cost)``;
            each is then clipped to [0.25, 4], which can break that balance at the extremes.
        """
        change = dict.fromkeys(effort, 1.0)
        for target, prog in progress.items():
            for fam in TARGET_FAMILIES.get(target, ()):
                if prog < 1.0:
                    change[fam] = max(change[fam], 1.0 + step)
                elif prog > 1.2 and change[fam] == 1.0:
                    change[fam] = 1.0 - step / 2
        total = sum(family_cost.get(f, 0.0) for f in effort)
        moved = sum(family_cost.get(f, 0.0) * change[f] for f in effort)
        norm = total / moved if moved > 0 else 1.0
        return {f: float(np.clip(effort[f] * change[f] * norm, 0.25, 4.0)) for f in effort}


LEVER_FAMILY_OF_COST = {
    "rd_post_subsidy": "C",
    "centre_incremental_rd": "A",
    "centre_awards": "A",
    "bonded_customs_refund": "A",
    "platform_awards": "B",
    "cultivation_support": "B",
    "flagship_investment": "B",
    "tech_transfer_support": "D",
    "top_talent_reward": "E",
    "talent_team_grants": "E",
    "housing_purchase_support": "F",
    "housing_rent_subsidy": "F",
    "guidance_fund_capital": "G",
    "guidance_fund_returns": "G",
    "knowledge_credit_risk": "G",
    "ip_and_international": "H",
}
"""Lever family of every local cost line (national lines start with ``national_``)."""
