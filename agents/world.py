"""What agent rules see of the rest of the simulation: typed views, not the model.

Rules in ``agents/`` never receive the :class:`~sim.model.InnovationModel`. They receive the
populations they update, their parameters, a random generator and, where a lever acts, these two
views (satisfied by :class:`sim.levers.PolicyState` and :class:`sim.ledger.PublicCostLedger`):

* :class:`PolicyView` answers which lever values are in force and how much of a money lever is
  paid out now (effort x budget ration);
* :class:`CostLedger` books public cost at the place where a lever acts, on a named cost line
  (the lines are listed once, in :data:`sim.levers.COST_LINES`).
"""

from __future__ import annotations

from typing import Any, Protocol


class PolicyView(Protocol):
    """The levers in force (``levers``), the base-year policy (``reference``) and their scaling."""

    levers: Any
    reference: Any
    active: bool

    def scale(self, family: str) -> float:
        """Multiplier of money levers of one family (effort x budget ration)."""
        ...

    def amount(self, name: str, family: str) -> float:
        """A money lever's value in yuan after effort and ration."""
        ...


class CostLedger(Protocol):
    """Books public cost (yuan) on a named cost line of the current year."""

    def book(self, line: str, yuan: float) -> float:
        """Add ``yuan`` to ``line``; returns the share granted (below 1 once a budget cap binds).

        A rule whose payment changes state (an award pool, a fund's cash, researchers) applies
        only the granted share.
        """
        ...
