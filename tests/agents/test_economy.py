"""Exogenous drivers (agents/economy.py): point values and triangular draws."""

import numpy as np

from agents.economy import Driver, draw


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
