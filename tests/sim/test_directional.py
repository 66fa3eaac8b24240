"""Directional checks with common random numbers: same replicate seeds under both settings."""

from __future__ import annotations

import numpy as np
import pytest

from sim.compose import load_config
from sim.ensemble import run_ensemble
from tests.helpers import FAST

REPLICATES = ["run.replicates=16", "run.workers=2"]


def paired(a_overrides: list[str], b_overrides: list[str], kpi: str, year: int) -> np.ndarray:
    """Per-replicate difference b - a of one KPI (same seeds in both runs)."""
    values = []
    for ov in (a_overrides, b_overrides):
        res = run_ensemble(load_config([*FAST, *REPLICATES, *ov]), progress=False)
        k = res.kpis[(res.kpis.kpi == kpi) & (res.kpis.year == year)].sort_values("replicate")
        values.append(k["value"].to_numpy())
    return values[1] - values[0]


def not_lower(diff: np.ndarray) -> bool:
    """Mean difference is not significantly negative (2 standard errors)."""
    se = diff.std(ddof=1) / np.sqrt(len(diff)) if diff.std() > 0 else 0.0
    return diff.mean() >= -2 * se


@pytest.mark.slow
def test_more_housing_support_does_not_lower_expected_talent():
    diff = paired(["levers=enacted_2023"], ["levers=talent_housing_push"], "talent", 2030)
    assert not_lower(diff)
    assert diff.mean() > 0  # the push is a real increase in support


@pytest.mark.slow
def test_bigger_rd_awards_do_not_lower_expected_rd():
    bigger = [
        "levers=enacted_2023",
        "levers.centre_award_investment_share=0.3",
        "levers.rd_post_subsidy_rate=0.05",
        "levers.rd_post_subsidy_cap_yuan=5000000",
    ]
    diff = paired(["levers=enacted_2023"], bigger, "rd_expenditure", 2030)
    assert not_lower(diff)
    assert diff.mean() > 0


@pytest.mark.slow
def test_bonded_relief_raises_bonded_centres_and_costs_more():
    diff = paired(["levers=enacted_2023"], ["levers=bonded_rd_push"], "rd_centres", 2030)
    assert not_lower(diff)


def test_common_random_numbers_make_identical_settings_identical():
    diff = paired(["levers=enacted_2023"], ["levers=enacted_2023"], "talent", 2026)
    assert (diff == 0).all()
