"""Columnar state of one agent type, and the Mesa agent that is a row of it.

Each agent type keeps its numeric state in numpy arrays (one per column, one row per agent ever
created). Rules update whole columns at once; the Mesa agent is the identity users see, and its
attributes read and write its own row. Rows are never reused, so a row index identifies an agent
for the whole run; ``alive`` marks agents that have not exited.

A population owns its append and remove hooks: the model registers, for instance, the creation of
Mesa agents for new rows (``on_append``); :meth:`Population.remove` marks rows dead and removes
their Mesa agents. Rules that change the numbers of rows or columns that aggregates depend on call
:meth:`Population.changed`, which subclasses use to forget cached aggregates.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, ClassVar

import mesa
import numpy as np


class Population:
    """Growable struct-of-arrays with stable row indices.

    Subclasses declare ``schema``: column name -> numpy dtype. Every column is exposed as an
    attribute holding a view of the rows in use (``self.revenue[i]``).
    """

    schema: ClassVar[dict[str, Any]] = {}
    defaults: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.schema = {"alive": bool, **cls.schema}
        for name in cls.schema:
            setattr(cls, name, _column(name))

    def __init__(self, capacity: int = 0) -> None:
        self.n = 0
        self._data = {
            name: np.zeros(max(capacity, 1), dtype) for name, dtype in self.schema.items()
        }
        self.agents: list[mesa.Agent | None] = []
        self.n_agents = 0  # Mesa agents currently attached to rows
        self.on_append: list[Callable[[np.ndarray], None]] = []
        """Called with the new rows after every :meth:`append` (e.g. to create Mesa agents)."""

    @property
    def capacity(self) -> int:
        """Rows allocated."""
        return len(self._data["alive"])

    def append(self, n: int, **values: Any) -> np.ndarray:
        """Add ``n`` rows, alive, with the given column values (scalars or arrays).

        Args:
            n: Number of rows.
            **values: Column values; unnamed columns take ``defaults`` or zero.

        Returns:
            The new row indices.
        """
        unknown = set(values) - set(self.schema)
        if unknown:
            raise KeyError(f"unknown columns {sorted(unknown)} for {type(self).__name__}")
        start, stop = self.n, self.n + n
        if stop > self.capacity:
            new_cap = max(stop, 2 * self.capacity)
            for name, arr in self._data.items():
                grown = np.zeros(new_cap, arr.dtype)
                grown[: self.n] = arr[: self.n]
                self._data[name] = grown
        for name, arr in self._data.items():
            arr[start:stop] = values.get(name, self.defaults.get(name, 0))
        self._data["alive"][start:stop] = True
        self.n = stop
        self.agents.extend([None] * n)
        rows = np.arange(start, stop)
        self.changed()
        for hook in self.on_append:
            hook(rows)
        return rows

    def remove(self, rows: np.ndarray) -> None:
        """Rows exit: they are marked dead and their Mesa agents (if any) leave the model."""
        if len(rows) == 0:
            return
        if self.n_agents:
            for i in rows:
                agent = self.agents[i]
                if agent is not None:
                    agent.remove()
        self.alive[rows] = False
        self.changed()

    def changed(self) -> None:
        """Rows or columns that aggregates depend on changed (subclasses drop their caches)."""

    def live(self) -> np.ndarray:
        """Indices of agents that are alive."""
        return np.flatnonzero(self.alive)

    def count(self, mask: np.ndarray | None = None) -> int:
        """Number of alive agents, optionally restricted by a boolean mask."""
        if mask is None:
            return int(self.alive.sum())
        return int((self.alive & mask).sum())

    def clone(self) -> Population:
        """Deep copy of the arrays (Mesa agents are not copied)."""
        other = copy.copy(self)
        other._data = {k: v.copy() for k, v in self._data.items()}
        other.agents = [None] * self.n
        other.n_agents = 0
        other.on_append = []
        other.changed()
        return other


def _column(name: str) -> property:
    def get(self: Population) -> np.ndarray:
        return self._data[name][: self.n]

    def set_(self: Population, value: Any) -> None:
        self._data[name][: self.n] = value

    return property(get, set_, doc=f"Column ``{name}`` (one value per agent).")


class RowAgent(mesa.Agent):
    """A Mesa agent whose state is one row of a :class:`Population`.

    Subclasses set ``population_attr`` (the model attribute holding the population) and get one
    read/write property per column, so ``firm.revenue`` is ``model.firms.revenue[firm.index]``.
    """

    population_attr: ClassVar[str] = ""
    state: ClassVar[type[Population]] = Population

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in cls.state.schema:
            if not hasattr(cls, name):
                setattr(cls, name, _row_property(name))

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = int(index)
        population = self.population
        population.agents[self.index] = self
        population.n_agents += 1

    @property
    def population(self) -> Population:
        """The population this agent is a row of."""
        return getattr(self.model, self.population_attr)

    def remove(self) -> None:
        """Mark the row dead and deregister the agent from the model."""
        population = self.population
        population.alive[self.index] = False
        if population.agents[self.index] is not None:
            population.agents[self.index] = None
            population.n_agents -= 1
        super().remove()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.unique_id}, index={self.index})"


def _row_property(name: str) -> property:
    def get(self: RowAgent) -> Any:
        return self.population._data[name][self.index].item()

    def set_(self: RowAgent, value: Any) -> None:
        self.population._data[name][self.index] = value

    return property(get, set_, doc=f"This agent's ``{name}``.")


def create_row_agents(cls: type[RowAgent], model: mesa.Model, rows: np.ndarray) -> mesa.AgentSet:
    """Create one Mesa agent per population row with ``cls.create_agents``."""
    return cls.create_agents(model, len(rows), index=rows)


def missing_agents(population: Population) -> np.ndarray:
    """Alive rows that have no Mesa agent yet."""
    live = population.live()
    if population.n_agents == 0:
        return live
    have = np.fromiter((a is not None for a in population.agents), bool, population.n)
    return live[~have[live]]
