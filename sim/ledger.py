"""The public cost ledger: every yuan a lever pays, booked on its cost line, year by year.

Rules in ``agents/`` book through :class:`agents.world.CostLedger` at the place where the lever
acts; the lines and their lever families are listed once in :data:`sim.levers.COST_LINES`, so a
misspelt line fails at once. Lines starting with ``national_`` are national tax expenditure; the
rest is the city's budget: its outlays (gross public cost) and the guidance fund's returns
(:data:`sim.levers.RETURN_LINES`, booked negative); outlays plus returns are the net public cost.

With a budget cap (``levers.budget_cap_yuan_per_year`` in force), the city's outlays of a year
stop at the cap: :meth:`PublicCostLedger.book` grants what is left of the year's budget and returns
the share granted, and the rule that pays applies only that share. What was asked for at the
current ration (:attr:`PublicCostLedger.demand`) sets the next year's ration
(:func:`sim.levers.budget_ration`).
"""

from __future__ import annotations

from collections import defaultdict

from sim.levers import COST_LINES, NATIONAL_PREFIX, RETURN_LINES


def is_outlay(line: str) -> bool:
    """Whether a cost line is a local outlay (not national tax expenditure, not a return)."""
    return not line.startswith(NATIONAL_PREFIX) and line not in RETURN_LINES


class PublicCostLedger:
    """Books public cost per line and year, and keeps the year's outlays within a cap.

    Attributes:
        cap: Cap on this year's local outlays in yuan (0 = no cap); set by the schedule.
        demand: Local outlays asked for this year, granted or not.
        refused: Local outlays refused this year because the cap was reached.
    """

    def __init__(self) -> None:
        self.year_costs: dict[str, float] = defaultdict(float)
        self.history: list[tuple[int, str, float]] = []
        self.cap = 0.0
        self.demand = 0.0
        self.refused = 0.0

    def book(self, line: str, yuan: float) -> float:
        """Add ``yuan`` of public cost to ``line`` in the current year.

        Returns:
            The share of ``yuan`` granted: 1 without a cap; under a cap, a local outlay gets what
            is left of the year's budget (the rule applies only that share).

        Raises:
            KeyError: ``line`` is not one of :data:`sim.levers.COST_LINES`.
        """
        if line not in COST_LINES:
            raise KeyError(f"unknown cost line {line!r}; known: {sorted(COST_LINES)}")
        yuan = float(yuan)
        share = 1.0
        if yuan > 0 and is_outlay(line):
            self.demand += yuan
            if self.cap > 0:
                granted = min(yuan, max(self.cap - self.outlays(), 0.0))
                self.refused += yuan - granted
                share, yuan = granted / yuan, granted
        self.year_costs[line] += yuan
        return share

    def local_total(self) -> float:
        """Net local cost booked so far this year: outlays plus (negative) fund returns."""
        return sum(v for k, v in self.year_costs.items() if not k.startswith(NATIONAL_PREFIX))

    def outlays(self) -> float:
        """Gross local cost booked so far this year: the city's outlays, returns excluded."""
        return sum(v for k, v in self.year_costs.items() if is_outlay(k))

    def close_year(self, year: int) -> dict[str, float]:
        """Record and reset this year's costs (and demand); returns them."""
        costs = dict(self.year_costs)
        self.history.extend((year, k, v) for k, v in sorted(costs.items()))
        self.year_costs = defaultdict(float)
        self.demand = self.refused = 0.0
        return costs
