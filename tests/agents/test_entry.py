"""Firm entry (agents/entry.py): start-up rate, new firms' draws, spin-offs and funded teams.

Statistical checks draw many firms or quarters from a fixed seed and allow 4 standard errors of
the stated estimator (a false alarm about once in 16,000 for a normal estimate).
"""

import numpy as np
import pytest

from agents import entry
from agents.categories import OWNERSHIPS
from agents.entry import Composition, EntryParams
from agents.firm import FirmState

N = 100_000
COMPOSITION = Composition(
    industry_p=np.array([0.5, 0.3, 0.2]), zone_p=np.array([0.9, 0.1]), revenue_per_employee=1e6
)


def test_startups_are_poisson_in_the_talent_stock():
    rng = np.random.default_rng(1)
    p = EntryParams(startups_per_10k_talent=6.0)
    draws = np.array([entry.startups(1_000_000, p, rng) for _ in range(20_000)])
    mean = 6.0 * 100 / 4  # 6 per 10k talent per year, a quarter of it
    assert abs(draws.mean() - mean) < 4 * np.sqrt(mean / len(draws))
    assert abs(draws.var() / mean - 1) < 4 * np.sqrt(2 / len(draws))  # Poisson: variance = mean
    assert entry.startups(0, p, rng) == 0


def test_new_tech_firms_draw_revenue_intensity_and_composition():
    rng = np.random.default_rng(2)
    p = EntryParams()
    firms = FirmState()
    rows = entry.new_tech_firms(firms, N, p, rng, COMPOSITION, 2025)
    assert len(rows) == N == firms.count()
    log_rev = np.log(firms.revenue)
    # Lognormal around the median first-year revenue with the stated log spread.
    assert abs(
        log_rev.mean() - np.log(p.startup_revenue_yuan)
    ) < 4 * p.startup_revenue_log_sd / np.sqrt(N)
    assert abs(log_rev.std() / p.startup_revenue_log_sd - 1) < 4 * np.sqrt(1 / (2 * N))
    # The intensity draw is mean-corrected: its mean is startup_rd_intensity.
    intensity = firms.rd_intensity_target
    sd = p.startup_rd_intensity * np.sqrt(np.exp(p.startup_rd_intensity_log_sd**2) - 1)
    assert abs(intensity.mean() - p.startup_rd_intensity) < 4 * sd / np.sqrt(N)
    np.testing.assert_allclose(firms.rd_real, intensity * firms.revenue)
    np.testing.assert_allclose(firms.rd_reported, firms.rd_real)
    np.testing.assert_allclose(firms.employees, firms.revenue / 1e6)
    for column, probs in (
        (firms.industry, COMPOSITION.industry_p),
        (firms.zone, COMPOSITION.zone_p),
    ):
        share = np.bincount(column, minlength=len(probs)) / N
        assert np.all(np.abs(share - probs) < 4 * np.sqrt(probs * (1 - probs) / N))
    q = p.startup_tech_sme_share
    assert abs(firms.tech_sme.mean() - q) < 4 * np.sqrt(q * (1 - q) / N)
    assert (firms.ownership == OWNERSHIPS.index("private")).all()
    assert (firms.entry_year == 2025).all() and not firms.fund_backed.any()
    assert (firms.age == 0).all() and (firms.centre_type == 0).all()


def test_step_quarter_starts_spinoffs_and_whole_funded_teams():
    firms = FirmState()
    rng = np.random.default_rng(3)
    left = entry.step_quarter(
        firms,
        EntryParams(),
        rng,
        talent_persons=0,  # no talent start-ups: only spin-offs and teams enter
        spinoffs=4,
        team_startups=2.7,
        composition=COMPOSITION,
        year=2024,
    )
    assert left == pytest.approx(0.7)  # the fractional team waits for a later quarter
    assert firms.count() == 4 + 2
    assert firms.fund_backed.sum() == 2  # funded teams start fund-backed
    assert not firms.fund_backed[:4].any()


def test_step_quarter_with_nothing_waiting_appends_nothing():
    firms = FirmState()
    left = entry.step_quarter(
        firms,
        EntryParams(),
        np.random.default_rng(4),
        talent_persons=0,
        spinoffs=0,
        team_startups=0.4,
        composition=COMPOSITION,
        year=2024,
    )
    assert firms.n == 0 and left == pytest.approx(0.4)
