import numpy as np
import pytest

from agents.categories import CENTRE_TYPES
from sim.config import CentreAmounts, EntryBehaviour, LeverConfig, PlatformAmounts
from sim.levers import FAMILIES, Government, PolicyState

INVESTMENT = EntryBehaviour().centre_investment_yuan


def policy(**kw):
    scenario = LeverConfig(name="scenario", start_year=2023, start_quarter=3, **kw)
    return PolicyState(scenario, LeverConfig(), INVESTMENT)


def test_book_local_total_and_close_year():
    gov = Government()
    gov.book("rd_post_subsidy", 1e6)
    gov.book("rd_post_subsidy", 2e6)
    gov.book("platform_awards", 5e5)
    gov.book("national_super_deduction", 7e7)
    assert gov.local_total() == pytest.approx(3.5e6)
    costs = gov.close_year(2024)
    assert costs == {
        "rd_post_subsidy": 3e6,
        "platform_awards": 5e5,
        "national_super_deduction": 7e7,
    }
    assert gov.local_total() == 0.0 and len(gov.year_costs) == 0
    assert (2024, "national_super_deduction", 7e7) in gov.history
    assert [h[0] for h in gov.history] == [2024] * 3
    gov.book("platform_awards", 1.0)
    assert gov.close_year(2025) == {"platform_awards": 1.0}
    assert len(gov.history) == 4


def test_budget_ration():
    assert Government.budget_ration(5e9, 0.0, 0.7) == 1.0  # no cap
    assert Government.budget_ration(2e9, 1e9, 1.0) == pytest.approx(0.5)
    assert Government.budget_ration(2e9, 1e9, 0.8) == pytest.approx(0.4)
    assert Government.budget_ration(1e9, 4e9, 0.5) == 1.0  # never above 1
    assert Government.budget_ration(1e9, 1.5e9, 0.5) == pytest.approx(0.75)


COSTS = {"A": 1e8, "B": 2e8, "C": 3e8, "E": 1e8, "F": 1e8, "G": 2e8}


def planned(effort_old, effort_new):
    return sum(COSTS.get(f, 0.0) * effort_new[f] / effort_old[f] for f in FAMILIES)


def test_adjust_effort_shifts_towards_lagging_and_keeps_cost():
    effort = dict.fromkeys(FAMILIES, 1.0)
    effort["C"] = 1.5
    new = Government.adjust_effort(effort, {"rd_growth": 0.8, "platforms": 1.5}, COSTS, 0.2)
    assert new["C"] > effort["C"]  # lagging target's family
    assert new["B"] < effort["B"]  # leading target's family
    assert new["B"] / effort["B"] < new["A"] / effort["A"] < new["C"] / effort["C"]
    assert planned(effort, new) == pytest.approx(sum(COSTS.values()), rel=1e-9)
    # Relative changes: C by (1 + step), B by (1 - step / 2), others 1, times a common factor.
    assert (new["C"] / effort["C"]) / (new["A"] / effort["A"]) == pytest.approx(1.2)
    assert (new["B"] / effort["B"]) / (new["A"] / effort["A"]) == pytest.approx(0.9)


def test_adjust_effort_on_track_leaves_effort_unchanged():
    effort = dict.fromkeys(FAMILIES, 1.3)
    new = Government.adjust_effort(effort, {"rd_growth": 1.0, "talent": 1.1}, COSTS, 0.2)
    assert new == pytest.approx(effort)


def test_adjust_effort_is_clipped():
    effort = dict.fromkeys(FAMILIES, 1.0)
    effort["C"], effort["B"] = 3.9, 0.26
    new = Government.adjust_effort(effort, {"rd_growth": 0.1, "platforms": 2.0}, COSTS, 0.5)
    assert new["C"] == 4.0 and new["B"] == 0.25
    assert all(0.25 <= v <= 4.0 for v in new.values())


def test_policy_switches_exactly_at_start_quarter():
    ps = policy(rd_post_subsidy_rate=0.1)
    ps.effort["C"] = 2.0
    ps.ration = 0.5
    for year, quarter in ((2022, 4), (2023, 1), (2023, 2)):
        ps.update(year, quarter)
        assert ps.levers is ps.reference and not ps.active
        assert ps.scale("C") == 1.0
    ps.update(2023, 3)
    assert ps.levers is ps.scenario and ps.active
    assert ps.scale("C") == pytest.approx(1.0) and ps.scale("A") == pytest.approx(0.5)
    ps.update(2024, 1)
    assert ps.levers.rd_post_subsidy_rate == 0.1


def test_centre_award_by_code():
    caps = CentreAmounts(fortune500=1e7, leading_hq=1e8, upgraded=0.0, foreign=5e6, bonded=3e6)
    ps = policy(centre_award_investment_share=0.1, centre_award_cap_yuan=caps)
    ps.update(2023, 3)
    award = ps.centre_award_by_code()
    assert len(award) == len(CENTRE_TYPES) + 1 and award[0] == 0.0
    expected = [min(0.1 * INVESTMENT[c], getattr(caps, c)) for c in CENTRE_TYPES]
    np.testing.assert_allclose(award[1:], expected)
    np.testing.assert_allclose(award[1:], [1e7, 2e7, 0.0, 5e6, 2e6])
    ps.effort["A"] = 2.0
    np.testing.assert_allclose(ps.centre_award_by_code()[1:], 2 * np.array(expected))


def test_platform_award_multiplier():
    same = PolicyState(LeverConfig(), LeverConfig(), INVESTMENT)
    same.update(2030, 1)
    assert same.platform_award_multiplier("provincial_municipal", 0.3) == pytest.approx(1.0)
    mults = []
    for award in (0.0, 1e5, 1e6, 1e7):
        ps = policy(platform_award_yuan=PlatformAmounts(provincial_municipal=award))
        ps.update(2024, 1)
        mults.append(ps.platform_award_multiplier("provincial_municipal", 0.3))
    assert mults[0] == pytest.approx(1.0)
    assert np.all(np.diff(mults) > 0)
    assert mults[1] == pytest.approx(2.0**0.3)  # (1e5 + floor 1e5) / floor
    # Before the start the reference applies.
    ps = policy(platform_award_yuan=PlatformAmounts(provincial_municipal=1e7))
    ps.update(2023, 2)
    assert ps.platform_award_multiplier("provincial_municipal", 0.3) == 1.0
