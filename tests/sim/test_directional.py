"""Levers move the KPIs they act on, under common random numbers, and the tests can tell.

Each directional test runs N = 16 paired replicates of the enacted policy and of a stronger
setting (replicate r of both uses the same seed) to 2030, and requires each claimed effect to be
significantly positive in a one-sided paired t-test at alpha = 0.001 (t > 3.73 with 15 degrees
of freedom; :func:`tests.sim.paired.significantly_positive`). Measured on 16 replicates at
people_per_agent=2000 (mean +- standard deviation of the paired difference, t):

* housing push, talent 2030: +209,000 +- 48,000 persons, t = 17.5; housing support paid
  2023-2030: +13.1 bn +- 1.7 bn yuan, t > 25;
* bigger awards, R&D expenditure 2030: +73 +- 23 (100m yuan), t = 12.6; awards and post-R&D
  subsidies paid: t > 30;
* bonded push, bonded-type R&D centres 2030: +6.4 +- 4.3, t = 6.0 (every replicate >= +2);
  customs refunds plus national duty relief: +0.29 bn +- 0.02 bn yuan, t = 62.

The total of all R&D centres, which the bonded test used to check, moves by +10.6 +- 24.1
(t = 1.8): the wrong quantity. The mutation checks below run the same measurement with the
lever's behavioural path patched away (tests/sim/paired.py, ``MUTATIONS``) and require the
behavioural claim to fail; measured under the mutations: housing and awards give identical
talent and R&D in every replicate (difference exactly 0), bonded centres +0.5 +- 3.4 (t = 0.6).
"""

from __future__ import annotations

import pandas as pd
import pytest

from sim.compose import load_config
from sim.ensemble import run_ensemble
from tests.helpers import FAST
from tests.sim.paired import difference, measure, significantly_positive

N = 16
ALPHA = 0.001
ENACTED = ["levers=enacted_2023"]
SETTINGS = {
    "housing push": ["levers=talent_housing_push"],
    "bigger awards": [
        "levers=enacted_2023",
        "levers.centre_award_investment_share=0.3",
        "levers.rd_post_subsidy_rate=0.05",
        "levers.rd_post_subsidy_cap_yuan=5000000",
    ],
    "bonded push": ["levers=bonded_rd_push"],
}
CLAIMS = {  # setting -> (quantity, what it is); the first claim is the behavioural one
    "housing push": [
        ("talent", "talent stock in 2030"),
        ("cost:housing_rent_subsidy+housing_purchase_support", "housing support paid"),
    ],
    "bigger awards": [
        ("rd_expenditure", "R&D expenditure in 2030"),
        ("cost:centre_awards+rd_post_subsidy", "centre awards and post-R&D subsidies paid"),
    ],
    "bonded push": [
        ("bonded_centres", "bonded R&D centres in 2030"),
        ("cost:bonded_customs_refund+national_bonded_duty_relief", "bonded refunds and relief"),
    ],
}
MUTATION = {
    "housing push": "housing support does not enter talent's utility",
    "bigger awards": "awards and R&D subsidies do not change R&D",
    "bonded push": "bonded relief does not attract bonded centres",
}


def failed_claims(base: list[dict], alt: list[dict], setting: str) -> dict[str, str]:
    """Claims of ``setting`` that are not significantly positive, with their statistics."""
    out = {}
    for key, what in CLAIMS[setting]:
        ok, summary = significantly_positive(difference(base, alt, key), ALPHA)
        if not ok:
            out[what] = summary
    return out


@pytest.fixture(scope="module")
def enacted() -> list[dict]:
    return measure(ENACTED, N)


@pytest.mark.slow
def test_more_housing_support_raises_talent_and_costs_more(enacted):
    assert failed_claims(enacted, measure(SETTINGS["housing push"], N), "housing push") == {}


@pytest.mark.slow
def test_bigger_rd_awards_raise_rd_and_cost_more(enacted):
    assert failed_claims(enacted, measure(SETTINGS["bigger awards"], N), "bigger awards") == {}


@pytest.mark.slow
def test_bonded_relief_raises_bonded_centres_and_costs_more(enacted):
    assert failed_claims(enacted, measure(SETTINGS["bonded push"], N), "bonded push") == {}


@pytest.mark.slow
@pytest.mark.parametrize("setting", list(SETTINGS))
def test_mutation_check_the_test_fails_without_the_levers_effect(setting):
    """Mutation check: with the lever's behavioural path patched away, the claim fails."""
    mutation = MUTATION[setting]
    base, alt = measure(ENACTED, N, mutation), measure(SETTINGS[setting], N, mutation)
    behaviour = CLAIMS[setting][0][1]
    assert behaviour in failed_claims(base, alt, setting), f"{setting} passes under: {mutation}"


def ensemble(*overrides: str):
    return run_ensemble(load_config([*FAST, "run.workers=2", *overrides]), progress=False)


def test_two_settings_share_seeds_and_parameter_draws():
    """Common random numbers across different settings: seeds and posterior draws match."""
    common = ["region=changsha_calibrated", "run.replicates=6", "run.horizon=2024"]
    a = ensemble(*common, "levers=enacted_2023")
    b = ensemble(*common, "levers=bonded_rd_push")
    pd.testing.assert_frame_equal(a.seeds, b.seeds)  # root seed, spawn key and parameter set
    assert a.seeds.param_set.nunique() > 1  # replicates draw different parameter sets
    assert (a.seeds.param_set >= 0).all()
    start = a.kpis[a.kpis.year == 2022].reset_index(drop=True)
    pd.testing.assert_frame_equal(start, b.kpis[b.kpis.year == 2022].reset_index(drop=True))
    assert not a.kpis["value"].equals(b.kpis["value"])  # the settings do differ afterwards


def test_a_lever_without_behavioural_path_changes_only_its_cost():
    """The bonded customs refund is paid out but changes no decision: every other KPI of every
    replicate is identical, which only holds if both settings draw the same random numbers."""
    # Without the evaluation rule: it re-weights families by their cost, so any cost moves effort.
    common = ["run.replicates=6", "run.horizon=2026", "levers.evaluate_and_adjust=false"]
    a = ensemble(*common, "levers=enacted_2023")
    b = ensemble(*common, "levers=enacted_2023", "levers.bonded_customs_refund_cap_yuan=5000000")
    costs = ["public_cost", "public_cost_gross"]
    behaviour_a = a.kpis[~a.kpis.kpi.isin(costs)].reset_index(drop=True)
    behaviour_b = b.kpis[~b.kpis.kpi.isin(costs)].reset_index(drop=True)
    pd.testing.assert_frame_equal(behaviour_a, behaviour_b)
    cost = ["replicate", "year", "lever"]
    ca, cb = a.costs.set_index(cost)["yuan"], b.costs.set_index(cost)["yuan"]
    refund = ca.index.get_level_values("lever") == "bonded_customs_refund"
    pd.testing.assert_series_equal(ca[~refund], cb[~refund])
    # enacted refunds 0.5 m yuan per bonded centre, this setting 5 m: ten times as much
    assert (ca[refund].groupby("replicate").sum() > 0).all()
    pd.testing.assert_series_equal(cb[refund], 10 * ca[refund])
