"""The subset of quarterly rules compared in B5, and the base-year state both drivers start from.

Firms: user cost and its partially adjusted response, award spending, the high-tech notch,
reported R&D, innovation draw, knowledge, revenue growth with Laplace shocks, ageing and exit.
Talent: leaving and retiring (binomial per agent) with the logit leave probability.

Left out in both drivers: the R&D labour market (every post is filled), tax booking, entry,
arrivals, universities, funds and the year-end rules. The economy runs without exogenous
uncertainty, so both drivers see the same GDP, wage and house-price path; the policy follows
``levers.start_year`` / ``start_quarter`` as in the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.economy import Economy
from agents.firm import FirmState
from agents.talent import TalentState
from sim.compose import load_config
from sim.config import SimConfig
from sim.levers import PolicyState
from sim.model import InnovationModel

KPI_NAMES = ("rd_real", "revenue", "firms", "talent")
"""KPIs compared between the drivers after the last quarter."""


@dataclass
class BaseYear:
    """Base-year arrays and references of the vectorised model, cloned by both drivers."""

    cfg: SimConfig
    firms: FirmState
    talent: TalentState
    gdp: float
    house_price: float
    firm_size_ref: float
    leave_base: np.ndarray
    talent_years_ref: float
    talent_stock_base_by_tier: np.ndarray
    industry_knowledge_base: np.ndarray

    @property
    def n_agents(self) -> int:
        """Firm plus talent agents alive in the base year."""
        return self.firms.count() + self.talent.count()


def subset_config(people_per_agent: int) -> SimConfig:
    """Default config without exogenous uncertainty, at the given talent scale."""
    return load_config(
        [f"run.people_per_agent={people_per_agent}", "run.exogenous_uncertainty=false"]
    )


def base_year(people_per_agent: int, seed: int = 0) -> BaseYear:
    """Build the vectorised model once and take its base-year state and references."""
    cfg = subset_config(people_per_agent)
    model = InnovationModel(cfg, rng=np.random.default_rng(seed))
    return BaseYear(
        cfg=cfg,
        firms=model.firms.clone(),
        talent=model.talent.clone(),
        gdp=float(model.base["gdp"]),
        house_price=float(model.base["new_home_price"]),
        firm_size_ref=model.reference.firm_size,
        leave_base=model.leave_base.copy(),
        talent_years_ref=model.reference.talent_years,
        talent_stock_base_by_tier=model.reference.talent_stock_by_tier.copy(),
        industry_knowledge_base=np.asarray(model.spillovers.industry0, float).copy(),
    )


class Clock:
    """Year, quarter, economy and levers in force, advanced the same way by both drivers."""

    def __init__(self, base: BaseYear) -> None:
        cfg = base.cfg
        self.year, self.quarter = cfg.region.base_year, 4
        rng = np.random.default_rng(0)  # unused: the economy runs without uncertainty
        b = cfg.region.behaviour
        self.economy = Economy(
            cfg.region.exogenous, b.economy, base.gdp, base.house_price, rng, False
        )
        self.policy = PolicyState(cfg.levers, cfg.reference_levers)

    def advance(self) -> None:
        """Next quarter: GDP growth of a new year, levers in force, economy one quarter on."""
        if self.quarter == 4:
            self.year, self.quarter = self.year + 1, 1
            self.economy.start_year(self.year)
        else:
            self.quarter += 1
        self.policy.update(self.year, self.quarter)
        self.economy.step_quarter()
