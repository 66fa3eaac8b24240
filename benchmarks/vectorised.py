"""Vectorised driver of the B5 rule subset: the production rules of ``agents/firm.py``
(:func:`agents.firm.plan_rd`, :func:`agents.firm.produce`) and ``agents/talent.py`` applied to
whole columns, without Mesa agents.

Exits only mark rows dead (``alive``); the model itself also removes the exiting Mesa agents,
whose cost is measured separately (``mesa_cost`` case) and shows up in the B1 profile.
"""

from __future__ import annotations

import numpy as np

from agents import firm, spillovers, talent
from agents.spillovers import industry_knowledge
from agents.talent import CityConditions, TalentConditions
from benchmarks.subset import BaseYear, Clock


class _NoLedger:
    """Cost ledger that discards bookings (tax booking is outside the compared subset)."""

    def book(self, line: str, yuan: float) -> None:
        pass


class VectorisedSubset:
    """Firm and talent rule subset on struct-of-arrays state, with the production rules.

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
        self.firm_size_ref = base.firm_size_ref
        self.leave_base = base.leave_base
        self.talent_years_ref = base.talent_years_ref
        self.industry0 = base.industry_knowledge_base
        firm_ss, talent_ss = np.random.SeedSequence(seed).spawn(2)
        self.rng_firm = np.random.default_rng(firm_ss)
        self.rng_talent = np.random.default_rng(talent_ss)
        self.conditions = TalentConditions(self.behaviour.talent, base.talent_stock_base_by_tier)
        self.agent_steps = 0

    def step(self) -> None:
        """One quarter: clock, firms, talent."""
        self.clock.advance()
        self.agent_steps += self.firms.count() + self.talent.count()
        self._firms()
        self._talent()

    def _firms(self) -> None:
        f, b = self.firms, self.behaviour
        idx = f.live()
        notch = b.statuses.hte_rd_intensity_threshold
        plan = firm.plan_rd(f, idx, b.firm, self.policy, notch)
        know = industry_knowledge(f, len(self.industry0))
        spill = spillovers.multiplier(
            1.0, 1.0, (know / self.industry0)[f.industry[idx]], b.spillovers
        )
        exited = firm.produce(
            f,
            plan,
            1.0,  # every post filled (no labour market in the subset)
            b.firm,
            self.rng_firm,
            notch_intensity=notch,
            levers=self.policy.levers,
            ledger=_NoLedger(),
            spillover=spill,
            drift_per_quarter=self.economy.drift_per_quarter,
            size_ref=self.firm_size_ref,
            revenue_per_employee=self.region.population.revenue_per_employee_yuan,
        )
        f.alive[exited] = False

    def _city(self) -> CityConditions:
        e = self.economy
        return CityConditions(
            self.policy,
            e.house_price,
            e.house_price_base,
            0.0,
            0.0,
            e.wage_index,
            e.outside_wage_index,
        )

    def leave_probability(self, idx: np.ndarray) -> np.ndarray:
        """Quarterly leave probability of the given talent rows (the model's logit rule)."""
        t, p = self.talent, self.behaviour.talent
        tier, years = t.tier[idx], t.years_in_city[idx]
        dv = self.conditions.delta_v(
            tier, years, t.wage[idx], False, self._city(), t.stock_by_tier()
        )
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
        t.changed()

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
