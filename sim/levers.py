"""Levers: the policy instruments in real units, which of them are in force, and their cost lines.

* :class:`LeverConfig` declares every lever with :func:`agents.params.lever` (unit, family A-I of
  the mission brief, what it is). Presets are the YAML files of ``conf/levers/``
  (:func:`preset_names`).
* :class:`PolicyState` answers "which lever values apply now?" (the base-year policy until the
  scenario's start quarter, then the scenario) and scales money levers by two factors: a
  per-family effort multiplier (moved by the evaluate-and-adjust rule, :func:`adjust_effort`) and
  a budget ration (when the cap binds, :func:`budget_ration`). Within a year the ledger stops
  outlays at the cap itself (:class:`sim.ledger.PublicCostLedger`).
* Levers do not book their cost here: each rule in ``agents/`` that applies a lever books what it
  pays on one of the :data:`COST_LINES` through the ledger it is given
  (:class:`sim.ledger.PublicCostLedger`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from agents.params import ConfigError, lever

FAMILIES = ("A", "B", "C", "D", "E", "F", "G", "H", "I")
"""Lever families of the mission brief: A five R&D-centre types, B platforms, C R&D subsidies
and tax, D technology transfer, E talent programmes, F housing support, G S&T finance, H IP and
international cooperation, I budget and evaluation."""

FAMILY_NAMES = {
    "A": "five R&D-centre types",
    "B": "platform cultivation",
    "C": "R&D subsidies and tax",
    "D": "technology transfer",
    "E": "talent programmes",
    "F": "housing support",
    "G": "S&T finance",
    "H": "IP protection, international cooperation, offsite incubators",
    "I": "budget and evaluation",
}

LEVERS_DIR = Path(__file__).resolve().parent.parent / "conf" / "levers"


def _lever_dirs(config_dirs: tuple[str, ...] = ()) -> list[Path]:
    """Where presets are looked for: each user config dir's ``levers/``, then the project's."""
    return [Path(d) / "levers" for d in config_dirs] + [LEVERS_DIR]


def preset_names(config_dirs: tuple[str, ...] = ()) -> list[str]:
    """Lever presets of ``conf/levers/`` and the user's config dirs (``none`` first, by name)."""
    names = sorted({p.stem for d in _lever_dirs(config_dirs) for p in d.glob("*.yaml")})
    return sorted(names, key=lambda n: (n != "none", n != "baseline", n))


# Upper bounds of money levers as multiples of the region's base-year GDP (yuan), checked by
# sim.config.check once the region's data file is read. They are far above any enacted amount (for
# Changsha, GDP 1.40e12 yuan in 2022: 2.8e10 yuan a year per programme, 1.4e9 per firm or
# centre, 1.4e8 per award, 1.4e7 per person or team, 1.4e5 per person-year) and low enough that
# every lever at its maximum runs (tests/sim/test_extreme_levers.py). Count levers that multiply a
# grant and the bonded relief (an exponential response) have fixed maxima.
PROGRAMME = 0.02
"""City programme (yuan per year): at most 2 % of base-year GDP each."""
BUDGET = 0.10
"""Budget capacity: a city pays out at most 10 % of its base-year GDP a year, about its whole
general public budget (Changsha 2022: general budget expenditure about 1.3e11 yuan on GDP
1.40e12). The budget cap lever may not exceed it; without a cap, outlays stop at it."""
PER_FIRM = 1e-3
"""Cap per firm, centre or candidate (yuan, or yuan per year): 0.1 % of GDP."""
PER_AWARD = 1e-4
"""One award (new platform, customs refund per centre): 0.01 % of GDP."""
PER_PERSON = 1e-5
"""One-off amount per person or team (reward, first-home subsidy, team grant)."""
PER_PERSON_YEAR = 1e-7
"""Yearly amount per person (rent subsidy), about GDP per capita for Changsha."""


@dataclass
class TierAmounts:
    """One number per talent tier."""

    top: float = 0.0
    leading: float = 0.0
    high_level: float = 0.0
    young: float = 0.0
    graduate: float = 0.0


@dataclass
class CentreAmounts:
    """One number per R&D-centre type (levers A1-A5)."""

    fortune500: float = 0.0
    leading_hq: float = 0.0
    upgraded: float = 0.0
    foreign: float = 0.0
    bonded: float = 0.0


@dataclass
class PlatformAmounts:
    """One number per platform kind."""

    national_key_lab: float = 0.0
    national_innovation_centre: float = 0.0
    national_enterprise_tech_centre: float = 0.0
    other_national: float = 0.0
    provincial_municipal: float = 0.0


@dataclass
class LeverConfig:
    """Every policy lever; the defaults mean no local policy (national instruments aside)."""

    name: str = "none"
    start_year: int = 2023
    start_quarter: int = 3
    # C: national tax instruments
    super_deduction_rate: float = lever(
        1.0,
        unit="share",
        family="C",
        maximum=2.0,
        what="additional deduction of qualifying R&D expense (1.0 = 100%)",
    )
    standard_tax_rate: float = lever(0.25, unit="share", family="C", what="corporate income tax")
    hte_tax_rate: float = lever(0.15, unit="share", family="C", what="CIT rate of high-tech firms")
    basic_research_deduction_rate: float = lever(
        1.0,
        unit="share",
        family="C",
        maximum=2.0,
        what="additional deduction of firms' basic-research funding of universities and "
        "institutes (1.0 = 100 %; MOF/STA Announcement 2022 No. 32)",
    )
    # C: local R&D subsidies
    rd_post_subsidy_rate: float = lever(
        0.0,
        unit="share",
        family="C",
        what="post-R&D subsidy: share of reported R&D reimbursed to R&D-active firms",
    )
    rd_post_subsidy_cap_yuan: float = lever(
        1.0e6,
        unit="yuan per firm per year",
        gdp_multiple=PER_FIRM,
        family="C",
        what="cap of the post-R&D subsidy",
    )
    # A1-A5: five R&D-centre types
    centre_incremental_rd_rate: float = lever(
        0.0, unit="share", family="A", what="subsidy on incremental R&D of registered R&D centres"
    )
    centre_incremental_rd_cap_yuan: CentreAmounts = lever(
        CentreAmounts(),
        unit="yuan per centre per year",
        gdp_multiple=PER_FIRM,
        family="A",
        what="cap of the incremental-R&D subsidy by centre type",
    )
    centre_award_investment_share: float = lever(
        0.0, unit="share", family="A", what="one-off award as a share of the centre's investment"
    )
    centre_award_cap_yuan: CentreAmounts = lever(
        CentreAmounts(),
        unit="yuan",
        gdp_multiple=PER_FIRM,
        family="A",
        what="cap of the one-off award by centre type",
    )
    bonded_duty_relief_rate: float = lever(
        0.0,
        unit="share",
        family="A",
        maximum=0.3,
        what="duty/VAT relief on imported R&D inputs as a share of R&D cost, bonded zone only",
    )
    centre_registration_open: bool = lever(
        False,
        unit="on/off",
        family="A",
        what="the registration programme of the five R&D-centre types is open (since Aug 2023)",
    )
    bonded_customs_refund_cap_yuan: float = lever(
        0.0,
        unit="yuan per centre",
        gdp_multiple=PER_AWARD,
        family="A",
        what="refund of customs-declaration costs of bonded R&D centres",
    )
    # B: platforms
    platform_award_yuan: PlatformAmounts = lever(
        PlatformAmounts(),
        unit="yuan per new platform",
        gdp_multiple=PER_AWARD,
        family="B",
        what="award for a newly approved platform by kind",
    )
    cultivation_pool_size: int = lever(
        0,
        unit="count",
        family="B",
        maximum=2000,
        what="candidates cultivated for national platforms",
    )
    cultivation_subsidy_rate: float = lever(
        0.0, unit="share", family="B", what="support to candidates as a share of their R&D"
    )
    cultivation_subsidy_cap_yuan: float = lever(
        0.0,
        unit="yuan per candidate per year",
        gdp_multiple=PER_FIRM,
        family="B",
        what="cap of candidate support",
    )
    flagship_investment_yuan_per_year: float = lever(
        0.0,
        unit="yuan per year",
        gdp_multiple=PROGRAMME,
        family="B",
        what="city investment in flagship labs and facility candidacies",
    )
    new_type_award_investment_share: float = lever(
        0.0,
        unit="share",
        family="B",
        what="award to a new new-type R&D institution as a share of its investment (item 6)",
    )
    new_type_award_cap_yuan: float = lever(
        0.0,
        unit="yuan per institution",
        gdp_multiple=PER_AWARD,
        family="B",
        what="cap of the new-type institution award",
    )
    # D: technology transfer
    joint_lab_support_yuan_per_year: float = lever(
        0.0,
        unit="yuan per year",
        gdp_multiple=PROGRAMME,
        family="D",
        what="university-industry joint labs: contract research and licences",
    )
    pilot_base_support_yuan_per_year: float = lever(
        0.0,
        unit="yuan per year",
        gdp_multiple=PROGRAMME,
        family="D",
        what="pilot-scale (proof-of-concept) bases and 'invest first, equity later': spin-offs",
    )
    tech_manager_support_yuan_per_year: float = lever(
        0.0,
        unit="yuan per year",
        gdp_multiple=PROGRAMME,
        family="D",
        what="technology managers (brokers) paid per deal: contracts, licences and spin-offs",
    )
    licence_guarantee_yuan_per_year: float = lever(
        0.0,
        unit="yuan per year",
        gdp_multiple=PROGRAMME,
        family="D",
        what="guarantee fees refunded to institutions backing 'use first, pay later' licences "
        "(item 7: 100 % of the fee, up to 1 m yuan a year per institution)",
    )
    # E: talent programmes
    top_talent_reward_yuan: float = lever(
        0.0,
        unit="yuan per person",
        gdp_multiple=PER_PERSON,
        family="E",
        what="one-off reward for a recruited top talent",
    )
    leading_team_grants_per_year: float = lever(
        0.0,
        unit="count per year",
        family="E",
        maximum=100.0,
        what="industry-leading talent teams funded",
    )
    leading_team_grant_yuan: float = lever(
        0.0,
        unit="yuan per team",
        gdp_multiple=PER_PERSON,
        family="E",
        what="grant per leading team",
    )
    startup_team_grants_per_year: float = lever(
        0.0,
        unit="count per year",
        family="E",
        maximum=100.0,
        what="high-level start-up teams funded",
    )
    startup_team_grant_yuan: float = lever(
        0.0,
        unit="yuan per team",
        gdp_multiple=PER_PERSON,
        family="E",
        what="grant per start-up team",
    )
    young_talent_grants_per_year: float = lever(
        0.0,
        unit="count per year",
        family="E",
        maximum=20000.0,
        what="young-talent plan: young researchers funded per year",
    )
    young_talent_grant_yuan: float = lever(
        0.0,
        unit="yuan per person",
        gdp_multiple=PER_PERSON,
        family="E",
        what="grant per funded young researcher",
    )
    overseas_posts_per_year: float = lever(
        0.0,
        unit="count per year",
        family="E",
        maximum=5000.0,
        what="overseas talent posts: high-level posts funded for recruits from abroad",
    )
    overseas_post_grant_yuan: float = lever(
        0.0,
        unit="yuan per post",
        gdp_multiple=PER_PERSON,
        family="E",
        what="grant per overseas talent post",
    )
    return_programme_yuan_per_year: float = lever(
        0.0,
        unit="yuan per year",
        gdp_multiple=PROGRAMME,
        family="E",
        what="alumni and Hunan-merchant return programme (liaison offices, return events)",
    )
    green_card: bool = lever(
        False,
        unit="on/off",
        family="E",
        what="talent green card: top, leading and high-level talent get the family services "
        "(F) from arrival, without the residence wait",
    )
    # F: housing support
    rent_subsidy_yuan_per_year: TierAmounts = lever(
        TierAmounts(),
        unit="yuan per person per year",
        gdp_multiple=PER_PERSON_YEAR,
        family="F",
        what="rent and living subsidy by tier",
    )
    first_home_subsidy_yuan: TierAmounts = lever(
        TierAmounts(),
        unit="yuan per person",
        gdp_multiple=PER_PERSON,
        family="F",
        what="first-home purchase subsidy",
    )
    purchase_subsidy_m2: TierAmounts = lever(
        TierAmounts(),
        unit="m2 per person",
        family="F",
        maximum=300.0,
        what="full purchase subsidy on a home of this standard area",
    )
    housing_support_window_years: float = lever(
        3.0,
        unit="years",
        family="F",
        maximum=50.0,
        what="years after arrival during which purchase support can be claimed",
    )
    rent_subsidy_years: float = lever(
        2.0,
        unit="years",
        family="F",
        maximum=50.0,
        what="years after arrival during which the rent subsidy is paid",
    )
    housing_eligibility_months: float = lever(
        12.0,
        unit="months",
        family="F",
        maximum=60.0,
        what="residence needed before housing support (and purchase) is available",
    )
    platform_housing_yuan_per_year: float = lever(
        0.0,
        unit="yuan per housed researcher per year",
        gdp_multiple=PER_PERSON_YEAR,
        family="F",
        what="city co-funding of homes that platforms buy or lease for their R&D staff",
    )
    family_services_yuan_per_year: TierAmounts = lever(
        TierAmounts(),
        unit="yuan per person per year",
        gdp_multiple=PER_PERSON_YEAR,
        family="F",
        what="schooling places, medical care and spouse job placement by tier (cost per user)",
    )
    # G: science and technology finance
    guidance_fund_yuan_per_year: float = lever(
        0.0,
        unit="yuan per year",
        gdp_multiple=PROGRAMME,
        family="G",
        what="new government capital in the guidance fund",
    )
    subfund_private_ratio: float = lever(
        0.0,
        unit="yuan private per yuan public",
        family="G",
        maximum=10.0,
        what="private co-investment required in sub-funds",
    )
    knowledge_credit_yuan_per_year: float = lever(
        0.0,
        unit="yuan per year",
        gdp_multiple=PROGRAMME,
        family="G",
        what="knowledge-value credit lending",
    )
    credit_risk_compensation_rate: float = lever(
        0.0, unit="share", family="G", what="share of credit losses compensated by government"
    )
    vc_investment_reward_rate: float = lever(
        0.0,
        unit="share",
        family="G",
        maximum=0.2,
        what="reward to VC/angel funds as a share of their investment in local young firms",
    )
    # H: IP protection, international cooperation, offsite incubators
    ip_and_international_yuan_per_year: float = lever(
        0.0,
        unit="yuan per year",
        gdp_multiple=PROGRAMME,
        family="H",
        what="IP protection, international cooperation and offsite incubators",
    )
    # I: budget and evaluation
    recognition_campaign: float = lever(
        0.0,
        unit="intensity (1 = the 2023 drive)",
        family="I",
        maximum=3.0,
        what="the city's recognition drive: yearly work targets for new platforms, R&D "
        "institutions, high-tech firms and tech SMEs, evaluated each year",
    )
    budget_cap_yuan_per_year: float = lever(
        0.0,
        unit="yuan per year",
        gdp_multiple=BUDGET,
        family="I",
        what="cap on local discretionary spending; 0 means only the city's budget capacity "
        "(BUDGET x base-year GDP, the most a city can pay out in a year)",
    )
    evaluate_and_adjust: bool = False
    adjust_step: float = lever(
        0.2,
        unit="share",
        family="I",
        what="yearly shift of effort towards lagging targets when evaluate_and_adjust is on",
    )


COST_LINES = {
    # local budget, by lever family
    "rd_post_subsidy": "C",
    "centre_incremental_rd": "A",
    "centre_awards": "A",
    "bonded_customs_refund": "A",
    "platform_awards": "B",
    "cultivation_support": "B",
    "flagship_investment": "B",
    "new_type_awards": "B",
    "tech_transfer_support": "D",
    "licence_guarantees": "D",
    "top_talent_reward": "E",
    "talent_team_grants": "E",
    "young_talent_grants": "E",
    "overseas_posts": "E",
    "return_programme": "E",
    "housing_purchase_support": "F",
    "housing_rent_subsidy": "F",
    "platform_housing": "F",
    "family_services": "F",
    "guidance_fund_capital": "G",
    "guidance_fund_returns": "G",
    "knowledge_credit_risk": "G",
    "vc_investment_rewards": "G",
    "ip_and_international": "H",
    # national tax expenditure (not the city's budget)
    "national_super_deduction": "C",
    "national_basic_research_relief": "C",
    "national_hte_tax_cut": "C",
    "national_bonded_duty_relief": "A",
}
"""Every cost line a rule may book, with its lever family; ``national_*`` lines are national tax
expenditure, the rest is the city's budget."""

NATIONAL_PREFIX = "national_"
RETURN_LINES = ("guidance_fund_returns",)
"""Local lines that are income (booked negative), not outlays: the net public cost subtracts
them, the gross public cost and the budget cap leave them out."""

TARGET_FAMILIES = {
    "rd_growth": ("C",),
    "platforms": ("B",),
    "rd_centres": ("A",),
    "clusters": ("B",),
    "talent": ("E", "F"),
    "listed": ("G",),
    "little_giants": ("G",),
    "big_science": ("B",),
}
"""Which lever families the evaluate-and-adjust rule strengthens when a target lags."""


@dataclass
class PolicyPeriod:
    """One change of the policy in force, from ``start_year`` / ``start_quarter`` on.

    ``preset`` (a file of ``conf/levers/``) replaces the levers in force; ``levers`` then changes
    single levers on top of it (or of the previous period when there is no preset).
    """

    start_year: int = 0
    start_quarter: int = 1
    label: str = ""
    source: str = ""
    preset: str = ""
    levers: dict = field(default_factory=dict)


def load_preset(name: str, config_dirs: tuple[str, ...] = ()) -> LeverConfig:
    """A lever preset as a typed config (its ``defaults`` chain resolved).

    Presets are looked for in each user config dir's ``levers/`` (``region.config_dirs``), then in
    the project's ``conf/levers/``.
    """
    return copy.deepcopy(_load_preset(name, tuple(config_dirs)))


@cache
def _load_preset(name: str, config_dirs: tuple[str, ...]) -> LeverConfig:
    return OmegaConf.to_object(
        OmegaConf.merge(OmegaConf.structured(LeverConfig), _preset_node(name, config_dirs))
    )


def _preset_node(name: str, config_dirs: tuple[str, ...], seen: tuple[str, ...] = ()) -> Any:
    path = next(
        (d / f"{name}.yaml" for d in _lever_dirs(config_dirs) if (d / f"{name}.yaml").is_file()),
        None,
    )
    if path is None:
        raise ConfigError(
            f"lever preset {name!r} not found; available: {preset_names(config_dirs)}"
        )
    if name in seen:
        raise ConfigError(f"lever preset {name!r} includes itself through {list(seen)}")
    node = OmegaConf.load(path)
    defaults = node.pop("defaults", [])
    merged = OmegaConf.create()
    for item in defaults:
        if item != "_self_":
            merged = OmegaConf.merge(merged, _preset_node(str(item), config_dirs, (*seen, name)))
    return OmegaConf.merge(merged, node)


def resolve_timeline(
    periods: list[PolicyPeriod], config_dirs: tuple[str, ...] = ()
) -> list[tuple[tuple[int, int], LeverConfig]]:
    """The levers in force from each period's start, changes applied cumulatively.

    Raises:
        ConfigError: unknown lever keys, periods out of order, or an unknown preset.
    """
    key = repr((periods, tuple(config_dirs)))
    if key not in _TIMELINES:
        _TIMELINES[key] = _resolve_timeline(periods, tuple(config_dirs))
    return copy.deepcopy(_TIMELINES[key])


_TIMELINES: dict[str, list] = {}


def _resolve_timeline(
    periods: list[PolicyPeriod], config_dirs: tuple[str, ...]
) -> list[tuple[tuple[int, int], LeverConfig]]:
    out: list[tuple[tuple[int, int], LeverConfig]] = []
    current = OmegaConf.structured(LeverConfig)
    last = None
    for i, period in enumerate(periods):
        start = (period.start_year, period.start_quarter)
        where = f"region.policy_timeline[{i}]"
        if period.start_quarter not in (1, 2, 3, 4):
            raise ConfigError(f"{where}.start_quarter={period.start_quarter}; allowed: 1-4")
        if last is not None and start <= last:
            raise ConfigError(f"{where} starts {start}, not after the previous period {last}")
        try:
            if period.preset:
                current = OmegaConf.structured(load_preset(period.preset, config_dirs))
            current = OmegaConf.merge(current, OmegaConf.create(dict(period.levers)))
            levers = OmegaConf.to_object(current)
        except OmegaConfBaseException as err:
            raise ConfigError(f"{where}.levers: {str(err).splitlines()[0]}") from err
        levers.name = period.label or levers.name
        out.append((start, levers))
        last = start
    return out


def state_at(
    timeline: list[tuple[tuple[int, int], LeverConfig]], year: int, quarter: int
) -> LeverConfig | None:
    """The levers in force at ``(year, quarter)`` by the timeline (None before its first period)."""
    found = None
    for start, levers in timeline:
        if start <= (year, quarter):
            found = levers
    return found


class PolicyState:
    """The levers in force and the multipliers applied to their money amounts.

    Before the scenario's start quarter the policy timeline of the region applies (the policy
    that was in force; the reference policy before the timeline's first period); from the start
    on, the scenario. With ``scenario=None`` the timeline applies throughout (history replays).
    """

    def __init__(
        self,
        levers: LeverConfig | None,
        reference: LeverConfig,
        timeline: list[tuple[tuple[int, int], LeverConfig]] | None = None,
    ) -> None:
        self.scenario = levers
        self.reference = reference
        self.timeline = timeline or []
        self.levers = reference
        self.active = False
        self.effort = dict.fromkeys(FAMILIES[:-1], 1.0)
        self.ration = 1.0

    def update(self, year: int, quarter: int) -> None:
        """Set the levers in force for ``(year, quarter)``: timeline, then the scenario."""
        lv = self.scenario
        self.active = lv is not None and (year, quarter) >= (lv.start_year, lv.start_quarter)
        if self.active:
            self.levers = lv
        else:
            self.levers = state_at(self.timeline, year, quarter) or self.reference

    def scale(self, family: str) -> float:
        """Multiplier of money levers of one family (effort x budget ration)."""
        return self.effort.get(family, 1.0) * self.ration

    def amount(self, name: str, family: str) -> float:
        """A money lever's current value in yuan, after effort and ration."""
        return float(getattr(self.levers, name)) * self.scale(family)


def budget_in_force(policy: PolicyState, capacity: float) -> float:
    """This year's ceiling on local outlays.

    Args:
        policy: The levers in force.
        capacity: The city's budget capacity in yuan (:data:`BUDGET` x base-year GDP).

    Returns:
        The budget cap of the levers in force when set (a scenario's or the timeline's), else
        ``capacity``.
    """
    cap = policy.levers.budget_cap_yuan_per_year
    return cap if cap > 0 else capacity


def budget_ration(local_cost: float, cap: float, ration: float) -> float:
    """Next year's ration so that spending at the current ration fits the cap (0 = no cap).

    Args:
        local_cost: This year's local outlays asked for at ``ration`` (granted or not: within
            the year, the ledger stops outlays at the cap, :class:`sim.ledger.PublicCostLedger`).
        cap: The budget cap (yuan per year); 0 means none.
        ration: This year's ration.
    """
    if cap <= 0 or local_cost <= 0:
        return 1.0
    return float(min(1.0, ration * cap / local_cost))


def adjust_effort(
    effort: dict[str, float],
    progress: dict[str, float],
    family_cost: dict[str, float],
    step: float,
) -> dict[str, float]:
    """Shift effort towards lagging targets, keeping planned spending unchanged.

    Args:
        effort: Current multiplier per lever family.
        progress: Progress per target id: achieved share of the planned path (1 = on track).
        family_cost: Last year's local cost per family (yuan).
        step: Relative change applied per year.

    Returns:
        New multipliers, rescaled so that ``sum(cost * new / old)`` equals ``sum(cost)``;
        each is then clipped to [0.25, 4], which can break that balance at the extremes.
    """
    change = dict.fromkeys(effort, 1.0)
    for target, prog in progress.items():
        for fam in TARGET_FAMILIES.get(target, ()):
            if prog < 1.0:
                change[fam] = max(change[fam], 1.0 + step)
            elif prog > 1.2 and change[fam] == 1.0:
                change[fam] = 1.0 - step / 2
    total = sum(family_cost.get(f, 0.0) for f in effort)
    moved = sum(family_cost.get(f, 0.0) * change[f] for f in effort)
    norm = total / moved if moved > 0 else 1.0
    return {f: float(np.clip(effort[f] * change[f] * norm, 0.25, 4.0)) for f in effort}


def family_costs(costs: dict[str, float]) -> dict[str, float]:
    """Local cost per lever family (negative lines such as fund returns count as zero)."""
    out: dict[str, float] = {}
    for line, yuan in costs.items():
        if line.startswith(NATIONAL_PREFIX):
            continue
        fam = COST_LINES[line]
        out[fam] = out.get(fam, 0.0) + max(yuan, 0.0)
    return out
