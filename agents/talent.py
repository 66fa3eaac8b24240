"""Talent: stay/leave, arrivals, graduates, housing and promotions by a discrete-choice rule.

One talent agent stands for ``headcount`` people of one tier (``run.people_per_agent`` at creation,
down to 1). The talent stock is the sum of headcounts, never the number of agents. Each person
decides independently, so the people leaving an agent in a quarter are a binomial draw.

Choice rule (logit): the yearly leave probability of a person is
``logistic(logit(base_rate[tier]) - dV - tenure_weight * (log1p(years) - log1p(years_ref)))``,
where ``dV`` is the change of the city's utility against base-year conditions: wage, housing cost
net of housing support (support only after the eligibility months), job availability, talent
programmes and the return network. Arrivals from outside scale with ``exp(dV)`` for a newcomer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit, logit

from agents.categories import TIERS
from agents.population import Population, RowAgent

if TYPE_CHECKING:
    from sim.model import InnovationModel

GRADUATE, YOUNG = TIERS.index("graduate"), TIERS.index("young")


class TalentState(Population):
    """Columns of the talent population."""

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


class Talent(RowAgent):
    """A group of ``headcount`` people of one tier (one person at full scale)."""

    population_attr = "talent"
    state = TalentState

    @property
    def tier_name(self) -> str:
        """Talent tier."""
        return TIERS[self.tier]


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


class TalentConditions:
    """The utility difference ``dV`` of the city against base-year conditions, by tier."""

    def __init__(self, model: InnovationModel) -> None:
        self.model = model
        p = model.behaviour.talent
        self.wage = tier_vector(p.wage_yuan_per_year)
        self.need = tier_vector(p.housing_need_m2)

    def _support(
        self, levers, price: float, years: np.ndarray, tier: np.ndarray, eligible
    ) -> np.ndarray:
        p = self.model.behaviour.talent
        value = housing_support_per_year(
            levers, price, p.subsidy_horizon_years, tier, years, eligible
        )
        return p.subsidy_take_up * value

    def _programme(self, levers) -> np.ndarray:
        """Talent-programme value per person-year by tier (rewards and team grants)."""
        p = self.model.behaviour.talent
        stock = np.maximum(self.model.talent_stock_base_by_tier, 1.0)
        value = np.zeros(len(TIERS))
        value[0] = levers.top_talent_reward_yuan / p.subsidy_horizon_years
        value[1] = levers.leading_team_grants_per_year * levers.leading_team_grant_yuan / stock[1]
        value[2] = levers.startup_team_grants_per_year * levers.startup_team_grant_yuan / stock[2]
        return value

    def delta_v(
        self, tier: np.ndarray, years: np.ndarray, wage: np.ndarray, newcomer: bool
    ) -> np.ndarray:
        """Utility change per person against base-year policy, prices and jobs.

        Args:
            tier: Tier code per row.
            years: Years in the city per row.
            wage: Wage per row (base-year yuan).
            newcomer: Value the city as an arrival does (support after the eligibility wait).

        Returns:
            ``dV`` per row.
        """
        m, p = self.model, self.model.behaviour.talent
        lv, ref = m.policy.levers, m.policy.reference
        price, price0 = m.economy.house_price, m.economy.house_price_base
        gross = price * self.need[tier] * p.housing_user_cost_rate
        gross0 = price0 * self.need[tier] * p.housing_user_cost_rate
        if newcomer:
            wait = lv.housing_eligibility_months / 12.0
            wait0 = ref.housing_eligibility_months / 12.0
            s = self._support(lv, price, years, tier, True) * max(
                0.0, 1 - wait / p.subsidy_horizon_years
            )
            s0 = self._support(ref, price0, years, tier, True) * max(
                0.0, 1 - wait0 / p.subsidy_horizon_years
            )
        else:
            s = self._support(lv, price, years, tier, years >= lv.housing_eligibility_months / 12.0)
            s0 = self._support(
                ref, price0, years, tier, years >= ref.housing_eligibility_months / 12.0
            )
        s = s * m.policy.scale("F")
        housing = (
            p.housing_cost_weight
            * (net_housing_cost(gross0, s0) - net_housing_cost(gross, s))
            / wage
        )
        prog = (
            p.programme_weight
            * (self._programme(lv) * m.policy.scale("E") - self._programme(ref))[tier]
            / self.wage[tier]
        )
        jobs = p.job_weight * (m.labour.vacancy_rate - m.labour.vacancy_rate_base)
        wage_gap = p.wage_weight * np.log(m.economy.wage_index / m.economy.outside_wage_index)
        network = (
            p.network_weight
            * np.log(
                np.maximum(m.talent_stock_by_tier(), 1.0)
                / np.maximum(m.talent_stock_base_by_tier, 1.0)
            )[tier]
        )
        return wage_gap + housing + prog + jobs + network


def new_agents(model: InnovationModel, persons_by_tier: np.ndarray) -> np.ndarray:
    """Create talent agents for arriving people: ``people_per_agent`` each, tier by tier.

    Args:
        model: The model.
        persons_by_tier: Persons arriving per tier (length ``len(TIERS)``).

    Returns:
        The new rows.
    """
    persons = np.asarray(persons_by_tier, dtype=np.int64)
    if persons.sum() <= 0:
        return np.empty(0, np.int64)
    ppa = model.people_per_agent
    n_by_tier = -(-persons // ppa)
    tiers = np.repeat(np.arange(len(TIERS)), n_by_tier)
    heads = np.full(len(tiers), ppa, np.int64)
    last = np.cumsum(n_by_tier)[n_by_tier > 0] - 1
    heads[last] = persons[n_by_tier > 0] - ppa * (n_by_tier[n_by_tier > 0] - 1)
    wage = tier_vector(model.behaviour.talent.wage_yuan_per_year)[tiers]
    rows = model.talent.append(
        len(tiers),
        tier=tiers,
        headcount=heads,
        employer=-1,
        arrived_year=model.year,
        wage=wage * model.streams.talent.lognormal(-0.03125, 0.25, len(tiers)),
    )
    model.talent_changed()
    model.labour.assign_employers(rows)
    model.create_talent_agents(rows)
    return rows


def step_quarter(model: InnovationModel) -> None:
    """Leave, retire, arrive and buy homes for one quarter; book housing and reward costs."""
    t, p, rng = model.talent, model.behaviour.talent, model.streams.talent
    cond = model.talent_conditions
    idx = t.live()
    tier, years = t.tier[idx], t.years_in_city[idx]
    dv = cond.delta_v(tier, years, t.wage[idx], newcomer=False)
    tenure = p.tenure_weight * (np.log1p(years) - np.log1p(model.talent_years_ref))
    p_leave = quarterly(leave_probability(model.leave_base[tier], dv, tenure))
    heads = t.headcount[idx]
    leavers = rng.binomial(heads, p_leave)
    retirees = rng.binomial(heads - leavers, quarterly(np.full(len(idx), p.retirement_rate)))
    t.headcount[idx] = heads - leavers - retirees
    model.talent_changed()
    model.flows.add("outflow_leave", int(leavers.sum()))
    model.flows.add("outflow_retire", int(retirees.sum()))
    t.years_in_city[idx] += 0.25
    # Housing: eligible renters buy (one-off purchase support); rent subsidy paid while renting.
    lv, price = model.policy.levers, model.economy.house_price
    years = t.years_in_city[idx]
    eligible = years >= lv.housing_eligibility_months / 12.0
    buying = rng.random(len(idx)) < quarterly(np.full(len(idx), p.home_purchase_rate))
    buy = eligible & ~t.owner[idx] & buying
    supported = buy & (years <= lv.housing_support_window_years)
    scale_f = model.policy.scale("F") * p.subsidy_take_up
    one_off = purchase_support(lv, price)[tier] * t.headcount[idx] * supported
    model.gov.book("housing_purchase_support", float(one_off.sum()) * scale_f)
    t.owner[idx[buy]] = True
    renting = eligible & ~t.owner[idx] & (years <= lv.rent_subsidy_years)
    rent = tier_vector(lv.rent_subsidy_yuan_per_year)[tier]
    model.gov.book(
        "housing_rent_subsidy", float((rent * t.headcount[idx] * renting).sum()) / 4 * scale_f
    )
    # Arrivals from outside, by tier.
    growth = (1.0 + model.economy.outside_pool_growth) ** model.years_elapsed
    tiers = np.arange(len(TIERS))
    dv_new = cond.delta_v(tiers, np.zeros(len(TIERS)), cond.wage, newcomer=True)
    persons = rng.poisson(model.arrivals_base / 4.0 * np.exp(dv_new) * growth)
    new_agents(model, persons)
    model.flows.add("inflow_arrivals", int(persons.sum()))
    model.gov.book(
        "top_talent_reward", persons[0] * lv.top_talent_reward_yuan * model.policy.scale("E")
    )
    gone = idx[t.headcount[idx] == 0]
    if len(gone):
        model.remove_talent_agents(gone)


def graduate_inflow(model: InnovationModel) -> None:
    """Yearly (after graduation): graduates who stay become talent (PhDs as young researchers)."""
    p, u = model.behaviour.university, model.talent_conditions
    grads = model.talent_graduates
    persons = np.zeros(len(TIERS), np.int64)
    for degree, tier in (("bachelor", GRADUATE), ("master", GRADUATE), ("phd", YOUNG)):
        dv = u.delta_v(np.array([tier]), np.array([0.0]), np.array([u.wage[tier]]), newcomer=True)[
            0
        ]
        stay = expit(logit(p.graduate_stay_share[degree]) + dv)
        persons[tier] += model.streams.talent.binomial(int(grads.get(degree, 0.0)), stay)
    new_agents(model, persons)
    model.flows.add("inflow_graduates", int(persons.sum()))


def promote(model: InnovationModel) -> None:
    """Yearly: each person moves up one tier with the tier's promotion probability.

    The promoted persons of a tier are drawn from its agents without replacement (multivariate
    hypergeometric over headcounts). An agent whose whole group is promoted changes tier in place
    (always the case at one person per agent); partial promotions form new agents of the higher
    tier with the mean tenure of the people they came from.
    """
    t, p, rng = model.talent, model.behaviour.talent, model.streams.talent
    rate = tier_vector(p.promotion_rate)
    moved = np.zeros(len(TIERS), np.int64)
    years = np.zeros(len(TIERS))
    in_place: list[np.ndarray] = []
    for k in range(1, len(TIERS)):
        rows = t.live()[t.tier[t.live()] == k]
        heads = t.headcount[rows]
        total = int(heads.sum())
        n_up = int(rng.binomial(total, rate[k])) if total else 0
        if n_up == 0:
            continue
        up = rng.multivariate_hypergeometric(heads, n_up, method="marginals")
        whole = up == heads
        in_place.append(rows[whole])
        part = ~whole & (up > 0)
        moved[k - 1] += int(up[part].sum())
        years[k - 1] += float((t.years_in_city[rows[part]] * up[part]).sum())
        t.headcount[rows[part]] -= up[part]
    for rows in in_place:
        t.tier[rows] -= 1
    model.talent_changed()
    new = new_agents(model, moved)
    if len(new):
        mean_years = years / np.maximum(moved, 1)
        t.years_in_city[new] = mean_years[t.tier[new]]


def book_programmes(model: InnovationModel) -> None:
    """Yearly cost of talent-team grants."""
    lv = model.policy.levers
    cost = lv.leading_team_grants_per_year * lv.leading_team_grant_yuan
    cost += lv.startup_team_grants_per_year * lv.startup_team_grant_yuan
    model.gov.book("talent_team_grants", cost * model.policy.scale("E"))
    model.pending_team_startups += lv.startup_team_grants_per_year * model.policy.scale("E")
