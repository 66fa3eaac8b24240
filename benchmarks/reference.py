"""Reference implementation of the B5 rule subset agent by agent, in plain Mesa style.

Every firm and talent group is a :class:`mesa.Agent` with its state in Python attributes and a
``step`` method; the model activates them with ``agents_by_type[T].shuffle_do("step")``, as in
Mesa's wolf-sheep example. City-level aggregates (industry knowledge, talent by tier) are
summed over the agents at the start of each quarter. The rules and parameters are those of
``benchmarks.vectorised`` (see ``benchmarks.subset`` for what is left out), written per agent with
scalar ``math`` and the model's ``random.Random`` stream, so the two agree in distribution, not
draw by draw.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from agents.categories import CENTRE_TYPES, TIERS
from benchmarks.subset import BaseYear, Clock

FIRM_FIELDS = (
    "industry",
    "zone",
    "bonded",
    "high_tech",
    "listed",
    "centre_type",
    "cultivation",
    "revenue",
    "employees",
    "rd_intensity_target",
    "cost_response",
    "rd_real",
    "rd_staff",
    "rd_reported",
    "award_pool",
    "knowledge",
    "age",
    "innovations",
)
TALENT_FIELDS = ("tier", "headcount", "wage", "years_in_city")


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _quarterly(p_year: float) -> float:
    return -math.expm1(math.log1p(-min(p_year, 0.999)) / 4.0)


def _tier(values, tier: str) -> float:
    """One tier's number from a dict or a per-tier dataclass."""
    return float(values[tier] if isinstance(values, dict) else getattr(values, tier))


def _capped(rate: float, cap: float, base: float) -> float:
    return rate if rate * base < cap else 0.0


class RefFirm(mesa.Agent):
    """One firm; state in attributes cloned from a row of the base-year arrays."""

    def __init__(self, model: ReferenceModel, row: dict) -> None:
        super().__init__(model)
        self.__dict__.update(row)

    def marginal_support(self, lv, scaled: bool) -> float:
        """Subsidy or relief per marginal yuan of R&D under levers ``lv``."""
        m = self.model
        scale = m.clock.policy.scale if scaled else (lambda family: 1.0)
        rd = self.rd_reported
        out = scale("C") * _capped(lv.rd_post_subsidy_rate, lv.rd_post_subsidy_cap_yuan, rd)
        if lv.centre_incremental_rd_rate > 0 and self.centre_type > 0:
            cap = getattr(lv.centre_incremental_rd_cap_yuan, CENTRE_TYPES[self.centre_type - 1])
            increment = max(m.p_firm.centre_increment_share * rd, 1.0)
            out += scale("A") * _capped(lv.centre_incremental_rd_rate, cap, increment)
        if lv.cultivation_subsidy_rate > 0 and self.cultivation:
            cap = lv.cultivation_subsidy_cap_yuan
            out += scale("B") * _capped(lv.cultivation_subsidy_rate, cap, rd)
        if self.bonded:
            out += lv.bonded_duty_relief_rate
        return out

    def user_cost(self, lv, scaled: bool) -> float:
        """After-tax price of a yuan of R&D (Hall-Jorgenson), floored at 0.05."""
        t = lv.hte_tax_rate if self.high_tech else lv.standard_tax_rate
        m = self.marginal_support(lv, scaled)
        return max((1.0 - t * (1.0 + lv.super_deduction_rate) - m) / (1.0 - t), 0.05)

    def plan_rd(self) -> float:
        """Own R&D from the adjusted user-cost response, award spending and the HTE notch."""
        m, p = self.model, self.model.p_firm
        policy = m.clock.policy
        cost = self.user_cost(policy.levers, True)
        cost_ref = self.user_cost(policy.reference, False)
        target = (cost / cost_ref) ** p.rd_elasticity_long_run
        now = max(self.cost_response, 1e-12)
        self.cost_response = now * (max(target, 1e-12) / now) ** m.speed_q
        own = self.rd_intensity_target * self.revenue * self.cost_response
        spent = 0.25 * self.award_pool
        self.award_pool -= spent
        if self.high_tech:
            notch = m.p_status.hte_rd_intensity_threshold
            own = max(own, notch * (1 - p.relabel_share_hte) * self.revenue)
        return max(own, 0.0) + 4.0 * spent * (1.0 - p.subsidy_crowding_out)

    def report_rd(self, rd: float) -> None:
        """Real R&D, staff and reported R&D (high-tech firms relabel, at least to the notch)."""
        m, p = self.model, self.model.p_firm
        self.rd_real = rd
        self.rd_staff = rd / p.rd_cost_per_fte_yuan
        if self.high_tech:
            reported = rd / (1.0 - p.relabel_share_hte)
            reported = max(reported, m.p_status.hte_rd_intensity_threshold * self.revenue)
        else:
            reported = rd
        self.rd_reported = reported

    def grow(self, innovated: bool) -> None:
        """Log revenue growth with a size-dependent Laplace shock."""
        m, p = self.model, self.model.p_firm
        b = (
            0.5
            * p.growth_laplace_scale
            * (max(self.revenue, 1.0) / m.size_ref) ** (-p.growth_size_exponent)
        )
        b = min(b, 0.45)
        u = m.random.random() - 0.5
        laplace = -math.copysign(math.log1p(-2.0 * abs(u)), u)
        growth = m.drift + p.innovation_growth_boost * innovated + b * laplace + math.log1p(-b * b)
        self.revenue *= math.exp(growth)
        self.employees = self.revenue / m.revenue_per_employee

    def exits(self) -> bool:
        """Exit draw from the age hazard, scaled by size and listing."""
        m, p = self.model, self.model.p_firm
        size = max(self.revenue, 1.0) / m.size_ref
        factor = min(size**-p.exit_size_exponent, p.exit_size_factor_cap)
        curve = p.exit_hazard_by_age
        annual = curve[min(int(self.age), len(curve) - 1)] * p.exit_hazard_scale * factor
        annual *= p.listed_exit_factor if self.listed else 1.0
        return m.random.random() < _quarterly_exit(annual)

    def step(self) -> None:
        """One quarter of R&D, innovation, knowledge, growth, ageing and exit."""
        m, p = self.model, self.model.p_firm
        rd = self.plan_rd()
        self.report_rd(rd)
        hazard = p.innovation_rate_per_m_yuan * (rd / 4.0 / 1e6) * m.spill[self.industry]
        innovated = m.random.random() < -math.expm1(-hazard)
        self.innovations += innovated
        self.knowledge = self.knowledge * m.knowledge_keep_q + rd / 4.0
        self.grow(innovated)
        self.age += 0.25
        if self.exits():
            self.remove()


def _quarterly_exit(annual: float) -> float:
    return -math.expm1(math.log1p(-min(annual, 0.99)) / 4.0)


class RefTalent(mesa.Agent):
    """A group of ``headcount`` people of one tier; state cloned from a base-year row."""

    def __init__(self, model: ReferenceModel, row: dict) -> None:
        super().__init__(model)
        self.__dict__.update(row)

    def housing_term(self) -> float:
        """Change of the yearly housing cost net of support against base-year conditions."""
        m, h = self.model, self.model.housing
        years, k = self.years_in_city, self.tier
        net = max(h["gross"][k] - m.scale_f * self.support(h["now"], years, k), 0.0)
        net0 = max(h["gross0"][k] - self.support(h["ref"], years, k), 0.0)
        return m.p_talent.housing_cost_weight * (net0 - net) / self.wage

    def support(self, s: dict, years: float, k: int) -> float:
        """Support per person-year under one lever set (``s`` as built by the model)."""
        if years < s["eligible_years"]:
            return 0.0
        value = s["one_off"][k] if years <= s["window"] else 0.0
        value += s["rent"][k] if years <= s["rent_years"] else 0.0
        return self.model.p_talent.subsidy_take_up * value

    def leave_probability(self) -> float:
        """Quarterly leave probability from the logit rule."""
        m, p = self.model, self.model.p_talent
        dv = m.dv_common[self.tier] + self.housing_term()
        tenure = p.tenure_weight * (math.log1p(self.years_in_city) - m.log_years_ref)
        return _quarterly(_expit(m.logit_leave[self.tier] - dv - tenure))

    def step(self) -> None:
        """People leave or retire (binomial draws), the rest stay a quarter longer."""
        m = self.model
        leavers = m.random.binomialvariate(self.headcount, self.leave_probability())
        retirees = m.random.binomialvariate(self.headcount - leavers, m.retire_q)
        self.headcount -= leavers + retirees
        self.years_in_city += 0.25
        if self.headcount == 0:
            self.remove()


class ReferenceModel(mesa.Model):
    """Mesa model stepping :class:`RefFirm` and :class:`RefTalent` agents one by one.

    Args:
        base: Base-year state (the vectorised model's arrays) cloned into agents.
        seed: Seed of this run.
    """

    def __init__(self, base: BaseYear, seed: int) -> None:
        super().__init__(rng=seed)
        cfg = base.cfg
        b = cfg.region.behaviour
        self.p_firm, self.p_talent = b.firm, b.talent
        self.p_status, self.p_spill = b.statuses, b.spillovers
        self.clock = Clock(base)
        self.size_ref = base.firm_size_ref
        self.revenue_per_employee = cfg.region.population.revenue_per_employee_yuan
        self.speed_q = 1.0 - (1.0 - self.p_firm.rd_adjustment_speed) ** 0.25
        self.knowledge_keep_q = (1.0 - self.p_firm.knowledge_depreciation) ** 0.25
        self.retire_q = _quarterly(self.p_talent.retirement_rate)
        self.logit_leave = [_logit(float(x)) for x in base.leave_base]
        self.log_years_ref = math.log1p(base.talent_years_ref)
        self.stock0 = [float(x) for x in base.talent_stock_base_by_tier]
        self.industry0 = [float(x) for x in base.industry_knowledge_base]
        self.agent_steps = 0
        _clone_agents(self, base)

    def step(self) -> None:
        """One quarter: clock and city aggregates, then every firm, then every talent group."""
        self.clock.advance()
        econ = self.clock.economy
        self.drift = econ.drift_per_quarter
        firms, talent = self.agents_by_type[RefFirm], self.agents_by_type[RefTalent]
        self.agent_steps += len(firms) + len(talent)
        self.spill = self._spillover(firms)
        self._talent_conditions(talent)
        firms.shuffle_do("step")
        talent.shuffle_do("step")

    def _spillover(self, firms) -> list[float]:
        p = self.p_spill
        know = [0.0] * len(self.industry0)
        for a in firms:
            know[a.industry] += a.knowledge
        base = 1.0 + p.spillover_university_weight + p.spillover_platform_weight
        w = p.spillover_industry_weight
        return [base + w * k / k0 for k, k0 in zip(know, self.industry0, strict=True)]

    def _talent_conditions(self, talent) -> None:
        """Per-tier parts of dV (wage, programmes, network) and the housing inputs per tier."""
        p, pol, econ = self.p_talent, self.clock.policy, self.clock.economy
        stock = [0.0] * len(TIERS)
        for a in talent:
            stock[a.tier] += a.headcount
        wage_gap = p.wage_weight * math.log(econ.wage_index / econ.outside_wage_index)
        prog_now = self._programme(pol.levers, pol.scale("E"))
        prog_ref = self._programme(pol.reference, 1.0)
        self.dv_common = []
        for k, tier in enumerate(TIERS):
            network = p.network_weight * math.log(max(stock[k], 1.0) / max(self.stock0[k], 1.0))
            prog = p.programme_weight * (prog_now[k] - prog_ref[k]) / p.wage_yuan_per_year[tier]
            self.dv_common.append(wage_gap + prog + network)  # jobs term: no vacancies
        self.scale_f = pol.scale("F")
        need = [p.housing_need_m2[t] * p.housing_user_cost_rate for t in TIERS]
        self.housing = {
            "gross": [econ.house_price * n for n in need],
            "gross0": [econ.house_price_base * n for n in need],
            "now": self._support_inputs(pol.levers, econ.house_price),
            "ref": self._support_inputs(pol.reference, econ.house_price_base),
        }

    def _support_inputs(self, lv, price: float) -> dict:
        horizon = self.p_talent.subsidy_horizon_years
        return {
            "eligible_years": lv.housing_eligibility_months / 12.0,
            "window": lv.housing_support_window_years,
            "rent_years": lv.rent_subsidy_years,
            "one_off": [
                (_tier(lv.first_home_subsidy_yuan, t) + _tier(lv.purchase_subsidy_m2, t) * price)
                / horizon
                for t in TIERS
            ],
            "rent": [_tier(lv.rent_subsidy_yuan_per_year, t) for t in TIERS],
        }

    def _programme(self, lv, scale: float) -> list[float]:
        horizon = self.p_talent.subsidy_horizon_years
        stock = [max(s, 1.0) for s in self.stock0]
        value = [0.0] * len(TIERS)
        value[0] = lv.top_talent_reward_yuan / horizon
        value[1] = lv.leading_team_grants_per_year * lv.leading_team_grant_yuan / stock[1]
        value[2] = lv.startup_team_grants_per_year * lv.startup_team_grant_yuan / stock[2]
        return [v * scale for v in value]

    def kpis(self) -> dict[str, float]:
        """Total real R&D and revenue of live firms (yuan), live firms, talent persons."""
        firms, talent = self.agents_by_type[RefFirm], self.agents_by_type[RefTalent]
        return {
            "rd_real": float(sum(a.rd_real for a in firms)),
            "revenue": float(sum(a.revenue for a in firms)),
            "firms": float(len(firms)),
            "talent": float(sum(a.headcount for a in talent)),
        }


def _rows(pop, fields: tuple[str, ...]) -> list[dict]:
    """Live rows of a population as dicts of Python scalars (with the row index)."""
    idx = pop.live()
    cols = {name: getattr(pop, name)[idx].tolist() for name in fields}
    return [{"row": int(i), **{k: cols[k][j] for k in fields}} for j, i in enumerate(idx)]


def _clone_agents(model: ReferenceModel, base: BaseYear) -> None:
    for row in _rows(base.firms, FIRM_FIELDS):
        RefFirm(model, row)
    for row in _rows(base.talent, TALENT_FIELDS):
        RefTalent(model, row)


def live_rows(model: ReferenceModel, cls: type[mesa.Agent]) -> np.ndarray:
    """Base-year row index of each live agent of ``cls`` (for row-by-row comparisons)."""
    return np.array(sorted(a.row for a in model.agents_by_type.get(cls, [])), dtype=np.int64)
