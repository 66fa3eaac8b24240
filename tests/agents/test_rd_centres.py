"""R&D centres (agents/rd_centres.py): eligible type, registration, arrivals, awards.

Statistical checks draw many firms or quarters from a fixed seed and allow 4 standard errors.
"""

import numpy as np
import pytest

from agents import rd_centres
from agents.categories import CENTRE_TYPES, OWNERSHIPS, Structure
from agents.firm import CENTRE_CODE, FirmState
from agents.rd_centres import ARRIVING_TYPES, CentreParams, award_by_code
from sim.ledger import PublicCostLedger
from sim.levers import CentreAmounts, LeverConfig, PolicyState

P = CentreParams()
INVESTMENT = P.centre_investment_yuan
OWNER = {name: OWNERSHIPS.index(name) for name in OWNERSHIPS}
PLACES = Structure(
    ("digital", "other"), ("science_city", "bonded_zone"), "other", "bonded_zone", "science_city"
)
BONDED_ZONE = PLACES.bonded_zone


def policy(**kw):
    kw.setdefault("centre_registration_open", True)
    scenario = LeverConfig(name="scenario", start_year=2023, start_quarter=3, **kw)
    ps = PolicyState(scenario, LeverConfig())
    ps.update(2024, 4)
    return ps


def test_centre_award_by_code():
    caps = CentreAmounts(fortune500=1e7, leading_hq=1e8, upgraded=0.0, foreign=5e6, bonded=3e6)
    ps = policy(centre_award_investment_share=0.1, centre_award_cap_yuan=caps)
    award = award_by_code(ps.levers, ps.scale("A"), INVESTMENT)
    assert len(award) == len(CENTRE_TYPES) + 1 and award[0] == 0.0
    expected = [min(0.1 * INVESTMENT[c], getattr(caps, c)) for c in CENTRE_TYPES]
    np.testing.assert_allclose(award[1:], expected)
    np.testing.assert_allclose(award[1:], [1e7, 2e7, 0.0, 5e6, 2e6])
    ps.effort["A"] = 2.0
    doubled = award_by_code(ps.levers, ps.scale("A"), INVESTMENT)
    np.testing.assert_allclose(doubled[1:], 2 * np.array(expected))


def test_eligible_type_follows_the_documents_order():
    f = FirmState()
    big, small = 2 * P.centre_upgrade_min_rd_yuan, 0.5 * P.centre_upgrade_min_rd_yuan
    cases = [  # (ownership, zone, revenue, R&D, centre already) -> expected type
        ("fortune500_affiliate", BONDED_ZONE, 1e10, big, 0, "fortune500"),
        ("soe", BONDED_ZONE, 1e8, big, 0, "leading_hq"),
        ("private", 0, P.leading_hq_min_revenue_yuan, big, 0, "leading_hq"),  # very large
        ("foreign", BONDED_ZONE, 1e10, big, 0, "leading_hq"),  # leading before foreign
        ("foreign", BONDED_ZONE, 1e8, big, 0, "foreign"),  # foreign before bonded
        ("private", BONDED_ZONE, 1e8, big, 0, "bonded"),
        ("private", 0, 1e8, big, 0, "upgraded"),
        ("fortune500_affiliate", 0, 1e10, small, 0, None),  # too little R&D
        # A centre that arrived before the programme registers as its own type, whatever R&D.
        ("private", 0, 1e8, small, CENTRE_CODE["foreign"], "foreign"),
    ]
    for own, zone, revenue, rd, centre, _ in cases:
        f.append(
            1,
            ownership=OWNER[own],
            zone=zone,
            bonded=zone == BONDED_ZONE,
            revenue=revenue,
            rd_real=rd,
            centre_type=centre,
        )
    f.append(1, ownership=OWNER["private"], rd_real=big, centre_type=3, centre_registered=True)
    got = rd_centres.eligible_type(f, f.live(), P)
    expected = [0 if c[-1] is None else CENTRE_CODE[c[-1]] for c in cases] + [0]  # registered
    np.testing.assert_array_equal(got, expected)


def test_nothing_registers_while_the_programme_is_closed():
    f = eligible_firms(1_000)
    f.append(10, centre_type=CENTRE_CODE["fortune500"])  # arrived before the programme
    caps = CentreAmounts(upgraded=1e7, fortune500=1e9)
    ps = policy(
        centre_registration_open=False,
        centre_award_investment_share=1.0,
        centre_award_cap_yuan=caps,
    )
    ledger = PublicCostLedger()
    assert len(rd_centres.register(f, P, np.random.default_rng(1), ps, ledger)) == 0
    assert rd_centres.count(f) == 0 and not ledger.year_costs


def eligible_firms(n: int) -> FirmState:
    f = FirmState()
    f.append(n, ownership=OWNER["private"], revenue=1e8, rd_real=2 * P.centre_upgrade_min_rd_yuan)
    return f


@pytest.mark.parametrize("award", [0.0, 1e6, 2e6, 8e6])
def test_registration_probability_rises_with_the_award(award):
    n = 40_000
    f = eligible_firms(n)  # all eligible as upgraded enterprise centres
    # Settling awards of other types do not matter: existing firms get the upgrade award.
    caps = CentreAmounts(upgraded=award, fortune500=1e9, leading_hq=1e9)
    ps = policy(centre_award_investment_share=1.0, centre_award_cap_yuan=caps)
    ledger = PublicCostLedger()
    rows = rd_centres.register(f, P, np.random.default_rng(int(award)), ps, ledger)
    # max rate x (1 - 2 ** (-award / half)): half the maximum at the half award (2 m yuan).
    p = P.centre_upgrade_max_rate * (1 - 2.0 ** (-award / P.centre_upgrade_award_half_yuan))
    if award == 0:
        assert len(rows) == 0  # without an award nobody registers
    assert abs(len(rows) / n - p) < 4 * np.sqrt(p * (1 - p) / n) + 1e-12
    assert (f.centre_type[rows] == CENTRE_CODE["upgraded"]).all() and f.centre_registered[
        rows
    ].all()
    assert rd_centres.count(f) == len(rows)
    np.testing.assert_allclose(f.award_pool[rows], award)  # the award enters the R&D pool
    assert ledger.close_year(2024).get("centre_awards", 0.0) == pytest.approx(award * len(rows))


def test_bonded_centres_get_the_customs_refund():
    f = FirmState()
    f.append(3, centre_type=np.array([CENTRE_CODE["bonded"], CENTRE_CODE["bonded"], 3]))
    ps = policy(bonded_customs_refund_cap_yuan=5e5)
    ps.ration = 0.8
    ledger = PublicCostLedger()
    rd_centres.pay_awards(f, f.live(), P, ps, ledger, new_to_city=True)
    costs = ledger.close_year(2024)
    assert costs["bonded_customs_refund"] == pytest.approx(2 * 5e5 * 0.8)
    assert costs["centre_awards"] == 0.0  # no award share in this policy


def test_settling_awards_only_for_centres_new_to_the_city():
    caps = CentreAmounts(fortune500=1e9, upgraded=5e6)
    ps = policy(centre_award_investment_share=0.1, centre_award_cap_yuan=caps)
    f = FirmState()
    f.append(2, centre_type=CENTRE_CODE["fortune500"])
    ledger = PublicCostLedger()
    rd_centres.pay_awards(f, f.live()[:1], P, ps, ledger, new_to_city=True)
    rd_centres.pay_awards(f, f.live()[1:], P, ps, ledger, new_to_city=False)
    np.testing.assert_allclose(
        f.award_pool, [0.1 * INVESTMENT["fortune500"], min(0.1 * INVESTMENT["upgraded"], 5e6)]
    )


def test_attractiveness_by_hand():
    base = rd_centres.attractiveness(0.0, 5e7, 1.0, 0.0, 1.0, P, bonded=True)
    assert base == 1.0  # base-year conditions without awards
    got = rd_centres.attractiveness(5e6, 5e7, 1.2, 0.04, 2.0, P, bonded=True)
    assert got == pytest.approx(1.1**1.0 * 1.2**1.0 * 2.0**0.2 * np.exp(10.0 * 0.04))
    other = rd_centres.attractiveness(5e6, 5e7, 1.2, 0.04, 2.0, P, bonded=False)
    assert other == pytest.approx(1.1 * 1.2 * 2.0**0.2)  # duty relief only for bonded centres


def test_arrivals_are_poisson_at_the_attractive_rate():
    quarters = 4_000
    ps = policy(
        centre_award_investment_share=0.1,
        centre_award_cap_yuan=CentreAmounts(
            fortune500=1e9, leading_hq=1e9, foreign=1e9, bonded=1e9
        ),
        bonded_duty_relief_rate=0.05,
        ip_and_international_yuan_per_year=9e6,
    )
    f = FirmState()
    ledger = PublicCostLedger()
    rng = np.random.default_rng(11)
    for _ in range(quarters):
        rd_centres.arrivals(
            f,
            P,
            rng,
            policy=ps,
            ledger=ledger,
            talent_ratio=1.5,
            year=2025,
            places=PLACES,
            zone_p=np.array([1.0, 0.0]),
            revenue_per_employee=1e6,
        )
    ip_ratio = (9e6 + 1e6) / (0.0 + 1e6)
    for kind in ARRIVING_TYPES:
        mult = 1.1 * 1.5 * ip_ratio**0.2 * (np.exp(10.0 * 0.05) if kind == "bonded" else 1.0)
        lam = P.centre_arrivals_base[kind] * mult / 4
        got = f.count(f.centre_type == CENTRE_CODE[kind]) / quarters
        assert abs(got - lam) < 4 * np.sqrt(lam / quarters), kind
    bonded = f.centre_type == CENTRE_CODE["bonded"]
    assert (f.zone[bonded] == BONDED_ZONE).all() and (f.zone[~bonded] == 0).all()
    assert (f.bonded == bonded).all()  # the bonded flag marks exactly the bonded zone's firms
    assert (f.ownership[f.centre_type == CENTRE_CODE["foreign"]] == OWNER["foreign"]).all()
    # An arriving centre's R&D is lognormal around the typical value (mean-corrected).
    rd = f.rd_real[f.centre_type == CENTRE_CODE["leading_hq"]]
    sd = P.centre_rd_yuan["leading_hq"] * np.sqrt(np.exp(P.arrival_rd_log_sd**2) - 1)
    assert abs(rd.mean() - P.centre_rd_yuan["leading_hq"]) < 4 * sd / np.sqrt(len(rd))
    np.testing.assert_allclose(f.knowledge, f.rd_real * P.arrival_knowledge_years)
    np.testing.assert_allclose(f.revenue, f.rd_real / P.arrival_rd_intensity)
    assert f.centre_registered.all()  # the programme is open: arrivals register at once
    costs = ledger.close_year(2025)
    assert costs["ip_and_international"] == pytest.approx(quarters * 9e6 / 4)
    award = award_by_code(ps.levers, 1.0, INVESTMENT)
    assert costs["centre_awards"] == pytest.approx(award[f.centre_type].sum())


def test_a_region_without_a_bonded_zone_gets_no_bonded_centres_and_spreads_arrivals():
    ps = policy(bonded_duty_relief_rate=0.05)
    places = Structure(("a", "b", "other"), ("north", "south", "east"), "other")
    zone_p = np.array([0.5, 0.3, 0.2])
    f = FirmState()
    rng = np.random.default_rng(5)
    for _ in range(400):
        rd_centres.arrivals(
            f,
            P,
            rng,
            policy=ps,
            ledger=PublicCostLedger(),
            talent_ratio=3.0,
            year=2025,
            places=places,
            zone_p=zone_p,
            revenue_per_employee=1e6,
        )
    assert f.count(f.centre_type == CENTRE_CODE["bonded"]) == 0 and not f.bonded[: f.n].any()
    n = f.n
    assert n > 200 and (f.industry[:n] != 2).all()  # never the catch-all industry
    shares = np.bincount(f.zone[:n], minlength=3) / n
    assert np.all(np.abs(shares - zone_p) < 4 * np.sqrt(zone_p * (1 - zone_p) / n))
