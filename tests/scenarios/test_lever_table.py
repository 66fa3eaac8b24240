"""Levers as instruments: mechanisms and evidence, the committed lever table, directions.

The lever table (``docs/levers/lever_table.csv``, ``python -m scenarios.lever_table``) is too
costly to regenerate in the suite; the tests here fail when it drifts from the code (a lever
added, removed, relabelled or given another mechanism) or when it shows a costly lever without
effect that is not labelled cost only. The direction tests run each lever family at 3x its
enacted value against ``enacted_2023`` with paired replicates.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd
import pytest

from agents.params import documented_fields
from scenarios.lever_table import (
    BASE,
    OUT,
    PROBES,
    costly_without_effect,
    costly_without_own_effect,
    enacted_levers,
    is_zero,
    measure,
    paired,
    scaled,
    settings,
    shown_kpis,
    upper_bound,
    wrong_direction,
)
from sim.compose import load_config
from sim.config import check
from sim.lever_evidence import EVIDENCE, MECHANISMS, evidence, lever_names, parameter_evidence
from sim.levers import CentreAmounts, TierAmounts

TABLE = OUT / "lever_table.csv"


@pytest.fixture(scope="module")
def cfg():
    return load_config([*BASE, "run.replicates=8", "run.people_per_agent=4000"])


def test_every_lever_has_a_mechanism_and_its_parameters_exist(cfg):
    assert set(MECHANISMS) == set(lever_names())
    behaviour = {n for n, _, _ in documented_fields(cfg.region.behaviour, "")}
    for name, mech in MECHANISMS.items():
        assert mech.how, name
        assert not (mech.cost_only and mech.rests_on), name
        assert set(mech.rests_on) <= behaviour, (name, set(mech.rests_on) - behaviour)
        label, per = evidence(name, cfg.region)
        assert label in EVIDENCE and set(per.values()) <= {"calibrated", "sourced", "assumed"}
    # The calibrated Changsha region: a parameter of its calibration is "calibrated".
    assert evidence("centre_registration_open", cfg.region)[0] == "calibrated"
    # Under priors nothing is calibrated by the region itself.
    prior = load_config(["region=changsha"])
    assert evidence("centre_registration_open", prior.region)[0] == "assumed"


def test_every_lever_not_in_force_is_probed_so_the_table_shows_its_mechanism(cfg):
    probed = {n for values in PROBES.values() for n in values}
    for name, value, meta in enacted_levers(cfg):
        if is_zero(value) and meta["family"] != "I":
            assert name in probed, f"{name} is 0 in enacted_2023 and no probe sets it"
    for name, values in PROBES.items():
        assert name in values and all(is_zero(getattr(cfg.levers, n)) for n in values), name


def test_a_calibrated_parameter_the_record_did_not_pin_down_has_its_priors_evidence(cfg):
    region = copy.deepcopy(cfg.region)
    name = "rd_centres.centre_upgrade_max_rate"  # prior: "calibrated; ..." (no literature)
    assert f"region.behaviour.{name}" in region.calibrated_parameters
    region.identified_parameters = [f"region.behaviour.{name}"]
    assert parameter_evidence(name, region) == "calibrated"
    region.identified_parameters = []
    assert parameter_evidence(name, region) == "assumed"
    assert evidence("centre_registration_open", region)[0] == "assumed"
    # A prior range from the literature: unidentified, the effect rests on that range.
    name = "rd_centres.centre_award_elasticity"
    assert f"region.behaviour.{name}" in region.calibrated_parameters
    assert parameter_evidence(name, region) == "sourced"
    region.identified_parameters = [f"region.behaviour.{name}"]
    assert parameter_evidence(name, region) == "calibrated"


def test_scaling_a_lever_keeps_its_kind_and_bounds():
    amounts = scaled(CentreAmounts(fortune500=1e7, bonded=2e6), 3.0, 2.5e7)
    assert amounts == CentreAmounts(fortune500=2.5e7, bonded=6e6)  # capped field by field
    assert scaled(TierAmounts(graduate=9000.0), 0.0, None) == TierAmounts()
    assert scaled(True, 0.0, None) is False and scaled(False, 3.0, None) is True
    assert scaled(100, 3.0, 2000) == 300 and isinstance(scaled(100, 3.0, 2000), int)


def test_the_committed_table_lists_every_lever_in_force_with_the_codes_labels(cfg):
    table = pd.read_csv(TABLE)
    planned = {(lever, setting) for lever, setting, _ in settings(cfg)}
    assert set(zip(table.lever, table.setting, strict=True)) == planned
    for lever, g in table.groupby("lever"):
        label, per = evidence(lever, cfg.region)
        assert set(g.evidence) == {label}, lever
        rests = "; ".join(f"{p} ({e})" for p, e in per.items())
        assert set(g.rests_on.fillna("")) == {rests}, lever
    assert set(table.kpi) == set(shown_kpis(cfg))


def test_no_lever_in_the_table_costs_more_without_effect_unless_labelled_cost_only():
    table = pd.read_csv(TABLE)
    flagged = costly_without_effect(table)
    assert all(MECHANISMS[name].cost_only for name in flagged), flagged
    three = table[table.setting == "3x"]
    for name, mech in MECHANISMS.items():
        if mech.cost_only and name in set(three.lever):
            assert not three[three.lever == name].changes_kpis.any(), (
                f"{name} is labelled cost only"
            )
    # A setting of a lever with a mechanism that changes its cost also changes some KPI (its
    # path is live); settings that change nothing (a cap that does not bind, a switch already
    # on) cost nothing either.
    for (name, setting), g in table.groupby(["lever", "setting"]):
        if not MECHANISMS[name].cost_only and g.cost_yuan.iloc[0] != 0:
            assert g.changes_kpis.any(), f"{name} {setting} costs {g.cost_yuan.iloc[0]:.3g} yuan"


def test_no_lever_moves_its_own_target_against_its_support():
    """Per lever, in the committed table: more support (3x, a probe; 0 of a waiting period)
    never lowers the lever's own target significantly, less support never raises it."""
    table = pd.read_csv(TABLE)
    assert set(table[table.own_target].kpi) <= set(table.kpi)
    for lever, g in table.groupby("lever"):
        assert set(g[g.own_target].kpi) == set(MECHANISMS[lever].aims) & set(g.kpi), lever
    bad = wrong_direction(table)
    assert bad.empty, bad[["lever", "setting", "kpi", "effect", "ci_low", "ci_high"]]


def test_costly_settings_without_a_detected_own_effect_are_listed_in_the_table():
    table = pd.read_csv(TABLE)
    text = (OUT / "lever_table.md").read_text()
    weak = costly_without_own_effect(table)
    listed = text.split("did not rise detectably", 1)[-1] if len(weak) else ""
    for lever, setting in set(zip(weak.lever, weak.setting, strict=True)):
        assert f"- `{lever}` {setting}:" in listed, (lever, setting)


def _setting(cfg, **levers):
    out = copy.deepcopy(cfg)
    for name, value in levers.items():
        setattr(out.levers, name, value)
    return check(out)


@pytest.fixture(scope="module")
def enacted(cfg):
    return measure(cfg)


FAMILY_PUSH = {  # family -> (levers at 3x their enacted value, the family's own target KPI)
    "A": (["centre_award_investment_share", "centre_award_cap_yuan"], "rd_centres"),
    "B": (["platform_award_yuan", "cultivation_pool_size"], "platforms"),
    "C": (["super_deduction_rate"], "rd_growth"),
    "D": (
        [
            "joint_lab_support_yuan_per_year",
            "pilot_base_support_yuan_per_year",
            "tech_manager_support_yuan_per_year",
            "licence_guarantee_yuan_per_year",
        ],
        "tech_contract_turnover",
    ),
    "E": (["top_talent_reward_yuan", "leading_team_grants_per_year"], "talent"),
    "F": (["rent_subsidy_yuan_per_year", "first_home_subsidy_yuan"], "talent"),
    "G": (["guidance_fund_yuan_per_year"], "listed"),
    "H": (["ip_and_international_yuan_per_year"], "rd_centres"),
    "I": (["recognition_campaign"], "high_tech_enterprises"),
}


@pytest.mark.parametrize("family", list(FAMILY_PUSH))
def test_more_support_never_lowers_the_familys_own_target(family, cfg, enacted):
    """3x the family's levers: the paired mean of its own target in 2030 is not significantly
    below the enacted policy's (95 % interval), over 8 paired replicates."""
    levers, kpi = FAMILY_PUSH[family]
    values = {n: scaled(getattr(cfg.levers, n), 3.0, upper_bound(cfg, n)) for n in levers}
    alt = measure(_setting(cfg, **values))
    mean, low, high = paired(alt[kpi] - enacted[kpi])
    assert high >= 0, f"family {family}: {kpi} {mean:+.3g} [{low:+.3g}, {high:+.3g}]"
    cost = paired(alt["public_cost_yuan"] - enacted["public_cost_yuan"])
    assert cost[0] >= 0  # more support never costs less


@pytest.mark.parametrize("lever", [n for n, m in MECHANISMS.items() if m.cost_only])
def test_a_cost_only_lever_changes_no_kpi_but_its_cost(lever, cfg, enacted):
    value = getattr(cfg.levers, lever)
    alt = measure(_setting(cfg, **{lever: scaled(value, 3.0, 1.0 if value < 1 else None)}))
    behaviour = [c for c in enacted.columns if not c.startswith("public_cost")]
    pd.testing.assert_frame_equal(alt[behaviour], enacted[behaviour])
    assert (alt.public_cost_yuan > enacted.public_cost_yuan).all()
    assert dataclasses.is_dataclass(cfg.levers) and np.isfinite(alt.public_cost_yuan).all()
