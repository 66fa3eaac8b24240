"""Universities and research institutes: graduates, research, technology transfer, big science.

Includes new-type R&D institutions and the flagship labs whose cumulative funding drives the
city's candidacy for a national laboratory or large scientific facility. Once a year
(:func:`step_year`) students graduate and enrolment grows, researchers grow with the economy and
with flagship funding, research output feeds technology transfer (contract turnover, licences,
spin-offs) and, afterwards, the candidacy for big science is drawn (:func:`big_science_candidacy`).
Platforms hosted by institutions are created in :mod:`agents.platforms`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.categories import DEGREES, UNIVERSITY_KINDS
from agents.params import param
from agents.population import Population, RowAgent
from agents.world import CostLedger, PolicyView

FLAGSHIP = UNIVERSITY_KINDS.index("flagship_lab")

TRANSFER_CHANNELS = ("turnover", "licences", "spinoffs")
"""What technology transfer produces: contract turnover, licences, spin-off firms."""

TRANSFER_INSTRUMENTS = {
    "joint_lab_support_yuan_per_year": ("turnover", "licences"),
    "pilot_base_support_yuan_per_year": ("spinoffs",),
    "tech_manager_support_yuan_per_year": ("turnover", "licences", "spinoffs"),
    "licence_guarantee_yuan_per_year": ("licences",),
}
"""Which channels each technology-transfer instrument (lever family D) supports. Joint labs do
contract research that ends in contracts and licences; pilot-scale bases and "invest first,
equity later" carry results to a firm of their own; technology managers broker every kind of
deal; guarantees of "use first, pay later" licences lower the licensee's risk only. The mapping is
the instruments' definition in the policy measures (``policy_2023_measures.md`` item 7 and the
brief's family D), not a fitted number."""


@dataclass
class UniversityParams:
    """Parameters of universities and research institutes (``region.behaviour.university``)."""

    graduation_rate: dict = param(
        {"bachelor": 0.26, "master": 0.36, "phd": 0.18},
        low=0.1,
        high=0.5,
        unit="share per year",
        source="programme length 4 / 2.8 / 5.5 years",
        rule="agents.university.graduates_by_degree",
    )
    enrolment_growth: float = param(
        0.03,
        low=0.0,
        high=0.06,
        unit="share per year",
        source="students 69.7 (2020) to 83.2 (2024) 10k: about 4.5% a year",
        rule="agents.university.step_year",
    )
    researcher_growth_elasticity: float = param(
        0.5,
        low=0.0,
        high=1.0,
        unit="elasticity to last year's GDP growth",
        source="assumption; research staff grow more slowly than the economy",
        rule="agents.university.step_year",
    )
    flagship_researcher_share: float = param(
        0.5,
        low=0.0,
        high=1.0,
        unit="share",
        source="assumption; share of flagship funding that pays for additional researchers",
        rule="agents.university.step_year",
    )
    output_per_researcher: float = param(
        1.0,
        low=0.5,
        high=2.0,
        unit="output units per researcher-year",
        source="normalisation (research output index)",
        rule="agents.university.step_year",
    )
    transfer_turnover_per_output_yuan: float = param(
        2.0e5,
        low=5.0e4,
        high=1.0e6,
        unit="yuan of contract turnover per output unit",
        source="hand-set; universities about 10 % of 2022 contract turnover",
        rule="agents.university.step_year",
    )
    transfer_support_elasticity: float = param(
        0.2,
        low=0.0,
        high=0.6,
        unit="elasticity",
        source="assumption; effect of transfer support on licensing and spin-offs",
        rule="agents.university.transfer_multiplier",
    )
    transfer_support_floor_yuan: float = param(
        1.0e6,
        low=1.0e5,
        high=1.0e7,
        unit="yuan per year",
        source="assumption; keeps the support ratio finite when a policy has no support",
        rule="agents.university.transfer_multiplier",
    )
    transfer_market_growth: float = param(
        0.15,
        low=0.0,
        high=0.6,
        unit="share per year",
        source="calibrated; deepening technology market (turnover 102.5 to 823.6 over 2017-2022)",
        rule="agents.university.deepen_market",
    )
    transfer_market_ceiling: float = param(
        0.15,
        low=0.04,
        high=0.4,
        unit="technology-contract turnover / GDP at full market depth",
        source="calibrated; turnover 1 % of GDP (2017), 5.9 % (2022), about 9.4 % (2025); "
        "leading tech cities reach 10-20 %",
        rule="agents.university.deepen_market",
    )
    licence_turnover_share: float = param(
        0.12,
        low=0.08,
        high=0.2,
        unit="share of institutions' contract turnover",
        source="China S&T-result transfer annual report (universities and institutes): transfer, "
        "licence and equity 241.3 of 2,054.4 (100m yuan), 11.7 % (2023); 16-19 % (2018); Hunan "
        "transfer contracts 12 % of turnover (2017)",
        rule="agents.university.step_year",
    )
    licences_per_output: float = param(
        0.02,
        low=0.005,
        high=0.1,
        unit="licences per output unit per year",
        source="assumption; licensing intensity of research output",
        rule="agents.university.step_year",
    )
    spinoffs_per_1000_output: float = param(
        2.0,
        low=0.5,
        high=6.0,
        unit="spin-offs per 1000 output units per year",
        source="hand-set; no spin-off series found",
        rule="agents.university.step_year",
    )
    big_science_rate_per_bn: float = param(
        0.03,
        low=0.005,
        high=0.1,
        unit="probability per year per bn yuan cumulative",
        source="assumption; national lab / facility approval rises with flagship investment",
        rule="agents.university.big_science_probability",
    )
    big_science_min_investment_yuan: float = param(
        2.0e9,
        low=5.0e8,
        high=5.0e9,
        unit="yuan cumulative",
        source="assumption; threshold before candidacy",
        rule="agents.university.big_science_probability",
    )

    new_type_founding_rate: float = param(
        0.05,
        low=0.02,
        high=0.12,
        unit="new institutions per university per year",
        source="MOST policy dept. and Torch Centre survey (2020): about 250 new-type R&D "
        "institutions founded a year in 2017-2019 nationally; times Changsha's 1.3 % of national "
        "R&D over its 58 universities: 0.055",
        rule="agents.university.found_new_type_institutions",
    )
    new_type_investment_yuan: float = param(
        2.0e7,
        low=5.0e6,
        high=1.0e8,
        unit="yuan",
        source="assumption; typical founding investment of a new-type R&D institution",
        rule="agents.university.found_new_type_institutions",
    )
    new_type_award_elasticity: float = param(
        1.0,
        low=0.3,
        high=2.6,
        unit="elasticity of foundings to award / investment",
        source="assumption bounded by SME R&D price elasticity 2.6 (Dechezlepretre et al.), as "
        "for R&D-centre arrivals",
        rule="agents.university.found_new_type_institutions",
    )
    new_type_researchers: float = param(
        80.0,
        low=20.0,
        high=500.0,
        unit="researchers",
        source="assumption; staff of a new-type R&D institution when founded (Changsha base: "
        "about 10 % of 40,000 researchers in 50 institutions)",
        rule="agents.university.found_new_type_institutions",
    )


NEW_TYPE = UNIVERSITY_KINDS.index("new_type_institution")
UNIVERSITY = UNIVERSITY_KINDS.index("university")


class UniversityState(Population):
    """Columns of the university / institute population."""

    schema = {
        "kind": np.int8,
        "students_bachelor": np.float64,
        "students_master": np.float64,
        "students_phd": np.float64,
        "graduates": np.float64,  # last year's graduates, all degrees
        "researchers": np.float64,
        "rd_spend": np.float64,  # yuan per year
        "research_output": np.float64,  # output units per year
        "contract_turnover": np.float64,  # yuan per year
        "licences": np.float64,  # per year
        "spinoffs": np.int32,  # cumulative
        "platforms": np.int64,  # provincial / municipal
        "national_platforms": np.int64,
        "national_key_labs": np.int64,
        "flagship_investment": np.float64,  # yuan cumulative
        "flagship_researchers": np.float64,  # researchers paid by this year's flagship money
        "big_science": bool,  # hosts a national lab or large facility
    }


class University(RowAgent):
    """A university, research institute, new-type R&D institution or flagship lab."""

    population_attr = "universities"
    state = UniversityState

    @property
    def kind_name(self) -> str:
        """Kind of institution."""
        return UNIVERSITY_KINDS[self.kind]


@dataclass
class YearOutput:
    """What the institutions' year produces for other rules."""

    graduates: dict[str, float]  # graduates by degree (persons)
    spinoffs: int  # new spin-off firms


def graduates_by_degree(students: dict[str, np.ndarray], rate: dict) -> dict[str, np.ndarray]:
    """Graduates of one year: students times the graduation rate of each degree."""
    return {d: students[d] * rate[d] for d in DEGREES}


def transfer_multiplier(support: float, support_ref: float, p: UniversityParams) -> float:
    """Effect of technology-transfer support relative to the base-year policy (constant elasticity).

    A floor (``transfer_support_floor_yuan``) keeps the ratio finite when a policy has no support.
    """
    floor = p.transfer_support_floor_yuan
    return ((support + floor) / (support_ref + floor)) ** p.transfer_support_elasticity


def channel_support(amounts: dict[str, float]) -> dict[str, float]:
    """Support per transfer channel: the sum of the instruments that serve it (yuan per year).

    Args:
        amounts: Yuan per year of each instrument of :data:`TRANSFER_INSTRUMENTS`.
    """
    return {
        c: sum(amounts[i] for i, serves in TRANSFER_INSTRUMENTS.items() if c in serves)
        for c in TRANSFER_CHANNELS
    }


def transfer_multipliers(
    amounts: dict[str, float], reference: dict[str, float], p: UniversityParams
) -> dict[str, float]:
    """Multiplier of each channel from the instruments in force against the base-year policy."""
    now, ref = channel_support(amounts), channel_support(reference)
    return {c: transfer_multiplier(now[c], ref[c], p) for c in TRANSFER_CHANNELS}


def deepen_market(depth: float, base_turnover_share: float, p: UniversityParams) -> float:
    """Next year's technology-market depth: a logistic maturing of the market's institutions.

    ``depth * (1 + transfer_market_growth * max(0, 1 - depth * s0 / transfer_market_ceiling))``,
    where ``s0`` is the base year's technology-contract turnover as a share of GDP: the market
    matures until the base-year market would reach the ceiling share at full depth. The depth
    depends on time alone, not on the levers: a lever that adds contracts (or knowledge) adds
    turnover at every depth and never slows the market's maturing (an earlier rule slowed it by
    this year's turnover share, froze the depth when the share crossed the ceiling, and so made
    more support lower the turnover of later years).
    """
    room = max(0.0, 1.0 - depth * base_turnover_share / p.transfer_market_ceiling)
    return depth * (1.0 + p.transfer_market_growth * room)


def big_science_probability(
    cumulative: np.ndarray, minimum: float, rate_per_bn: float
) -> np.ndarray:
    """Yearly chance of a national lab / facility: rises with cumulative flagship investment."""
    return -np.expm1(-rate_per_bn * np.maximum(cumulative - minimum, 0.0) / 1e9)


def paid_researchers(
    kind: np.ndarray, invest: float, rd_per_researcher: float, p: UniversityParams
) -> np.ndarray:
    """Researchers that flagship money pays for, per institution (0 for non-flagship ones).

    ``flagship_researcher_share`` of the yearly investment, spread evenly over the flagship labs,
    at the base-year R&D cost per researcher. At the base year the flow in force is part of the
    observed researcher stock (the model counts it there, not again on top).
    """
    flagship = kind == FLAGSHIP
    n_flag = max(int(flagship.sum()), 1)
    return np.where(
        flagship, invest / n_flag / rd_per_researcher * p.flagship_researcher_share, 0.0
    )


def rd_spending(
    universities: UniversityState, rd_per_researcher: float, wage_index: float
) -> float:
    """Quarterly R&D of institutions (annual rate in ``rd_spend``); returns the quarter's yuan."""
    u = universities
    idx = u.live()
    u.rd_spend[idx] = u.researchers[idx] * rd_per_researcher * wage_index
    return float(u.rd_spend[idx].sum()) / 4.0


def step_year(
    universities: UniversityState,
    p: UniversityParams,
    rng: np.random.Generator,
    *,
    policy: PolicyView,
    ledger: CostLedger,
    gdp_growth_last_year: float,
    rd_per_researcher: float,
    market_depth: float,
) -> YearOutput:
    """Graduation, enrolment, researchers, research output and technology transfer.

    Books flagship investment (lever B) and the technology-transfer instruments (lever D).

    Args:
        universities: The institution population.
        p: University parameters.
        rng: The universities' random stream.
        policy: Levers in force.
        ledger: Public cost ledger.
        gdp_growth_last_year: GDP growth of the previous year.
        rd_per_researcher: Base-year R&D per researcher (yuan per year).
        market_depth: Technology-market depth relative to the base year (:func:`deepen_market`).

    Returns:
        This year's graduates by degree and new spin-offs.
    """
    u = universities
    idx = u.live()
    students = {d: getattr(u, f"students_{d}")[idx] for d in DEGREES}
    grads = graduates_by_degree(students, p.graduation_rate)
    for d in DEGREES:
        col = getattr(u, f"students_{d}")
        col[idx] = students[d] * (1.0 + p.enrolment_growth)
    u.graduates[idx] = sum(grads.values())
    # Researchers grow with the economy; flagship money pays for researchers while it flows (a
    # recurring cost: the researchers it pays go when the money stops).
    flagship_share = np.where(u.kind[idx] == FLAGSHIP, 1.0, 0.0)
    n_flag = max(flagship_share.sum(), 1.0)
    invest = policy.amount("flagship_investment_yuan_per_year", "B")
    invest *= ledger.book("flagship_investment", invest)  # share granted under a budget cap
    u.flagship_investment[idx] += invest * flagship_share / n_flag
    organic = u.researchers[idx] - u.flagship_researchers[idx]
    organic *= 1.0 + gdp_growth_last_year * p.researcher_growth_elasticity
    paid = paid_researchers(u.kind[idx], invest, rd_per_researcher, p)
    u.flagship_researchers[idx] = paid
    u.researchers[idx] = organic + paid
    u.research_output[idx] = u.researchers[idx] * p.output_per_researcher
    # Technology transfer: each instrument supports its channels (TRANSFER_INSTRUMENTS).
    amounts = {name: policy.amount(name, "D") for name in TRANSFER_INSTRUMENTS}
    for name, yuan in amounts.items():
        line = "licence_guarantees" if name.startswith("licence") else "tech_transfer_support"
        amounts[name] = yuan * ledger.book(line, yuan)  # the share granted under a budget cap
    reference = {name: float(getattr(policy.reference, name)) for name in TRANSFER_INSTRUMENTS}
    mult = transfer_multipliers(amounts, reference, p)
    output = u.research_output[idx]
    # Contract research moves with the turnover channel, licensing contracts with the licences one.
    share = p.licence_turnover_share
    channels = (1.0 - share) * mult["turnover"] + share * mult["licences"]
    turnover = output * p.transfer_turnover_per_output_yuan * channels * market_depth
    u.contract_turnover[idx] = turnover
    u.licences[idx] = output * p.licences_per_output * mult["licences"]
    spin = rng.poisson(output / 1000.0 * p.spinoffs_per_1000_output * mult["spinoffs"])
    u.spinoffs[idx] += spin
    return YearOutput({d: float(g.sum()) for d, g in grads.items()}, int(spin.sum()))


def new_type_award(levers, p: UniversityParams, scale_b: float = 1.0) -> float:
    """Award to one new new-type institution: a share of its investment, up to the cap (yuan)."""
    share = levers.new_type_award_investment_share * p.new_type_investment_yuan
    return min(share, levers.new_type_award_cap_yuan) * scale_b


def found_new_type_institutions(
    universities: UniversityState,
    p: UniversityParams,
    rng: np.random.Generator,
    *,
    policy: PolicyView,
    ledger: CostLedger,
) -> np.ndarray:
    """Once a year: new-type R&D institutions founded, and their awards paid (lever B, item 6).

    Foundings are Poisson with mean ``new_type_founding_rate`` per university times
    ``((1 + a / I) / (1 + a_ref / I)) ** new_type_award_elasticity``, where ``a`` is the award in
    force, ``a_ref`` the base-year award and ``I`` the typical investment: the form of R&D-centre
    arrivals (:func:`agents.rd_centres.attractiveness`). Each starts with
    ``new_type_researchers`` researchers and hosts platforms like any institution.

    Returns:
        The rows of the new institutions.
    """
    u = universities
    idx = u.live()
    award = new_type_award(policy.levers, p, policy.scale("B"))
    award_ref = new_type_award(policy.reference, p)
    invest = p.new_type_investment_yuan
    mult = ((1 + award / invest) / (1 + award_ref / invest)) ** p.new_type_award_elasticity
    n_univ = int((u.kind[idx] == UNIVERSITY).sum())
    n = int(rng.poisson(p.new_type_founding_rate * n_univ * mult))
    if n == 0:
        return np.empty(0, np.int64)
    ledger.book("new_type_awards", n * award)
    rows = u.append(n, kind=NEW_TYPE, researchers=p.new_type_researchers)
    u.research_output[rows] = p.new_type_researchers * p.output_per_researcher
    return rows


def big_science_candidacy(
    universities: UniversityState, p: UniversityParams, rng: np.random.Generator
) -> None:
    """The flagship programme as a whole may win a national lab or large facility this year.

    The yearly chance rises with the programme's cumulative investment (all flagship labs
    together) above ``big_science_min_investment_yuan``; a win is hosted by the flagship lab with
    the most researchers that hosts none yet.
    """
    u = universities
    idx = u.live()
    flag = idx[(u.kind[idx] == FLAGSHIP) & ~u.big_science[idx]]
    if len(flag) == 0:
        return
    total = float(u.flagship_investment[idx][u.kind[idx] == FLAGSHIP].sum())
    prob = big_science_probability(
        np.array([total]), p.big_science_min_investment_yuan, p.big_science_rate_per_bn
    )[0]
    if rng.random() < prob:
        u.big_science[flag[np.argmax(u.researchers[flag])]] = True


def research_output(universities: UniversityState) -> float:
    """Research output of live institutions (output units per year)."""
    u = universities
    return float(u.research_output[u.live()].sum())


def contract_turnover(universities: UniversityState) -> float:
    """Technology-contract turnover of institutions (yuan per year)."""
    u = universities
    return float(u.contract_turnover[u.live()].sum())


def count_big_science(universities: UniversityState) -> int:
    """National labs or large facilities hosted (the ``big_science`` KPI)."""
    return universities.count(universities.big_science)
