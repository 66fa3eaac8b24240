import numpy as np
import pytest

from agents.economy import Driver, draw
from agents.spillovers import SpilloverParams, multiplier


def test_draw_without_uncertainty_returns_value():
    rng = np.random.default_rng(31)
    assert draw(Driver(0.055, 0.04, 0.065), rng, uncertain=False) == 0.055
    assert draw(Driver(0.05, 0.05, 0.05), rng, uncertain=True) == 0.05  # degenerate range


def test_draw_with_uncertainty_stays_in_range_and_has_triangular_mean():
    rng = np.random.default_rng(32)
    d = Driver(0.055, 0.04, 0.065)
    x = np.array([draw(d, rng, uncertain=True) for _ in range(20_000)])
    assert x.min() >= 0.04 and x.max() <= 0.065
    assert x.std() > 0
    mean = (0.04 + 0.055 + 0.065) / 3
    var = (0.04**2 + 0.055**2 + 0.065**2 - 0.04 * 0.055 - 0.04 * 0.065 - 0.055 * 0.065) / 18
    assert abs(x.mean() - mean) < 4 * np.sqrt(var / len(x))


def test_draw_clips_mode_outside_range():
    rng = np.random.default_rng(33)
    x = [draw(Driver(0.2, 0.0, 0.1), rng, uncertain=True) for _ in range(2000)]
    assert 0.0 <= min(x) and max(x) <= 0.1


def test_multiplier_at_base_and_monotone():
    p = SpilloverParams()
    w = p.spillover_university_weight + p.spillover_platform_weight + p.spillover_industry_weight
    base = multiplier(1.0, 1.0, np.ones(3), p)
    np.testing.assert_allclose(base, 1.0 + w)
    assert multiplier(1.5, 1.0, np.ones(1), p)[0] > base[0]
    assert multiplier(1.0, 1.5, np.ones(1), p)[0] > base[0]
    ind = multiplier(1.0, 1.0, np.array([0.5, 1.0, 2.0]), p)
    assert np.all(np.diff(ind) > 0)
    assert ind[2] - ind[1] == pytest.approx(p.spillover_industry_weight)


def test_multiplier_is_one_with_zero_weights():
    p = SpilloverParams(
        spillover_university_weight=0.0,
        spillover_platform_weight=0.0,
        spillover_industry_weight=0.0,
    )
    np.testing.assert_allclose(multiplier(3.0, 2.0, np.array([5.0, 0.1]), p), 1.0)
