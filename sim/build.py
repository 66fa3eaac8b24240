"""Base-year agent populations built from a region's data file and its composition assumptions.

The data file gives city totals (high-tech enterprises, talent, platforms, ...; see
:mod:`sim.region`); :class:`PopulationConfig` (``region.population``) says how to split them into
agents where data is missing (industry, zone and ownership shares, size distributions, ...).
Firm R&D is scaled so that reported firm R&D equals the enterprise share of the city's R&D.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.categories import DEGREES, OWNERSHIPS, TIERS, UNIVERSITY_KINDS, Structure
from agents.firm import CENTRE_CODE, FirmState
from agents.fund import CREDIT, GUIDANCE, VC, FundState
from agents.params import ConfigError, param
from agents.talent import TalentState
from agents.university import UniversityState
from sim.region import BaseState


@dataclass
class PopulationConfig:
    """How the base-year totals are split into agents (assumptions where data is missing)."""

    other_rd_firms: int = param(
        3000,
        low=1500,
        high=6000,
        unit="count",
        source="assumption; R&D-performing firms that are neither HTE nor tech SME",
        city="changsha",
        rule="sim.build.build_firms",
    )
    tech_sme_hte_overlap: float = param(
        0.5, low=0.2, high=0.8, unit="share", source="assumption", rule="sim.build.build_firms"
    )
    industry_shares: dict = param(
        {},
        low=0.0,
        high=1.0,
        unit="share",
        source="the region's own industries (region config); Changsha: assumption from industry "
        "chain reports",
        rule="sim.build.build_firms",
    )
    zone_shares: dict = param(
        {},
        low=0.0,
        high=1.0,
        unit="share",
        source="the region's own zones (region config); assumption",
        rule="sim.build.build_firms",
    )
    catch_all_industry: str = param(
        "",
        low=0,
        high=0,
        unit="industry name",
        source="structure: the industry of industry_shares holding everything else (never a "
        "cluster candidate); empty = none",
        rule="agents.clusters.cluster_round",
    )
    special_zones: dict = param(
        {},
        low=0,
        high=0,
        unit="role -> zone name",
        source="structure: {bonded: <zone>} names the zone where bonded R&D (A5) applies; "
        "empty = the city has no bonded zone",
        rule="agents.firm.marginal_support",
    )
    ownership_shares: dict = param(
        {"private": 0.86, "soe": 0.08, "foreign": 0.045, "fortune500_affiliate": 0.015},
        low=0.0,
        high=1.0,
        unit="share",
        source="assumption",
        rule="sim.build.build_firms",
    )
    revenue_median_yuan: float = param(
        3.0e7,
        low=1.0e7,
        high=1.0e8,
        unit="yuan per year",
        source="assumption",
        rule="sim.build.build_firms",
    )
    revenue_log_sd: float = param(
        1.6,
        low=1.0,
        high=2.2,
        unit="log yuan",
        source="assumption; Zipf-like upper tail",
        rule="sim.build.build_firms",
    )
    rd_intensity_log_sd: float = param(
        0.6, low=0.3, high=1.0, unit="log share", source="assumption", rule="sim.build.build_firms"
    )
    firm_age_mean_years: float = param(
        8.0,
        low=4.0,
        high=12.0,
        unit="years",
        source="SAIC (2013) age structure",
        rule="sim.build.build_firms",
    )
    revenue_per_employee_yuan: float = param(
        1.0e6,
        low=5.0e5,
        high=2.0e6,
        unit="yuan per employee",
        source="assumption",
        rule="sim.build.build_firms",
    )
    research_institutes: int = param(
        97,
        low=80,
        high=120,
        unit="count",
        source="'97 independent research institutes' (2019)",
        city="changsha",
        rule="sim.build.build_universities",
    )
    new_type_institutions: int = param(
        50,
        low=20,
        high=100,
        unit="count",
        source="assumption",
        city="changsha",
        rule="sim.build.build_universities",
    )
    flagship_labs: int = param(
        4,
        low=2,
        high=8,
        unit="count",
        source="'4+4' flagship labs of Hunan",
        city="changsha",
        rule="sim.build.build_universities",
    )
    degree_shares: dict = param(
        {"bachelor": 0.86, "master": 0.12, "phd": 0.02},
        low=0.0,
        high=1.0,
        unit="share",
        source="assumption",
        rule="sim.build.build_universities",
    )
    researchers: int = param(
        40000,
        low=25000,
        high=60000,
        unit="persons",
        source="assumption; university and institute researchers",
        city="changsha",
        rule="sim.build.build_universities",
    )
    tier_shares: dict = param(
        {"top": 0.0002, "leading": 0.002, "high_level": 0.02, "young": 0.30, "graduate": 0.6778},
        low=0.0,
        high=1.0,
        unit="share",
        source="assumption",
        rule="sim.build.build_talent",
    )
    national_innovation_centres: int = param(
        3,
        low=1,
        high=6,
        unit="count",
        source="assumption",
        city="changsha",
        rule="sim.build.place_platforms",
    )
    national_enterprise_tech_centres: int = param(
        40,
        low=25,
        high=60,
        unit="count",
        source="assumption",
        city="changsha",
        rule="sim.build.place_platforms",
    )
    firm_platform_share: float = param(
        0.55,
        low=0.4,
        high=0.7,
        unit="share",
        source="assumption; share of provincial/municipal platforms hosted by firms",
        rule="sim.build.place_platforms",
    )
    guidance_fund_capital_yuan: float = param(
        5.0e9,
        low=2.0e9,
        high=1.0e10,
        unit="yuan",
        source="assumption",
        city="changsha",
        rule="sim.build.build_funds",
    )
    vc_funds: int = param(
        60,
        low=20,
        high=150,
        unit="count",
        source="assumption",
        city="changsha",
        rule="sim.build.build_funds",
    )
    vc_capital_yuan: float = param(
        3.0e10,
        low=1.0e10,
        high=6.0e10,
        unit="yuan",
        source="assumption",
        city="changsha",
        rule="sim.build.build_funds",
    )
    initial_clusters: list = param(
        [],
        low=0,
        high=0,
        unit="industry names",
        source="the region's national clusters in the order they won (region config; Changsha: "
        "MIIT rounds 2021, 2022); at least national_mfg_clusters of the base file",
        rule="sim.model.InnovationModel._build",
    )
    other_rd_intensity_share: float = param(
        0.6,
        low=0.3,
        high=0.9,
        unit="share of the high-tech notch",
        source="assumption; R&D intensity of non-certified R&D performers relative to the notch",
        rule="sim.build.build_firms",
    )
    knowledge_growth_rate: float = param(
        0.1,
        low=0.0,
        high=0.2,
        unit="share per year",
        source="assumption; steady-state R&D capital K = R / (depreciation + growth)",
        rule="sim.build.build_firms",
    )
    listed_size_exponent: float = param(
        1.5,
        low=0.5,
        high=3.0,
        unit="exponent",
        source="assumption; listed firms are drawn with weight revenue ** exponent",
        rule="sim.build.build_firms",
    )
    listed_min_age_years: float = param(
        5.0,
        low=3.0,
        high=15.0,
        unit="years",
        source="assumption; listed firms of the base year are established firms",
        rule="sim.build.build_firms",
    )
    researcher_shares: dict = param(
        {
            "university": 0.6,
            "research_institute": 0.25,
            "new_type_institution": 0.1,
            "flagship_lab": 0.05,
        },
        low=0.0,
        high=1.0,
        unit="share",
        source="assumption; researchers by kind of institution",
        rule="sim.build.build_universities",
    )
    researcher_size_log_sd: float = param(
        0.8,
        low=0.3,
        high=1.5,
        unit="log persons",
        source="assumption; size dispersion of institutions (researchers)",
        rule="sim.build.build_universities",
    )
    student_size_log_sd: float = param(
        0.7,
        low=0.3,
        high=1.5,
        unit="log persons",
        source="assumption; size dispersion of universities (students)",
        rule="sim.build.build_universities",
    )
    home_owner_share: dict = param(
        {"top": 0.9, "leading": 0.8, "high_level": 0.6, "young": 0.35, "graduate": 0.1},
        low=0.0,
        high=1.0,
        unit="share",
        source="assumption; base-year talent owning a home in the city, by tier",
        rule="sim.build.build_talent",
    )
    years_in_city_mean: float = param(
        6.0,
        low=3.0,
        high=12.0,
        unit="years",
        source="assumption; mean years in the city of base-year talent (exponential)",
        rule="sim.build.build_talent",
    )
    vc_size_log_sd: float = param(
        1.0,
        low=0.5,
        high=2.0,
        unit="log yuan",
        source="assumption; size dispersion of VC / angel funds",
        rule="sim.build.build_funds",
    )
    vc_cash_share: float = param(
        0.5,
        low=0.1,
        high=1.0,
        unit="share",
        source="assumption; share of VC capital not yet invested in the base year",
        rule="sim.build.build_funds",
    )
    centre_arrival_zone: str = param(
        "",
        low=0,
        high=0,
        unit="zone name",
        source="city plan (region config; Changsha: the science city); empty = arriving "
        "centres spread over zones by zone_shares",
        rule="agents.rd_centres.arrivals",
    )


def _shares(d: dict, names: tuple) -> np.ndarray:
    return np.array([d[k] for k in names], dtype=float)


def _allocate(rng: np.random.Generator, total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` items over hosts in proportion to ``weights`` (multinomial)."""
    if total <= 0 or len(weights) == 0:
        return np.zeros(len(weights), np.int64)
    w = np.maximum(weights, 0) + 1e-12
    return rng.multinomial(total, w / w.sum())


def _pick(
    rng: np.random.Generator, candidates: np.ndarray, n: int, weights: np.ndarray
) -> np.ndarray:
    n = min(n, len(candidates))
    if n <= 0:
        return np.empty(0, np.int64)
    w = np.maximum(weights, 0) + 1e-12
    return rng.choice(candidates, size=n, replace=False, p=w / w.sum())


def build_firms(region, base: BaseState, rng: np.random.Generator) -> FirmState:
    """Base-year firms: high-tech enterprises, other tech SMEs and other R&D performers.

    R&D is scaled so that reported firm R&D equals the enterprise share of the city's R&D.
    """
    pop, b = region.population, region.behaviour
    notch_intensity, relabel = b.statuses.hte_rd_intensity_threshold, b.firm.relabel_share_hte
    n_hte = int(round(base["high_tech_enterprises"]))
    n_sme = int(round(base["tech_smes"]))
    n_sme_only = int(round(n_sme * (1 - pop.tech_sme_hte_overlap)))
    n = n_hte + n_sme_only + pop.other_rd_firms
    f = FirmState(capacity=int(n * 1.6))
    revenue = pop.revenue_median_yuan * rng.lognormal(0.0, pop.revenue_log_sd, n)
    hte = np.arange(n) < n_hte
    # High-tech firms sit above the certification notch (after relabelling); others below it.
    notch = notch_intensity * (1 - relabel)
    spread = rng.lognormal(0.0, pop.rd_intensity_log_sd, n)
    intensity = np.where(
        hte, notch * (1.0 + np.abs(np.log(spread))), pop.other_rd_intensity_share * notch * spread
    )
    real = intensity * revenue
    reported = np.where(hte, real / (1 - relabel), real)
    # Revenue is not observed: scale it so that firm R&D equals the enterprise share of city R&D.
    scale = base["rd_expenditure"] * base["rd_enterprise_share"] / reported.sum()
    revenue = revenue * scale
    places = Structure.of(pop)
    industry = rng.choice(
        len(places.industries), n, p=_shares(pop.industry_shares, places.industries)
    )
    zone = rng.choice(len(places.zones), n, p=_shares(pop.zone_shares, places.zones))
    rows = f.append(
        n,
        industry=industry,
        zone=zone,
        bonded=zone == places.bonded_zone,
        ownership=rng.choice(len(OWNERSHIPS), n, p=_shares(pop.ownership_shares, OWNERSHIPS)),
        revenue=revenue,
        employees=revenue / pop.revenue_per_employee_yuan,
        rd_intensity_target=intensity,
        rd_real=real * scale,
        rd_reported=reported * scale,
        rd_last_year=reported * scale,
        rd_staff=real * scale / b.firm.rd_cost_per_fte_yuan,
        knowledge=real * scale / (b.firm.knowledge_depreciation + pop.knowledge_growth_rate),
        age=rng.exponential(pop.firm_age_mean_years, n),
        high_tech=hte,
        entry_year=region.base_year,
    )
    overlap = n_sme - n_sme_only
    f.tech_sme[_pick(rng, rows[hte], overlap, np.ones(n_hte))] = True
    f.tech_sme[rows[n_hte : n_hte + n_sme_only]] = True
    listed = _pick(
        rng, rows, int(round(base["listed_companies"])), revenue**pop.listed_size_exponent
    )
    f.listed[listed] = True
    f.age[listed] = np.maximum(f.age[listed], pop.listed_min_age_years)
    private = (f.ownership == OWNERSHIPS.index("private")) & ~f.listed & (f.high_tech | f.tech_sme)
    lg = _pick(rng, rows[private], int(round(base["little_giants"])), np.sqrt(revenue[private]))
    f.little_giant[lg] = True
    f.age[lg] = np.maximum(f.age[lg], b.statuses.little_giant_min_age_years)
    big = rows[f.rd_real >= b.rd_centres.centre_upgrade_min_rd_yuan]
    registered = _pick(rng, big, int(round(base["five_type_rd_centres"])), np.ones(len(big)))
    f.centre_type[registered] = CENTRE_CODE["upgraded"]  # pre-existing centres count as upgraded
    f.centre_registered[registered] = True
    return f


def platform_split(region, base: BaseState) -> dict[str, int]:
    """Base-year platforms by kind: national ones from data and assumptions, the rest provincial."""
    pop = region.population
    national = int(round(base["national_innovation_platforms"]))
    nkl = int(round(base["national_key_labs"]))
    ic, etc = pop.national_innovation_centres, pop.national_enterprise_tech_centres
    other = max(national - nkl - ic - etc, 0)
    prov = max(int(round(base["innovation_platforms"])) - nkl - ic - etc - other, 0)
    return {
        "national_key_lab": nkl,
        "national_innovation_centre": ic,
        "national_enterprise_tech_centre": etc,
        "other_national": other,
        "provincial_municipal": prov,
    }


def build_universities(region, base: BaseState, rng: np.random.Generator) -> UniversityState:
    """Base-year universities, institutes, new-type institutions and flagship labs."""
    pop = region.population
    counts = {
        "university": int(round(base["universities"])),
        "research_institute": pop.research_institutes,
        "new_type_institution": pop.new_type_institutions,
        "flagship_lab": pop.flagship_labs,
    }
    kinds = np.concatenate([np.full(c, UNIVERSITY_KINDS.index(k)) for k, c in counts.items()])
    n = len(kinds)
    u = UniversityState(capacity=n)
    researchers = np.zeros(n)
    for k, c in counts.items():
        sel = kinds == UNIVERSITY_KINDS.index(k)
        w = rng.lognormal(0.0, pop.researcher_size_log_sd, c)
        researchers[sel] = pop.researchers * pop.researcher_shares[k] * w / w.sum()
    is_univ = kinds == UNIVERSITY_KINDS.index("university")
    size = rng.lognormal(0.0, pop.student_size_log_sd, is_univ.sum())
    students = np.zeros(n)
    students[is_univ] = base["students_higher_ed"] * size / size.sum()
    cols = {f"students_{d}": students * pop.degree_shares[d] for d in DEGREES}
    rows = u.append(n, kind=kinds, researchers=researchers, **cols)
    out = researchers * region.behaviour.university.output_per_researcher
    u.research_output[rows] = out
    u.contract_turnover[rows] = out * region.behaviour.university.transfer_turnover_per_output_yuan
    flagship = rows[kinds == UNIVERSITY_KINDS.index("flagship_lab")]
    check_base(region, base)
    u.big_science[flagship[: int(round(base["national_lab_or_big_science"]))]] = True
    return u


def place_platforms(
    region,
    base: BaseState,
    firms: FirmState,
    univ: UniversityState,
    rng: np.random.Generator,
) -> None:
    """Host the base-year platforms: firms in proportion to R&D, universities to researchers."""
    split = platform_split(region, base)
    prov = split["provincial_municipal"]
    n_firm = int(round(prov * region.population.firm_platform_share))
    firms.platforms[:] = _allocate(rng, n_firm, firms.rd_real)
    univ.platforms[:] = _allocate(rng, prov - n_firm, univ.researchers)
    univ.national_key_labs[:] = _allocate(rng, split["national_key_lab"], univ.researchers)
    firms.national_innovation_centre[:] = _allocate(
        rng, split["national_innovation_centre"], firms.rd_real
    )
    firms.national_enterprise_tech_centre[:] = _allocate(
        rng, split["national_enterprise_tech_centre"], firms.rd_real
    )
    other = split["other_national"]
    firms.other_national[:] = _allocate(rng, other // 2, firms.rd_real)
    univ.national_platforms[:] = _allocate(rng, other - other // 2, univ.researchers)


def tier_stocks(region, base: BaseState) -> np.ndarray:
    """Base-year persons per tier; the graduate tier takes the rounding remainder."""
    total = int(round(base["talent_total"]))
    stock = np.array([int(round(total * region.population.tier_shares[t])) for t in TIERS])
    stock[-1] = total - stock[:-1].sum()
    return stock


def build_talent(
    region, base: BaseState, people_per_agent: int, rng: np.random.Generator
) -> TalentState:
    """Base-year talent agents: ``people_per_agent`` persons each, tier by tier."""
    pop, p = region.population, region.behaviour.talent
    stock = tier_stocks(region, base)
    n_by_tier = -(-stock // people_per_agent)
    t = TalentState(capacity=int(n_by_tier.sum() * 1.5) + 16)
    sd = p.wage_log_sd
    for k, (persons, n) in enumerate(zip(stock, n_by_tier, strict=True)):
        if n == 0:
            continue
        heads = np.full(n, people_per_agent, np.int64)
        heads[-1] = persons - people_per_agent * (n - 1)
        t.append(
            int(n),
            tier=k,
            headcount=heads,
            employer=-1,
            wage=p.wage_yuan_per_year[TIERS[k]] * rng.lognormal(-0.5 * sd**2, sd, n),
            years_in_city=rng.exponential(pop.years_in_city_mean, n),
            owner=rng.random(n) < pop.home_owner_share[TIERS[k]],
            arrived_year=region.base_year,
        )
    return t


def build_funds(region, rng: np.random.Generator) -> FundState:
    """The guidance fund, the VC/angel funds and the knowledge-value credit programme."""
    pop = region.population
    f = FundState(capacity=pop.vc_funds + 64)
    f.append(
        1,
        kind=GUIDANCE,
        cash=pop.guidance_fund_capital_yuan,
        inflow=pop.guidance_fund_capital_yuan,
        capital=pop.guidance_fund_capital_yuan,
        public_share=1.0,
    )
    w = rng.lognormal(0.0, pop.vc_size_log_sd, pop.vc_funds)
    cap = pop.vc_capital_yuan * w / w.sum()
    cash = pop.vc_cash_share * cap
    f.append(pop.vc_funds, kind=VC, capital=cap, cash=cash, inflow=cash)
    f.append(1, kind=CREDIT)
    return f


@dataclass
class BasePopulations:
    """The base-year populations of one region and scale."""

    base: BaseState
    firms: FirmState
    universities: UniversityState
    talent: TalentState
    funds: FundState

    def clone(self) -> BasePopulations:
        """Deep copies of the populations (the base state is shared, read-only)."""
        return BasePopulations(
            self.base,
            self.firms.clone(),
            self.universities.clone(),
            self.talent.clone(),
            self.funds.clone(),
        )


def check_base(region, base: BaseState) -> None:
    """The base-year counts fit the region's composition (checked before any replicate runs).

    Raises:
        ConfigError: more national labs / large facilities than flagship labs to host them, or
            fewer industries in ``initial_clusters`` than the base file's national clusters.
    """
    pop = region.population
    hosted = int(round(base["national_lab_or_big_science"]))
    if hosted > pop.flagship_labs:
        raise ConfigError(
            f"base-year national_lab_or_big_science={hosted} is more than "
            f"region.population.flagship_labs={pop.flagship_labs}: each national lab or large "
            "facility is hosted by a flagship lab; raise flagship_labs to at least the count"
        )
    clusters = int(round(base["national_mfg_clusters"]))
    if clusters > len(pop.initial_clusters):
        raise ConfigError(
            f"base-year national_mfg_clusters={clusters} but region.population.initial_clusters "
            f"names {len(pop.initial_clusters)} ({list(pop.initial_clusters)}); name the "
            "industry of every national cluster, in the order they won"
        )


def build_populations(region, base: BaseState, people_per_agent: int, seed: int) -> BasePopulations:
    """All base-year populations, drawn from their own stream of ``seed``."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    firms = build_firms(region, base, rng)
    univ = build_universities(region, base, rng)
    place_platforms(region, base, firms, univ, rng)
    tal = build_talent(region, base, people_per_agent, rng)
    funds = build_funds(region, rng)
    return BasePopulations(base, firms, univ, tal, funds)


def build_key(region) -> str:
    """What the base-year population depends on (cache key): data, composition, build parameters.

    Behavioural parameters that only act during the run (the calibrated ones among them) are
    left out, so replicates with different parameter draws share one base population.
    """
    b = region.behaviour
    used = (
        b.statuses.hte_rd_intensity_threshold,
        b.statuses.little_giant_min_age_years,
        b.firm.relabel_share_hte,
        b.firm.rd_cost_per_fte_yuan,
        b.firm.knowledge_depreciation,
        b.rd_centres.centre_upgrade_min_rd_yuan,
        b.university.output_per_researcher,
        b.university.transfer_turnover_per_output_yuan,
        sorted(b.talent.wage_yuan_per_year.items()),
        b.talent.wage_log_sd,
    )
    return repr(
        (
            region.name,
            region.base_year,
            region.data_file,
            region.base_state,
            tuple(region.config_dirs),
            repr(region.estimates),
            region.population,
            used,
        )
    )
