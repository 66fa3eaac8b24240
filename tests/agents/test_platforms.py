"""Innovation platforms (agents/platforms.py): creation, closure, awards, approvals, pool, count.

Statistical checks draw many hosts from a fixed seed and allow 4 standard errors (Poisson or
binomial, as stated at each assertion).
"""

import numpy as np
import pytest

from agents import platforms
from agents.firm import FirmState
from agents.platforms import Approvals, PlatformParams
from agents.university import UniversityState
from sim.ledger import PublicCostLedger
from sim.levers import LeverConfig, PlatformAmounts, PolicyState

N = 50_000


def policy(**kw):
    scenario = LeverConfig(name="scenario", start_year=2023, start_quarter=3, **kw)
    return PolicyState(scenario, LeverConfig())


def no_policy() -> PolicyState:
    ps = PolicyState(LeverConfig(), LeverConfig())
    ps.update(2024, 4)
    return ps


def assert_poisson_mean(counts, lam):
    assert abs(counts.mean() - lam) < 4 * np.sqrt(lam / len(counts)), (counts.mean(), lam)


def test_platform_award_multiplier():
    p = PlatformParams(platform_award_elasticity=0.3)
    same = PolicyState(LeverConfig(), LeverConfig())
    same.update(2030, 1)
    assert platforms.award_multiplier(same, "provincial_municipal", p) == pytest.approx(1.0)
    mults = []
    for award in (0.0, 1e5, 1e6, 1e7):
        ps = policy(platform_award_yuan=PlatformAmounts(provincial_municipal=award))
        ps.update(2024, 1)
        mults.append(platforms.award_multiplier(ps, "provincial_municipal", p))
    assert mults[0] == pytest.approx(1.0)
    assert np.all(np.diff(mults) > 0)
    assert mults[1] == pytest.approx(2.0**0.3)  # (1e5 + floor 1e5) / floor
    # Before the start the reference applies.
    ps = policy(platform_award_yuan=PlatformAmounts(provincial_municipal=1e7))
    ps.update(2023, 2)
    assert platforms.award_multiplier(ps, "provincial_municipal", p) == 1.0


def quarterly(p_year):
    return -np.expm1(np.log1p(-p_year) / 4.0)


def test_firms_fill_their_hosting_potential_and_candidates_reach_national_faster():
    f = FirmState()
    p = PlatformParams()
    rd = 10 * p.platform_rd_per_unit_yuan  # potential: 10 platforms per firm
    f.append(N, rd_real=rd, platforms=4)  # 6 units unused
    f.cultivation[: N // 2] = True
    ledger, approvals = PublicCostLedger(), Approvals((2023, 3))
    before = f.platforms.copy()
    platforms.create_at_firms(
        f,
        p,
        np.random.default_rng(1),
        policy=no_policy(),
        ledger=ledger,
        approvals=approvals,
        now=(2024, 4),
    )
    # New: Poisson(rate / 4 x unused potential); closed: Binomial(hosted, quarterly closure).
    change = (f.platforms - before).astype(float)
    lam = p.platform_formation_rate / 4 * 6
    expected = lam - 4 * quarterly(p.platform_closure_rate)
    sd = np.sqrt(lam + 4 * quarterly(p.platform_closure_rate))
    assert abs(change.mean() - expected) < 4 * sd / np.sqrt(N), (change.mean(), expected)
    assert approvals.this_year["provincial_municipal"] == approvals.approved["provincial_municipal"]
    for kind in platforms.FIRM_NATIONAL_KINDS:
        got = getattr(f, kind).astype(float)
        lam_n = p.national_platform_rate_per_100m_rd * rd / 1e8 / 4 * p.national_kind_shares[kind]
        assert_poisson_mean(got[N // 2 :], lam_n)
        assert_poisson_mean(got[: N // 2], lam_n * p.cultivation_multiplier)
        assert approvals.approved[kind] == got.sum()
    assert ledger.close_year(2024) == {"platform_awards": 0.0}  # no awards without a policy


def test_a_host_at_its_potential_forms_no_platform_and_the_drive_speeds_formation():
    p = PlatformParams(platform_closure_rate=0.0)
    full = FirmState()
    full.append(N, rd_real=3 * p.platform_rd_per_unit_yuan, platforms=3)
    kw = {"ledger": PublicCostLedger(), "approvals": Approvals((2023, 3)), "now": (2024, 1)}
    platforms.create_at_firms(full, p, np.random.default_rng(6), policy=no_policy(), **kw)
    assert (full.platforms == 3).all()
    # The recognition drive multiplies the formation rate by exp(effect x intensity).
    counts = {}
    for drive in (0.0, 1.0):
        f = FirmState()
        f.append(N, rd_real=5 * p.platform_rd_per_unit_yuan)
        ps = policy(recognition_campaign=drive)
        ps.update(2024, 1)
        platforms.create_at_firms(f, p, np.random.default_rng(7), policy=ps, **kw)
        counts[drive] = f.platforms.astype(float)
    lam0 = p.platform_formation_rate / 4 * 5
    assert_poisson_mean(counts[0.0], lam0)
    assert_poisson_mean(counts[1.0], lam0 * np.exp(p.platform_campaign_effect))


def test_closures_are_binomial_in_hosted_platforms():
    p = PlatformParams(platform_closure_rate=0.02)
    closed = platforms.closures(np.random.default_rng(2), np.full(N, 50), p)
    q = quarterly(0.02)
    assert abs(closed.mean() - 50 * q) < 4 * np.sqrt(50 * q * (1 - q) / N)
    assert (platforms.closures(np.random.default_rng(3), np.zeros(10, int), p) == 0).all()


def test_firm_platforms_close_at_the_closure_rate():
    f = FirmState()
    f.append(N, platforms=10)  # no R&D: no potential, only closures
    p = PlatformParams(platform_closure_rate=0.05)
    platforms.create_at_firms(
        f,
        p,
        np.random.default_rng(4),
        policy=no_policy(),
        ledger=PublicCostLedger(),
        approvals=Approvals((2023, 3)),
        now=(2024, 4),
    )
    lost = 10 - f.platforms.astype(float)
    q = quarterly(0.05)
    assert abs(lost.mean() - 10 * q) < 4 * np.sqrt(10 * q * (1 - q) / N)


def test_universities_create_platforms_and_national_key_labs():
    u = UniversityState()
    p = PlatformParams(platform_closure_rate=0.0)
    u.append(N, researchers=5 * p.researchers_per_platform)
    platforms.create_at_universities(
        u,
        p,
        np.random.default_rng(5),
        policy=no_policy(),
        ledger=PublicCostLedger(),
        approvals=Approvals((2023, 3)),
        now=(2024, 3),
    )
    assert_poisson_mean(u.platforms.astype(float), p.platform_formation_rate / 4 * 5)
    # National key labs: a city-wide Poisson count, rate + round labs x round intensity, more
    # while a cultivation pool is funded.
    years = [
        _key_labs(p, pool_size, rounds, seed)
        for pool_size, rounds in ((0, 0.0), (100, 0.0), (0, 1.0))
        for seed in range(3_000)
    ]
    without, with_pool, in_round = (np.array(years[i * 3_000 : (i + 1) * 3_000]) for i in range(3))
    assert_poisson_mean(without, p.national_key_lab_rate)
    assert_poisson_mean(with_pool, p.national_key_lab_rate * (1 + p.cultivation_key_lab_boost))
    assert_poisson_mean(in_round, p.national_key_lab_rate + p.national_key_lab_round_labs)


def _key_labs(p, pool_size, rounds, seed) -> int:
    u = UniversityState()
    u.append(2, researchers=np.array([100.0, 300.0]))
    ps = policy(cultivation_pool_size=pool_size)
    ps.update(2024, 3)
    platforms.national_key_labs(
        u,
        p,
        np.random.default_rng(seed),
        rounds,
        policy=ps,
        ledger=PublicCostLedger(),
        approvals=Approvals((2023, 3)),
        now=(2024, 3),
    )
    return int(u.national_key_labs.sum())


def test_approvals_pay_awards_always_but_count_only_inside_the_window():
    ps = policy(platform_award_yuan=PlatformAmounts(national_key_lab=5e6, provincial_municipal=2e5))
    ps.update(2023, 3)
    ps.ration = 0.5  # money levers are paid at the ration
    ledger, approvals = PublicCostLedger(), Approvals((2023, 4))
    approvals.approve("national_key_lab", 2, (2023, 3), ps, ledger)  # before the window opens
    approvals.approve("national_key_lab", 1, (2023, 4), ps, ledger)
    approvals.approve("provincial_municipal", 3, (2024, 1), ps, ledger)
    approvals.approve("provincial_municipal", 0, (2024, 1), ps, ledger)
    assert approvals.approved["national_key_lab"] == 1
    assert approvals.approved["provincial_municipal"] == 3
    assert ledger.local_total() == pytest.approx(0.5 * (3 * 5e6 + 3 * 2e5))


def test_cultivation_pool_keeps_candidates_and_fills_with_top_rd_hosts():
    f = FirmState()
    # rows:           0     1     2     3     4     5
    f.append(6, rd_real=np.array([9.0, 8.0, 7.0, 6.0, 5.0, 1.0]), platforms=1)
    f.platforms[2] = 0  # hosts no platform: never a candidate
    f.national_innovation_centre[0] = 1  # already national: never a candidate
    f.cultivation[5] = True  # an existing candidate stays although its R&D is small
    platforms.refresh_cultivation_pool(f, 3)
    np.testing.assert_array_equal(np.flatnonzero(f.cultivation), [1, 3, 5])
    assert platforms.count_cultivation(f) == 3
    # A candidate that wins a national platform leaves; the place goes to the next host.
    f.other_national[3] = 1
    platforms.refresh_cultivation_pool(f, 3)
    np.testing.assert_array_equal(np.flatnonzero(f.cultivation), [1, 4, 5])
    platforms.refresh_cultivation_pool(f, 0)
    assert not f.cultivation.any()


def test_count_adds_every_kind_at_live_hosts_only():
    f = FirmState()
    f.append(3, platforms=np.array([2, 3, 4]))
    f.national_enterprise_tech_centre[0] = 1
    f.national_innovation_centre[1] = 2
    f.other_national[2] = 5
    f.alive[2] = False  # its 4 + 5 platforms close with it
    u = UniversityState()
    u.append(2, platforms=np.array([7, 1]))
    u.national_key_labs[:] = [3, 0]
    u.national_platforms[:] = [1, 9]
    u.alive[1] = False
    assert platforms.count(f, u) == (2 + 3 + 1 + 2) + (7 + 3 + 1)
