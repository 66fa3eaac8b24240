"""Firm statuses (agents/statuses.py): the high-tech notch, tech SMEs, little giants, listing.

Each statistical check puts many identical firms in one situation and compares the share that
changes status with the rule's probability, allowing 4 binomial standard errors.
"""

import numpy as np
import pytest

from agents import statuses
from agents.firm import PRIVATE, SOE, FirmState
from agents.statuses import StatusParams

P = StatusParams()
RELABEL = 0.242
N = 40_000


def assert_share(mask, p):
    n = len(mask)
    assert abs(mask.mean() - p) < 4 * np.sqrt(p * (1 - p) / n) + 1e-12, (mask.mean(), p)


def candidates(n, intensity, knowledge_m=1.0, **kw) -> FirmState:
    """Firms whose potential R&D intensity (real R&D grossed up by relabelling) is ``intensity``."""
    f = FirmState()
    revenue = 1e8
    rd_real = intensity * revenue * (1 - RELABEL)
    values = dict(revenue=revenue, rd_real=rd_real, knowledge=knowledge_m * 1e6, employees=1e4)
    f.append(n, **{**values, **kw})
    return f


def test_firms_within_reach_of_the_notch_apply_at_the_application_rate():
    reach = P.hte_reach_share * P.hte_rd_intensity_threshold
    groups = {  # potential intensity, knowledge (m yuan) -> probability of certification
        "at the notch": (P.hte_rd_intensity_threshold, 1.0, P.hte_application_rate),
        "just within reach": (reach * 1.001, 1.0, P.hte_application_rate),
        "just out of reach": (reach * 0.999, 1.0, 0.0),
        "too little knowledge": (0.05, 0.99 * P.hte_knowledge_min_m_yuan, 0.0),
    }
    for name, (intensity, knowledge, p) in groups.items():
        f = candidates(N, intensity, knowledge)
        statuses.update_high_tech(f, P, np.random.default_rng(1), RELABEL)
        assert_share(f.high_tech, p)
        assert statuses.count_high_tech(f) == f.high_tech.sum(), name


def test_reported_rd_counts_as_potential_too():
    f = candidates(N, 0.0)  # no real R&D
    f.rd_reported[:] = 0.04 * f.revenue  # but reports 4 % of revenue
    statuses.update_high_tech(f, P, np.random.default_rng(2), RELABEL)
    assert_share(f.high_tech, P.hte_application_rate)


@pytest.mark.parametrize(
    ("intensity", "p_lose"),
    [
        (0.05, P.hte_loss_rate),  # above the notch: only the renewal loss rate
        (0.02, P.hte_loss_rate + (1 - P.hte_loss_rate) / 3),  # below: a third come up for renewal
    ],
)
def test_certified_firms_lose_status_at_renewal(intensity, p_lose):
    f = candidates(N, intensity, high_tech=True)
    statuses.update_high_tech(f, P, np.random.default_rng(3), RELABEL)
    assert_share(~f.high_tech, p_lose)


def test_tech_sme_thresholds_and_registration_rate():
    p = P
    groups = [  # employees, revenue, knowledge -> may register
        (p.tech_sme_max_employees, p.tech_sme_max_revenue_yuan, 1.0, True),  # limits included
        (p.tech_sme_max_employees + 1, 1e7, 1.0, False),
        (100.0, p.tech_sme_max_revenue_yuan * 1.001, 1.0, False),
        (100.0, 1e7, 0.0, False),  # no knowledge stock
    ]
    for employees, revenue, knowledge, ok in groups:
        f = FirmState()
        f.append(N, employees=employees, revenue=revenue, knowledge=knowledge)
        statuses.update_high_tech(f, p, np.random.default_rng(4), RELABEL)
        assert_share(f.tech_sme, p.tech_sme_registration_rate if ok else 0.0)
        assert statuses.count_tech_smes(f) == f.tech_sme.sum()


def test_tech_smes_that_outgrow_the_limits_lose_the_status_at_once():
    f = FirmState()
    f.append(3, employees=np.array([100.0, 600.0, 100.0]), revenue=np.array([1e7, 1e7, 3e8]))
    f.tech_sme[:] = True
    statuses.update_high_tech(f, P, np.random.default_rng(5), RELABEL)
    np.testing.assert_array_equal(f.tech_sme, [True, False, False])


def giant() -> dict:
    """Column values of a firm that meets every little-giant criterion."""
    return dict(
        ownership=PRIVATE,
        age=P.little_giant_min_age_years,
        revenue=P.little_giant_min_revenue_yuan,
        employees=P.little_giant_max_employees,
        rd_reported=P.little_giant_min_rd_intensity * P.little_giant_min_revenue_yuan,
        tech_sme=True,
        knowledge=1e6,
    )


def test_little_giant_eligibility_criterion_by_criterion():
    variants = {
        "meets every criterion": {},
        "high-tech instead of tech SME": {"tech_sme": False, "high_tech": True},
        "state-owned": {"ownership": SOE},
        "listed": {"listed": True},
        "already a little giant": {"little_giant": True},
        "too young": {"age": P.little_giant_min_age_years - 0.25},
        "too small": {"revenue": P.little_giant_min_revenue_yuan * 0.99},
        "too many employees": {"employees": P.little_giant_max_employees + 1},
        "too little R&D": {"rd_reported": 0.99 * giant()["rd_reported"]},
        "neither high-tech nor tech SME": {"tech_sme": False},
    }
    f = FirmState()
    for change in variants.values():
        f.append(1, **{**giant(), **change})
    got = statuses.little_giant_eligible(f, f.live(), P)
    np.testing.assert_array_equal(got, [True, True] + [False] * (len(variants) - 2))


def test_little_giants_are_picked_in_proportion_to_batch_and_root_knowledge():
    f = FirmState()
    f.append(N, **giant())
    f.append(N, **{**giant(), "knowledge": 9e6})  # 3x the root knowledge of the first half
    batch, pool_ref = 3000.0, 100
    statuses.select_little_giants(f, batch, pool_ref, P, np.random.default_rng(6))
    base = P.little_giant_city_share * batch / pool_ref  # x weight, weights averaging 1
    assert_share(f.little_giant[:N], base * 0.5)  # sqrt(1) / mean(1, 3)
    assert_share(f.little_giant[N:], base * 1.5)
    assert statuses.count_little_giants(f) == f.little_giant.sum()


def test_little_giant_pick_probability_is_capped_and_reviews_drop_some():
    f = FirmState()
    f.append(N, **giant())
    statuses.select_little_giants(f, 1e9, 1, P, np.random.default_rng(7))
    assert_share(f.little_giant, 0.9)
    g = FirmState()
    g.append(N, **{**giant(), "little_giant": True, "ownership": SOE})  # not eligible again
    statuses.select_little_giants(g, 3000.0, 100, P, np.random.default_rng(8))
    assert_share(~g.little_giant, P.little_giant_review_loss)


def test_listing_through_the_window_with_fund_backing_and_delisting():
    window = 0.5
    groups = [  # revenue, age, fund-backed -> probability of listing
        (P.listing_min_revenue_yuan, P.listing_min_age_years, False, P.listing_rate * window),
        (
            P.listing_min_revenue_yuan,
            P.listing_min_age_years,
            True,
            P.listing_rate * window * P.listing_fund_multiplier,
        ),
        (P.listing_min_revenue_yuan * 0.99, 10.0, False, 0.0),
        (1e10, P.listing_min_age_years - 0.25, False, 0.0),
    ]
    for revenue, age, backed, p in groups:
        f = FirmState()
        f.append(N, revenue=revenue, age=age, fund_backed=backed)
        new = statuses.update_listing(f, window, P, np.random.default_rng(9))
        assert_share(f.listed, p)
        np.testing.assert_array_equal(np.sort(new), np.flatnonzero(f.listed))
    f = FirmState()
    f.append(N, revenue=1.0, listed=True)  # small listed firms: can only delist
    statuses.update_listing(f, 1.0, P, np.random.default_rng(10))
    assert_share(~f.listed, P.delisting_rate)
    assert statuses.count_listed(f) == f.listed.sum()
    capped = FirmState()
    capped.append(N, revenue=1e10, age=10.0)
    statuses.update_listing(capped, 1e3, P, np.random.default_rng(11))
    assert_share(capped.listed, 0.9)
