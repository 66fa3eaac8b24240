"""Exogenous economy of the city: GDP, wages and house prices, drawn per replicate."""

from __future__ import annotations

import numpy as np

from sim.config import Driver, ExogenousConfig


def draw(driver: Driver, rng: np.random.Generator, uncertain: bool) -> float:
    """A driver's value for one replicate: triangular over its range, or its central value."""
    if not uncertain or driver.high <= driver.low:
        return float(driver.value)
    mode = min(max(driver.value, driver.low), driver.high)
    return float(rng.triangular(driver.low, mode, driver.high))


class Economy:
    """GDP path, wage index and house price of one replicate.

    GDP grows at a replicate-specific trend rate plus a small yearly shock; firms' revenue drift
    and the city's wages follow GDP growth; wages elsewhere and house prices follow their own
    drawn trends.
    """

    GDP_SHOCK_SD = 0.005  # yearly s.d. around the trend (assumption)

    def __init__(
        self,
        exo: ExogenousConfig,
        gdp_base: float,
        house_price: float,
        rng: np.random.Generator,
        uncertain: bool,
    ) -> None:
        self.rng = rng
        self.uncertain = uncertain
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
        shock = self.rng.normal(0.0, self.GDP_SHOCK_SD) if self.uncertain else 0.0
        self.growth_last_year = self.growth_this_year
        self.growth_this_year = float(self.observed.get(year, self.trend + shock))

    def step_quarter(self, talent_ratio: float = 1.0, price_elasticity: float = 0.0) -> None:
        """Advance GDP, wages and house prices by one quarter.

        Args:
            talent_ratio: Talent stock relative to the base year.
            price_elasticity: Elasticity of house prices to the talent stock (demand feedback
                on top of the exogenous trend).
        """
        q = (1.0 + self.growth_this_year) ** 0.25
        self.gdp *= q
        self.wage_index *= q
        self.outside_wage_index *= (1.0 + self.outside_wage_trend) ** 0.25
        self.house_trend_index *= (1.0 + self.house_trend) ** 0.25
        self.house_price = (
            self.house_price_base * self.house_trend_index * talent_ratio**price_elasticity
        )

    def close_year(self) -> float:
        """GDP of the calendar year just ended (the annual rate reached in its last quarter)."""
        self.gdp_year = self.gdp
        return self.gdp_year
