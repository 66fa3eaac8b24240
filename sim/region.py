"""Load and validate a region's base-year data file, and build the base-year agent populations.

The data file is a CSV with columns ``indicator, value, low, high, unit, basis`` (the Changsha file
is a copy of ``shared/data/changsha/base_2022.csv``). Units follow the Chinese statistical
bulletins: 100m yuan, 10k persons, percent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from agents.categories import DEGREES, INDUSTRIES, OWNERSHIPS, TIERS, UNIVERSITY_KINDS, ZONES
from agents.firm import FirmState
from agents.fund import CREDIT, GUIDANCE, VC, FundState
from agents.talent import TalentState
from agents.university import UniversityState
from sim.config import ConfigError, RegionConfig

CONF_DIR = Path(__file__).resolve().parent.parent / "conf"

REQUIRED = {
    "gdp": 1e8,
    "rd_expenditure": 1e8,
    "rd_enterprise_share": 0.01,
    "innovation_platforms": 1.0,
    "national_innovation_platforms": 1.0,
    "five_type_rd_centres": 1.0,
    "national_mfg_clusters": 1.0,
    "talent_total": 1e4,
    "listed_companies": 1.0,
    "little_giants": 1.0,
    "national_lab_or_big_science": 1.0,
    "high_tech_enterprises": 1.0,
    "tech_smes": 1.0,
    "universities": 1.0,
    "students_higher_ed": 1e4,
    "national_key_labs": 1.0,
    "tech_contract_turnover": 1e8,
    "new_home_price": 1.0,
}
"""Indicators a region file must have, with the factor converting its unit to yuan / persons."""


@dataclass
class BaseState:
    """Base-year stocks in model units (yuan, persons, counts, shares)."""

    values: dict[str, float]
    low: dict[str, float]
    high: dict[str, float]

    def __getitem__(self, key: str) -> float:
        return self.values[key]

    def drawn(self, rng: np.random.Generator) -> BaseState:
        """A copy with every stock drawn from its (low, value, high) triangular range."""
        vals = {}
        for k, v in self.values.items():
            lo, hi = self.low[k], self.high[k]
            vals[k] = float(rng.triangular(lo, min(max(v, lo), hi), hi)) if hi > lo else v
        return BaseState(vals, self.low, self.high)


def build_key(region: RegionConfig) -> str:
    """What the base-year population depends on (cache key): data, composition, build parameters.

    Behavioural parameters that only act during the run (the calibrated ones among them) are
    left out, so replicates with different parameter draws share one base population.
    """
    b = region.behaviour
    used = (
        b.firm.hte_rd_intensity_threshold,
        b.firm.relabel_share_hte,
        b.firm.rd_cost_per_fte_yuan,
        b.firm.knowledge_depreciation,
        b.firm.centre_upgrade_min_rd_yuan,
        b.university.output_per_researcher,
        b.university.transfer_turnover_per_output_yuan,
        sorted(b.talent.wage_yuan_per_year.items()),
    )
    return repr(
        (
            region.name,
            region.base_year,
            region.data_file,
            region.base_state,
            region.population,
            used,
        )
    )


def data_path(region: RegionConfig) -> Path:
    """Path of the region's base-year data file."""
    return CONF_DIR / "region" / region.data_file


def load_base_state(region: RegionConfig) -> BaseState:
    """Read and validate the region's base-year data file.

    Args:
        region: Region config (``data_file`` and ``base_state`` column).

    Returns:
        Stocks converted to model units.

    Raises:
        ConfigError: missing file, missing indicator, non-numeric or negative value.
    """
    path = data_path(region)
    if not path.exists():
        available = sorted(p.name for p in path.parent.glob("*.csv"))
        raise ConfigError(
            f"region.data_file={region.data_file!r} not found for region.base_year="
            f"{region.base_year}; available files: {available}"
        )
    df = pd.read_csv(path)
    for col in ("indicator", "value", "low", "high"):
        if col not in df.columns:
            raise ConfigError(
                f"{path.name}: column {col!r} is missing; need indicator,value,low,high"
            )
    df = df.set_index("indicator")
    missing = [k for k in REQUIRED if k not in df.index]
    if missing:
        raise ConfigError(
            f"{path.name}: indicator {missing[0]!r} is missing (required: {list(REQUIRED)})"
        )
    out = {}
    for name in ("value", "low", "high"):
        col = pd.to_numeric(df[name], errors="coerce")
        vals = {}
        for key, factor in REQUIRED.items():
            v = col.get(key)
            if v is None or not np.isfinite(v):
                raise ConfigError(
                    f"{path.name}: {key}.{name}={df.loc[key, name]!r} is not a number"
                )
            if v < 0:
                raise ConfigError(f"{path.name}: {key}.{name}={v} is negative; stocks must be >= 0")
            vals[key] = float(v) * factor
        out[name] = vals
    chosen = out[region.base_state]
    return BaseState(chosen, out["low"], out["high"])


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


def build_firms(region: RegionConfig, base: BaseState, rng: np.random.Generator) -> FirmState:
    """Base-year firms: high-tech enterprises, other tech SMEs and other R&D performers.

    R&D is scaled so that reported firm R&D equals the enterprise share of the city's R&D.
    """
    pop, fb = region.population, region.behaviour.firm
    n_hte = int(round(base["high_tech_enterprises"]))
    n_sme = int(round(base["tech_smes"]))
    n_sme_only = int(round(n_sme * (1 - pop.tech_sme_hte_overlap)))
    n = n_hte + n_sme_only + pop.other_rd_firms
    f = FirmState(capacity=int(n * 1.6))
    revenue = pop.revenue_median_yuan * rng.lognormal(0.0, pop.revenue_log_sd, n)
    hte = np.arange(n) < n_hte
    # High-tech firms sit above the certification notch (after relabelling); others below it.
    notch = fb.hte_rd_intensity_threshold * (1 - fb.relabel_share_hte)
    spread = rng.lognormal(0.0, pop.rd_intensity_log_sd, n)
    intensity = np.where(hte, notch * (1.0 + np.abs(np.log(spread))), 0.6 * notch * spread)
    real = intensity * revenue
    reported = np.where(hte, real / (1 - fb.relabel_share_hte), real)
    # Revenue is not observed: scale it so that firm R&D equals the enterprise share of city R&D.
    scale = base["rd_expenditure"] * base["rd_enterprise_share"] / reported.sum()
    revenue = revenue * scale
    rows = f.append(
        n,
        industry=rng.choice(len(INDUSTRIES), n, p=_shares(pop.industry_shares, INDUSTRIES)),
        zone=rng.choice(len(ZONES), n, p=_shares(pop.zone_shares, ZONES)),
        ownership=rng.choice(len(OWNERSHIPS), n, p=_shares(pop.ownership_shares, OWNERSHIPS)),
        revenue=revenue,
        employees=revenue / pop.revenue_per_employee_yuan,
        rd_intensity_target=intensity,
        rd_real=real * scale,
        rd_reported=reported * scale,
        rd_last_year=reported * scale,
        rd_staff=real * scale / fb.rd_cost_per_fte_yuan,
        knowledge=real * scale / (fb.knowledge_depreciation + 0.1),
        age=rng.exponential(pop.firm_age_mean_years, n),
        high_tech=hte,
        entry_year=region.base_year,
    )
    overlap = n_sme - n_sme_only
    f.tech_sme[_pick(rng, rows[hte], overlap, np.ones(n_hte))] = True
    f.tech_sme[rows[n_hte : n_hte + n_sme_only]] = True
    listed = _pick(rng, rows, int(round(base["listed_companies"])), revenue**1.5)
    f.listed[listed] = True
    f.age[listed] = np.maximum(f.age[listed], 5.0)
    private = (f.ownership == OWNERSHIPS.index("private")) & ~f.listed & (f.high_tech | f.tech_sme)
    lg = _pick(rng, rows[private], int(round(base["little_giants"])), np.sqrt(revenue[private]))
    f.little_giant[lg] = True
    f.age[lg] = np.maximum(f.age[lg], 3.0)
    big = rows[f.rd_real >= fb.centre_upgrade_min_rd_yuan]
    registered = _pick(rng, big, int(round(base["five_type_rd_centres"])), np.ones(len(big)))
    f.centre_type[registered] = 3  # pre-existing centres count as upgraded enterprise centres
    return f


def platform_split(region: RegionConfig, base: BaseState) -> dict[str, int]:
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


def build_universities(
    region: RegionConfig, base: BaseState, rng: np.random.Generator
) -> UniversityState:
    """Base-year universities, institutes, new-type institutions and flagship labs."""
    pop = region.population
    counts = {
        "university": int(round(base["universities"])),
        "research_institute": pop.research_institutes,
        "new_type_institution": pop.new_type_institutions,
        "flagship_lab": pop.flagship_labs,
    }
    researcher_share = {
        "university": 0.6,
        "research_institute": 0.25,
        "new_type_institution": 0.1,
        "flagship_lab": 0.05,
    }
    kinds = np.concatenate([np.full(c, UNIVERSITY_KINDS.index(k)) for k, c in counts.items()])
    n = len(kinds)
    u = UniversityState(capacity=n)
    researchers = np.zeros(n)
    for k, c in counts.items():
        sel = kinds == UNIVERSITY_KINDS.index(k)
        w = rng.lognormal(0.0, 0.8, c)
        researchers[sel] = pop.researchers * researcher_share[k] * w / w.sum()
    is_univ = kinds == UNIVERSITY_KINDS.index("university")
    size = rng.lognormal(0.0, 0.7, is_univ.sum())
    students = np.zeros(n)
    students[is_univ] = base["students_higher_ed"] * size / size.sum()
    cols = {f"students_{d}": students * pop.degree_shares[d] for d in DEGREES}
    rows = u.append(n, kind=kinds, researchers=researchers, **cols)
    out = researchers * region.behaviour.university.output_per_researcher
    u.research_output[rows] = out
    u.contract_turnover[rows] = out * region.behaviour.university.transfer_turnover_per_output_yuan
    flagship = rows[kinds == UNIVERSITY_KINDS.index("flagship_lab")]
    u.big_science[flagship[: int(round(base["national_lab_or_big_science"]))]] = True
    return u


def place_platforms(
    region: RegionConfig,
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


def tier_stocks(region: RegionConfig, base: BaseState) -> np.ndarray:
    """Base-year persons per tier; the graduate tier takes the rounding remainder."""
    total = int(round(base["talent_total"]))
    stock = np.array([int(round(total * region.population.tier_shares[t])) for t in TIERS])
    stock[-1] = total - stock[:-1].sum()
    return stock


OWNER_SHARE_BY_TIER = np.array([0.9, 0.8, 0.6, 0.35, 0.1])
"""Share of base-year talent owning a home in the city, by tier (assumption)."""


def build_talent(
    region: RegionConfig, base: BaseState, people_per_agent: int, rng: np.random.Generator
) -> TalentState:
    """Base-year talent agents: ``people_per_agent`` persons each, tier by tier."""
    stock = tier_stocks(region, base)
    n_by_tier = -(-stock // people_per_agent)
    t = TalentState(capacity=int(n_by_tier.sum() * 1.5) + 16)
    wages = region.behaviour.talent.wage_yuan_per_year
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
            wage=wages[TIERS[k]] * rng.lognormal(-0.03125, 0.25, n),
            years_in_city=rng.exponential(6.0, n),
            owner=rng.random(n) < OWNER_SHARE_BY_TIER[k],
            arrived_year=region.base_year,
        )
    return t


def build_funds(region: RegionConfig, rng: np.random.Generator) -> FundState:
    """The guidance fund, the VC/angel funds and the knowledge-value credit programme."""
    pop = region.population
    f = FundState(capacity=pop.vc_funds + 64)
    g = f.append(
        1,
        kind=GUIDANCE,
        cash=pop.guidance_fund_capital_yuan,
        inflow=pop.guidance_fund_capital_yuan,
        capital=pop.guidance_fund_capital_yuan,
        public_share=1.0,
    )
    w = rng.lognormal(0.0, 1.0, pop.vc_funds)
    cap = pop.vc_capital_yuan * w / w.sum()
    f.append(pop.vc_funds, kind=VC, capital=cap, cash=0.5 * cap, inflow=0.5 * cap)
    f.append(1, kind=CREDIT)
    assert g[0] == 0
    return f
