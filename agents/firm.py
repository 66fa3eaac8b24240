"""Firms: R&D under the user cost of R&D, hiring, innovation, growth and exit.

State lives in :class:`FirmState` (one row per firm); :class:`Firm` is the Mesa agent. Money is in
yuan per year (annual rates) unless a name says otherwise. Each quarter the schedule calls

1. :func:`plan_rd`: the R&D budget each firm wants, from the user cost of R&D (Hall-Jorgenson,
   with the super-deduction, tax rates and local marginal subsidies; partial adjustment after Bloom,
   Griffith & Van Reenen 2002), awards being spent (crowding-out after Boeing 2016) and the
   high-tech notch (bunching, Chen, Liu, Suarez Serrato & Xu 2021);
2. the R&D labour market (:mod:`agents.labour_market`) with the posts this implies;
3. :func:`produce`: R&D at the filled share of posts, reported R&D (relabelling), national tax
   expenditure, innovation draws, knowledge, revenue growth with Laplace shocks (Bottazzi & Secchi
   2006; Riccaboni et al. 2008), ageing and exit (SAIC 2013 hazard by age). It returns the rows
   that exit.

At year end :func:`pay_rd_subsidies` pays the post-R&D, incremental-R&D and cultivation
subsidies. Statuses (high-tech, tech SME, little giant, listed) are in :mod:`agents.statuses`, R&D
centres in :mod:`agents.rd_centres` and platforms in :mod:`agents.platforms`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.categories import CENTRE_TYPES, OWNERSHIPS
from agents.params import param
from agents.population import Population, RowAgent
from agents.world import CostLedger, PolicyView

PRIVATE, SOE, FOREIGN, F500 = (OWNERSHIPS.index(o) for o in OWNERSHIPS)
CENTRE_CODE = {name: i + 1 for i, name in enumerate(CENTRE_TYPES)}
"""Code of each R&D-centre type in ``FirmState.centre_type`` (0 = no centre)."""


@dataclass
class FirmParams:
    """Parameters of the firm rules (``region.behaviour.firm``)."""

    rd_elasticity_long_run: float = param(
        -1.0,
        low=-2.0,
        high=-0.14,
        unit="elasticity",
        minimum=-5.0,
        maximum=0.0,
        source="Bloom, Griffith & Van Reenen (2002) LR about -1.0; Chen et al. (2021) real 1.14",
        rule="agents.firm.long_run_response",
    )
    basic_research_share: float = param(
        0.005,
        low=0.001,
        high=0.01,
        unit="share of firm R&D",
        source="Li, Zhang & Liu (2022) Bull. Chinese Academy of Sciences 37(9): basic research is "
        "under 1 % of enterprise R&D; the relief covers only the part funded at universities, "
        "institutes and foundations (MOF/STA 2022 No. 32), a subset",
        rule="agents.firm.deduction_rate",
    )
    rd_adjustment_speed: float = param(
        0.1,
        low=0.05,
        high=0.4,
        unit="share per year",
        source="SR/LR elasticity ratio -0.1/-1.0, Bloom, Griffith & Van Reenen (2002)",
        rule="agents.firm.adjust_rd",
    )
    subsidy_crowding_out: float = param(
        0.25,
        low=0.0,
        high=0.5,
        unit="share",
        source="Boeing (2016): 0.5 yuan in year of receipt, neutral later; Dimos & Pugh (2016)",
        rule="agents.firm.spend_awards",
    )
    relabel_share_hte: float = param(
        0.242,
        low=0.10,
        high=0.30,
        unit="share",
        source="Chen, Liu, Suarez Serrato & Xu (2021) AER: relabelling 24.2% of reported R&D",
        rule="agents.firm.reported_rd",
    )
    rd_cost_per_fte_yuan: float = param(
        490_000.0,
        low=350_000.0,
        high=650_000.0,
        unit="yuan per FTE-year",
        source="China 2022: R&D 3.08 trn yuan / about 6.35 m FTE (NBS R&D bulletin)",
        rule="agents.firm.produce",
    )
    innovation_rate_per_m_yuan: float = param(
        0.08,
        low=0.02,
        high=0.3,
        unit="per million yuan of quarterly real R&D",
        source="hand-set (not yet fitted); prior 0.28 invention grants per m yuan (CNIPA/NBS 2023)",
        rule="agents.firm.innovation_draws",
    )
    innovation_growth_boost: float = param(
        0.02,
        low=0.005,
        high=0.05,
        unit="log revenue per innovation",
        source="calibrated; R&D-TFP elasticity 0.09 (Chen et al. 2021)",
        rule="agents.firm.revenue_growth",
    )
    knowledge_depreciation: float = param(
        0.15,
        low=0.10,
        high=0.25,
        unit="share per year",
        source="Griliches / Hall (2007) conventional 15% R&D capital depreciation",
        rule="agents.firm.produce",
    )
    growth_laplace_scale: float = param(
        0.12,
        low=0.06,
        high=0.20,
        unit="log growth per year",
        source="Bottazzi & Secchi (2006) Laplace growth rates",
        rule="agents.firm.revenue_growth",
    )
    growth_size_exponent: float = param(
        0.17,
        low=0.14,
        high=0.20,
        unit="exponent",
        source="Riccaboni et al. (2008) PNAS: sigma(S) ~ S^-beta",
        rule="agents.firm.revenue_growth",
    )
    exit_hazard_by_age: list = param(
        [0.016, 0.063, 0.095, 0.09, 0.085, 0.08, 0.08, 0.05],
        low=0.0,
        high=0.1,
        unit="probability per year",
        source="SAIC (2013) survival report, ages 0..7+",
        rule="agents.firm.exit_draws",
    )
    exit_hazard_scale: float = param(
        0.5,
        low=0.2,
        high=1.0,
        unit="multiplier",
        source="hand-set; innovative firms survive longer than all enterprises (SAIC 2013 scaled)",
        rule="agents.firm.exit_scale",
    )
    exit_size_exponent: float = param(
        0.3,
        low=0.0,
        high=0.6,
        unit="exponent",
        source="assumption; larger firms survive more (SAIC 2013)",
        rule="agents.firm.exit_scale",
    )
    exit_size_factor_cap: float = param(
        3.0,
        low=1.0,
        high=5.0,
        unit="multiplier",
        source="assumption; the smallest firms' exit hazard is at most this multiple",
        rule="agents.firm.exit_scale",
    )
    listed_exit_factor: float = param(
        0.2,
        low=0.05,
        high=0.5,
        unit="multiplier",
        source="assumption; listed firms rarely close (A-share delistings are rare)",
        rule="agents.firm.exit_scale",
    )
    centre_increment_share: float = param(
        0.1,
        low=0.05,
        high=0.2,
        unit="share of R&D",
        source="NBS/MOST/MOF R&D bulletins: enterprise R&D +11.0 % (2022), all R&D +12.5 % "
        "(2019); a typical year's increment, at which the cap of the incremental-R&D subsidy "
        "is checked for the marginal rate",
        rule="agents.firm.marginal_support",
    )
    rd_own_funds_cap_share: float = param(
        1.0,
        low=0.3,
        high=1.0,
        unit="share of revenue",
        maximum=1.0,
        source="assumption; a firm cannot fund more R&D of its own than its revenue (the model "
        "has no equity or debt finance of R&D); awards and fund money it holds come on top",
        rule="agents.firm.fundable_rd",
    )
    profit_margin: float = param(
        0.08,
        low=0.03,
        high=0.15,
        unit="share of revenue",
        source="assumption; margin used only to estimate the high-tech CIT cut (tax expenditure)",
        rule="agents.firm.book_tax_expenditure",
    )


class FirmState(Population):
    """Columns of the firm population."""

    defaults = {"cost_response": 1.0}

    schema = {
        "industry": np.int8,
        "zone": np.int8,  # code in the region's zones (agents.categories.Structure)
        "bonded": bool,  # in the region's bonded zone (bonded R&D, lever A5, applies)
        "ownership": np.int8,
        "revenue": np.float64,  # yuan per year
        "employees": np.float64,
        "rd_staff": np.float64,  # FTE
        "rd_intensity_target": np.float64,  # desired real R&D / revenue at reference user cost
        "cost_response": np.float64,  # factor on R&D from the user cost, adjusting partially
        "rd_real": np.float64,  # yuan per year (annual rate)
        "rd_reported": np.float64,  # yuan per year, incl. relabelled spending of HTEs
        "rd_last_year": np.float64,  # reported R&D of the previous calendar year
        "rd_this_year": np.float64,  # reported R&D accumulated in the current year
        "award_pool": np.float64,  # yuan of awards / investment still to be spent on R&D
        "knowledge": np.float64,  # yuan of R&D capital
        "age": np.float64,  # years
        "innovations": np.int32,
        "high_tech": bool,
        "tech_sme": bool,
        "little_giant": bool,
        "listed": bool,
        "centre_type": np.int8,  # R&D centre hosted: 0 = none, else 1 + index in CENTRE_TYPES
        "centre_registered": bool,  # registered as one of the five types (the rd_centres KPI)
        "platforms": np.int64,  # provincial / municipal platforms hosted
        "national_enterprise_tech_centre": np.int64,
        "national_innovation_centre": np.int64,
        "other_national": np.int64,
        "cultivation": bool,  # candidate in the national-platform cultivation pool
        "fund_backed": bool,
        "entry_year": np.int16,
    }


class Firm(RowAgent):
    """A firm of the city. Attributes read and write its row of ``model.firms``."""

    population_attr = "firms"
    state = FirmState

    @property
    def national_platforms(self) -> int:
        """National platforms hosted."""
        return (
            self.national_enterprise_tech_centre
            + self.national_innovation_centre
            + self.other_national
        )

    @property
    def centre(self) -> str:
        """R&D-centre type name, or ``"none"``."""
        code = self.centre_type
        return "none" if code == 0 else CENTRE_TYPES[code - 1]


# ---------------------------------------------------------------------------------------------
# Rules (pure functions of arrays)


def user_cost(
    tax_rate: np.ndarray, super_deduction: float, marginal_subsidy: np.ndarray
) -> np.ndarray:
    """After-tax price of one yuan of R&D, relative to an untaxed firm (Hall-Jorgenson form).

    ``(1 - t (1 + s) - m) / (1 - t)``: the deduction of ``1 + s`` yuan saves ``t (1 + s)``, a
    marginal subsidy or relief saves ``m``; dividing by ``1 - t`` compares with after-tax profit.

    Args:
        tax_rate: Corporate income-tax rate per firm.
        super_deduction: Additional deduction share (1.0 = 100 %).
        marginal_subsidy: Subsidy or duty relief per marginal yuan of R&D, per firm.

    Returns:
        User cost per firm, floored at 0.05 so extreme levers stay finite.
    """
    price = (1.0 - tax_rate * (1.0 + super_deduction) - marginal_subsidy) / (1.0 - tax_rate)
    return np.maximum(price, 0.05)


def deduction_rate(levers, basic_share: float) -> float:
    """Additional deduction of a marginal yuan of firm R&D, blending basic research in.

    The super-deduction covers the firm's own R&D; its funding of basic research at universities
    and institutes is deducted at ``basic_research_deduction_rate`` (MOF/STA Announcement 2022
    No. 32: in full plus 100 %, from 2022). A share ``basic_share`` of the R&D yuan is basic.
    """
    return (1.0 - basic_share) * levers.super_deduction_rate + (
        basic_share * levers.basic_research_deduction_rate
    )


def capped_marginal_rate(rate: float, cap_yuan: np.ndarray, base_yuan: np.ndarray) -> np.ndarray:
    """Marginal subsidy rate of a capped proportional subsidy: ``rate`` until the cap binds.

    Args:
        rate: Subsidy per yuan of the subsidised base.
        cap_yuan: Cap per firm (yuan per year).
        base_yuan: The subsidised base per firm (yuan per year).

    Returns:
        ``rate`` where ``rate * base < cap``, else 0 (the cap removes the marginal incentive).
    """
    return np.where(rate * base_yuan < cap_yuan, rate, 0.0)


def long_run_response(cost: np.ndarray, cost_ref: np.ndarray, elast: float) -> np.ndarray:
    """Long-run factor on R&D from the user cost: ``(cost / cost_ref) ** elasticity``.

    Args:
        cost: Current user cost per firm.
        cost_ref: User cost under the base-year (reference) policy.
        elast: Long-run user-cost elasticity (negative).

    Returns:
        Factor multiplying the firm's R&D at the reference user cost (1 when nothing changed).
    """
    return (cost / cost_ref) ** elast


def adjust_rd(current: np.ndarray, target: np.ndarray, speed_per_quarter: float) -> np.ndarray:
    """Partial adjustment in logs: move ``speed`` of the way from ``current`` to ``target``.

    Applied to the user-cost response, it makes the short-run elasticity ``speed`` times the
    long-run one (Bloom, Griffith & Van Reenen 2002), while R&D still scales with revenue at once.
    """
    now = np.maximum(current, 1e-12)
    return now * (np.maximum(target, 1e-12) / now) ** speed_per_quarter


def desired_rd(revenue: np.ndarray, intensity: np.ndarray, response: np.ndarray) -> np.ndarray:
    """Own R&D budget: intensity at the reference user cost x revenue x the cost response."""
    return intensity * revenue * response


def fundable_rd(
    own: np.ndarray, revenue: np.ndarray, intensity: np.ndarray, cap_share: float
) -> np.ndarray:
    """Own R&D a firm can fund (yuan per year): policy cannot push it past its means.

    The means are ``cap_share`` of revenue, or the firm's planned R&D at base-year policy
    (``intensity x revenue``) where that is more: start-ups that plan R&D above their revenue fund
    it from their founding capital. Awards and fund money being spent (:func:`spend_awards`) come
    on top, so real R&D never exceeds these means plus the award pool the firm holds.
    """
    return np.minimum(own, np.maximum(cap_share, intensity) * revenue)


def spend_awards(pool: np.ndarray, crowding_out: float) -> tuple[np.ndarray, np.ndarray]:
    """Spend a quarter of the award pool on R&D, net of crowding-out of own funds.

    Args:
        pool: Yuan of awards and fund money not yet spent, per firm.
        crowding_out: Own R&D cut per yuan of award (Boeing 2016).

    Returns:
        ``(extra_rd_annual_rate, new_pool)``.
    """
    spent = 0.25 * pool
    return 4.0 * spent * (1.0 - crowding_out), pool - spent


def reported_rd(rd_real: np.ndarray, high_tech: np.ndarray, relabel_share: float) -> np.ndarray:
    """Reported R&D: high-tech firms relabel ``relabel_share`` of what they report (Chen 2021)."""
    return np.where(high_tech, rd_real / (1.0 - relabel_share), rd_real)


def innovation_draws(
    rng: np.random.Generator, rd_real: np.ndarray, rate_per_m: float, multiplier: np.ndarray
) -> np.ndarray:
    """Innovation this quarter with probability ``1 - exp(-rate * quarterly R&D in m * spill)``."""
    hazard = rate_per_m * (rd_real / 4.0 / 1e6) * multiplier
    return rng.random(rd_real.shape) < -np.expm1(-hazard)


def revenue_growth(
    rng: np.random.Generator,
    revenue: np.ndarray,
    drift_per_quarter: float,
    innovated: np.ndarray,
    boost: float,
    laplace_scale_year: float,
    size_exponent: float,
    size_ref: float,
) -> np.ndarray:
    """New revenue after one quarter of log growth with Laplace shocks.

    The shock scale falls with size as ``(S / S_ref) ** -beta`` (Riccaboni et al. 2008); the
    drift is corrected so that the expected growth factor equals ``exp(drift)``.
    """
    b = 0.5 * laplace_scale_year * (np.maximum(revenue, 1.0) / size_ref) ** (-size_exponent)
    b = np.minimum(b, 0.45)
    shock = rng.laplace(0.0, 1.0, revenue.shape) * b
    correction = np.log1p(-(b**2))  # E[exp(Laplace(0, b))] = 1 / (1 - b^2)
    return revenue * np.exp(drift_per_quarter + boost * innovated + shock + correction)


def exit_draws(
    rng: np.random.Generator, age: np.ndarray, hazard_by_age: list, scale: np.ndarray
) -> np.ndarray:
    """Quarterly exit from an annual age hazard curve (last entry applies to older firms)."""
    curve = np.asarray(hazard_by_age)
    annual = curve[np.minimum(age.astype(np.int64), len(curve) - 1)] * scale
    return rng.random(age.shape) < -np.expm1(np.log1p(-np.minimum(annual, 0.99)) / 4.0)


def exit_scale(
    revenue: np.ndarray, listed: np.ndarray, size_ref: float, p: FirmParams
) -> np.ndarray:
    """Multiplier of the age hazard: larger firms survive more, listed firms much more."""
    size = np.maximum(revenue, 1.0) / size_ref
    size_factor = np.minimum(size**-p.exit_size_exponent, p.exit_size_factor_cap)
    return p.exit_hazard_scale * np.where(listed, p.listed_exit_factor, 1.0) * size_factor


def tax_rates(high_tech: np.ndarray, levers) -> np.ndarray:
    """Corporate tax rate per firm: the high-tech rate for certified firms."""
    return np.where(high_tech, levers.hte_tax_rate, levers.standard_tax_rate)


def marginal_support(
    firms: FirmState, idx: np.ndarray, levers, scale, increment_share: float
) -> np.ndarray:
    """Marginal subsidy or relief per yuan of R&D from local levers, per firm.

    Post-R&D subsidy (C), incremental-R&D subsidy of registered centres (A1-A4), cultivation
    support of platform candidates (B) and bonded-zone duty relief (A5); a capped subsidy stops
    acting at the margin once the cap binds (:func:`capped_marginal_rate`).

    Args:
        firms: The firm population.
        idx: Firm rows.
        levers: Lever config (current or reference).
        scale: Multiplier of a lever family's money (``PolicyView.scale``; 1 for the reference).
        increment_share: Typical yearly R&D increment as a share of R&D.

    Returns:
        Subsidy per marginal yuan of R&D.
    """
    f = firms
    rd = f.rd_reported[idx]
    m = scale("C") * capped_marginal_rate(
        levers.rd_post_subsidy_rate, np.full(len(idx), levers.rd_post_subsidy_cap_yuan), rd
    )
    centre = np.where(f.centre_registered[idx], f.centre_type[idx], 0)
    if levers.centre_incremental_rd_rate > 0:
        caps = np.array(
            [0.0, *[getattr(levers.centre_incremental_rd_cap_yuan, c) for c in CENTRE_TYPES]]
        )
        increment = np.maximum(increment_share * rd, 1.0)
        m = m + scale("A") * np.where(
            centre > 0,
            capped_marginal_rate(levers.centre_incremental_rd_rate, caps[centre], increment),
            0.0,
        )
    cult = f.cultivation[idx]
    if levers.cultivation_subsidy_rate > 0:
        m = m + scale("B") * np.where(
            cult,
            capped_marginal_rate(
                levers.cultivation_subsidy_rate,
                np.full(len(idx), levers.cultivation_subsidy_cap_yuan),
                rd,
            ),
            0.0,
        )
    m = m + np.where(f.bonded[idx], levers.bonded_duty_relief_rate, 0.0)
    return m


def _unscaled(family: str) -> float:
    return 1.0


@dataclass
class RdPlan:
    """What firms want to spend on R&D this quarter (yuan per year, per row of ``idx``)."""

    idx: np.ndarray
    own: np.ndarray  # own-funded R&D
    extra: np.ndarray  # awards and fund money being spent
    tax: np.ndarray  # corporate tax rate

    def posts_fte(self, cost_per_fte: float) -> float:
        """R&D posts the plan needs (FTE)."""
        return float((self.own + self.extra).sum() / cost_per_fte)


def plan_rd(
    firms: FirmState, idx: np.ndarray, p: FirmParams, policy: PolicyView, notch_intensity: float
) -> RdPlan:
    """Desired R&D of each firm: user-cost response, awards spent and the high-tech notch.

    Updates the partially adjusting cost response and the award pool of the firms.

    Args:
        firms: The firm population.
        idx: Live firm rows.
        p: Firm parameters.
        policy: Levers in force and the base-year policy.
        notch_intensity: R&D intensity required for high-tech certification
            (``statuses.hte_rd_intensity_threshold``).

    Returns:
        The plan (own and extra R&D, tax rates).
    """
    f = firms
    lv, ref = policy.levers, policy.reference
    tax = tax_rates(f.high_tech[idx], lv)
    support = marginal_support(f, idx, lv, policy.scale, p.centre_increment_share)
    cost = user_cost(tax, deduction_rate(lv, p.basic_research_share), support)
    tax_ref = tax_rates(f.high_tech[idx], ref)
    support_ref = marginal_support(f, idx, ref, _unscaled, p.centre_increment_share)
    cost_ref = user_cost(tax_ref, deduction_rate(ref, p.basic_research_share), support_ref)
    response = long_run_response(cost, cost_ref, p.rd_elasticity_long_run)
    speed_q = 1.0 - (1.0 - p.rd_adjustment_speed) ** 0.25
    f.cost_response[idx] = adjust_rd(f.cost_response[idx], response, speed_q)
    own = desired_rd(f.revenue[idx], f.rd_intensity_target[idx], f.cost_response[idx])
    extra, f.award_pool[idx] = spend_awards(f.award_pool[idx], p.subsidy_crowding_out)
    # High-tech firms budget R&D at least at the certification notch (bunching, Chen et al. 2021).
    notch = notch_intensity * (1 - p.relabel_share_hte) * f.revenue[idx]
    own = np.where(f.high_tech[idx], np.maximum(own, notch), own)
    own = fundable_rd(own, f.revenue[idx], f.rd_intensity_target[idx], p.rd_own_funds_cap_share)
    return RdPlan(idx, own, extra, tax)


def book_tax_expenditure(
    firms: FirmState,
    idx: np.ndarray,
    tax: np.ndarray,
    levers,
    ledger: CostLedger,
    margin: float,
    basic_share: float,
) -> None:
    """Book national tax expenditure: super-deduction, basic-research relief, HTE rate, bonded."""
    f, lv = firms, levers
    taxed_rd = tax * f.rd_reported[idx]
    ledger.book(
        "national_super_deduction",
        float((taxed_rd * (1 - basic_share) * lv.super_deduction_rate).sum() / 4),
    )
    ledger.book(
        "national_basic_research_relief",
        float((taxed_rd * basic_share * lv.basic_research_deduction_rate).sum() / 4),
    )
    profit = margin * f.revenue[idx]
    cut = (lv.standard_tax_rate - lv.hte_tax_rate) * profit * f.high_tech[idx]
    ledger.book("national_hte_tax_cut", float(cut.sum() / 4))
    relief = lv.bonded_duty_relief_rate * f.rd_real[idx] * f.bonded[idx]
    ledger.book("national_bonded_duty_relief", float(relief.sum() / 4))


def produce(
    firms: FirmState,
    plan: RdPlan,
    fill: float,
    p: FirmParams,
    rng: np.random.Generator,
    *,
    notch_intensity: float,
    levers,
    ledger: CostLedger,
    spillover: np.ndarray,
    drift_per_quarter: float,
    size_ref: float,
    revenue_per_employee: float,
) -> np.ndarray:
    """One quarter of R&D at the filled share of posts, innovation, growth, ageing and exit.

    Args:
        firms: The firm population.
        plan: This quarter's :func:`plan_rd`.
        fill: Share of R&D posts filled by the labour market.
        p: Firm parameters.
        rng: The firms' random stream.
        notch_intensity: R&D intensity of the high-tech notch.
        levers: Levers in force (tax rates for the tax-expenditure estimate).
        ledger: Public cost ledger.
        spillover: Innovation-rate multiplier per row of ``plan.idx``.
        drift_per_quarter: Log revenue drift (:func:`agents.economy.revenue_drift_per_quarter`).
        size_ref: Median base-year revenue (yuan per year).
        revenue_per_employee: Yuan of revenue per employee.

    Returns:
        Rows of the firms that exit this quarter (still alive; the schedule removes them).
    """
    f, idx, own, extra = firms, plan.idx, plan.own, plan.extra
    rd = np.where(own > 0, own * fill, 0.0) + extra * fill
    f.rd_real[idx] = rd
    f.rd_staff[idx] = rd / p.rd_cost_per_fte_yuan
    reported = reported_rd(rd, f.high_tech[idx], p.relabel_share_hte)
    # Short of staff, high-tech firms relabel more to stay at the notch.
    threshold = notch_intensity * f.revenue[idx]
    f.rd_reported[idx] = np.where(f.high_tech[idx], np.maximum(reported, threshold), reported)
    f.rd_this_year[idx] += f.rd_reported[idx] / 4.0
    book_tax_expenditure(f, idx, plan.tax, levers, ledger, p.profit_margin, p.basic_research_share)
    innovated = innovation_draws(rng, rd, p.innovation_rate_per_m_yuan, spillover)
    f.innovations[idx] += innovated
    f.knowledge[idx] = f.knowledge[idx] * (1.0 - p.knowledge_depreciation) ** 0.25 + rd / 4.0
    f.revenue[idx] = revenue_growth(
        rng,
        f.revenue[idx],
        drift_per_quarter,
        innovated,
        p.innovation_growth_boost,
        p.growth_laplace_scale,
        p.growth_size_exponent,
        size_ref,
    )
    f.employees[idx] = f.revenue[idx] / revenue_per_employee
    f.age[idx] += 0.25
    scale = exit_scale(f.revenue[idx], f.listed[idx], size_ref, p)
    return idx[exit_draws(rng, f.age[idx], p.exit_hazard_by_age, scale)]


def pay_rd_subsidies(firms: FirmState, policy: PolicyView, ledger: CostLedger) -> None:
    """Year end: pay post-R&D (C), incremental-R&D (A) and cultivation (B) subsidies.

    Each is paid on the year's reported R&D, capped per firm, booked on its cost line and added
    to the firm's award pool (spent on R&D over the next quarters).
    """
    f, lv = firms, policy.levers
    idx = f.live()
    rd, last = f.rd_this_year[idx], f.rd_last_year[idx]
    post = np.minimum(lv.rd_post_subsidy_rate * rd, lv.rd_post_subsidy_cap_yuan)
    centre = np.where(f.centre_registered[idx], f.centre_type[idx], 0)
    caps = np.array([0.0, *[getattr(lv.centre_incremental_rd_cap_yuan, c) for c in CENTRE_TYPES]])
    incr = np.where(
        centre > 0,
        np.minimum(lv.centre_incremental_rd_rate * np.maximum(rd - last, 0), caps[centre]),
        0.0,
    )
    cult = np.where(
        f.cultivation[idx],
        np.minimum(lv.cultivation_subsidy_rate * rd, lv.cultivation_subsidy_cap_yuan),
        0.0,
    )
    scale = policy.scale
    # Under a budget cap the ledger may grant only a share of each payment (1 otherwise).
    g_post = ledger.book("rd_post_subsidy", float(post.sum()) * scale("C"))
    g_incr = ledger.book("centre_incremental_rd", float(incr.sum()) * scale("A"))
    g_cult = ledger.book("cultivation_support", float(cult.sum()) * scale("B"))
    f.award_pool[idx] += (
        post * scale("C") * g_post + incr * scale("A") * g_incr + cult * scale("B") * g_cult
    )
    f.rd_last_year[idx] = rd
    f.rd_this_year[idx] = 0.0


def reported_total(firms: FirmState) -> float:
    """Reported R&D of live firms (yuan per year, annual rate)."""
    return float(firms.rd_reported[firms.live()].sum())
