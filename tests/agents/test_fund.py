import numpy as np
import pytest

from agents.fund import DealBook, FundParams, exit_multiples

N = 200_000


def params(shape=2.0):
    return FundParams(ipo_multiple_pareto_shape=shape, fail_multiple=0.1, secondary_multiple=1.2)


def flags(listed=False, dead=False, matured=False):
    return np.full(N, listed), np.full(N, dead), np.full(N, matured)


def test_listed_deals_pareto_multiples():
    rng = np.random.default_rng(21)
    m = exit_multiples(rng, *flags(listed=True, dead=True), params(2.0))  # listing wins over death
    assert m.min() >= 1.0
    # Shape 2 has a mean (2) but no variance: the mean of n draws deviates by about
    # sqrt(log n / n) (second moment truncated at the largest draw, about sqrt(n)).
    assert abs(m.mean() - 2.0) < 5 * np.sqrt(np.log(N) / N)
    # The median 2 ** (1 / shape) has a binomial standard error.
    med = 2 ** (1 / 2.0)
    assert abs((m < med).mean() - 0.5) < 4 * np.sqrt(0.25 / N)


def test_listed_mean_finite_variance_shape():
    rng = np.random.default_rng(22)
    m = exit_multiples(rng, *flags(listed=True), params(3.0))
    sd = np.sqrt(3.0 / ((3.0 - 1) ** 2 * (3.0 - 2)))
    assert abs(m.mean() - 1.5) < 4 * sd / np.sqrt(N)


def test_dead_open_and_matured_deals():
    rng = np.random.default_rng(23)
    n = N
    listed = np.zeros(n, bool)
    dead = np.zeros(n, bool)
    matured = np.zeros(n, bool)
    dead[: n // 4] = True
    matured[n // 4 : n // 2] = True
    matured[: n // 4] = True  # dead and matured: failure wins
    m = exit_multiples(rng, listed, dead, matured, params())
    np.testing.assert_array_equal(m[: n // 4], 0.1)
    np.testing.assert_array_equal(m[n // 2 :], 0.0)
    sec = m[n // 4 : n // 2]
    sd = 1.2 * np.sqrt(np.exp(0.25) - 1)  # lognormal with sigma 0.5 and mean 1.2
    assert abs(sec.mean() - 1.2) < 4 * sd / np.sqrt(len(sec))


def test_dealbook_add_and_close_keep_arrays_aligned():
    book = DealBook()
    assert len(book) == 0
    book.add(np.array([0, 1, 2]), np.array([10, 11, 12]), np.array([1.0, 2.0, 3.0]), 2023.5)
    book.add(np.array([3]), np.array([13]), np.array([4.0]), 2024.0)
    assert len(book) == 4
    np.testing.assert_array_equal(book.year, [2023.5, 2023.5, 2023.5, 2024.0])
    book.close(np.array([False, True, False, True]))
    assert len(book) == 2
    np.testing.assert_array_equal(book.fund, [0, 2])
    np.testing.assert_array_equal(book.firm, [10, 12])
    np.testing.assert_array_equal(book.amount, [1.0, 3.0])
    np.testing.assert_array_equal(book.year, [2023.5, 2023.5])
    assert book.fund.dtype == np.int64 and book.firm.dtype == np.int64


def test_dealbook_close_nothing_and_everything():
    book = DealBook()
    book.add(np.array([5, 6]), np.array([7, 8]), np.array([1.0, 1.0]), 2025.0)
    book.close(np.zeros(2, bool))
    assert len(book) == 2
    book.close(np.ones(2, bool))
    assert len(book) == 0 and len(book.amount) == 0 and len(book.year) == 0


@pytest.mark.parametrize("shape", [1.3, 2.0])
def test_pareto_tail_index(shape):
    rng = np.random.default_rng(24)
    m = exit_multiples(rng, *flags(listed=True), params(shape))
    p = 4.0**-shape  # P(multiple > 4)
    assert abs((m > 4).mean() - p) < 4 * np.sqrt(p * (1 - p) / N)


def test_vc_reward_speeds_vc_deployment_and_pays_the_reward_on_vc_deals():
    from agents.firm import FirmState
    from agents.fund import SUB_FUND, VC, FundState, step_quarter, vc_deploy_multiplier
    from sim.ledger import PublicCostLedger
    from sim.levers import LeverConfig, PolicyState

    p = FundParams()
    deals = {}
    for rate in (0.0, 0.1):
        lv = LeverConfig(vc_investment_reward_rate=rate)
        policy = PolicyState(lv, LeverConfig())
        policy.levers = lv
        assert vc_deploy_multiplier(policy, p) == pytest.approx(
            np.exp(p.vc_reward_elasticity * rate)
        )
        funds = FundState()
        funds.append(2, kind=np.array([VC, SUB_FUND]), cash=4e9, capital=4e9)
        firms = FirmState()
        firms.append(2000, age=1.0, revenue=1e7, knowledge=1e6)
        ledger = PublicCostLedger()
        step_quarter(
            funds,
            firms,
            DealBook(),
            p,
            np.random.default_rng(1),
            2024.0,
            policy=policy,
            ledger=ledger,
        )
        deals[rate] = funds.deals[:2].copy()
        invested_vc = funds.invested[0]
        assert ledger.close_year(2024)["vc_investment_rewards"] == pytest.approx(rate * invested_vc)
    # The VC fund invests exp(0.6 x 0.1) = 1.06 times as fast (13 deals, not 12); the sub-fund
    # is not rewarded.
    speed = np.exp(p.vc_reward_elasticity * 0.1)
    assert deals[0.1][0] == int(4e9 * p.deploy_share * speed / 4 / p.ticket_yuan)
    assert deals[0.1][0] > deals[0.0][0] and deals[0.1][1] == deals[0.0][1]
