"""The city's economy: GDP, wages and house prices, drawn per replicate, and firms' revenue drift.

GDP grows at a replicate-specific trend rate plus a small yearly shock (observed growth rates for
past years); the city's wages follow GDP growth, wages elsewhere and house prices follow their own
drawn trends, and house prices also respond to the talent stock (talent-settlement policies raise
house prices, Zhang et al. 2023). Firms' revenue drifts with GDP, less a pressure term when the
innovative sector outgrows the city economy.

The exogenous drivers (:class:`ExogenousConfig`, ``region.exogenous``) are city data: values by
year (observed or assumed) and, for growth rates and later years, a central value and a range that
replicates draw from. The defaults are Changsha's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from agents.params import param


@dataclass
class Driver:
    """An exogenous driver: central value and the range replicates draw from (triangular)."""

    value: float = 0.0
    low: float = 0.0
    high: float = 0.0


@dataclass
class ExogenousConfig:
    """Drivers outside the city's control: values by year, and ranges replicates draw from."""

    gdp_growth: Driver = field(default_factory=lambda: Driver(0.055, 0.04, 0.065))
    gdp_growth_by_year: dict = field(default_factory=dict)
    listing_window: dict = field(
        default_factory=lambda: {2023: 0.73, 2024: 0.25, 2025: 0.35, 2026: 0.5}
    )
    listing_window_later: Driver = field(default_factory=lambda: Driver(0.6, 0.3, 1.0))
    listing_window_spread: float = 0.3
    little_giant_batch: dict = field(default_factory=lambda: {2023: 3671, 2024: 3000})
    little_giant_batch_later: Driver = field(default_factory=lambda: Driver(3000, 2000, 4500))
    cluster_round_years: list = field(default_factory=lambda: [2024, 2027, 2030])
    national_key_lab_rounds: dict = field(default_factory=dict)
    national_key_lab_rounds_later: Driver = field(default_factory=lambda: Driver(0.0, 0.0, 0.0))
    house_price_growth: Driver = field(default_factory=lambda: Driver(0.0, -0.05, 0.04))
    outside_talent_pool_growth: Driver = field(default_factory=lambda: Driver(0.0, -0.01, 0.02))
    outside_wage_growth: Driver = field(default_factory=lambda: Driver(0.05, 0.03, 0.07))


@dataclass
class EconomyParams:
    """Parameters of the economy rules (``region.behaviour.economy``)."""

    gdp_shock_sd: float = param(
        0.02,
        low=0.0,
        high=0.03,
        unit="growth rate (s.d. per year)",
        city="changsha",
        source="Changsha nominal GDP growth 2018-2024 (4.4, 5.2, 4.9, 9.3, 5.2, 2.6, 6.5 %; "
        "changsha_observed.csv): s.d. 2.0 points around its mean; yearly deviation of GDP "
        "growth around the replicate's trend (was an assumed 0.5 points)",
        rule="agents.economy.Economy.start_year",
    )
    house_price_talent_elasticity: float = param(
        0.5,
        low=0.0,
        high=1.0,
        unit="elasticity of house prices to the talent stock",
        source="assumption; talent-settlement policies raise house prices (Zhang et al. 2023)",
        rule="agents.economy.Economy.step_quarter",
    )
    revenue_share_pressure: float = param(
        0.05,
        low=0.0,
        high=0.2,
        unit="log drift per year per log of the firms' revenue / GDP ratio",
        source="assumption; the innovative sector cannot outgrow the city economy indefinitely",
        rule="agents.economy.revenue_drift_per_quarter",
    )


def draw(driver: Driver, rng: np.random.Generator, uncertain: bool) -> float:
    """A driver's value for one replicate: triangular over its range, or its central value."""
    if not uncertain or driver.high <= driver.low:
        return float(driver.value)
    mode = min(max(driver.value, driver.low), driver.high)
    return float(rng.triangular(driver.low, mode, driver.high))


def revenue_drift_per_quarter(
    firm_revenue: float, gdp: float, share_base: float, gdp_drift: float, pressure: float
) -> float:
    """Firms' log revenue drift per quarter: GDP growth, less pressure when they outgrow GDP.

    Args:
        firm_revenue: Revenue of all live firms (yuan per year).
        gdp: City GDP (yuan per year, annual rate).
        share_base: Firms' revenue / GDP in the base year.
        gdp_drift: Log GDP growth per quarter.
        pressure: ``revenue_share_pressure`` (per year, per log of the share ratio).

    Returns:
        Log drift per quarter.
    """
    excess = np.log(max(firm_revenue / gdp, 1e-12) / share_base)
    return gdp_drift - pressure * max(excess, 0.0) / 4.0


class Economy:
    """GDP path, wage index and house price of one replicate."""

    def __init__(
        self,
        exo: ExogenousConfig,
        params: EconomyParams,
        gdp_base: float,
        house_price: float,
        rng: np.random.Generator,
        uncertain: bool,
    ) -> None:
        self.rng = rng
        self.uncertain = uncertain
        self.params = params
        self.observed = dict(exo.gdp_growth_by_year)
        self.trend = draw(exo.gdp_growth, rng, uncertain)
        self.house_trend = draw(exo.house_price_growth, rng, uncertain)
        self.outside_pool_growth = draw(exo.outside_talent_pool_growth, rng, uncertain)
        self.outside_wage_trend = draw(exo.outside_wage_growth, rng, uncertain)
        self.outside_wage_index = 1.0
        self.gdp = gdp_base
        self.gdp_year = gdp_base
        self.house_price_base = house_price
        self.house_price = house_price
        self.house_trend_index = 1.0
        self.wage_index = 1.0
        self.growth_this_year = self.trend
        self.growth_last_year = self.trend

    @property
    def drift_per_quarter(self) -> float:
        """Log revenue drift per quarter that matches this year's GDP growth."""
        return float(np.log1p(self.growth_this_year) / 4.0)

    def start_year(self, year: int) -> None:
        """Set this year's growth rate: the observed one for past years, else trend plus shock."""
        sd = self.params.gdp_shock_sd
        shock = self.rng.normal(0.0, sd) if self.uncertain else 0.0
        self.growth_last_year = self.growth_this_year
        self.growth_this_year = float(self.observed.get(year, self.trend + shock))

    def step_quarter(self, talent_ratio: float = 1.0) -> None:
        """Advance GDP, wages and house prices by one quarter.

        Args:
            talent_ratio: Talent stock relative to the base year; house prices respond with
                ``house_price_talent_elasticity`` on top of their exogenous trend.
        """
        q = (1.0 + self.growth_this_year) ** 0.25
        self.gdp *= q
        self.wage_index *= q
        self.outside_wage_index *= (1.0 + self.outside_wage_trend) ** 0.25
        self.house_trend_index *= (1.0 + self.house_trend) ** 0.25
        elasticity = self.params.house_price_talent_elasticity
        self.house_price = self.house_price_base * self.house_trend_index * talent_ratio**elasticity

    def close_year(self) -> float:
        """GDP of the calendar year just ended (the annual rate reached in its last quarter)."""
        self.gdp_year = self.gdp
        return self.gdp_year
