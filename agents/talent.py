"""Talent: stay/leave, arrivals, graduates, housing and promotions by a discrete-choice rule.

One talent agent stands for ``headcount`` people of one tier (``run.people_per_agent`` at creation,
down to 1). The talent stock is the sum of headcounts, never the number of agents. Each person
decides independently, so the people leaving an agent in a quarter are a binomial draw.

How talent decides to leave (:func:`leave_probability`, applied in :func:`step_quarter`): the
yearly leave probability of a person is

    logistic(logit(base_rate[tier]) - dV - tenure_weight * (log1p(years) - log1p(years_ref)))

where ``dV`` (:meth:`TalentConditions.delta_v`) is the change of the city's utility against
base-year conditions: wage against wages elsewhere, housing cost net of housing support (support
only after the eligibility months; the housing-cost weight is derived from Song & Wu 2020:
+1,000 yuan/m2 -> +3.14 pp graduate outflow), job availability (R&D vacancies), talent
programmes (Chen & Li 2022: housing and start-up subsidies attract most) and the return network.
Arrivals from outside scale with ``exp(dV)`` for a newcomer; graduates stay with the logit of their
base stay share shifted by ``dV``. The base leave rates and arrivals are set so that the talent
stock grows at ``arrival_growth_base`` under base-year policy (:func:`base_flows`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logit

from agents import draws
from agents.categories import DEGREES, TIERS
from agents.params import param
from agents.population import Population, RowAgent
from agents.world import CostLedger, PolicyView

GRADUATE, YOUNG = TIERS.index("graduate"), TIERS.index("young")
HIGH_LEVEL = TIERS.index("high_level")
RD_TIERS = np.array([TIERS.index(t) for t in ("top", "leading", "high_level", "young")])
"""Tiers that can fill R&D posts (top scientists to young researchers)."""
GREEN_CARD_TIERS = np.array([TIERS.index(t) for t in ("top", "leading", "high_level")])
"""Tiers a talent green card is issued to."""

DEGREE_TIER = {"bachelor": GRADUATE, "master": GRADUATE, "phd": YOUNG}
"""Tier a staying graduate of each degree joins."""


@dataclass
class TalentParams:
    """Parameters of the talent rules (``region.behaviour.talent``)."""

    leave_rate_base: dict = param(
        {"top": 0.02, "leading": 0.03, "high_level": 0.05, "young": 0.07, "graduate": 0.10},
        low=0.01,
        high=0.2,
        unit="probability per year",
        source="hand-set; graduate outflow per Song & Wu (2020)",
        rule="agents.talent.base_flows",
    )
    retirement_rate: float = param(
        0.02,
        low=0.01,
        high=0.03,
        unit="probability per year",
        source="working life of about 40 years",
        rule="agents.talent.step_quarter",
    )
    wage_yuan_per_year: dict = param(
        {"top": 1.5e6, "leading": 6.0e5, "high_level": 3.0e5, "young": 1.5e5, "graduate": 9.0e4},
        low=5.0e4,
        high=3.0e6,
        unit="yuan per year",
        source="assumption; Changsha wage levels by tier",
        city="changsha",
        rule="agents.talent.TalentConditions.delta_v",
    )
    housing_need_m2: dict = param(
        {"top": 200.0, "leading": 150.0, "high_level": 100.0, "young": 90.0, "graduate": 60.0},
        low=30.0,
        high=250.0,
        unit="m2",
        source="policy standards 200/150/100 m2; assumption below",
        rule="agents.talent.TalentConditions.delta_v",
    )
    housing_user_cost_rate: float = param(
        0.05,
        low=0.02,
        high=0.08,
        unit="share of home value per year",
        source="assumption; mortgage interest plus maintenance",
        rule="agents.talent.TalentConditions.delta_v",
    )
    housing_cost_weight: float = param(
        4.0,
        low=1.0,
        high=8.0,
        unit="logit coefficient on housing cost / wage",
        source="derived from Song & Wu (2020): +1000 yuan/m2 -> +3.14 pp graduate outflow",
        rule="agents.talent.TalentConditions.delta_v",
    )
    subsidy_horizon_years: float = param(
        10.0,
        low=7.0,
        high=20.0,
        unit="years",
        source="derived: a lump sum is worth it times (r + h) a year, so 1 / (r + h) years with "
        "r = 0.05 (housing_user_cost_rate) and h = leave + retirement rates: 7 (young) to 11 "
        "(top); 20 (1 / r) when a subsidised home is kept after leaving",
        rule="agents.talent.housing_support_per_year",
    )
    wage_weight: float = param(
        2.0,
        low=0.5,
        high=4.0,
        unit="logit coefficient on log wage",
        source="assumption; conditional-logit location choice studies (rows 16-18)",
        rule="agents.talent.TalentConditions.delta_v",
    )
    job_weight: float = param(
        0.5,
        low=0.0,
        high=4.0,
        unit="logit coefficient on vacancy rate",
        source="assumption",
        rule="agents.talent.TalentConditions.delta_v",
    )
    programme_weight: float = param(
        1.0,
        low=0.0,
        high=3.0,
        unit="logit coefficient on talent awards / wage",
        source="Chen & Li (2022): housing and start-up subsidies attract most",
        rule="agents.talent.TalentConditions.delta_v",
    )
    tenure_weight: float = param(
        0.3,
        low=0.0,
        high=1.0,
        unit="logit coefficient on log(1 + years in city)",
        source="assumption; attachment grows with tenure",
        rule="agents.talent.step_quarter",
    )
    network_weight: float = param(
        0.5,
        low=0.0,
        high=2.0,
        unit="logit coefficient on return-network index",
        source="assumption; alumni and Hunan-merchant return programmes",
        rule="agents.talent.TalentConditions.delta_v",
    )
    arrival_growth_base: float = param(
        0.06,
        low=0.02,
        high=0.15,
        unit="share per year",
        source="calibrated; talent about 200 (2017 estimate), 280 (2021-2022), over 300 (2023)",
        rule="agents.talent.base_flows",
    )
    graduate_stay_share: dict = param(
        {"bachelor": 0.35, "master": 0.40, "phd": 0.45},
        low=0.2,
        high=0.7,
        unit="share",
        source="assumption; central-China graduate retention surveys",
        rule="agents.talent.graduate_inflow",
    )
    promotion_rate: dict = param(
        {"top": 0.0, "leading": 0.005, "high_level": 0.01, "young": 0.02, "graduate": 0.08},
        low=0.0,
        high=0.15,
        unit="probability per year",
        source="assumption; careers move talent up one tier",
        rule="agents.talent.promote",
    )
    home_purchase_rate: float = param(
        0.15,
        low=0.05,
        high=0.3,
        unit="probability per year",
        source="assumption; renters buying once eligible",
        rule="agents.talent.step_quarter",
    )
    subsidy_take_up: float = param(
        0.2,
        low=0.1,
        high=0.6,
        unit="share",
        source="assumption; share of eligible people who claim housing support (no Changsha "
        "claimant count found; benefit take-up is rarely near 1: Ko & Moffitt 2022)",
        rule="agents.talent.step_quarter",
    )
    service_take_up: float = param(
        0.3,
        low=0.1,
        high=0.7,
        unit="share",
        source="assumption; share of eligible people with a child to school, a spouse to place "
        "or a need for the medical channel",
        rule="agents.talent.TalentConditions.delta_v",
    )
    platform_housing_coverage: float = param(
        0.1,
        low=0.02,
        high=0.3,
        unit="share of R&D-capable talent",
        source="assumption; researchers housed in homes their platform bought or leased",
        rule="agents.talent.TalentConditions.delta_v",
    )
    return_programme_elasticity: float = param(
        0.05,
        low=0.0,
        high=0.2,
        unit="log arrivals per log programme spending",
        source="assumption; alumni and Hunan-merchant return drives",
        rule="agents.talent.TalentConditions.outreach",
    )
    ip_talent_elasticity: float = param(
        0.05,
        low=0.0,
        high=0.2,
        unit="log arrivals per log IP / international spending",
        source="assumption; IP protection and international cooperation also draw talent",
        rule="agents.talent.TalentConditions.outreach",
    )
    outreach_floor_yuan: float = param(
        1.0e7,
        low=1.0e6,
        high=1.0e8,
        unit="yuan per year",
        source="assumption; keeps the spending ratios finite when a policy spends nothing",
        rule="agents.talent.TalentConditions.outreach",
    )
    wage_log_sd: float = param(
        0.25,
        low=0.1,
        high=0.5,
        unit="log yuan",
        source="assumption; wage dispersion within a tier",
        rule="agents.talent.add_people",
    )


class TalentState(Population):
    """Columns of the talent population; caches the persons per tier until talent changes."""

    schema = {
        "tier": np.int8,
        "headcount": np.int64,  # persons represented
        "employer_kind": np.int8,  # 0 = other / searching, 1 = firm, 2 = university
        "employer": np.int64,  # row of the employer in its population, -1 if none
        "wage": np.float64,  # yuan per year at base-year prices
        "years_in_city": np.float64,
        "owner": bool,  # bought a home in the city
        "arrived_year": np.int16,
    }

    def changed(self) -> None:
        """Forget the cached persons per tier (headcounts, tiers or rows changed)."""
        self._tier_stock = None

    def stock_by_tier(self) -> np.ndarray:
        """Talent persons per tier (cached until :meth:`changed`; do not modify)."""
        if getattr(self, "_tier_stock", None) is None:
            idx = self.live()
            self._tier_stock = np.bincount(
                self.tier[idx], weights=self.headcount[idx], minlength=len(TIERS)
            )
        return self._tier_stock

    def stock(self) -> int:
        """Talent persons in the city (the ``talent`` KPI)."""
        return int(round(float(self.stock_by_tier().sum())))

    def rd_capable(self) -> float:
        """Persons in the R&D-capable tiers (top to young researchers)."""
        return float(self.stock_by_tier()[RD_TIERS].sum())


class Talent(RowAgent):
    """A group of ``headcount`` people of one tier (one person at full scale)."""

    population_attr = "talent"
    state = TalentState

    @property
    def tier_name(self) -> str:
        """Talent tier."""
        return TIERS[self.tier]


@dataclass
class CityConditions:
    """What talent sees of the city this quarter, besides its own numbers."""

    policy: PolicyView
    house_price: float
    house_price_base: float
    vacancy_rate: float
    vacancy_rate_base: float
    wage_index: float
    outside_wage_index: float


@dataclass
class QuarterFlows:
    """Persons moving in one quarter, and the new rows of arriving people."""

    leavers: int
    retirees: int
    arrivals: int
    arrival_rows: np.ndarray


def tier_vector(values: dict | object) -> np.ndarray:
    """Numbers keyed by tier (dict or TierAmounts) as an array in ``TIERS`` order."""
    if isinstance(values, dict):
        return np.array([float(values[t]) for t in TIERS])
    return np.array([float(getattr(values, t)) for t in TIERS])


def purchase_support(levers, price: float) -> np.ndarray:
    """One-off purchase support per person by tier: first-home subsidy plus the area subsidy."""
    return (
        tier_vector(levers.first_home_subsidy_yuan)
        + tier_vector(levers.purchase_subsidy_m2) * price
    )


def housing_support_per_year(
    levers, price: float, horizon: float, tier: np.ndarray, years: np.ndarray, eligible: np.ndarray
) -> np.ndarray:
    """Yearly value of housing support per person.

    One-off purchase support is spread over ``horizon`` years and counts while the person is
    inside the support window; the rent subsidy counts during its own window. Nothing counts
    before the eligibility months have passed (``eligible``).

    Args:
        levers: Lever config in force.
        price: House price, yuan per m2.
        horizon: Years over which one-off support is valued.
        tier: Tier code per person-group.
        years: Years in the city per person-group.
        eligible: Whether the residence requirement is met.

    Returns:
        Yuan per person per year.
    """
    one_off = purchase_support(levers, price)[tier] / horizon
    rent = tier_vector(levers.rent_subsidy_yuan_per_year)[tier]
    value = np.where(years <= levers.housing_support_window_years, one_off, 0.0)
    value = value + np.where(years <= levers.rent_subsidy_years, rent, 0.0)
    return np.where(eligible, value, 0.0)


def net_housing_cost(gross: np.ndarray, support: np.ndarray) -> np.ndarray:
    """Housing cost per year net of support, never below zero."""
    return np.maximum(gross - support, 0.0)


def leave_probability(
    base_rate: np.ndarray, delta_v: np.ndarray, tenure_term: np.ndarray
) -> np.ndarray:
    """Yearly leave probability from the logit rule."""
    return expit(logit(base_rate) - delta_v - tenure_term)


def quarterly(p_year: np.ndarray) -> np.ndarray:
    """Probability per quarter equivalent to a yearly probability."""
    return -np.expm1(np.log1p(-np.minimum(p_year, 0.999)) / 4.0)


def base_flows(
    stock: np.ndarray, graduates_staying: dict[str, float], p: TalentParams
) -> tuple[np.ndarray, np.ndarray]:
    """Base leave rates and the yearly arrivals by tier that give the base growth rate.

    Under base-year policy the stock of each tier grows at ``arrival_growth_base``: arrivals fill
    what leaving, retirement and net promotions take away and graduates do not replace.

    Args:
        stock: Persons per tier in the base year.
        graduates_staying: Graduates per degree who stay in the city each year (base year).
        p: Talent parameters.

    Returns:
        ``(leave_base, arrivals_base)`` per tier.
    """
    leave = tier_vector(p.leave_rate_base)
    promo = tier_vector(p.promotion_rate)
    grad_in = np.zeros(len(TIERS))
    grad_in[GRADUATE] = graduates_staying["bachelor"] + graduates_staying["master"]
    grad_in[YOUNG] = graduates_staying["phd"]
    promo_in = np.append(promo[1:] * stock[1:], 0.0)  # tier k gains from tier k+1
    need = (
        stock * (p.arrival_growth_base + leave + p.retirement_rate)
        - grad_in
        + promo * stock
        - promo_in
    )
    return leave, np.maximum(need, 0.0)


class TalentConditions:
    """The utility difference ``dV`` of the city against base-year conditions, by tier.

    Args:
        params: Talent parameters.
        stock_base_by_tier: Persons per tier in the base year.
    """

    def __init__(self, params: TalentParams, stock_base_by_tier: np.ndarray) -> None:
        self.params = params
        self.stock_base_by_tier = stock_base_by_tier
        self.wage = tier_vector(params.wage_yuan_per_year)
        self.need = tier_vector(params.housing_need_m2)

    def _support(
        self, levers, price: float, years: np.ndarray, tier: np.ndarray, eligible
    ) -> np.ndarray:
        p = self.params
        value = housing_support_per_year(
            levers, price, p.subsidy_horizon_years, tier, years, eligible
        )
        return p.subsidy_take_up * value

    def _programme(self, levers) -> np.ndarray:
        """Talent-programme value per person-year by tier.

        Rewards, team and young-talent grants and overseas posts; a yearly number of grants is
        worth its total over the tier's stock.
        """
        p = self.params
        stock = np.maximum(self.stock_base_by_tier, 1.0)
        value = np.zeros(len(TIERS))
        value[0] = levers.top_talent_reward_yuan / p.subsidy_horizon_years
        value[1] = levers.leading_team_grants_per_year * levers.leading_team_grant_yuan / stock[1]
        value[2] = levers.startup_team_grants_per_year * levers.startup_team_grant_yuan / stock[2]
        overseas = levers.overseas_posts_per_year * levers.overseas_post_grant_yuan
        value[HIGH_LEVEL] += overseas / stock[HIGH_LEVEL]
        value[YOUNG] = levers.young_talent_grants_per_year * levers.young_talent_grant_yuan
        value[YOUNG] /= stock[YOUNG]
        return value

    def services(self, levers, tier: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        """Family services (schooling, medical care, spouse jobs) per person-year, as used.

        Green-card holders (:data:`GREEN_CARD_TIERS`, when ``levers.green_card``) are served from
        arrival; everyone else after the residence months of housing support.
        """
        card = levers.green_card & np.isin(tier, GREEN_CARD_TIERS)
        value = tier_vector(levers.family_services_yuan_per_year)[tier]
        return self.params.service_take_up * value * (eligible | card)

    def platform_housing(self, levers, tier: np.ndarray) -> np.ndarray:
        """Platform housing per person-year: the city's co-funding times the share housed."""
        rd = np.isin(tier, RD_TIERS)
        return levers.platform_housing_yuan_per_year * self.params.platform_housing_coverage * rd

    def outreach(self, policy) -> float:
        """Shift of arrivals' utility from the return programme and IP / international spending.

        ``return_programme_elasticity * log((R + floor) / (R_ref + floor))`` plus the same form
        for IP protection and international cooperation (lever H), against the base-year policy.
        """
        p, lv, ref = self.params, policy.levers, policy.reference
        floor = p.outreach_floor_yuan

        def ratio(now: float, then: float) -> float:
            return float(np.log((now + floor) / (then + floor)))

        back = ratio(
            lv.return_programme_yuan_per_year * policy.scale("E"),
            ref.return_programme_yuan_per_year,
        )
        ip = ratio(
            lv.ip_and_international_yuan_per_year * policy.scale("H"),
            ref.ip_and_international_yuan_per_year,
        )
        return p.return_programme_elasticity * back + p.ip_talent_elasticity * ip

    def delta_v(
        self,
        tier: np.ndarray,
        years: np.ndarray,
        wage: np.ndarray,
        newcomer: bool,
        city: CityConditions,
        stock_by_tier: np.ndarray,
    ) -> np.ndarray:
        """Utility change per person against base-year policy, prices and jobs.

        Args:
            tier: Tier code per row.
            years: Years in the city per row.
            wage: Wage per row (base-year yuan).
            newcomer: Value the city as an arrival does (support after the eligibility wait).
            city: This quarter's conditions (policy, house prices, vacancies, wage indices).
            stock_by_tier: Persons per tier now (the return network).

        Returns:
            ``dV`` per row.
        """
        p = self.params
        lv, ref = city.policy.levers, city.policy.reference
        price, price0 = city.house_price, city.house_price_base
        gross = price * self.need[tier] * p.housing_user_cost_rate
        gross0 = price0 * self.need[tier] * p.housing_user_cost_rate
        if newcomer:
            wait = lv.housing_eligibility_months / 12.0
            wait0 = ref.housing_eligibility_months / 12.0
            later = max(0.0, 1 - wait / p.subsidy_horizon_years)
            later0 = max(0.0, 1 - wait0 / p.subsidy_horizon_years)
            s = self._support(lv, price, years, tier, True) * later
            s0 = self._support(ref, price0, years, tier, True) * later0
            # Services after the wait, or from arrival with a green card.
            served = self.services(lv, tier, np.zeros(len(tier), bool))
            served = np.maximum(served, self.services(lv, tier, np.ones(len(tier), bool)) * later)
            served0 = self.services(ref, tier, np.zeros(len(tier), bool))
            served0 = np.maximum(
                served0, self.services(ref, tier, np.ones(len(tier), bool)) * later0
            )
        else:
            eligible = years >= lv.housing_eligibility_months / 12.0
            eligible0 = years >= ref.housing_eligibility_months / 12.0
            s = self._support(lv, price, years, tier, eligible)
            s0 = self._support(ref, price0, years, tier, eligible0)
            served = self.services(lv, tier, eligible)
            served0 = self.services(ref, tier, eligible0)
        s = (s + self.platform_housing(lv, tier)) * city.policy.scale("F")
        s0 = s0 + self.platform_housing(ref, tier)
        housing = (
            p.housing_cost_weight
            * (net_housing_cost(gross0, s0) - net_housing_cost(gross, s))
            / wage
        )
        prog = (
            p.programme_weight
            * (self._programme(lv) * city.policy.scale("E") - self._programme(ref))[tier]
            / self.wage[tier]
        )
        prog = prog + p.programme_weight * (served * city.policy.scale("F") - served0) / wage
        jobs = p.job_weight * (city.vacancy_rate - city.vacancy_rate_base)
        wage_gap = p.wage_weight * np.log(city.wage_index / city.outside_wage_index)
        network = (
            p.network_weight
            * np.log(np.maximum(stock_by_tier, 1.0) / np.maximum(self.stock_base_by_tier, 1.0))[
                tier
            ]
        )
        return wage_gap + housing + prog + jobs + network


def add_people(
    talent: TalentState,
    persons_by_tier: np.ndarray,
    people_per_agent: int,
    p: TalentParams,
    rng: np.random.Generator,
    year: int,
) -> np.ndarray:
    """Append talent agents for arriving people: ``people_per_agent`` each, tier by tier.

    Args:
        talent: The talent population.
        persons_by_tier: Persons arriving per tier (length ``len(TIERS)``).
        people_per_agent: Persons per new agent (the last agent of a tier takes the rest).
        p: Talent parameters (wages by tier).
        rng: The talent random stream (wages).
        year: Arrival year.

    Returns:
        The new rows (without an employer yet).
    """
    persons = np.asarray(persons_by_tier, dtype=np.int64)
    if persons.sum() <= 0:
        return np.empty(0, np.int64)
    ppa = people_per_agent
    n_by_tier = -(-persons // ppa)
    tiers = np.repeat(np.arange(len(TIERS)), n_by_tier)
    heads = np.full(len(tiers), ppa, np.int64)
    last = np.cumsum(n_by_tier)[n_by_tier > 0] - 1
    heads[last] = persons[n_by_tier > 0] - ppa * (n_by_tier[n_by_tier > 0] - 1)
    wage = tier_vector(p.wage_yuan_per_year)[tiers]
    sd = p.wage_log_sd
    return talent.append(
        len(tiers),
        tier=tiers,
        headcount=heads,
        employer=-1,
        arrived_year=year,
        wage=wage * rng.lognormal(-0.5 * sd**2, sd, len(tiers)),
    )


def step_quarter(
    talent: TalentState,
    p: TalentParams,
    rng: np.random.Generator,
    *,
    conditions: TalentConditions,
    city: CityConditions,
    ledger: CostLedger,
    leave_base: np.ndarray,
    arrivals_base: np.ndarray,
    years_ref: float,
    outside_pool_factor: float,
    people_per_agent: int,
    year: int,
) -> QuarterFlows:
    """Leave, retire, buy homes and arrive for one quarter; books housing support and rewards.

    Args:
        talent: The talent population.
        p: Talent parameters.
        rng: This quarter's generator of the rule (`InnovationModel.quarter_rng`); it spawns one
            child per draw (leave, retire, buy, arrive, wages), each inverted per row or tier
            (:mod:`agents.draws`).
        conditions: The utility rule.
        city: This quarter's city conditions.
        ledger: Public cost ledger (housing support F, top-talent rewards E).
        leave_base: Base leave rate per tier.
        arrivals_base: Base arrivals per tier and year.
        years_ref: Mean years in the city in the base year (tenure reference).
        outside_pool_factor: Size of the outside talent pool relative to the base year.
        people_per_agent: Persons per new agent.
        year: Current year.

    Returns:
        The quarter's flows; emptied agents are removed, arrivals appended (without employer).
    """
    t = talent
    idx = t.live()
    tier, years = t.tier[idx], t.years_in_city[idx]
    dv = conditions.delta_v(tier, years, t.wage[idx], False, city, t.stock_by_tier())
    tenure = p.tenure_weight * (np.log1p(years) - np.log1p(years_ref))
    p_leave = quarterly(leave_probability(leave_base[tier], dv, tenure))
    heads = t.headcount[idx]
    # One keyed generator per draw and one uniform per row: paired settings share the numbers.
    leave_rng, retire_rng, buy_rng, arrive_rng, wage_rng = rng.spawn(5)
    leavers = draws.binomial(draws.row_uniforms(leave_rng, idx), heads, p_leave)
    retirees = draws.binomial(
        draws.row_uniforms(retire_rng, idx),
        heads - leavers,
        quarterly(np.full(len(idx), p.retirement_rate)),
    )
    t.headcount[idx] = heads - leavers - retirees
    t.changed()
    t.years_in_city[idx] += 0.25
    # Housing: eligible renters buy (one-off purchase support); rent subsidy paid while renting.
    lv, price = city.policy.levers, city.house_price
    years = t.years_in_city[idx]
    eligible = years >= lv.housing_eligibility_months / 12.0
    buying = draws.row_uniforms(buy_rng, idx) < quarterly(np.full(len(idx), p.home_purchase_rate))
    buy = eligible & ~t.owner[idx] & buying
    supported = buy & (years <= lv.housing_support_window_years)
    scale_f = city.policy.scale("F") * p.subsidy_take_up
    one_off = purchase_support(lv, price)[tier] * t.headcount[idx] * supported
    ledger.book("housing_purchase_support", float(one_off.sum()) * scale_f)
    t.owner[idx[buy]] = True
    renting = eligible & ~t.owner[idx] & (years <= lv.rent_subsidy_years)
    rent = tier_vector(lv.rent_subsidy_yuan_per_year)[tier]
    ledger.book(
        "housing_rent_subsidy", float((rent * t.headcount[idx] * renting).sum()) / 4 * scale_f
    )
    heads = t.headcount[idx]
    used = conditions.services(lv, tier, eligible)
    ledger.book("family_services", float((used * heads).sum()) / 4 * city.policy.scale("F"))
    housed = conditions.platform_housing(lv, tier)
    ledger.book("platform_housing", float((housed * heads).sum()) / 4 * city.policy.scale("F"))
    # Arrivals from outside, by tier.
    tiers = np.arange(len(TIERS))
    dv_new = conditions.delta_v(
        tiers, np.zeros(len(TIERS)), conditions.wage, True, city, t.stock_by_tier()
    ) + conditions.outreach(city.policy)
    mean = arrivals_base / 4.0 * np.exp(dv_new) * outside_pool_factor
    persons = draws.poisson(arrive_rng.random(len(TIERS)), mean)
    rows = add_people(t, persons, people_per_agent, p, wage_rng, year)
    ledger.book(
        "top_talent_reward", persons[0] * lv.top_talent_reward_yuan * city.policy.scale("E")
    )
    t.remove(idx[t.headcount[idx] == 0])
    return QuarterFlows(int(leavers.sum()), int(retirees.sum()), int(persons.sum()), rows)


def graduate_inflow(
    talent: TalentState,
    graduates: dict[str, float],
    p: TalentParams,
    rng: np.random.Generator,
    *,
    conditions: TalentConditions,
    city: CityConditions,
    people_per_agent: int,
    year: int,
) -> tuple[int, np.ndarray]:
    """Graduates who stay become talent (PhDs as young researchers).

    Called each quarter with a quarter of the year's graduates, so entry into the labour market is
    spread over the year.

    Returns:
        Persons who stayed and the new rows (without employer).
    """
    persons = np.zeros(len(TIERS), np.int64)
    stock = talent.stock_by_tier()
    stay_rng, wage_rng = rng.spawn(2)
    stay_u = stay_rng.random(len(DEGREES))
    for i, degree in enumerate(DEGREES):
        tier = DEGREE_TIER[degree]
        dv = conditions.delta_v(
            np.array([tier]), np.array([0.0]), np.array([conditions.wage[tier]]), True, city, stock
        )[0]
        stay = expit(logit(p.graduate_stay_share[degree]) + dv)
        n = np.array([int(graduates.get(degree, 0.0))])
        persons[tier] += int(draws.binomial(stay_u[i : i + 1], n, np.array([stay]))[0])
    rows = add_people(talent, persons, people_per_agent, p, wage_rng, year)
    return int(persons.sum()), rows


def promote(
    talent: TalentState, p: TalentParams, rng: np.random.Generator, people_per_agent: int, year: int
) -> np.ndarray:
    """One quarter: each person moves up one tier with the quarterly share of the yearly rate.

    Promotions are spread over the year, so the R&D-capable tiers do not jump once a year.

    The promoted persons of a tier are drawn from its agents without replacement (multivariate
    hypergeometric over headcounts). An agent whose whole group is promoted changes tier in place
    (always the case at one person per agent); partial promotions form new agents of the higher
    tier with the mean tenure of the people they came from.

    Returns:
        The new rows of partially promoted groups (without employer).
    """
    t = talent
    rate = quarterly(tier_vector(p.promotion_rate))
    moved = np.zeros(len(TIERS), np.int64)
    years = np.zeros(len(TIERS))
    in_place: list[np.ndarray] = []
    count_rng, pick_rng, wage_rng = rng.spawn(3)
    tier_u = count_rng.random(len(TIERS))
    for k in range(1, len(TIERS)):
        rows = t.live()[t.tier[t.live()] == k]
        heads = t.headcount[rows]
        total = int(heads.sum())
        n_up = int(draws.binomial(tier_u[k : k + 1], np.array([total]), rate[k : k + 1])[0])
        if n_up == 0:
            continue
        up = pick_rng.multivariate_hypergeometric(heads, n_up, method="marginals")
        whole = up == heads
        in_place.append(rows[whole])
        part = ~whole & (up > 0)
        moved[k - 1] += int(up[part].sum())
        years[k - 1] += float((t.years_in_city[rows[part]] * up[part]).sum())
        t.headcount[rows[part]] -= up[part]
    for rows in in_place:
        t.tier[rows] -= 1
    t.changed()
    new = add_people(t, moved, people_per_agent, p, wage_rng, year)
    if len(new):
        mean_years = years / np.maximum(moved, 1)
        t.years_in_city[new] = mean_years[t.tier[new]]
    return new


def book_programmes(policy: PolicyView, ledger: CostLedger) -> float:
    """Yearly cost of the talent programmes paid per year (E); returns start-up teams funded.

    Team and young-talent grants, overseas posts and the return programme.
    """
    lv, scale = policy.levers, policy.scale("E")
    cost = lv.leading_team_grants_per_year * lv.leading_team_grant_yuan
    cost += lv.startup_team_grants_per_year * lv.startup_team_grant_yuan
    granted = ledger.book("talent_team_grants", cost * scale)
    young = lv.young_talent_grants_per_year * lv.young_talent_grant_yuan
    ledger.book("young_talent_grants", young * scale)
    ledger.book("overseas_posts", lv.overseas_posts_per_year * lv.overseas_post_grant_yuan * scale)
    ledger.book("return_programme", lv.return_programme_yuan_per_year * scale)
    return lv.startup_team_grants_per_year * scale * granted
