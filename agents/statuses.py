"""Firm statuses the targets count: high-tech enterprise, tech SME, national little giant, listed.

* **High-tech enterprises** (:func:`update_high_tech`): firms whose potential R&D intensity is
  within reach of the certification notch (3-5 % of revenue by size, HTE rules 2016) and who hold
  enough knowledge apply at a yearly rate; certificates last three years, so a third come up for
  renewal each year and are lost below the notch (bunching at the notch: Chen, Liu, Suarez Serrato
  & Xu 2021). **Tech SMEs** register from small firms with knowledge.
* **Little giants** (:func:`select_little_giants`): in each national batch the city's eligible
  specialised SMEs are picked in proportion to the batch size and their knowledge; a review drops
  some every year.
* **Listing** (:func:`update_listing`): unlisted firms above a revenue test list through the
  national IPO window (fund-backed firms more often); a few listed firms delist.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.firm import PRIVATE, FirmState
from agents.params import param


@dataclass
class StatusParams:
    """Parameters of the status rules (``region.behaviour.statuses``)."""

    hte_rd_intensity_threshold: float = param(
        0.03,
        low=0.03,
        high=0.05,
        unit="share",
        source="HTE certification rules (2016): 3-5% of revenue by size",
        rule="agents.statuses.update_high_tech",
    )
    hte_application_rate: float = param(
        0.5,
        low=0.1,
        high=0.6,
        unit="probability per year",
        source="calibrated to HTE growth 2018-2022",
        rule="agents.statuses.update_high_tech",
    )
    hte_reach_share: float = param(
        0.8,
        low=0.3,
        high=1.0,
        unit="share of the intensity threshold",
        source="calibrated; bunching at the InnoCom notch (Chen et al. 2021)",
        rule="agents.statuses.update_high_tech",
    )
    hte_loss_rate: float = param(
        0.05,
        low=0.02,
        high=0.2,
        unit="probability per year",
        source="calibrated; 3-year certificate not renewed",
        rule="agents.statuses.update_high_tech",
    )
    hte_knowledge_min_m_yuan: float = param(
        0.1,
        low=0.05,
        high=5.0,
        unit="million yuan of knowledge stock",
        source="assumption; proxy for the IP requirement of certification (range widened from "
        "0.2-5 to include the default 0.1 that every run uses)",
        rule="agents.statuses.update_high_tech",
    )
    tech_sme_registration_rate: float = param(
        0.2,
        low=0.01,
        high=0.6,
        unit="probability per year",
        source="calibrated to tech-SME counts 2017-2020",
        rule="agents.statuses.update_high_tech",
    )
    hte_campaign_effect: float = param(
        0.3,
        low=0.0,
        high=1.5,
        unit="log multiplier of the application hazard per unit of recognition_campaign",
        source="calibrated; +1,238 high-tech enterprises in 2023, work target >= 800 new in 2025",
        rule="agents.statuses.update_high_tech",
    )
    tech_sme_campaign_effect: float = param(
        0.8,
        low=0.0,
        high=2.5,
        unit="log multiplier of the registration hazard per unit of recognition_campaign",
        source="calibrated; tech SMEs 2,621 (2020) to 12,000+ (2025), work target > 10,000 (2025)",
        rule="agents.statuses.update_high_tech",
    )
    tech_sme_renewal_rate: float = param(
        0.9,
        low=0.5,
        high=1.0,
        unit="probability per year",
        source="calibrated; the tech-SME evaluation is renewed every year (MOST 2017 rules), so "
        "registered firms that do not re-apply drop out",
        rule="agents.statuses.update_high_tech",
    )
    tech_sme_max_employees: float = param(
        500.0,
        low=300.0,
        high=500.0,
        unit="employees",
        source="MOST tech-SME evaluation rules (2017): at most 500 employees",
        rule="agents.statuses.update_high_tech",
    )
    tech_sme_max_revenue_yuan: float = param(
        2.0e8,
        low=1.0e8,
        high=2.0e8,
        unit="yuan per year",
        source="MOST tech-SME evaluation rules (2017): revenue at most 200 m yuan",
        rule="agents.statuses.update_high_tech",
    )
    little_giant_city_share: float = param(
        0.012,
        low=0.006,
        high=0.016,
        unit="share",
        source="calibrated; Changsha 141 of about 9,119 national picks in batches 1-4",
        rule="agents.statuses.select_little_giants",
    )
    little_giant_review_loss: float = param(
        0.05,
        low=0.0,
        high=0.2,
        unit="probability per year",
        source="assumption; 3-year review",
        rule="agents.statuses.select_little_giants",
    )
    little_giant_min_age_years: float = param(
        3.0,
        low=2.0,
        high=5.0,
        unit="years",
        source="MIIT little-giant criteria: in business for at least 3 years",
        rule="agents.statuses.little_giant_eligible",
    )
    little_giant_min_revenue_yuan: float = param(
        1.0e7,
        low=5.0e6,
        high=1.0e8,
        unit="yuan per year",
        source="MIIT little-giant criteria (revenue floor; assumption within them)",
        rule="agents.statuses.little_giant_eligible",
    )
    little_giant_max_employees: float = param(
        1000.0,
        low=500.0,
        high=1000.0,
        unit="employees",
        source="SME classification (industry): fewer than 1,000 employees",
        rule="agents.statuses.little_giant_eligible",
    )
    little_giant_min_rd_intensity: float = param(
        0.03,
        low=0.03,
        high=0.06,
        unit="share",
        source="MIIT little-giant criteria: R&D at least 3 % of revenue",
        rule="agents.statuses.little_giant_eligible",
    )
    listing_rate: float = param(
        0.008,
        low=0.004,
        high=0.03,
        unit="probability per year",
        source="calibrated to 6-9 new A-share listings a year 2017-2022",
        rule="agents.statuses.update_listing",
    )
    listing_min_revenue_yuan: float = param(
        2.0e8,
        low=1.0e8,
        high=5.0e8,
        unit="yuan per year",
        source="assumption; main-board / STAR revenue tests",
        rule="agents.statuses.update_listing",
    )
    listing_min_age_years: float = param(
        3.0,
        low=2.0,
        high=5.0,
        unit="years",
        source="CSRC main-board rules: three years of operating history",
        rule="agents.statuses.update_listing",
    )
    listing_fund_multiplier: float = param(
        2.0,
        low=1.0,
        high=4.0,
        unit="multiplier",
        source="assumption below the raw ratio: 69.3 % of 2022 IPOs VC/PE-backed (Zero2IPO) "
        "against 24.2 % of national little giants gives about 7, selection included",
        rule="agents.statuses.update_listing",
    )
    delisting_rate: float = param(
        0.005,
        low=0.0,
        high=0.02,
        unit="probability per year",
        source="assumption; A-share delistings are rare",
        rule="agents.statuses.update_listing",
    )


def scaled_probability(p_year: float, log_multiplier: float) -> float:
    """A yearly probability whose hazard is multiplied by ``exp(log_multiplier)``."""
    return float(-np.expm1(np.log1p(-min(p_year, 0.999)) * np.exp(log_multiplier)))


def update_high_tech(
    firms: FirmState,
    p: StatusParams,
    rng: np.random.Generator,
    relabel_share: float,
    campaign: float = 0.0,
) -> int:
    """Year end: certification of high-tech enterprises and tech SMEs, and loss of status.

    The city's recognition drive (``campaign``, lever ``recognition_campaign``) multiplies the
    application and registration hazards by ``exp(effect x campaign)``.

    Args:
        firms: The firm population.
        p: Status parameters.
        rng: The firms' random stream.
        relabel_share: Share of reported R&D that high-tech firms relabel
            (``firm.relabel_share_hte``): the R&D a firm could report once certified.
        campaign: Intensity of the recognition drive in force.

    Returns:
        Firms newly certified as high-tech this year.
    """
    f = firms
    idx = f.live()
    potential = np.maximum(f.rd_real[idx] / (1.0 - relabel_share), f.rd_reported[idx])
    potential = potential / np.maximum(f.revenue[idx], 1.0)
    above_notch = potential >= p.hte_rd_intensity_threshold
    # Firms close enough below the notch raise (or relabel) R&D to reach it when they apply.
    within_reach = potential >= p.hte_reach_share * p.hte_rd_intensity_threshold
    eligible = within_reach & (f.knowledge[idx] >= p.hte_knowledge_min_m_yuan * 1e6)
    hte = f.high_tech[idx]
    apply = scaled_probability(p.hte_application_rate, p.hte_campaign_effect * campaign)
    gain = ~hte & eligible & (rng.random(len(idx)) < apply)
    # Certificates last three years: a third come up for renewal each year.
    lose = hte & (
        (rng.random(len(idx)) < p.hte_loss_rate) | (~above_notch & (rng.random(len(idx)) < 1 / 3))
    )
    f.high_tech[idx[gain]] = True
    f.high_tech[idx[lose]] = False
    small = (f.employees[idx] <= p.tech_sme_max_employees) & (
        f.revenue[idx] <= p.tech_sme_max_revenue_yuan
    )
    sme = f.tech_sme[idx]
    register = scaled_probability(
        p.tech_sme_registration_rate, p.tech_sme_campaign_effect * campaign
    )
    join = ~sme & small & (f.knowledge[idx] > 0) & (rng.random(len(idx)) < register)
    lapse = sme & (rng.random(len(idx)) >= p.tech_sme_renewal_rate)
    f.tech_sme[idx[join]] = True
    f.tech_sme[idx[sme & (~small | lapse)]] = False
    return int(gain.sum())


def little_giant_eligible(firms: FirmState, idx: np.ndarray, p: StatusParams) -> np.ndarray:
    """Specialised SMEs that can be selected: private, unlisted, old, R&D-intensive tech firms."""
    f = firms
    intensity = f.rd_reported[idx] / np.maximum(f.revenue[idx], 1.0)
    return (
        (f.ownership[idx] == PRIVATE)
        & ~f.listed[idx]
        & ~f.little_giant[idx]
        & (f.age[idx] >= p.little_giant_min_age_years)
        & (f.revenue[idx] >= p.little_giant_min_revenue_yuan)
        & (f.employees[idx] <= p.little_giant_max_employees)
        & (intensity >= p.little_giant_min_rd_intensity)
        & (f.high_tech[idx] | f.tech_sme[idx])
    )


def select_little_giants(
    firms: FirmState, batch: float, pool_ref: int, p: StatusParams, rng: np.random.Generator
) -> None:
    """National batch: eligible firms are picked in proportion to batch size and knowledge.

    Args:
        firms: The firm population.
        batch: Firms selected nationally in this batch.
        pool_ref: Eligible firms of the city in the base year (normalises the city's share).
        p: Status parameters.
        rng: The firms' random stream.
    """
    f = firms
    idx = f.live()
    lg = idx[f.little_giant[idx]]
    f.little_giant[lg[rng.random(len(lg)) < p.little_giant_review_loss]] = False
    cand = idx[little_giant_eligible(f, idx, p)]
    if len(cand) == 0:
        return
    weight = np.sqrt(f.knowledge[cand])
    weight = weight / weight.mean()
    prob = np.minimum(p.little_giant_city_share * batch / pool_ref * weight, 0.9)
    f.little_giant[cand[rng.random(len(cand)) < prob]] = True


def update_listing(
    firms: FirmState, window: float, p: StatusParams, rng: np.random.Generator
) -> np.ndarray:
    """Year end: delistings, then IPOs through the national listing window.

    Args:
        firms: The firm population.
        window: National IPO activity relative to 2022 (``region.exogenous.listing_window``).
        p: Status parameters.
        rng: The firms' random stream.

    Returns:
        The newly listed rows.
    """
    f = firms
    idx = f.live()
    delist = idx[f.listed[idx] & (rng.random(len(idx)) < p.delisting_rate)]
    f.listed[delist] = False
    cand = idx[
        ~f.listed[idx]
        & (f.revenue[idx] >= p.listing_min_revenue_yuan)
        & (f.age[idx] >= p.listing_min_age_years)
    ]
    prob = p.listing_rate * window * np.where(f.fund_backed[cand], p.listing_fund_multiplier, 1.0)
    new = cand[rng.random(len(cand)) < np.minimum(prob, 0.9)]
    f.listed[new] = True
    return new


def count_high_tech(firms: FirmState) -> int:
    """High-tech enterprises (the ``high_tech_enterprises`` KPI)."""
    return firms.count(firms.high_tech)


def count_tech_smes(firms: FirmState) -> int:
    """Registered tech SMEs (the ``tech_smes`` KPI)."""
    return firms.count(firms.tech_sme)


def count_little_giants(firms: FirmState) -> int:
    """National little giants (the ``little_giants`` KPI)."""
    return firms.count(firms.little_giant)


def count_listed(firms: FirmState) -> int:
    """Listed companies (the ``listed`` KPI)."""
    return firms.count(firms.listed)
