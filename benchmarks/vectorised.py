"""Vectorised driver of the B5 rule subset: the real array rules of ``agents/firm.py`` and
``agents/talent.py`` applied to whole columns, without Mesa agents.

Exits only mark rows dead (``alive``); the model itself also removes the exiting Mesa agents,
whose cost is measured separately (``mesa_cost`` case) and shows up in the B1 profile.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from agents import firm, talent
from agents.talent import TalentConditions
from benchmarks.subset import BaseYear, Clock
from sim import spillovers


class VectorisedSubset:
    """Firm and talent rule subset on struct-of-arrays state (duck-types ``InnovationModel``).

    Args:
        base: Base-year state to clone.
        seed: Seed of this run.
    """

    def __init__(self, base: BaseYear, seed: int) -> None:
        cfg = base.cfg
        self.region = cfg.region
        self.behaviour = cfg.region.behaviour
        self.firms = base.firms.clone()
        self.talent = base.talent.clone()
        self.clock = Clock(base)
        self.policy, self.economy = self.clock.policy, self.clock.economy
        self.labour = SimpleNamespace(vacancy_rate=0.0, vacancy_rate_base=0.0)
        self.firm_size_ref = base.firm_size_ref
        self.leave_base = base.leave_base
        self.talent_years_ref = base.talent_years_ref
        self.talent_stock_base_by_tier = base.talent_stock_base_by_tier
        self.industry0 = base.industry_knowledge_base
        firm_ss, talent_ss = np.random.SeedSequence(seed).spawn(2)
        self.rng_firm = np.random.default_rng(firm_ss)
        self.rng_talent = np.random.default_rng(talent_ss)
        self.talent_conditions = TalentConditions(self)
        self.agent_steps = 0

    def talent_stock_by_tier(self) -> np.ndarray:
        """Persons per tier (read by ``TalentConditions.delta_v``)."""
        t = self.talent
        idx = t.live()
        return np.bincount(t.tier[idx], weights=t.headcount[idx], minlength=5)

    def step(self) -> None:
        """One quarter: clock, firms, talent."""
        self.clock.advance()
        self.agent_steps += self.firms.count() + self.talent.count()
        self._firms()
        self._talent()

    def _spillover(self, idx: np.ndarray) -> np.ndarray:
        f = self.firms
        know = np.bincount(f.industry[idx], weights=f.knowledge[idx], minlength=len(self.industry0))
        return spillovers.multiplier(1.0, 1.0, (know / self.industry0)[f.industry[idx]], self.p)

    @property
    def p(self):
        """Firm behaviour parameters."""
        return self.behaviour.firm

    def _rd_budget(self, idx: np.ndarray) -> np.ndarray:
        """Real R&D from the user-cost response, awards and the notch (every post filled)."""
        f, p = self.firms, self.p
        lv, ref = self.policy.levers, self.policy.reference
        tax = firm.tax_rates(self, idx)
        support = firm.marginal_support(self, idx, lv, scaled=True)
        cost = firm.user_cost(tax, lv.super_deduction_rate, support)
        tax_ref = np.where(f.high_tech[idx], ref.hte_tax_rate, ref.standard_tax_rate)
        support_ref = firm.marginal_support(self, idx, ref, scaled=False)
        cost_ref = firm.user_cost(tax_ref, ref.super_deduction_rate, support_ref)
        response = firm.long_run_response(cost, cost_ref, p.rd_elasticity_long_run)
        speed_q = 1.0 - (1.0 - p.rd_adjustment_speed) ** 0.25
        f.cost_response[idx] = firm.adjust_rd(f.cost_response[idx], response, speed_q)
        own = firm.desired_rd(f.revenue[idx], f.rd_intensity_target[idx], f.cost_response[idx])
        extra, f.award_pool[idx] = firm.spend_awards(f.award_pool[idx], p.subsidy_crowding_out)
        notch = p.hte_rd_intensity_threshold * (1 - p.relabel_share_hte) * f.revenue[idx]
        own = np.where(f.high_tech[idx], np.maximum(own, notch), own)
        return np.maximum(own, 0.0) + extra

    def _firms(self) -> None:
        f, p, rng = self.firms, self.p, self.rng_firm
        idx = f.live()
        rd = self._rd_budget(idx)
        f.rd_real[idx] = rd
        f.rd_staff[idx] = rd / p.rd_cost_per_fte_yuan
        reported = firm.reported_rd(rd, f.high_tech[idx], p.relabel_share_hte)
        threshold = p.hte_rd_intensity_threshold * f.revenue[idx]
        f.rd_reported[idx] = np.where(f.high_tech[idx], np.maximum(reported, threshold), reported)
        mult = self._spillover(idx)
        innovated = firm.innovation_draws(rng, rd, p.innovation_rate_per_m_yuan, mult)
        f.innovations[idx] += innovated
        f.knowledge[idx] = f.knowledge[idx] * (1.0 - p.knowledge_depreciation) ** 0.25 + rd / 4.0
        f.revenue[idx] = firm.revenue_growth(
            rng,
            f.revenue[idx],
            self.economy.drift_per_quarter,
            innovated,
            p.innovation_growth_boost,
            p.growth_laplace_scale,
            p.growth_size_exponent,
            self.firm_size_ref,
        )
        f.employees[idx] = f.revenue[idx] / self.region.population.revenue_per_employee_yuan
        f.age[idx] += 0.25
        size = np.maximum(f.revenue[idx], 1.0) / self.firm_size_ref
        size_factor = np.minimum(size**-p.exit_size_exponent, 3.0)
        scale = p.exit_hazard_scale * np.where(f.listed[idx], 0.2, 1.0) * size_factor
        f.alive[idx[firm.exit_draws(rng, f.age[idx], p.exit_hazard_by_age, scale)]] = False

    def leave_probability(self, idx: np.ndarray) -> np.ndarray:
        """Quarterly leave probability of the given talent rows (the model's logit rule)."""
        t, p = self.talent, self.behaviour.talent
        tier, years = t.tier[idx], t.years_in_city[idx]
        dv = self.talent_conditions.delta_v(tier, years, t.wage[idx], newcomer=False)
        tenure = p.tenure_weight * (np.log1p(years) - np.log1p(self.talent_years_ref))
        return talent.quarterly(talent.leave_probability(self.leave_base[tier], dv, tenure))

    def _talent(self) -> None:
        t, p, rng = self.talent, self.behaviour.talent, self.rng_talent
        idx = t.live()
        p_leave = self.leave_probability(idx)
        heads = t.headcount[idx]
        leavers = rng.binomial(heads, p_leave)
        retire_q = talent.quarterly(np.full(len(idx), p.retirement_rate))
        retirees = rng.binomial(heads - leavers, retire_q)
        t.headcount[idx] = heads - leavers - retirees
        t.years_in_city[idx] += 0.25
        t.alive[idx[t.headcount[idx] == 0]] = False

    def kpis(self) -> dict[str, float]:
        """Total real R&D and revenue of live firms (yuan), live firms, talent persons."""
        f, t = self.firms, self.talent
        fi = f.live()
        return {
            "rd_real": float(f.rd_real[fi].sum()),
            "revenue": float(f.revenue[fi].sum()),
            "firms": float(len(fi)),
            "talent": float(t.headcount[t.live()].sum()),
        }
