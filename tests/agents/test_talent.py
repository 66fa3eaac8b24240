import numpy as np
import pytest

from agents.categories import TIERS
from agents.talent import (
    GRADUATE,
    housing_support_per_year,
    leave_probability,
    net_housing_cost,
    quarterly,
    tier_vector,
)
from sim.levers import LeverConfig, TierAmounts

PRICE, HORIZON = 10_000.0, 10.0


def test_tier_vector_follows_tiers_order():
    values = {"graduate": 5, "top": 1, "young": 4, "leading": 2, "high_level": 3}
    np.testing.assert_array_equal(tier_vector(values), [1, 2, 3, 4, 5])
    amounts = TierAmounts(top=1, leading=2, high_level=3, young=4, graduate=5)
    np.testing.assert_array_equal(tier_vector(amounts), [1, 2, 3, 4, 5])
    assert TIERS[GRADUATE] == "graduate"


def test_leave_probability_base_and_monotone():
    base = np.full(5, 0.1)
    zero = np.zeros(5)
    np.testing.assert_allclose(leave_probability(base, zero, zero), 0.1)
    dv = np.linspace(-2, 2, 5)
    p = leave_probability(base, dv, zero)
    assert np.all(np.diff(p) < 0)
    assert p[2] == pytest.approx(0.1)
    # Longer tenure (positive tenure term) also lowers the leave probability.
    assert leave_probability(base, zero, np.full(5, 0.5))[0] < 0.1


def test_quarterly_composes_to_yearly():
    p = np.array([0.0, 0.02, 0.1, 0.5, 0.9])
    q = quarterly(p)
    np.testing.assert_allclose(1 - (1 - q) ** 4, p, atol=1e-12)
    assert np.all(q <= p)


def enacted_like():
    lv = LeverConfig()
    lv.rent_subsidy_yuan_per_year = TierAmounts(graduate=9000.0, young=12000.0)
    lv.first_home_subsidy_yuan = TierAmounts(graduate=30000.0)
    lv.purchase_subsidy_m2 = TierAmounts(top=200.0)
    lv.rent_subsidy_years = 2.0
    lv.housing_support_window_years = 3.0
    return lv


def support(lv, tier, years, eligible=True):
    n = len(years)
    return housing_support_per_year(
        lv, PRICE, HORIZON, np.full(n, tier), np.asarray(years, float), np.full(n, eligible)
    )


def test_housing_support_windows_for_a_graduate():
    lv = enacted_like()
    value = support(lv, GRADUATE, [1.0, 2.5, 3.5])
    np.testing.assert_allclose(value, [9000 + 30000 / HORIZON, 30000 / HORIZON, 0.0])


def test_housing_support_purchase_area_and_ineligible():
    lv = enacted_like()
    top = TIERS.index("top")
    assert support(lv, top, [1.0])[0] == pytest.approx(200 * PRICE / HORIZON)
    np.testing.assert_array_equal(support(lv, GRADUATE, [0.5, 1.0, 2.5], eligible=False), 0.0)


def test_net_housing_cost_never_negative():
    net = net_housing_cost(np.array([50_000.0, 10_000.0, 0.0]), np.array([20_000.0, 30_000.0, 5.0]))
    np.testing.assert_array_equal(net, [30_000.0, 0.0, 0.0])
