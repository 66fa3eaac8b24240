"""The public cost ledger: every yuan a lever pays, booked on its cost line, year by year.

Rules in ``agents/`` book through :class:`agents.world.CostLedger` at the place where the lever
acts; the lines and their lever families are listed once in :data:`sim.levers.COST_LINES`, so a
misspelt line fails at once. Lines starting with ``national_`` are national tax expenditure; the
rest is the city's budget (the ``public_cost`` KPI and the budget cap count only those).
"""

from __future__ import annotations

from collections import defaultdict

from sim.levers import COST_LINES, NATIONAL_PREFIX


class PublicCostLedger:
    """Books public cost per line and year."""

    def __init__(self) -> None:
        self.year_costs: dict[str, float] = defaultdict(float)
        self.history: list[tuple[int, str, float]] = []

    def book(self, line: str, yuan: float) -> None:
        """Add ``yuan`` of public cost to ``line`` in the current year.

        Raises:
            KeyError: ``line`` is not one of :data:`sim.levers.COST_LINES`.
        """
        if line not in COST_LINES:
            raise KeyError(f"unknown cost line {line!r}; known: {sorted(COST_LINES)}")
        self.year_costs[line] += float(yuan)

    def local_total(self) -> float:
        """Local (city) cost booked so far this year; national tax expenditure excluded."""
        return sum(v for k, v in self.year_costs.items() if not k.startswith(NATIONAL_PREFIX))

    def close_year(self, year: int) -> dict[str, float]:
        """Record and reset this year's costs; returns them."""
        costs = dict(self.year_costs)
        self.history.extend((year, k, v) for k, v in sorted(costs.items()))
        self.year_costs = defaultdict(float)
        return costs
