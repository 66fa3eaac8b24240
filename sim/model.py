"""InnovationModel: the Mesa model wiring firms, universities, talent and funds under policy levers.

One step is one quarter. The model starts at the end of the base year (step 0, KPIs equal the
base-year data) and runs to ``run.horizon``. Yearly KPIs are collected by ``model.datacollector``.

Order within a quarter (see docs/model.md): levers in force (and the cultivation pool when the
scenario starts) -> economy -> firms (R&D, hiring, innovation, growth, exit) -> universities (R&D)
-> talent of exited employers re-matched -> talent (leave, housing, arrive) -> funds (invest) ->
entry. In the third quarter: national little-giant batch, the universities' year (graduation,
research, transfer, platforms, big-science candidacy) and graduate inflow. In the fourth quarter:
subsidies, status transitions, platforms, promotions, funds' exits and credit, cluster rounds,
costs, budget rules and KPIs.
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from types import SimpleNamespace
from typing import Any

import mesa
import numpy as np
from omegaconf import DictConfig, OmegaConf

from agents import entry, firm, fund, talent, university
from agents.categories import PLATFORM_KINDS, TIERS
from agents.firm import Firm
from agents.fund import CREDIT, DealBook, Fund
from agents.population import create_row_agents, missing_agents, remove_row_agents
from agents.talent import Talent, TalentConditions, tier_vector
from agents.university import University
from sim import kpis, markets, region
from sim.config import KPI_IDS, RegionConfig, SimConfig, to_sim_config
from sim.economy import Economy, draw
from sim.levers import LEVER_FAMILY_OF_COST, Government, PolicyState
from sim.spillovers import Spillovers

GROUPS = ("region", "levers", "reference_levers", "targets", "run")
STREAMS = ("economy", "firm", "university", "talent", "fund", "entry", "market")


class PlatformLedger:
    """Counts platform approvals since the three-year window opened and books their awards."""

    def __init__(self, model: InnovationModel) -> None:
        self.model = model
        self.approved: dict[str, int] = dict.fromkeys(PLATFORM_KINDS, 0)

    def approve(self, kind: str, n: int) -> None:
        """Record ``n`` newly approved platforms of ``kind`` and pay their awards."""
        if n <= 0:
            return
        m = self.model
        m.gov.book("platform_awards", n * m.policy.platform_award(kind))
        if (m.year, m.quarter) >= m.window_start:
            self.approved[kind] += n


class Flows:
    """Yearly talent flows (persons) for the conservation identity."""

    def __init__(self) -> None:
        self.year: dict[str, int] = defaultdict(int)
        self.history: list[dict[str, Any]] = []

    def add(self, name: str, persons: int) -> None:
        """Add persons to a flow of the current year."""
        self.year[name] += int(persons)

    def close(self, year: int, stock: int) -> None:
        """Record the year's flows with the end-of-year stock."""
        self.history.append({"year": year, "stock": stock, **self.year})
        self.year = defaultdict(int)


def _overrides_from_kwargs(kwargs: dict[str, Any]) -> list[str]:
    out = []
    for key, value in kwargs.items():
        key = key.replace("__", ".")
        if isinstance(value, list | tuple):
            value = "[" + ",".join(str(v) for v in value) + "]"
        elif isinstance(value, bool):
            value = str(value).lower()
        out.append(f"{key}={value}")
    return out


def resolve_config(
    config: SimConfig | DictConfig | dict | None, kwargs: dict[str, Any]
) -> SimConfig:
    """Config from an explicit config plus keyword overrides, or from the Changsha defaults.

    Keyword overrides use Hydra syntax with dots (``**{"levers.adjust_step": 0.3}``) or double
    underscores (``levers__adjust_step=0.3``); a group name selects a preset
    (``levers="baseline"``).
    """
    from sim.compose import load_config  # local: Hydra is only needed when composing

    overrides = _overrides_from_kwargs(kwargs)
    if config is None:
        return load_config(overrides)
    if not overrides:
        return to_sim_config(config)
    base = (
        OmegaConf.structured(config) if isinstance(config, SimConfig) else OmegaConf.create(config)
    )
    for ov in overrides:
        key, value = ov.split("=", 1)
        OmegaConf.update(base, key, OmegaConf.create({"v": value})["v"] if value else value)
    return to_sim_config(base)


_POPULATIONS: dict[tuple, tuple] = {}


def _base_populations(reg: RegionConfig, people_per_agent: int, seed: int):
    """Base-year populations built once per (build inputs, scale, seed); replicates clone them."""
    key = (region.build_key(reg), people_per_agent, seed)
    if key not in _POPULATIONS:
        if len(_POPULATIONS) >= 4:
            _POPULATIONS.pop(next(iter(_POPULATIONS)))
        _POPULATIONS[key] = _build_populations(
            reg, region.load_base_state(reg), people_per_agent, seed
        )
    return _POPULATIONS[key]


def _build_populations(reg: RegionConfig, base: region.BaseState, people_per_agent: int, seed: int):
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    firms = region.build_firms(reg, base, rng)
    univ = region.build_universities(reg, base, rng)
    region.place_platforms(reg, base, firms, univ, rng)
    tal = region.build_talent(reg, base, people_per_agent, rng)
    funds = region.build_funds(reg, rng)
    return base, firms, univ, tal, funds


class InnovationModel(mesa.Model):
    """Agent-based model of a city's innovation ecosystem under policy levers.

    Args:
        config: A :class:`SimConfig` or composed Hydra config; ``None`` = Changsha defaults.
        rng: Seed or generator of this replicate (default: ``run.seed``).
        **overrides: Hydra-style overrides, e.g. ``levers="baseline"`` or
            ``**{"levers.housing_eligibility_months": 3}``.

    Examples:
        >>> model = InnovationModel(levers="baseline", **{"run.people_per_agent": 1000})
        >>> while model.running:
        ...     model.step()
    """

    def __init__(
        self, config: SimConfig | DictConfig | None = None, *, rng: Any = None, **overrides: Any
    ) -> None:
        cfg = resolve_config(config, overrides)
        self.config = cfg
        self._populations_ready = False
        self._tier_stock = None
        self.lazy_agents = cfg.run.lazy_agents
        super().__init__(rng=cfg.run.seed if rng is None else rng)
        self.region = cfg.region
        self.behaviour = cfg.region.behaviour
        self.base_year = cfg.region.base_year
        self.horizon = cfg.run.horizon
        self.people_per_agent = cfg.run.people_per_agent
        self.year, self.quarter = self.base_year, 4
        tg = cfg.targets
        self.window_start = (tg.count_from_year, tg.count_from_quarter)
        self._build(cfg)
        self.datacollector = mesa.DataCollector(
            model_reporters={"year": "year", **{k: partial(_kpi, name=k) for k in KPI_IDS}}
        )
        self.kpi_values = kpis.compute(self, self.rd_expenditure_base, 0.0)
        self.datacollector.collect(self)

    # -----------------------------------------------------------------------------------------
    # construction

    def _build(self, cfg: SimConfig) -> None:
        run = cfg.run
        # One random stream per subsystem, spawned from the replicate's generator, so a lever that
        # changes one subsystem's draws leaves the others' draws unchanged (common random numbers).
        self.streams = SimpleNamespace(
            **dict(zip(STREAMS, self.rng.spawn(len(STREAMS)), strict=True))
        )
        if run.base_state_uncertainty:
            base = region.load_base_state(cfg.region).drawn(self.rng)
            base, firms, univ, tal, funds = _build_populations(
                cfg.region, base, run.people_per_agent, run.seed
            )
        else:
            cached = _base_populations(cfg.region, run.people_per_agent, run.seed)
            base, firms, univ, tal, funds = cached[0], *(p.clone() for p in cached[1:])
        self.base = base
        self.firms, self.universities, self.talent, self.funds = firms, univ, tal, funds
        uncertain = run.exogenous_uncertainty
        self.economy = Economy(
            cfg.region.exogenous,
            base["gdp"],
            base["new_home_price"],
            self.streams.economy,
            uncertain,
        )
        self.exo_draws = self._draw_exogenous(uncertain)
        self.policy = PolicyState(
            cfg.levers, cfg.reference_levers, self.behaviour.entry.centre_investment_yuan
        )
        self.gov = Government()
        self.platform_ledger = PlatformLedger(self)
        self.deals = DealBook()
        self.flows = Flows()
        self.clusters = list(cfg.region.population.initial_clusters)[
            : int(round(base["national_mfg_clusters"]))
        ]
        self.guidance_fund_row = 0
        self.credit_row = int(np.flatnonzero(funds.kind == CREDIT)[0])
        self.pending_spinoffs = 0
        self.pending_team_startups = 0.0
        self.talent_graduates: dict[str, float] = {}
        # Reference values measured on the base-year population.
        fi = firms.live()
        self.firm_size_ref = float(np.median(firms.revenue[fi]))
        self.revenue_share_base = float(firms.revenue[fi].sum()) / base["gdp"]
        self.little_giant_pool_ref = max(int(firm.little_giant_eligible(self, fi).sum()), 1)
        univ_total = base["rd_expenditure"] * (1 - base["rd_enterprise_share"])
        self.univ_rd_per_researcher = univ_total / max(univ.researchers.sum(), 1.0)
        self.univ_rd_this_year = 0.0
        self.firm_rd_this_year = 0.0
        self.rd_expenditure_base = float(firms.rd_reported[fi].sum()) + univ_total
        univ_turnover = float(univ.contract_turnover.sum())
        self.firm_turnover_per_knowledge = max(
            base["tech_contract_turnover"] - univ_turnover, 0.0
        ) / max(float(firms.knowledge[fi].sum()), 1.0)
        self.talent_stock_base = self.talent_stock()
        self.talent_stock_base_by_tier = self.talent_stock_by_tier().copy()
        heads = tal.headcount[tal.live()]
        self.talent_years_ref = float(np.average(tal.years_in_city[tal.live()], weights=heads))
        self._calibrate_talent_flows()
        self.labour = markets.LabourMarket(self, float(firms.rd_staff[fi].sum()))
        self.talent_conditions = TalentConditions(self)
        self.spillovers = Spillovers(self)
        univ.rd_spend[univ.live()] = univ.researchers[univ.live()] * self.univ_rd_per_researcher
        self.labour.assign_employers(tal.live())
        self._populations_ready = True
        if not self.lazy_agents:
            self.materialise_agents()

    def _draw_exogenous(self, uncertain: bool) -> dict[str, Any]:
        exo = self.region.exogenous
        spread = exo.listing_window_spread if uncertain else 0.0
        rng = self.streams.economy
        later_window = draw(exo.listing_window_later, rng, uncertain)
        later_batch = draw(exo.little_giant_batch_later, rng, uncertain)
        years = range(self.base_year + 1, self.horizon + 1)
        window = {
            y: float(exo.listing_window.get(y, later_window))
            * float(np.exp(rng.normal(0, spread)) if spread else 1.0)
            for y in years
        }
        batch = {y: float(exo.little_giant_batch.get(y, later_batch)) for y in years}
        return {"listing_window": window, "little_giant_batch": batch}

    def _calibrate_talent_flows(self) -> None:
        """Base leave rates and the arrivals that give the base growth rate at base-year policy."""
        p, pu = self.behaviour.talent, self.behaviour.university
        stock = self.talent_stock_base_by_tier
        leave = tier_vector(p.leave_rate_base)
        promo = tier_vector(p.promotion_rate)
        grads = {
            d: float(getattr(self.universities, f"students_{d}").sum())
            * pu.graduation_rate[d]
            * pu.graduate_stay_share[d]
            for d in ("bachelor", "master", "phd")
        }
        grad_in = np.zeros(len(TIERS))
        grad_in[TIERS.index("graduate")] = grads["bachelor"] + grads["master"]
        grad_in[TIERS.index("young")] = grads["phd"]
        promo_in = np.append(promo[1:] * stock[1:], 0.0)  # tier k gains from tier k+1
        need = (
            stock * (p.arrival_growth_base + leave + p.retirement_rate)
            - grad_in
            + promo * stock
            - promo_in
        )
        self.leave_base = leave
        self.arrivals_base = np.maximum(need, 0.0)

    # -----------------------------------------------------------------------------------------
    # helpers used by the agent rules

    @property
    def years_elapsed(self) -> float:
        """Years since the end of the base year."""
        return self.year - self.base_year - 1 + self.quarter / 4.0

    def talent_stock(self) -> int:
        """Talent persons in the city (sum of headcounts)."""
        return int(round(float(self.talent_stock_by_tier().sum())))

    def talent_stock_by_tier(self) -> np.ndarray:
        """Talent persons per tier (cached until the talent population changes; do not modify)."""
        if self._tier_stock is None:
            t = self.talent
            idx = t.live()
            self._tier_stock = np.bincount(
                t.tier[idx], weights=t.headcount[idx], minlength=len(TIERS)
            )
        return self._tier_stock

    def talent_changed(self) -> None:
        """Forget cached talent counts (call after changing headcounts, tiers or rows)."""
        self._tier_stock = None

    def rd_talent_stock(self) -> float:
        """Persons in the R&D-capable tiers (top to young researchers)."""
        return float(self.talent_stock_by_tier()[markets.RD_TIERS].sum())

    def revenue_drift_per_quarter(self) -> float:
        """Firms' log revenue drift: GDP growth, less pressure when they outgrow the economy."""
        f = self.firms
        share = float(f.revenue[f.live()].sum()) / self.economy.gdp
        excess = np.log(max(share, 1e-12) / self.revenue_share_base)
        pressure = self.behaviour.market.revenue_share_pressure * max(excess, 0.0)
        return self.economy.drift_per_quarter - pressure / 4.0

    def transfer_market_depth(self) -> float:
        """Technology-market depth relative to the base year (grows at transfer_market_growth)."""
        growth = self.behaviour.university.transfer_market_growth
        return (1.0 + growth) ** (self.year - self.base_year)

    def platform_count(self) -> int:
        """All platforms hosted now."""
        return kpis.platform_count(self)

    def create_firm_agents(self, rows: np.ndarray) -> None:
        """Mesa agents for new firm rows (at once, or when agents are next looked at)."""
        if not self.lazy_agents:
            create_row_agents(Firm, self, rows)

    def create_talent_agents(self, rows: np.ndarray) -> None:
        """Mesa agents for new talent rows (at once, or when agents are next looked at)."""
        if not self.lazy_agents:
            create_row_agents(Talent, self, rows)

    def create_fund_agents(self, rows: np.ndarray) -> None:
        """Mesa agents for new fund rows (at once, or when agents are next looked at)."""
        if not self.lazy_agents:
            create_row_agents(Fund, self, rows)

    def materialise_agents(self) -> None:
        """Create the Mesa agents of every live row that has none yet."""
        for cls, pop in self._row_types():
            rows = missing_agents(pop)
            if len(rows):
                create_row_agents(cls, self, rows)

    def _row_types(self):
        return (
            (Firm, self.firms),
            (University, self.universities),
            (Talent, self.talent),
            (Fund, self.funds),
        )

    @property
    def agents(self):
        """All agents (Mesa's AgentSet); rows without a Mesa agent get one first."""
        if self._populations_ready:
            self.materialise_agents()
        return super().agents

    @agents.setter
    def agents(self, value) -> None:
        mesa.Model.agents.fset(self, value)

    @property
    def agents_by_type(self):
        """Agents by type (Mesa's dict of AgentSets); rows without a Mesa agent get one first."""
        if self._populations_ready:
            self.materialise_agents()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        """Agent types of the model."""
        if self._populations_ready:
            self.materialise_agents()
        return super().agent_types

    def remove_talent_agents(self, rows: np.ndarray) -> None:
        """Remove talent agents whose headcount reached zero."""
        remove_row_agents(self.talent, rows)
        self.talent_changed()

    def on_firm_exit(self, rows: np.ndarray) -> None:
        """Firms exit: their Mesa agents are removed; platforms and posts go with them."""
        remove_row_agents(self.firms, rows)

    def pay_centre_awards(self, rows: np.ndarray) -> None:
        """One-off awards (and bonded customs refunds) for newly registered R&D centres."""
        if len(rows) == 0:
            return
        award = self.policy.centre_award_by_code()[self.firms.centre_type[rows]]
        self.gov.book("centre_awards", float(award.sum()))
        self.firms.award_pool[rows] += award
        bonded = self.firms.centre_type[rows] == firm.CENTRE_CODE["bonded"]
        refund = self.policy.levers.bonded_customs_refund_cap_yuan * self.policy.scale("A")
        self.gov.book("bonded_customs_refund", float(bonded.sum()) * refund)

    # -----------------------------------------------------------------------------------------
    # schedule

    def step(self) -> None:
        """Advance one quarter."""
        if not self.running:
            return
        if self.quarter == 4:
            self.year, self.quarter = self.year + 1, 1
            self.economy.start_year(self.year)
        else:
            self.quarter += 1
        was_active = self.policy.active
        self.policy.update(self.year, self.quarter)
        if self.policy.active and not was_active:
            firm.refresh_cultivation_pool(self, self.policy.levers.cultivation_pool_size)
        market = self.behaviour.market
        self.economy.step_quarter(
            self.talent_stock() / self.talent_stock_base, market.house_price_talent_elasticity
        )
        firm.step_quarter(self)
        self.firm_rd_this_year += float(self.firms.rd_reported[self.firms.live()].sum()) / 4.0
        university.step_quarter(self)
        self.labour.reassign_orphans()
        talent.step_quarter(self)
        fund.step_quarter(self)
        entry.step_quarter(self)
        if self.quarter == 3:
            firm.select_little_giants(self, self.exo_draws["little_giant_batch"][self.year])
            university.step_year(self)
            talent.graduate_inflow(self)
        if self.quarter == 4:
            self._year_end()

    def _year_end(self) -> None:
        year = self.year
        firm.pay_rd_subsidies(self)
        firm.update_high_tech(self)
        new_listed = firm.update_listing(self, self.exo_draws["listing_window"][year])
        self.new_listings = len(new_listed)
        firm.register_centres(self)
        firm.update_platforms(self)
        firm.refresh_cultivation_pool(
            self, self.policy.levers.cultivation_pool_size if self.policy.active else 0
        )
        talent.promote(self)
        talent.book_programmes(self)
        fund.step_year(self)
        if year in self.region.exogenous.cluster_round_years:
            markets.cluster_round(self)
        rd = self.firm_rd_this_year + self.univ_rd_this_year
        self.firm_rd_this_year = self.univ_rd_this_year = 0.0
        self.economy.close_year()
        local = self.gov.local_total()
        costs = self.gov.close_year(year)
        self.flows.close(year, self.talent_stock())
        self.kpi_values = kpis.compute(self, rd, local)
        kpis.check_finite(self.kpi_values, year)
        self._budget_rules(costs, local)
        self.datacollector.collect(self)
        if year >= self.horizon:
            self.running = False

    def _budget_rules(self, costs: dict[str, float], local: float) -> None:
        """Budget cap (ration next year's money levers) and evaluate-and-adjust."""
        lv, pol = self.policy.levers, self.policy
        if not pol.active:
            return
        pol.ration = Government.budget_ration(local, lv.budget_cap_yuan_per_year, pol.ration)
        if not lv.evaluate_and_adjust:
            return
        family_cost: dict[str, float] = defaultdict(float)
        for name, yuan in costs.items():
            fam = LEVER_FAMILY_OF_COST.get(name)
            if fam:
                family_cost[fam] += max(yuan, 0.0)
        pol.effort = Government.adjust_effort(
            pol.effort, self.progress(), family_cost, lv.adjust_step
        )

    def progress(self) -> dict[str, float]:
        """Progress of each target towards its next deadline (1 = on the straight-line path)."""
        out: dict[str, float] = {}
        base = self.datacollector.model_vars
        for t in self.config.targets.targets:
            if t.year < self.year or t.id in out:
                continue
            now, start = self.kpi_values[t.kpi], base[t.kpi][0]
            if t.kpi == "rd_growth":
                out[t.id] = now / t.threshold if t.threshold else 2.0
                continue
            gap = t.threshold - start
            if gap <= 0:
                out[t.id] = 2.0
                continue
            elapsed = (self.year - self.base_year) / max(t.year - self.base_year, 1)
            out[t.id] = (now - start) / gap / max(elapsed, 1e-9)
        return out

    # -----------------------------------------------------------------------------------------
    # results

    def kpi_frame(self):
        """Yearly KPIs as a wide DataFrame indexed by year."""
        return self.datacollector.get_model_vars_dataframe().set_index("year")

    def cost_records(self) -> list[tuple[int, str, float]]:
        """Booked public cost: (year, lever, yuan)."""
        return list(self.gov.history)


def _kpi(model: InnovationModel, name: str) -> float:
    return model.kpi_values[name]
