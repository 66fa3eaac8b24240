import numpy as np
import pytest

from agents import platforms
from agents.categories import CENTRE_TYPES
from agents.platforms import PlatformParams
from agents.rd_centres import CentreParams, award_by_code
from sim.ledger import PublicCostLedger
from sim.levers import (
    COST_LINES,
    FAMILIES,
    CentreAmounts,
    LeverConfig,
    PlatformAmounts,
    PolicyState,
    adjust_effort,
    budget_ration,
    preset_names,
)

INVESTMENT = CentreParams().centre_investment_yuan


def policy(**kw):
    scenario = LeverConfig(name="scenario", start_year=2023, start_quarter=3, **kw)
    return PolicyState(scenario, LeverConfig())


def test_ledger_refuses_an_unknown_cost_line():
    with pytest.raises(KeyError, match="rd_post_subsidyy"):
        PublicCostLedger().book("rd_post_subsidyy", 1.0)
    assert set(COST_LINES.values()) <= set(FAMILIES)


def test_presets_are_read_from_conf_levers():
    names = preset_names()
    assert names[:2] == ["none", "baseline"]
    assert {"enacted_2023", "platform_push", "talent_housing_push", "bonded_rd_push"} <= set(names)


def test_book_local_total_and_close_year():
    gov = PublicCostLedger()
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
    assert budget_ration(5e9, 0.0, 0.7) == 1.0  # no cap
    assert budget_ration(2e9, 1e9, 1.0) == pytest.approx(0.5)
    assert budget_ration(2e9, 1e9, 0.8) == pytest.approx(0.4)
    assert budget_ration(1e9, 4e9, 0.5) == 1.0  # never above 1
    assert budget_ration(1e9, 1.5e9, 0.5) == pytest.approx(0.75)


COSTS = {"A": 1e8, "B": 2e8, "C": 3e8, "E": 1e8, "F": 1e8, "G": 2e8}


MONEY_FAMILIES = FAMILIES[:-1]  # I (budget and evaluation) has no effort of its own


def planned(effort_old, effort_new):
    return sum(COSTS.get(f, 0.0) * effort_new[f] / effort_old[f] for f in MONEY_FAMILIES)


def test_adjust_effort_shifts_towards_lagging_and_keeps_cost():
    effort = dict.fromkeys(MONEY_FAMILIES, 1.0)
    effort["C"] = 1.5
    new = adjust_effort(effort, {"rd_growth": 0.8, "platforms": 1.5}, COSTS, 0.2)
    assert new["C"] > effort["C"]  # lagging target's family
    assert new["B"] < effort["B"]  # leading target's family
    assert new["B"] / effort["B"] < new["A"] / effort["A"] < new["C"] / effort["C"]
    assert planned(effort, new) == pytest.approx(sum(COSTS.values()), rel=1e-9)
    # Relative changes: C by (1 + step), B by (1 - step / 2), others 1, times a common factor.
    assert (new["C"] / effort["C"]) / (new["A"] / effort["A"]) == pytest.approx(1.2)
    assert (new["B"] / effort["B"]) / (new["A"] / effort["A"]) == pytest.approx(0.9)


def test_adjust_effort_on_track_leaves_effort_unchanged():
    effort = dict.fromkeys(MONEY_FAMILIES, 1.3)
    new = adjust_effort(effort, {"rd_growth": 1.0, "talent": 1.1}, COSTS, 0.2)
    assert new == pytest.approx(effort)


def test_adjust_effort_is_clipped():
    effort = dict.fromkeys(MONEY_FAMILIES, 1.0)
    effort["C"], effort["B"] = 3.9, 0.26
    new = adjust_effort(effort, {"rd_growth": 0.1, "platforms": 2.0}, COSTS, 0.5)
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
    award = award_by_code(ps.levers, ps.scale("A"), INVESTMENT)
    assert len(award) == len(CENTRE_TYPES) + 1 and award[0] == 0.0
    expected = [min(0.1 * INVESTMENT[c], getattr(caps, c)) for c in CENTRE_TYPES]
    np.testing.assert_allclose(award[1:], expected)
    np.testing.assert_allclose(award[1:], [1e7, 2e7, 0.0, 5e6, 2e6])
    ps.effort["A"] = 2.0
    doubled = award_by_code(ps.levers, ps.scale("A"), INVESTMENT)
    np.testing.assert_allclose(doubled[1:], 2 * np.array(expected))


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
