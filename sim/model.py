"""InnovationModel: the Mesa model wiring firms, universities, talent and funds under policy levers.

One step is one quarter. The model starts at the end of the base year (step 0, KPIs equal the
base-year data) and runs to ``run.horizon``. Yearly KPIs are collected by ``model.datacollector``.

The schedule (:meth:`InnovationModel.step`) is the only place where rules meet: each rule in
``agents/`` receives the populations it updates, its parameters, its random stream and the views
it reads (levers in force, the cost ledger, the city's conditions), and returns what it produces
(rows that exit, people who arrive, graduates, spin-offs); the schedule passes those on.

Order within a quarter (see docs/model.md section 4): levers in force (and the cultivation pool
when its size changes) -> economy -> firms plan R&D -> R&D labour market -> firms produce (R&D,
innovation, growth, exit) -> platforms at firms and institutions -> the quarter's R&D -> talent of
exited employers re-matched -> talent (leave, housing, arrive) -> funds invest -> entry and
R&D-centre arrivals. In the third quarter: national little-giant batch and the universities' year
(graduation, research, transfer, national key labs, big-science candidacy). Every quarter after
that: a quarter of the last graduation's graduates, promotions. In the fourth quarter: subsidies,
status transitions, R&D-centre registration, the cultivation pool, talent-team grants, funds'
year, cluster rounds, costs, KPIs, market depth and budget rules.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from types import SimpleNamespace
from typing import Any

import mesa
import numpy as np
from omegaconf import DictConfig

from agents import (
    clusters,
    draws,
    economy,
    entry,
    firm,
    fund,
    labour_market,
    platforms,
    rd_centres,
    statuses,
    talent,
    university,
)
from agents.categories import Structure
from agents.economy import Economy, draw
from agents.firm import Firm
from agents.fund import DealBook, Fund
from agents.population import create_row_agents, missing_agents
from agents.spillovers import Spillovers, industry_knowledge
from agents.talent import CityConditions, Talent, TalentConditions
from agents.university import University
from sim import build, kpis, region
from sim.compose import resolve_config
from sim.config import RegionConfig, SimConfig
from sim.kpis import KPI_IDS
from sim.ledger import PublicCostLedger
from sim.levers import (
    BUDGET,
    PolicyState,
    adjust_effort,
    budget_in_force,
    budget_ration,
    family_costs,
    resolve_timeline,
)

TALENT_RULES = ("flows", "graduates", "promotions")
"""The talent rules that draw from their own keyed generator each quarter (:meth:`quarter_rng`)."""

STREAMS = ("economy", "firm", "university", "talent", "fund", "entry", "market", "exogenous")
"""One random stream per subsystem, spawned from the replicate's generator in this order. The
``exogenous`` stream seeds one generator per calendar year for the yearly exogenous draws, so a
year's draws do not depend on the horizon (or on how many years are simulated after it)."""


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


@dataclass
class BaseReferences:
    """Quantities measured on the base-year populations that rules compare against."""

    firm_size: float  # median firm revenue (yuan per year)
    revenue_share: float  # firms' revenue / GDP
    little_giant_pool: int  # firms eligible as little giants
    univ_rd_per_researcher: float  # yuan per researcher-year
    rd_expenditure: float  # reported R&D, firms plus institutions (yuan)
    firm_turnover_per_knowledge: float  # technology-contract turnover per yuan of firm knowledge
    talent_stock: int  # persons
    talent_stock_by_tier: np.ndarray  # persons per tier
    talent_years: float  # mean years in the city


@dataclass
class Pending:
    """Results waiting for a later step: spin-offs, funded start-up teams and graduates."""

    spinoffs: int = 0
    team_startups: float = 0.0
    graduates: dict = field(default_factory=dict)  # per quarter, by degree
    graduate_quarters: int = 0  # quarters of the last graduation still to enter


YEAR_FLOWS = ("new_platforms", "new_rd_centres", "new_high_tech_enterprises")
"""Gross flows counted during a year (reported with the year's KPIs, then reset)."""


_POPULATIONS: dict[tuple, build.BasePopulations] = {}


def _base_populations(reg: RegionConfig, people_per_agent: int, seed: int) -> build.BasePopulations:
    """Base-year populations built once per (build inputs, scale, seed); replicates clone them."""
    key = (build.build_key(reg), people_per_agent, seed)
    if key not in _POPULATIONS:
        if len(_POPULATIONS) >= 4:
            _POPULATIONS.pop(next(iter(_POPULATIONS)))
        _POPULATIONS[key] = build.build_populations(
            reg, region.load_base_state(reg), people_per_agent, seed
        )
    return _POPULATIONS[key]


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
        super().__init__(rng=cfg.run.seed if rng is None else rng)
        self.region = cfg.region
        self.behaviour = cfg.region.behaviour
        self.base_year = cfg.region.base_year
        self.horizon = cfg.run.horizon
        self.year, self.quarter = self.base_year, 4
        self._employer_calls = 0
        self._build(cfg)
        self.datacollector = mesa.DataCollector(
            model_reporters={"year": "year", **{k: partial(_kpi, name=k) for k in KPI_IDS}}
        )
        self.kpi_values = kpis.compute(self, self.reference.rd_expenditure, 0.0)
        self.datacollector.collect(self)

    # -----------------------------------------------------------------------------------------
    # construction

    def _build(self, cfg: SimConfig) -> None:
        run, b = cfg.run, cfg.region.behaviour
        # One random stream per subsystem, spawned from the replicate's generator, so a lever that
        # changes one subsystem's draws leaves the others' draws unchanged (common random numbers).
        self.streams = SimpleNamespace(
            **dict(zip(STREAMS, self.rng.spawn(len(STREAMS)), strict=True))
        )
        if run.base_state_uncertainty:
            drawn = region.load_base_state(cfg.region).drawn(self.rng)
            pops = build.build_populations(cfg.region, drawn, run.people_per_agent, run.seed)
        else:
            pops = _base_populations(cfg.region, run.people_per_agent, run.seed).clone()
        self.base = pops.base
        self.firms, self.universities = pops.firms, pops.universities
        self.talent, self.funds = pops.talent, pops.funds
        uncertain = run.exogenous_uncertainty
        self.economy = Economy(
            cfg.region.exogenous,
            b.economy,
            self.base["gdp"],
            self.base["new_home_price"],
            self.streams.economy,
            uncertain,
        )
        self.exo_draws = self._draw_exogenous(uncertain)
        scenario = cfg.levers if cfg.run.policy == "scenario" else None
        timeline = resolve_timeline(cfg.region.policy_timeline, tuple(cfg.region.config_dirs))
        self.policy = PolicyState(scenario, cfg.reference_levers, timeline)
        self.ledger = PublicCostLedger()
        tg = cfg.targets
        self.approvals = platforms.Approvals((tg.count_from_year, tg.count_from_quarter))
        self.deals = DealBook()
        self.flows = Flows()
        self.pending = Pending()
        n_clusters = int(round(self.base["national_mfg_clusters"]))
        self.clusters = list(cfg.region.population.initial_clusters)[:n_clusters]
        pop = cfg.region.population
        self.places = Structure.of(pop)
        self.composition = entry.Composition(
            np.array([pop.industry_shares[k] for k in self.places.industries]),
            np.array([pop.zone_shares[k] for k in self.places.zones]),
            pop.revenue_per_employee_yuan,
            self.places.bonded_zone,
        )
        self.reference = self._references()
        leave, arrivals = talent.base_flows(
            self.reference.talent_stock_by_tier, self._graduates_staying(), b.talent
        )
        self.leave_base, self.arrivals_base = leave, arrivals
        fi = self.firms.live()
        self.labour = labour_market.LabourMarket(
            b.labour, float(self.firms.rd_staff[fi].sum()), self.talent.rd_capable()
        )
        self.talent_conditions = TalentConditions(b.talent, self.reference.talent_stock_by_tier)
        self.spillovers = Spillovers(
            b.spillovers,
            university.research_output(self.universities),
            platforms.count(self.firms, self.universities),
            industry_knowledge(self.firms, len(self.places.industries)),
        )
        u = self.universities
        live = u.live()
        u.rd_spend[live] = u.researchers[live] * self.reference.univ_rd_per_researcher
        # The researchers the base-year flagship money pays for are in the observed stock already.
        u.flagship_researchers[live] = np.minimum(
            university.paid_researchers(
                u.kind[live],
                cfg.reference_levers.flagship_investment_yuan_per_year,
                self.reference.univ_rd_per_researcher,
                b.university,
            ),
            u.researchers[live],
        )
        self.rd_firms_this_year = self.rd_institutions_this_year = 0.0
        self.year_flows = dict.fromkeys(YEAR_FLOWS, 0)
        self.market_depth = 1.0
        self.base_turnover_share = self.base["tech_contract_turnover"] / self.base["gdp"]
        self._assign_employers(self.talent.live())
        self._populations_ready = True
        if not cfg.run.lazy_agents:
            for cls, population in self._row_types():
                population.on_append.append(partial(create_row_agents, cls, self))
            self.materialise_agents()

    def _references(self) -> BaseReferences:
        f, u, base = self.firms, self.universities, self.base
        fi = f.live()
        univ_total = base["rd_expenditure"] * (1 - base["rd_enterprise_share"])
        univ_turnover = university.contract_turnover(u)
        t = self.talent
        heads = t.headcount[t.live()]
        return BaseReferences(
            firm_size=float(np.median(f.revenue[fi])),
            revenue_share=float(f.revenue[fi].sum()) / base["gdp"],
            little_giant_pool=max(
                int(statuses.little_giant_eligible(f, fi, self.behaviour.statuses).sum()), 1
            ),
            univ_rd_per_researcher=univ_total / max(u.researchers.sum(), 1.0),
            rd_expenditure=float(f.rd_reported[fi].sum()) + univ_total,
            firm_turnover_per_knowledge=max(base["tech_contract_turnover"] - univ_turnover, 0.0)
            / max(float(f.knowledge[fi].sum()), 1.0),
            talent_stock=t.stock(),
            talent_stock_by_tier=t.stock_by_tier().copy(),
            talent_years=float(np.average(t.years_in_city[t.live()], weights=heads)),
        )

    def _graduates_staying(self) -> dict[str, float]:
        """Graduates per degree who stay in a base year (base graduation and stay shares)."""
        pu, pt = self.behaviour.university, self.behaviour.talent
        return {
            d: float(getattr(self.universities, f"students_{d}").sum())
            * pu.graduation_rate[d]
            * pt.graduate_stay_share[d]
            for d in ("bachelor", "master", "phd")
        }

    def reseed(self, seed: np.random.SeedSequence) -> None:
        """Continue with fresh random streams from ``seed`` (a resampled particle's own future).

        Every subsystem's stream is replaced, and the exogenous draws of the years after the
        current one are drawn again from the new streams; parameters, state and the economy's
        replicate-level trends stay as they are.
        """
        rng = np.random.default_rng(seed)
        self.streams = SimpleNamespace(**dict(zip(STREAMS, rng.spawn(len(STREAMS)), strict=True)))
        self.economy.rng = self.streams.economy
        fresh = self._draw_exogenous(self.config.run.exogenous_uncertainty)
        for name, by_year in fresh.items():
            for year, value in by_year.items():
                if year > self.year:
                    self.exo_draws[name][year] = value

    def quarter_rng(self, stream: str, rule: int) -> np.random.Generator:
        """The generator of one rule's draws in the current quarter, keyed from ``stream``.

        Keyed by (year, quarter, rule), so a setting that changes how many numbers one rule
        draws leaves every other rule's and quarter's numbers as they were (common random
        numbers; :mod:`agents.draws`).
        """
        return draws.keyed(getattr(self.streams, stream), self.year, self.quarter, rule)

    def year_rng(self, year: int) -> np.random.Generator:
        """The generator of one calendar year's exogenous draws (independent of the horizon)."""
        seq = self.streams.exogenous.bit_generator.seed_seq
        return np.random.default_rng(
            np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, year))
        )

    def _draw_exogenous(self, uncertain: bool) -> dict[str, Any]:
        """Replicate-level drivers once, then each year's listing window from its own stream."""
        exo = self.region.exogenous
        spread = exo.listing_window_spread if uncertain else 0.0
        rng = self.streams.exogenous
        later_window = draw(exo.listing_window_later, rng, uncertain)
        later_batch = draw(exo.little_giant_batch_later, rng, uncertain)
        years = range(self.base_year + 1, self.horizon + 1)
        window = {
            y: float(exo.listing_window.get(y, later_window))
            * float(np.exp(self.year_rng(y).normal(0, spread)) if spread else 1.0)
            for y in years
        }
        batch = {y: float(exo.little_giant_batch.get(y, later_batch)) for y in years}
        later_round = draw(exo.national_key_lab_rounds_later, rng, uncertain)
        rounds = {y: float(exo.national_key_lab_rounds.get(y, later_round)) for y in years}
        return {"listing_window": window, "little_giant_batch": batch, "key_lab_rounds": rounds}

    # -----------------------------------------------------------------------------------------
    # Mesa agents (created when first looked at unless run.lazy_agents is false)

    def _row_types(self):
        return (
            (Firm, self.firms),
            (University, self.universities),
            (Talent, self.talent),
            (Fund, self.funds),
        )

    def materialise_agents(self) -> None:
        """Create the Mesa agents of every live row that has none yet."""
        for cls, pop in self._row_types():
            rows = missing_agents(pop)
            if len(rows):
                create_row_agents(cls, self, rows)

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

    # -----------------------------------------------------------------------------------------
    # helpers of the schedule

    @property
    def years_elapsed(self) -> float:
        """Years since the end of the base year."""
        return self.year - self.base_year - 1 + self.quarter / 4.0

    @property
    def people_per_agent(self) -> int:
        """Talent persons represented by one new talent agent (``run.people_per_agent``)."""
        return self.config.run.people_per_agent

    @property
    def now(self) -> tuple[int, int]:
        """``(year, quarter)``."""
        return self.year, self.quarter

    def talent_stock(self) -> int:
        """Talent persons in the city (sum of headcounts)."""
        return self.talent.stock()

    def platform_count(self) -> int:
        """All platforms hosted now."""
        return platforms.count(self.firms, self.universities)

    def _assign_employers(self, rows: np.ndarray) -> None:
        labour_market.assign_employers(
            self.talent,
            rows,
            self.universities,
            self.firms,
            self.behaviour.labour,
            self.quarter_rng("market", self._employer_calls),
        )
        self._employer_calls += 1

    def _city(self) -> CityConditions:
        e, lab = self.economy, self.labour
        return CityConditions(
            self.policy,
            e.house_price,
            e.house_price_base,
            lab.vacancy_rate,
            lab.vacancy_rate_base,
            e.wage_index,
            e.outside_wage_index,
        )

    # -----------------------------------------------------------------------------------------
    # schedule

    def step(self) -> None:
        """Advance one quarter."""
        if not self.running:
            return
        if self.quarter == 4:
            self.year, self.quarter = self.year + 1, 1
            self.economy.start_year(self.year)
            self.market_depth = university.deepen_market(
                self.market_depth, self.base_turnover_share, self.behaviour.university
            )
        else:
            self.quarter += 1
        self._employer_calls = 0
        b, s, pol = self.behaviour, self.streams, self.policy
        pool_before = pol.levers.cultivation_pool_size
        pol.update(self.year, self.quarter)
        # The cap (or the city's budget capacity) binds within the year: outlays stop at it.
        self.ledger.cap = budget_in_force(pol, BUDGET * self.base["gdp"])
        if pol.levers.cultivation_pool_size != pool_before:
            platforms.refresh_cultivation_pool(self.firms, pol.levers.cultivation_pool_size)
        self.economy.step_quarter(self.talent_stock() / self.reference.talent_stock)
        self._firms_quarter()
        self._platforms_quarter()
        self.rd_firms_this_year += firm.reported_total(self.firms) / 4.0
        self.rd_institutions_this_year += university.rd_spending(
            self.universities, self.reference.univ_rd_per_researcher, self.economy.wage_index
        )
        self._assign_employers(labour_market.orphans(self.talent, self.firms))
        self._talent_quarter()
        fund.step_quarter(
            self.funds,
            self.firms,
            self.deals,
            b.fund,
            s.fund,
            self.year + (self.quarter - 1) / 4,
            policy=self.policy,
            ledger=self.ledger,
        )
        self._entry_quarter()
        if self.quarter == 3:
            statuses.select_little_giants(
                self.firms,
                self.exo_draws["little_giant_batch"][self.year],
                self.reference.little_giant_pool,
                b.statuses,
                s.firm,
            )
            self._universities_year()
        self._graduates_quarter()
        self._assign_employers(
            talent.promote(
                self.talent,
                b.talent,
                self.quarter_rng("talent", TALENT_RULES.index("promotions")),
                self.people_per_agent,
                self.year,
            )
        )
        if self.quarter == 4:
            self._year_end()

    def _firms_quarter(self) -> None:
        b, f = self.behaviour, self.firms
        idx = f.live()
        notch = b.statuses.hte_rd_intensity_threshold
        plan = firm.plan_rd(f, idx, b.firm, self.policy, notch)
        fill = self.labour.fill(
            plan.posts_fte(b.firm.rd_cost_per_fte_yuan), self.talent.rd_capable()
        )
        spill = self.spillovers.firm_multiplier(
            f, idx, university.research_output(self.universities), self.platform_count()
        )
        drift = economy.revenue_drift_per_quarter(
            float(f.revenue[idx].sum()),
            self.economy.gdp,
            self.reference.revenue_share,
            self.economy.drift_per_quarter,
            b.economy.revenue_share_pressure,
        )
        exited = firm.produce(
            f,
            plan,
            fill,
            b.firm,
            self.streams.firm,
            notch_intensity=notch,
            levers=self.policy.levers,
            ledger=self.ledger,
            spillover=spill,
            drift_per_quarter=drift,
            size_ref=self.reference.firm_size,
            revenue_per_employee=self.region.population.revenue_per_employee_yuan,
        )
        f.remove(exited)

    def _platforms_quarter(self) -> None:
        """Platform formation and closure at firms and institutions (quarterly)."""
        b, s = self.behaviour, self.streams
        before = sum(self.approvals.this_year.values())
        kw = {"policy": self.policy, "ledger": self.ledger, "approvals": self.approvals}
        platforms.create_at_firms(self.firms, b.platforms, s.firm, now=self.now, **kw)
        platforms.create_at_universities(
            self.universities, b.platforms, s.university, now=self.now, **kw
        )
        self.year_flows["new_platforms"] += sum(self.approvals.this_year.values()) - before

    def _graduates_quarter(self) -> None:
        """A quarter of the last graduation's graduates enter the city's labour market."""
        pend = self.pending
        if pend.graduate_quarters <= 0:
            return
        pend.graduate_quarters -= 1
        persons, rows = talent.graduate_inflow(
            self.talent,
            pend.graduates,
            self.behaviour.talent,
            self.quarter_rng("talent", TALENT_RULES.index("graduates")),
            conditions=self.talent_conditions,
            city=self._city(),
            people_per_agent=self.people_per_agent,
            year=self.year,
        )
        self._assign_employers(rows)
        self.flows.add("inflow_graduates", persons)

    def _talent_quarter(self) -> None:
        b = self.behaviour
        pool = (1.0 + self.economy.outside_pool_growth) ** self.years_elapsed
        flows = talent.step_quarter(
            self.talent,
            b.talent,
            self.quarter_rng("talent", TALENT_RULES.index("flows")),
            conditions=self.talent_conditions,
            city=self._city(),
            ledger=self.ledger,
            leave_base=self.leave_base,
            arrivals_base=self.arrivals_base,
            years_ref=self.reference.talent_years,
            outside_pool_factor=pool,
            people_per_agent=self.config.run.people_per_agent,
            year=self.year,
        )
        self._assign_employers(flows.arrival_rows)
        self.flows.add("outflow_leave", flows.leavers)
        self.flows.add("outflow_retire", flows.retirees)
        self.flows.add("inflow_arrivals", flows.arrivals)

    def _entry_quarter(self) -> None:
        b, pop = self.behaviour, self.region.population
        persons = self.talent_stock()
        spinoffs, self.pending.spinoffs = self.pending.spinoffs, 0
        self.pending.team_startups = entry.step_quarter(
            self.firms,
            b.entry,
            self.streams.entry,
            talent_persons=persons,
            spinoffs=spinoffs,
            team_startups=self.pending.team_startups,
            composition=self.composition,
            year=self.year,
        )
        arrived = rd_centres.arrivals(
            self.firms,
            b.rd_centres,
            self.streams.entry,
            policy=self.policy,
            ledger=self.ledger,
            talent_ratio=persons / self.reference.talent_stock,
            year=self.year,
            places=self.places,
            zone_p=self.composition.zone_p,
            revenue_per_employee=pop.revenue_per_employee_yuan,
        )
        if self.policy.levers.centre_registration_open:
            self.year_flows["new_rd_centres"] += len(arrived)

    def _universities_year(self) -> None:
        b, s = self.behaviour, self.streams
        out = university.step_year(
            self.universities,
            b.university,
            s.university,
            policy=self.policy,
            ledger=self.ledger,
            gdp_growth_last_year=self.economy.growth_last_year,
            rd_per_researcher=self.reference.univ_rd_per_researcher,
            market_depth=self.market_depth,
        )
        self.pending.spinoffs += out.spinoffs
        university.found_new_type_institutions(
            self.universities, b.university, s.university, policy=self.policy, ledger=self.ledger
        )
        self.pending.graduates = {d: g / 4.0 for d, g in out.graduates.items()}
        self.pending.graduate_quarters = 4
        before = sum(self.approvals.this_year.values())
        platforms.national_key_labs(
            self.universities,
            b.platforms,
            s.university,
            self.exo_draws["key_lab_rounds"][self.year],
            policy=self.policy,
            ledger=self.ledger,
            approvals=self.approvals,
            now=self.now,
        )
        self.year_flows["new_platforms"] += sum(self.approvals.this_year.values()) - before
        university.big_science_candidacy(self.universities, b.university, s.university)

    def _year_end(self) -> None:
        year, b, s, pol = self.year, self.behaviour, self.streams, self.policy
        f = self.firms
        firm.pay_rd_subsidies(f, pol, self.ledger)
        self.year_flows["new_high_tech_enterprises"] += statuses.update_high_tech(
            f, b.statuses, s.firm, b.firm.relabel_share_hte, pol.levers.recognition_campaign
        )
        window = self.exo_draws["listing_window"][year]
        self.new_listings = len(statuses.update_listing(f, window, b.statuses, s.firm))
        registered = rd_centres.register(f, b.rd_centres, s.firm, pol, self.ledger)
        self.year_flows["new_rd_centres"] += len(registered)
        platforms.refresh_cultivation_pool(f, pol.levers.cultivation_pool_size)
        self.pending.team_startups += talent.book_programmes(pol, self.ledger)
        fund.step_year(
            self.funds, f, self.deals, b.fund, s.fund, policy=pol, ledger=self.ledger, year=year
        )
        if year in self.region.exogenous.cluster_round_years:
            self.clusters.extend(
                clusters.cluster_round(
                    f,
                    self.clusters,
                    b.clusters,
                    s.market,
                    self.places.industries,
                    self.places.candidates,
                )
            )
        rd = self.rd_firms_this_year + self.rd_institutions_this_year
        self.rd_firms_this_year = self.rd_institutions_this_year = 0.0
        self.economy.close_year()
        local, gross = self.ledger.local_total(), self.ledger.outlays()
        demand = self.ledger.demand
        costs = self.ledger.close_year(year)
        self.flows.close(year, self.talent_stock())
        self.kpi_values = kpis.compute(self, rd, local, gross)
        kpis.check_finite(self.kpi_values, year)
        self.year_flows = dict.fromkeys(YEAR_FLOWS, 0)
        self.approvals.close_year()
        self._budget_rules(costs, demand)
        self.datacollector.collect(self)
        if year >= self.horizon:
            self.running = False

    def _budget_rules(self, costs: dict[str, float], demand: float) -> None:
        """Budget cap (next year's ration from the outlays asked for) and evaluate-and-adjust."""
        lv, pol = self.policy.levers, self.policy
        pol.ration = budget_ration(demand, self.ledger.cap, pol.ration)
        if not lv.evaluate_and_adjust:
            return
        pol.effort = adjust_effort(pol.effort, self.progress(), family_costs(costs), lv.adjust_step)

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
        return list(self.ledger.history)


def _kpi(model: InnovationModel, name: str) -> float:
    return model.kpi_values[name]
