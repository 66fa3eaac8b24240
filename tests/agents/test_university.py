"""Universities and institutes (agents/university.py): graduates, transfer, big science, the year.

Hand-computed cases use the default parameters; the statistical checks allow 4 standard errors.
"""

import numpy as np
import pytest

from agents import university
from agents.categories import UNIVERSITY_KINDS
from agents.university import FLAGSHIP, UniversityParams, UniversityState
from sim.ledger import PublicCostLedger
from sim.levers import LeverConfig, PolicyState

P = UniversityParams()


def policy(**levers) -> PolicyState:
    """The scenario ``levers`` in force (2024), against a base-year policy without levers."""
    ps = PolicyState(LeverConfig(name="scenario", **levers), LeverConfig())
    ps.update(2024, 1)
    return ps


def test_graduates_are_students_times_the_degree_rate():
    students = {"bachelor": np.array([1000.0, 0.0]), "master": np.array([500.0, 10.0])}
    students["phd"] = np.array([100.0, 50.0])
    grads = university.graduates_by_degree(students, P.graduation_rate)
    np.testing.assert_allclose(grads["bachelor"], [260.0, 0.0])
    np.testing.assert_allclose(grads["master"], [180.0, 3.6])
    np.testing.assert_allclose(grads["phd"], [18.0, 9.0])


def test_transfer_multiplier_is_a_constant_elasticity_with_a_floor():
    assert university.transfer_multiplier(1e8, 1e8, P) == pytest.approx(1.0)
    # (support + floor) / (reference + floor), to the elasticity 0.2.
    assert university.transfer_multiplier(3e8, 1e8, P) == pytest.approx((3.01e8 / 1.01e8) ** 0.2)
    assert university.transfer_multiplier(0.0, 0.0, P) == 1.0  # the floor keeps 0 / 0 away
    assert university.transfer_multiplier(0.0, 1e8, P) == pytest.approx((1e6 / 1.01e8) ** 0.2)


def test_market_deepening_slows_towards_its_ceiling():
    p = university.UniversityParams(transfer_market_growth=0.2, transfer_market_ceiling=0.1)
    assert university.deepen_market(1.0, 0.0, p) == pytest.approx(1.2)  # empty market: full growth
    # Base share 5 %: at depth 1 the room is half, at depth 2 the base market is at the ceiling.
    assert university.deepen_market(1.0, 0.05, p) == pytest.approx(1 + 0.2 * 0.5)
    assert university.deepen_market(2.0, 0.05, p) == 2.0
    assert university.deepen_market(3.0, 0.05, p) == 3.0  # never shrinks
    # The path depends on time alone: it converges to ceiling / base share, monotonically.
    path = [1.0]
    for _ in range(40):
        path.append(university.deepen_market(path[-1], 0.05, p))
    assert all(np.diff(path) >= 0)
    assert path[-1] == pytest.approx(2.0, rel=1e-3)


def test_big_science_probability_starts_at_the_threshold():
    cumulative = np.array([0.0, 2.0e9, 3.0e9, 12.0e9])
    prob = university.big_science_probability(cumulative, 2.0e9, 0.03)
    np.testing.assert_allclose(prob, [0.0, 0.0, 1 - np.exp(-0.03), 1 - np.exp(-0.3)])


def flagship_labs(n: int, investment: float) -> UniversityState:
    u = UniversityState()
    u.append(n, kind=FLAGSHIP, flagship_investment=investment)
    u.append(n, kind=UNIVERSITY_KINDS.index("university"), flagship_investment=investment)
    return u


def test_big_science_candidacy_is_the_flagship_programme_as_a_whole():
    # Four labs with 3 bn each: the programme's 12 bn counts, not each lab's 3 bn (below 2 bn +
    # rate x 1 bn each would be much less likely).
    trials, wins = 4_000, 0
    for seed in range(trials):
        u = flagship_labs(4, 3.0e9)
        u.researchers[:4] = [10.0, 40.0, 20.0, 30.0]
        university.big_science_candidacy(u, P, np.random.default_rng(seed))
        won = u.big_science[:4]
        assert won.sum() <= 1 and not u.big_science[4:].any()  # one win a year, flagship only
        if won.any():
            assert won[1]  # hosted by the flagship lab with the most researchers
            wins += 1
    p = 1 - np.exp(-P.big_science_rate_per_bn * (12.0e9 - P.big_science_min_investment_yuan) / 1e9)
    assert abs(wins / trials - p) < 4 * np.sqrt(p * (1 - p) / trials)


def test_big_science_status_is_never_lost():
    u = flagship_labs(10, 0.0)  # below the threshold: probability 0
    u.big_science[:10] = True
    university.big_science_candidacy(u, P, np.random.default_rng(8))
    assert u.big_science[:10].all()


def institutions() -> UniversityState:
    u = UniversityState()
    u.append(
        3,
        kind=np.array([0, 1, FLAGSHIP]),
        students_bachelor=np.array([1000.0, 0.0, 0.0]),
        students_master=np.array([500.0, 100.0, 0.0]),
        students_phd=np.array([100.0, 50.0, 20.0]),
        researchers=np.array([2000.0, 1000.0, 500.0]),
    )
    return u


def test_step_year_outputs_by_hand():
    u = institutions()
    ps = policy(
        flagship_investment_yuan_per_year=1e9,
        joint_lab_support_yuan_per_year=1e8,
        pilot_base_support_yuan_per_year=2e8,
        tech_manager_support_yuan_per_year=1e8,
        licence_guarantee_yuan_per_year=5e7,
    )
    ledger = PublicCostLedger()
    out = university.step_year(
        u,
        P,
        np.random.default_rng(9),
        policy=ps,
        ledger=ledger,
        gdp_growth_last_year=0.06,
        rd_per_researcher=5e5,
        market_depth=1.15**2,
    )
    assert out.graduates == pytest.approx({"bachelor": 260.0, "master": 216.0, "phd": 30.6})
    np.testing.assert_allclose(u.graduates, [260 + 180 + 18, 36 + 9, 3.6])
    np.testing.assert_allclose(u.students_master, [515.0, 103.0, 0.0])  # enrolment +3 %
    # Researchers grow by 0.06 x 0.5; the flagship lab adds half its funding at 5e5 yuan each.
    expected = np.array([2000.0, 1000.0, 500.0]) * 1.03 + np.array([0, 0, 0.5 * 1e9 / 5e5])
    np.testing.assert_allclose(u.researchers, expected)
    np.testing.assert_allclose(u.flagship_researchers, [0, 0, 0.5 * 1e9 / 5e5])
    np.testing.assert_allclose(u.flagship_investment, [0.0, 0.0, 1e9])
    np.testing.assert_allclose(u.research_output, expected * P.output_per_researcher)

    # Against a base-year policy without support; each channel sums the instruments serving it:
    # contracts = joint labs + managers, licences = those + guarantees, spin-offs = pilot +
    # managers.
    def mult(support):
        return ((support + 1e6) / 1e6) ** 0.2

    # 12 % of the turnover is licensing contracts, which move with the licences channel.
    turnover = expected * 2.0e5 * (0.88 * mult(2e8) + 0.12 * mult(2.5e8)) * 1.15**2
    np.testing.assert_allclose(u.contract_turnover, turnover)
    assert university.contract_turnover(u) == pytest.approx(turnover.sum())
    np.testing.assert_allclose(u.licences, expected * 0.02 * mult(2.5e8))
    assert out.spinoffs == u.spinoffs.sum()
    costs = ledger.close_year(2024)
    assert costs["flagship_investment"] == 1e9 and costs["tech_transfer_support"] == 4e8
    assert costs["licence_guarantees"] == 5e7


def test_each_transfer_instrument_moves_only_its_channels():
    base = {name: 0.0 for name in university.TRANSFER_INSTRUMENTS}
    for name, serves in university.TRANSFER_INSTRUMENTS.items():
        got = university.transfer_multipliers({**base, name: 1e8}, base, P)
        for channel in university.TRANSFER_CHANNELS:
            assert (got[channel] > 1.0) == (channel in serves), (name, channel)
        assert all(v >= 1.0 for v in got.values())


def test_new_type_foundings_rise_with_the_award_and_pay_it():
    u = UniversityState()
    u.append(40, kind=university.UNIVERSITY, researchers=1000.0)
    counts, costs = {}, {}
    for share in (0.0, 0.5):  # foundings are new-type rows, so the 40 universities stay 40
        ps = policy(new_type_award_investment_share=share, new_type_award_cap_yuan=1e8)
        ledger, total = PublicCostLedger(), 0
        rng = np.random.default_rng(3)
        for _ in range(200):
            new = university.found_new_type_institutions(u, P, rng, policy=ps, ledger=ledger)
            total += len(new)
        counts[share], costs[share] = total, ledger.close_year(2024)["new_type_awards"]
    # Poisson mean 0.05 x 40 a year; a 50 % award multiplies it by 1.5 ** elasticity (1.0).
    assert counts[0.0] == pytest.approx(200 * 2.0, rel=0.1)
    assert counts[0.5] / counts[0.0] == pytest.approx(1.5, rel=0.1)
    assert costs[0.0] == 0.0
    assert costs[0.5] == pytest.approx(counts[0.5] * 0.5 * P.new_type_investment_yuan)


def test_spinoffs_are_poisson_in_research_output():
    n = 20_000
    u = UniversityState()
    u.append(n, kind=0, researchers=1000.0)
    ps = policy()
    out = university.step_year(
        u,
        P,
        np.random.default_rng(10),
        policy=ps,
        ledger=PublicCostLedger(),
        gdp_growth_last_year=0.0,
        rd_per_researcher=5e5,
        market_depth=1.0,
    )
    lam = 1000.0 / 1000.0 * P.spinoffs_per_1000_output  # no support: multiplier 1
    assert abs(out.spinoffs / n - lam) < 4 * np.sqrt(lam / n)


def test_flagship_researchers_go_when_the_money_stops():
    u = institutions()
    kw = {"ledger": PublicCostLedger(), "gdp_growth_last_year": 0.0, "rd_per_researcher": 5e5}
    rng = np.random.default_rng(12)
    university.step_year(
        u, P, rng, policy=policy(flagship_investment_yuan_per_year=1e9), market_depth=1.0, **kw
    )
    assert u.researchers[2] == pytest.approx(500.0 + 1000.0)
    university.step_year(u, P, rng, policy=policy(), market_depth=1.0, **kw)
    assert u.researchers[2] == pytest.approx(500.0)  # a recurring cost, not a permanent stock
    assert u.flagship_investment[2] == pytest.approx(1e9)  # the programme's total stays


def test_rd_spending_is_researchers_times_cost_and_wages():
    u = institutions()
    u.alive[1] = False
    quarter = university.rd_spending(u, 4e5, 1.1)
    np.testing.assert_allclose(u.rd_spend[[0, 2]], [2000 * 4e5 * 1.1, 500 * 4e5 * 1.1])
    assert quarter == pytest.approx((2000 + 500) * 4e5 * 1.1 / 4)
    assert university.research_output(u) == 0.0  # nothing produced before the year is run
