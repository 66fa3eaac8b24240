"""Levers (sim/levers.py): presets, the policy in force, budget ration and effort."""

import pytest

from sim.levers import (
    FAMILIES,
    LeverConfig,
    PolicyState,
    adjust_effort,
    budget_ration,
    preset_names,
)


def policy(**kw):
    scenario = LeverConfig(name="scenario", start_year=2023, start_quarter=3, **kw)
    return PolicyState(scenario, LeverConfig())


def test_presets_are_read_from_conf_levers():
    names = preset_names()
    assert names[:2] == ["none", "baseline"]
    assert {"enacted_2023", "platform_push", "talent_housing_push", "bonded_rd_push"} <= set(names)


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
