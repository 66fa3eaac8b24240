import numpy as np
import pytest

from agents.categories import TIERS
from agents.talent import (
    GRADUATE,
    CityConditions,
    TalentConditions,
    TalentParams,
    book_programmes,
    housing_support_per_year,
    leave_probability,
    net_housing_cost,
    quarterly,
    tier_vector,
)
from sim.ledger import PublicCostLedger
from sim.levers import LeverConfig, PolicyState, TierAmounts

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


# The programmes of families E, F and H that act on location choice (issue 17).


def _dv(levers: LeverConfig, tier: str, years: float = 0.0, newcomer: bool = True) -> float:
    """Utility change of one person of ``tier`` under ``levers`` against no local policy."""
    p = TalentParams()
    stock = np.full(len(TIERS), 10_000.0)
    conditions = TalentConditions(p, stock)
    policy = PolicyState(levers, LeverConfig())
    policy.levers = levers
    city = CityConditions(policy, 1e4, 1e4, 0.0, 0.0, 1.0, 1.0)
    k = np.array([TIERS.index(tier)])
    return float(
        conditions.delta_v(k, np.array([years]), conditions.wage[k], newcomer, city, stock)[0]
        + (conditions.outreach(policy) if newcomer else 0.0)
    )


def test_young_talent_grants_and_overseas_posts_are_worth_their_total_over_the_stock():
    p = TalentParams()
    young = LeverConfig(young_talent_grants_per_year=1000, young_talent_grant_yuan=2e5)
    # 1,000 grants of 200,000 yuan over 10,000 young researchers: 20,000 yuan a person-year.
    assert _dv(young, "young") == pytest.approx(p.programme_weight * 2e4 / 1.5e5)
    assert _dv(young, "graduate") == 0.0
    posts = LeverConfig(overseas_posts_per_year=100, overseas_post_grant_yuan=1e6)
    assert _dv(posts, "high_level") == pytest.approx(p.programme_weight * 1e4 / 3.0e5)
    assert _dv(posts, "young") == 0.0


def test_family_services_wait_for_residence_unless_a_green_card_is_issued():
    services = TierAmounts(top=5e4, high_level=5e4, graduate=5e4)
    lv = LeverConfig(family_services_yuan_per_year=services, housing_eligibility_months=12.0)
    carded = LeverConfig(
        family_services_yuan_per_year=services, housing_eligibility_months=12.0, green_card=True
    )
    for tier in ("top", "high_level"):
        # A resident past the wait values them fully, with or without the card.
        assert _dv(lv, tier, years=2.0, newcomer=False) == pytest.approx(
            _dv(carded, tier, years=2.0, newcomer=False)
        )
        assert _dv(carded, tier, years=0.1, newcomer=False) > _dv(lv, tier, 0.1, False) == 0.0
        assert _dv(carded, tier) > _dv(lv, tier) > 0.0  # newcomers: the wait discounts them
    # Graduates get no card.
    assert _dv(carded, "graduate") == pytest.approx(_dv(lv, "graduate"))


def test_platform_housing_lowers_net_housing_cost_of_rd_talent_only():
    lv = LeverConfig(platform_housing_yuan_per_year=3e4)
    assert _dv(lv, "young") > 0.0 and _dv(lv, "top") > 0.0
    assert _dv(lv, "graduate") == 0.0


def test_return_programme_and_ip_spending_draw_arrivals_with_their_elasticities():
    p = TalentParams()
    back = LeverConfig(return_programme_yuan_per_year=9e7)  # (9e7 + 1e7) / 1e7 = 10
    assert _dv(back, "graduate") == pytest.approx(p.return_programme_elasticity * np.log(10))
    ip = LeverConfig(ip_and_international_yuan_per_year=9e7)
    assert _dv(ip, "top") == pytest.approx(p.ip_talent_elasticity * np.log(10))
    assert _dv(back, "graduate", years=1.0, newcomer=False) == 0.0  # residents do not respond


def test_new_programmes_book_their_cost_lines():
    lv = LeverConfig(
        young_talent_grants_per_year=100,
        young_talent_grant_yuan=2e5,
        overseas_posts_per_year=10,
        overseas_post_grant_yuan=1e6,
        return_programme_yuan_per_year=3e7,
    )
    policy = PolicyState(lv, LeverConfig())
    policy.levers = lv
    ledger = PublicCostLedger()
    book_programmes(policy, ledger)
    costs = ledger.close_year(2024)
    assert costs["young_talent_grants"] == 2e7
    assert costs["overseas_posts"] == 1e7
    assert costs["return_programme"] == 3e7
