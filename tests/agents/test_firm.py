import numpy as np
import pytest

from agents import firm

N = 200_000


def test_user_cost_hand_computed():
    cost = firm.user_cost(np.array([0.25, 0.15]), 1.0, np.array([0.0, 0.0]))
    np.testing.assert_allclose(cost, [(1 - 0.5) / 0.75, (1 - 0.3) / 0.85])
    # A marginal subsidy of 0.1 saves 0.1 / (1 - t) per yuan.
    sub = firm.user_cost(np.array([0.25]), 1.0, np.array([0.1]))
    np.testing.assert_allclose(sub, [(0.5 - 0.1) / 0.75])
    assert firm.user_cost(np.array([0.0]), 0.0, np.array([0.0]))[0] == pytest.approx(1.0)


def test_user_cost_falls_with_subsidy_and_is_floored():
    m = np.linspace(0.0, 2.0, 21)
    cost = firm.user_cost(np.full(21, 0.25), 1.0, m)
    assert np.all(np.diff(cost) <= 0) and cost[1] < cost[0]
    assert cost.min() == 0.05 and cost[-1] == 0.05


def test_capped_marginal_rate():
    rate = firm.capped_marginal_rate(0.1, np.array([1e6, 1e6, 1e6]), np.array([5e6, 9.99e6, 2e7]))
    np.testing.assert_array_equal(rate, [0.1, 0.1, 0.0])


def test_long_run_response_elasticity_minus_one():
    rev, inten = np.array([1e8]), np.array([0.04])
    same = firm.long_run_response(np.array([0.7]), np.array([0.7]), -1.0)
    halved = firm.long_run_response(np.array([0.35]), np.array([0.7]), -1.0)
    assert same[0] == 1.0
    assert firm.desired_rd(rev, inten, same)[0] == pytest.approx(4e6)
    assert firm.desired_rd(rev, inten, halved)[0] == pytest.approx(2 * 4e6)


def test_adjust_rd_works_for_factors_below_one():
    np.testing.assert_allclose(firm.adjust_rd(np.array([1.0]), np.array([0.25]), 0.5), [0.5])


def test_adjust_rd_log_partial_adjustment():
    rd, target = np.array([1e6, 4e6]), np.array([4e6, 1e6])
    np.testing.assert_allclose(firm.adjust_rd(rd, target, 1.0), target)
    np.testing.assert_allclose(firm.adjust_rd(rd, target, 0.0), rd)
    half = firm.adjust_rd(rd, target, 0.5)
    np.testing.assert_allclose(half, [2e6, 2e6])  # geometric mean: half-way in logs
    np.testing.assert_allclose(np.log(half / rd), 0.5 * np.log(target / rd))


def test_spend_awards():
    pool = np.array([4e6, 0.0])
    extra, new_pool = firm.spend_awards(pool, 0.25)
    np.testing.assert_allclose(extra, [4 * 1e6 * 0.75, 0.0])
    np.testing.assert_allclose(new_pool, [3e6, 0.0])


def test_reported_rd_relabel_share():
    rep = firm.reported_rd(np.array([7.58e6, 7.58e6]), np.array([True, False]), 0.242)
    np.testing.assert_allclose(rep, [1e7, 7.58e6])
    assert (rep[0] - 7.58e6) / rep[0] == pytest.approx(0.242)  # relabelled share of reported


@pytest.mark.parametrize("mult", [1.0, 2.0])
def test_innovation_draws_frequency(mult):
    rng = np.random.default_rng(11)
    rate = 0.08
    rd = np.full(N, 0.5 / rate * 4e6)  # hazard 0.5 per quarter at multiplier 1
    hit = firm.innovation_draws(rng, rd, rate, np.full(N, mult))
    p = -np.expm1(-0.5 * mult)
    se = np.sqrt(p * (1 - p) / N)
    assert abs(hit.mean() - p) < 4 * se


def test_zero_rd_never_innovates():
    rng = np.random.default_rng(12)
    hit = firm.innovation_draws(rng, np.zeros(N), 0.3, np.full(N, 5.0))
    assert not hit.any()


def test_revenue_growth_mean_factor_is_one_without_drift():
    rng = np.random.default_rng(13)
    scale = 0.4  # quarterly Laplace scale b = 0.2 at the reference size
    rev = np.full(N, 1e8)
    new = firm.revenue_growth(rng, rev, 0.0, np.zeros(N, bool), 0.02, scale, 0.17, 1e8)
    factor = new / rev
    b = 0.2
    sd = np.sqrt((1 - b**2) ** 2 / (1 - 4 * b**2) - 1)  # s.d. of the corrected factor
    assert abs(factor.mean() - 1.0) < 4 * sd / np.sqrt(N)
    assert 1 / (1 - b**2) - 1 > 20 * sd / np.sqrt(N)  # without correction the test would fail


def test_revenue_growth_drift_and_boost():
    rng = np.random.default_rng(14)
    rev = np.full(N, 1e8)
    innov = np.zeros(N, bool)
    innov[: N // 2] = True
    new = firm.revenue_growth(rng, rev, 0.01, innov, 0.05, 0.12, 0.17, 1e8)
    f = new / rev
    b = 0.06
    se = np.sqrt((1 - b**2) ** 2 / (1 - 4 * b**2) - 1) / np.sqrt(N / 2)
    assert abs(f[~innov].mean() - np.exp(0.01)) < 4 * se * np.exp(0.01)
    assert abs(f[innov].mean() - np.exp(0.06)) < 4 * se * np.exp(0.06)


def test_small_firms_have_more_dispersed_growth():
    rng = np.random.default_rng(15)
    small = firm.revenue_growth(rng, np.full(N, 1e6), 0.0, np.zeros(N, bool), 0.0, 0.12, 0.17, 1e8)
    large = firm.revenue_growth(rng, np.full(N, 1e9), 0.0, np.zeros(N, bool), 0.0, 0.12, 0.17, 1e8)
    sd_small, sd_large = np.log(small / 1e6).std(), np.log(large / 1e9).std()
    b_small = 0.06 * 0.01**-0.17
    b_large = 0.06 * 10.0**-0.17
    # Laplace s.d. is sqrt(2) b; the s.e. of a sample s.d. is s.d. * sqrt((kurtosis - 1) / 4n),
    # with kurtosis 6 for the Laplace.
    for sd, b in ((sd_small, b_small), (sd_large, b_large)):
        assert abs(sd - np.sqrt(2) * b) < 4 * np.sqrt(2) * b * np.sqrt(5 / (4 * N))
    assert sd_small / sd_large == pytest.approx(1000**0.17, rel=0.02)


def test_revenue_growth_shock_scale_is_capped():
    rng = np.random.default_rng(16)
    tiny = firm.revenue_growth(rng, np.full(N, 1.0), 0.0, np.zeros(N, bool), 0.0, 0.2, 0.17, 1e8)
    sd = np.log(tiny).std()
    assert abs(sd - np.sqrt(2) * 0.45) < 4 * np.sqrt(2) * 0.45 * np.sqrt(5 / (4 * N))


def test_exit_draws_quarterly_frequency_from_annual_curve():
    n = 1_000_000
    rng = np.random.default_rng(17)
    curve = [0.016, 0.063, 0.095, 0.09, 0.085, 0.08, 0.08, 0.05]
    out = firm.exit_draws(rng, np.full(n, 2.6), curve, np.ones(n))
    p = 1 - (1 - 0.095) ** 0.25
    se = np.sqrt(p * (1 - p) / n)
    assert abs(out.mean() - p) < 4 * se
    assert abs(out.mean() - 0.095 / 4) > 4 * se  # distinguishes compounding from annual / 4


def test_exit_draws_use_last_entry_beyond_curve_and_scale():
    rng = np.random.default_rng(18)
    curve = [0.0, 0.0, 0.5]
    old = firm.exit_draws(rng, np.full(N, 40.0), curve, np.ones(N))
    p = 1 - 0.5**0.25
    assert abs(old.mean() - p) < 4 * np.sqrt(p * (1 - p) / N)
    young = firm.exit_draws(rng, np.full(N, 1.9), curve, np.ones(N))
    assert not young.any()
    half = firm.exit_draws(rng, np.full(N, 40.0), curve, np.full(N, 0.5))
    p = 1 - 0.75**0.25
    assert abs(half.mean() - p) < 4 * np.sqrt(p * (1 - p) / N)


def test_basic_research_relief_blends_into_the_deduction_and_lowers_the_user_cost():
    from sim.levers import LeverConfig

    # 2 % of R&D is basic: 0.98 x 100 % + 0.02 x 0 % before 2022, 100 % once it is relieved.
    before = LeverConfig(super_deduction_rate=1.0, basic_research_deduction_rate=0.0)
    after = LeverConfig(super_deduction_rate=1.0, basic_research_deduction_rate=1.0)
    assert firm.deduction_rate(before, 0.02) == pytest.approx(0.98)
    assert firm.deduction_rate(after, 0.02) == pytest.approx(1.0)
    tax = np.array([0.25])
    cost = [
        firm.user_cost(tax, firm.deduction_rate(lv, 0.02), np.zeros(1)) for lv in (before, after)
    ]
    assert cost[1][0] < cost[0][0]
    assert cost[0][0] - cost[1][0] == pytest.approx(0.25 * 0.02 / 0.75)
