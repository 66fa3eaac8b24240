"""Universities and research institutes: graduates, research, technology transfer, platforms.

Includes new-type R&D institutions and the flagship labs whose cumulative funding drives the
candidacy for a national laboratory or large scientific facility.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.categories import DEGREES, UNIVERSITY_KINDS
from agents.population import Population, RowAgent

if TYPE_CHECKING:
    from sim.model import InnovationModel

FLAGSHIP = UNIVERSITY_KINDS.index("flagship_lab")


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
        "platforms": np.int16,  # provincial / municipal
        "national_platforms": np.int16,
        "national_key_labs": np.int16,
        "flagship_investment": np.float64,  # yuan cumulative
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


def graduates_by_degree(students: dict[str, np.ndarray], rate: dict) -> dict[str, np.ndarray]:
    """Graduates of one year: students times the graduation rate of each degree."""
    return {d: students[d] * rate[d] for d in DEGREES}


def transfer_multiplier(support: float, support_ref: float, elasticity: float) -> float:
    """Effect of technology-transfer support relative to the base-year policy (constant elasticity).

    A floor of 1 m yuan keeps the ratio finite when a policy has no support at all.
    """
    floor = 1e6
    return ((support + floor) / (support_ref + floor)) ** elasticity


def big_science_probability(
    cumulative: np.ndarray, minimum: float, rate_per_bn: float
) -> np.ndarray:
    """Yearly chance of a national lab / facility: rises with cumulative flagship investment."""
    return -np.expm1(-rate_per_bn * np.maximum(cumulative - minimum, 0.0) / 1e9)


def step_quarter(model: InnovationModel) -> None:
    """Quarterly R&D spending grows with researchers (annual rate kept in ``rd_spend``)."""
    u = model.universities
    idx = u.live()
    u.rd_spend[idx] = u.researchers[idx] * model.univ_rd_per_researcher * model.economy.wage_index
    model.univ_rd_this_year += float(u.rd_spend[idx].sum()) / 4.0


def step_year(model: InnovationModel) -> None:
    """Graduation, enrolment, research output, transfer, platforms and big-science candidacy."""
    u, p, rng = model.universities, model.behaviour.university, model.streams.university
    idx = u.live()
    lv, ref = model.policy.levers, model.policy.reference
    students = {d: getattr(u, f"students_{d}")[idx] for d in DEGREES}
    grads = graduates_by_degree(students, p.graduation_rate)
    for d in DEGREES:
        col = getattr(u, f"students_{d}")
        col[idx] = students[d] * (1.0 + p.enrolment_growth)
    u.graduates[idx] = sum(grads.values())
    model.talent_graduates = {d: float(g.sum()) for d, g in grads.items()}
    # Researchers grow with the economy and with flagship funding.
    flagship_share = np.where(u.kind[idx] == FLAGSHIP, 1.0, 0.0)
    n_flag = max(flagship_share.sum(), 1.0)
    invest = model.policy.amount("flagship_investment_yuan_per_year", "B")
    u.flagship_investment[idx] += invest * flagship_share / n_flag
    model.gov.book("flagship_investment", invest)
    u.researchers[idx] *= 1.0 + model.economy.growth_last_year * 0.5
    u.researchers[idx] += flagship_share * invest / n_flag / model.univ_rd_per_researcher * 0.5
    u.research_output[idx] = u.researchers[idx] * p.output_per_researcher
    # Technology transfer.
    support = model.policy.amount("tech_transfer_support_yuan_per_year", "D")
    model.gov.book("tech_transfer_support", support)
    mult = transfer_multiplier(
        support, ref.tech_transfer_support_yuan_per_year, p.transfer_support_elasticity
    )
    market = model.transfer_market_depth()
    turnover = u.research_output[idx] * p.transfer_turnover_per_output_yuan * mult * market
    u.contract_turnover[idx] = turnover
    u.licences[idx] = u.research_output[idx] * 0.02 * mult
    spin = rng.poisson(u.research_output[idx] / 1000.0 * p.spinoffs_per_1000_output * mult)
    u.spinoffs[idx] += spin
    model.pending_spinoffs += int(spin.sum())
    # Platforms hosted by universities and institutes.
    award_mult = model.policy.platform_award_multiplier(
        "provincial_municipal", model.behaviour.firm.platform_award_elasticity
    )
    new = rng.poisson(p.platform_rate_per_1000_researchers * u.researchers[idx] / 1000 * award_mult)
    closed = rng.binomial(u.platforms[idx], model.behaviour.firm.platform_closure_rate)
    u.platforms[idx] += (new - closed).astype(np.int16)
    model.platform_ledger.approve("provincial_municipal", int(new.sum()))
    nkl_mult = model.policy.platform_award_multiplier(
        "national_key_lab", model.behaviour.firm.platform_award_elasticity
    )
    pool = 1.0 + 0.5 * (lv.cultivation_pool_size > 0)
    n_new = rng.poisson(p.national_key_lab_rate * nkl_mult * pool)
    if n_new:
        w = u.researchers[idx] / u.researchers[idx].sum()
        hosts = rng.choice(idx, size=n_new, p=w)
        np.add.at(u.national_key_labs, hosts, 1)
        model.platform_ledger.approve("national_key_lab", n_new)
    # Big science: flagship labs with enough cumulative investment may be approved.
    prob = big_science_probability(
        u.flagship_investment[idx], p.big_science_min_investment_yuan, p.big_science_rate_per_bn
    )
    won = (u.kind[idx] == FLAGSHIP) & ~u.big_science[idx] & (rng.random(len(idx)) < prob)
    u.big_science[idx[won]] = True
