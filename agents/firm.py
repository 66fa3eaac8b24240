"""Firms: R&D under the user cost of R&D, innovation, growth, exit and status transitions.

State lives in :class:`FirmState` (one row per firm); :class:`Firm` is the Mesa agent. Money is in
yuan per year (annual rates) unless a name says otherwise. The rules are plain functions of arrays
so each can be tested alone; :func:`step_quarter` and :func:`step_year` call them in order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.categories import BONDED_ZONE, CENTRE_TYPES, OWNERSHIPS
from agents.population import Population, RowAgent

if TYPE_CHECKING:
    from sim.model import InnovationModel

PRIVATE, SOE, FOREIGN, F500 = (OWNERSHIPS.index(o) for o in OWNERSHIPS)
CENTRE_CODE = {name: i + 1 for i, name in enumerate(CENTRE_TYPES)}


class FirmState(Population):
    """Columns of the firm population."""

    defaults = {"cost_response": 1.0}

    schema = {
        "industry": np.int8,
        "zone": np.int8,
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
        "centre_type": np.int8,  # 0 = none, else 1 + index in CENTRE_TYPES
        "platforms": np.int16,  # provincial / municipal platforms hosted
        "national_enterprise_tech_centre": np.int16,
        "national_innovation_centre": np.int16,
        "other_national": np.int16,
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


# ---------------------------------------------------------------------------------------------
# Steps


def tax_rates(model: InnovationModel, idx: np.ndarray) -> np.ndarray:
    """Corporate tax rate per firm under the current policy."""
    lv = model.policy.levers
    return np.where(model.firms.high_tech[idx], lv.hte_tax_rate, lv.standard_tax_rate)


def marginal_support(model: InnovationModel, idx: np.ndarray, levers, scaled: bool) -> np.ndarray:
    """Marginal subsidy or relief per yuan of R&D from local levers, per firm.

    Args:
        model: The model.
        idx: Firm rows.
        levers: Lever config (current or reference).
        scaled: Apply the current effort x budget ration to the subsidy rates (current levers).

    Returns:
        Subsidy per marginal yuan of R&D.
    """
    f = model.firms
    scale = model.policy.scale if scaled else (lambda family: 1.0)
    rd = f.rd_reported[idx]
    m = scale("C") * capped_marginal_rate(
        levers.rd_post_subsidy_rate, np.full(len(idx), levers.rd_post_subsidy_cap_yuan), rd
    )
    centre = f.centre_type[idx]
    if levers.centre_incremental_rd_rate > 0:
        caps = np.array(
            [0.0, *[getattr(levers.centre_incremental_rd_cap_yuan, c) for c in CENTRE_TYPES]]
        )
        increment = np.maximum(0.1 * rd, 1.0)  # a typical year's increment
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
    m = m + np.where(f.zone[idx] == BONDED_ZONE, levers.bonded_duty_relief_rate, 0.0)
    return m


def step_quarter(model: InnovationModel) -> None:
    """R&D, hiring, innovation, growth, ageing and exit of all firms for one quarter."""
    f, p, rng = model.firms, model.behaviour.firm, model.streams.firm
    idx = f.live()
    lv, ref = model.policy.levers, model.policy.reference
    tax = tax_rates(model, idx)
    cost = user_cost(tax, lv.super_deduction_rate, marginal_support(model, idx, lv, scaled=True))
    tax_ref = np.where(f.high_tech[idx], ref.hte_tax_rate, ref.standard_tax_rate)
    cost_ref = user_cost(
        tax_ref, ref.super_deduction_rate, marginal_support(model, idx, ref, scaled=False)
    )
    response = long_run_response(cost, cost_ref, p.rd_elasticity_long_run)
    speed_q = 1.0 - (1.0 - p.rd_adjustment_speed) ** 0.25
    f.cost_response[idx] = adjust_rd(f.cost_response[idx], response, speed_q)
    own = desired_rd(f.revenue[idx], f.rd_intensity_target[idx], f.cost_response[idx])
    extra, f.award_pool[idx] = spend_awards(f.award_pool[idx], p.subsidy_crowding_out)
    # High-tech firms budget R&D at least at the certification notch (bunching, Chen et al. 2021).
    notch = p.hte_rd_intensity_threshold * (1 - p.relabel_share_hte) * f.revenue[idx]
    own = np.where(f.high_tech[idx], np.maximum(own, notch), own)
    desired = own + extra
    # Hiring: unfilled R&D posts cap real R&D (labour market clears at the city level).
    fill = model.labour.fill(desired.sum() / p.rd_cost_per_fte_yuan)
    rd = np.where(own > 0, own * fill, 0.0) + extra * fill
    f.rd_real[idx] = rd
    f.rd_staff[idx] = rd / p.rd_cost_per_fte_yuan
    reported = reported_rd(rd, f.high_tech[idx], p.relabel_share_hte)
    # Short of staff, high-tech firms relabel more to stay at the notch.
    threshold = p.hte_rd_intensity_threshold * f.revenue[idx]
    f.rd_reported[idx] = np.where(f.high_tech[idx], np.maximum(reported, threshold), reported)
    f.rd_this_year[idx] += f.rd_reported[idx] / 4.0
    _book_tax_expenditure(model, idx, tax)
    # Innovation and knowledge.
    mult = model.spillovers.firm_multiplier(idx)
    innovated = innovation_draws(rng, rd, p.innovation_rate_per_m_yuan, mult)
    f.innovations[idx] += innovated
    f.knowledge[idx] = f.knowledge[idx] * (1.0 - p.knowledge_depreciation) ** 0.25 + rd / 4.0
    # Growth, ageing, exit.
    f.revenue[idx] = revenue_growth(
        rng,
        f.revenue[idx],
        model.revenue_drift_per_quarter(),
        innovated,
        p.innovation_growth_boost,
        p.growth_laplace_scale,
        p.growth_size_exponent,
        model.firm_size_ref,
    )
    f.employees[idx] = f.revenue[idx] / model.region.population.revenue_per_employee_yuan
    f.age[idx] += 0.25
    size = np.maximum(f.revenue[idx], 1.0) / model.firm_size_ref
    size_factor = np.minimum(size**-p.exit_size_exponent, 3.0)
    scale = p.exit_hazard_scale * np.where(f.listed[idx], 0.2, 1.0) * size_factor
    gone = idx[exit_draws(rng, f.age[idx], p.exit_hazard_by_age, scale)]
    if len(gone):
        model.on_firm_exit(gone)


def _book_tax_expenditure(model: InnovationModel, idx: np.ndarray, tax: np.ndarray) -> None:
    """Book national tax expenditure of the super-deduction and the HTE rate cut (quarterly)."""
    f, lv = model.firms, model.policy.levers
    model.gov.book(
        "national_super_deduction",
        float((tax * lv.super_deduction_rate * f.rd_reported[idx]).sum() / 4),
    )
    profit = 0.08 * f.revenue[idx]  # assumption: 8 % margin for the tax-expenditure estimate
    cut = (lv.standard_tax_rate - lv.hte_tax_rate) * profit * f.high_tech[idx]
    model.gov.book("national_hte_tax_cut", float(cut.sum() / 4))
    relief = lv.bonded_duty_relief_rate * f.rd_real[idx] * (f.zone[idx] == BONDED_ZONE)
    model.gov.book("national_bonded_duty_relief", float(relief.sum() / 4))


def pay_rd_subsidies(model: InnovationModel) -> None:
    """Year end: pay post-R&D, incremental-R&D and cultivation subsidies on the year's R&D."""
    f, lv = model.firms, model.policy.levers
    idx = f.live()
    rd, last = f.rd_this_year[idx], f.rd_last_year[idx]
    post = np.minimum(lv.rd_post_subsidy_rate * rd, lv.rd_post_subsidy_cap_yuan)
    centre = f.centre_type[idx]
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
    scale = model.policy.scale
    model.gov.book("rd_post_subsidy", float(post.sum()) * scale("C"))
    model.gov.book("centre_incremental_rd", float(incr.sum()) * scale("A"))
    model.gov.book("cultivation_support", float(cult.sum()) * scale("B"))
    f.award_pool[idx] += post * scale("C") + incr * scale("A") + cult * scale("B")
    f.rd_last_year[idx] = rd
    f.rd_this_year[idx] = 0.0


def update_high_tech(model: InnovationModel) -> None:
    """Year end: certification of high-tech enterprises (R&D-intensity notch) and loss of status."""
    f, p, rng = model.firms, model.behaviour.firm, model.streams.firm
    idx = f.live()
    potential = np.maximum(f.rd_real[idx] / (1.0 - p.relabel_share_hte), f.rd_reported[idx])
    potential = potential / np.maximum(f.revenue[idx], 1.0)
    above_notch = potential >= p.hte_rd_intensity_threshold
    # Firms close enough below the notch raise (or relabel) R&D to reach it when they apply.
    within_reach = potential >= p.hte_reach_share * p.hte_rd_intensity_threshold
    eligible = within_reach & (f.knowledge[idx] >= p.hte_knowledge_min_m_yuan * 1e6)
    hte = f.high_tech[idx]
    gain = ~hte & eligible & (rng.random(len(idx)) < p.hte_application_rate)
    # Certificates last three years: a third come up for renewal each year.
    lose = hte & (
        (rng.random(len(idx)) < p.hte_loss_rate) | (~above_notch & (rng.random(len(idx)) < 1 / 3))
    )
    f.high_tech[idx[gain]] = True
    f.high_tech[idx[lose]] = False
    small = (f.employees[idx] <= 500) & (f.revenue[idx] <= 2e8)
    sme = f.tech_sme[idx]
    join = (
        ~sme
        & small
        & (f.knowledge[idx] > 0)
        & (rng.random(len(idx)) < p.tech_sme_registration_rate)
    )
    f.tech_sme[idx[join]] = True
    f.tech_sme[idx[sme & ~small]] = False


def little_giant_eligible(model: InnovationModel, idx: np.ndarray) -> np.ndarray:
    """Specialised SMEs that can be selected: private, unlisted, >= 3 years, R&D >= 3 %."""
    f = model.firms
    intensity = f.rd_reported[idx] / np.maximum(f.revenue[idx], 1.0)
    return (
        (f.ownership[idx] == PRIVATE)
        & ~f.listed[idx]
        & ~f.little_giant[idx]
        & (f.age[idx] >= 3)
        & (f.revenue[idx] >= 1e7)
        & (f.employees[idx] <= 1000)
        & (intensity >= 0.03)
        & (f.high_tech[idx] | f.tech_sme[idx])
    )


def select_little_giants(model: InnovationModel, batch: float) -> None:
    """National batch: eligible firms are picked in proportion to batch size and knowledge."""
    f, p, rng = model.firms, model.behaviour.firm, model.streams.firm
    idx = f.live()
    lg = idx[f.little_giant[idx]]
    f.little_giant[lg[rng.random(len(lg)) < p.little_giant_review_loss]] = False
    cand = idx[little_giant_eligible(model, idx)]
    if len(cand) == 0:
        return
    weight = np.sqrt(f.knowledge[cand])
    weight = weight / weight.mean()
    prob = np.minimum(p.little_giant_city_share * batch / model.little_giant_pool_ref * weight, 0.9)
    f.little_giant[cand[rng.random(len(cand)) < prob]] = True


def update_listing(model: InnovationModel, window: float) -> list[int]:
    """Year end: IPOs through the national listing window; returns the newly listed rows."""
    f, p, rng = model.firms, model.behaviour.firm, model.streams.firm
    idx = f.live()
    delist = idx[f.listed[idx] & (rng.random(len(idx)) < p.delisting_rate)]
    f.listed[delist] = False
    cand = idx[~f.listed[idx] & (f.revenue[idx] >= p.listing_min_revenue_yuan) & (f.age[idx] >= 3)]
    prob = p.listing_rate * window * np.where(f.fund_backed[cand], p.listing_fund_multiplier, 1.0)
    new = cand[rng.random(len(cand)) < np.minimum(prob, 0.9)]
    f.listed[new] = True
    return new.tolist()


def centre_eligibility(model: InnovationModel, idx: np.ndarray) -> np.ndarray:
    """Which centre type each firm could register as (0 = none), in the document's order."""
    f, p = model.firms, model.behaviour.firm
    big = (f.rd_real[idx] >= p.centre_upgrade_min_rd_yuan) & (f.centre_type[idx] == 0)
    own = f.ownership[idx]
    kind = np.zeros(len(idx), np.int8)
    kind = np.where(big, CENTRE_CODE["upgraded"], kind)
    kind = np.where(big & (f.zone[idx] == BONDED_ZONE), CENTRE_CODE["bonded"], kind)
    kind = np.where(big & (own == FOREIGN), CENTRE_CODE["foreign"], kind)
    kind = np.where(big & ((own == SOE) | (f.revenue[idx] >= 5e9)), CENTRE_CODE["leading_hq"], kind)
    kind = np.where(big & (own == F500), CENTRE_CODE["fortune500"], kind)
    return kind


def register_centres(model: InnovationModel) -> None:
    """Year end: existing firms register R&D centres; the chance rises with the one-off award."""
    f, p, rng = model.firms, model.behaviour.firm, model.streams.firm
    idx = f.live()
    kind = centre_eligibility(model, idx)
    award = model.policy.centre_award_by_code()
    prob = p.centre_upgrade_max_rate * -np.expm1(
        -np.log(2) * award[kind] / p.centre_upgrade_award_half_yuan
    )
    new = (kind > 0) & (rng.random(len(idx)) < prob)
    rows = idx[new]
    f.centre_type[rows] = kind[new]
    model.pay_centre_awards(rows)


def update_platforms(model: InnovationModel) -> None:
    """Year end: firms host new platforms in proportion to real R&D; some close after evaluation."""
    f, p, rng = model.firms, model.behaviour.firm, model.streams.firm
    idx = f.live()
    award_mult = model.policy.platform_award_multiplier(
        "provincial_municipal", p.platform_award_elasticity
    )
    cult = np.where(f.cultivation[idx], p.cultivation_multiplier, 1.0)
    lam = p.platform_rate_per_100m_rd * f.rd_real[idx] / 1e8 * award_mult
    new = rng.poisson(lam)
    closed = rng.binomial(f.platforms[idx], p.platform_closure_rate)
    f.platforms[idx] += (new - closed).astype(np.int16)
    model.platform_ledger.approve("provincial_municipal", int(new.sum()))
    # National approvals among firm hosts (enterprise tech centres, innovation centres, others).
    for kind, share in (
        ("national_enterprise_tech_centre", 0.6),
        ("national_innovation_centre", 0.1),
        ("other_national", 0.3),
    ):
        mult = model.policy.platform_award_multiplier(kind, p.platform_award_elasticity)
        lam_n = lam * p.national_platform_share * share * cult * mult
        got = rng.poisson(lam_n)
        col = getattr(f, kind)
        col[idx] += got.astype(np.int16)
        model.platform_ledger.approve(kind, int(got.sum()))


def national_platform_counts(f: FirmState, idx: np.ndarray) -> np.ndarray:
    """National platforms hosted per firm."""
    return (
        f.national_enterprise_tech_centre[idx]
        + f.national_innovation_centre[idx]
        + f.other_national[idx]
    )


def refresh_cultivation_pool(model: InnovationModel, size: int) -> None:
    """Keep ``size`` candidates: the top R&D performers hosting platforms but no national one."""
    f = model.firms
    idx = f.live()
    national = national_platform_counts(f, idx)
    keep = idx[f.cultivation[idx] & (national == 0)]
    f.cultivation[idx] = False
    if size <= 0:
        return
    f.cultivation[keep[:size]] = True
    need = size - min(len(keep), size)
    if need > 0:
        pool = idx[~f.cultivation[idx] & (f.platforms[idx] > 0) & (national == 0)]
        best = pool[np.argsort(-f.rd_real[pool], kind="stable")[:need]]
        f.cultivation[best] = True
