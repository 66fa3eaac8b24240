"""Long horizons and extreme settings finish without overflow, NaN or division by zero."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

import sim.region as region
from sim.compose import load_config
from sim.config import KPI_IDS
from tests.conftest import run_model


def assert_clean(model) -> pd.DataFrame:
    frame = model.kpi_frame()[list(KPI_IDS)]
    assert np.isfinite(frame.to_numpy()).all()
    assert (frame.drop(columns=["rd_growth", "public_cost"]) >= 0).all().all()
    return frame


def test_a_2022_to_2050_run_stays_finite_and_plausible():
    with np.errstate(all="raise"):
        frame = assert_clean(
            run_model(load_config(["run.horizon=2050", "run.people_per_agent=20000"]), 1)
        )
    assert frame.index.max() == 2050
    assert frame.loc[2050, "rd_intensity"] < 20  # feedbacks keep R&D below a fifth of GDP


def test_huge_budgets_finish_cleanly():
    # Just below the GDP-derived maxima (Changsha 2022 GDP 1.397e12 yuan; larger values are refused,
    # tests/sim/test_bad_inputs.py).
    huge = [
        "levers.guidance_fund_yuan_per_year=2.7e10",
        "levers.rent_subsidy_yuan_per_year.graduate=1.3e5",
        "levers.centre_award_cap_yuan.upgraded=1.3e9",
        "levers.centre_award_investment_share=1",
        "levers.platform_award_yuan.provincial_municipal=1.3e8",
        "levers.knowledge_credit_yuan_per_year=2.7e10",
        "levers.flagship_investment_yuan_per_year=2.7e10",
        "levers.tech_transfer_support_yuan_per_year=2.7e10",
        "run.people_per_agent=20000",
        "run.horizon=2026",
    ]
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        assert_clean(run_model(load_config(huge), 2))


def test_zero_budgets_finish_cleanly():
    cfg = load_config(
        [
            "levers=none",
            "levers@reference_levers=none",
            "run.people_per_agent=20000",
            "run.horizon=2026",
            "levers.super_deduction_rate=0",
            "levers.hte_tax_rate=0.25",
        ]
    )
    assert_clean(run_model(cfg, 3))


@pytest.fixture
def tiny_city(tmp_path, monkeypatch):
    """A copy of the region data with one university and 5,000 talent persons."""
    conf = tmp_path / "conf"
    shutil.copytree(region.CONF_DIR, conf)
    path = conf / "region" / "changsha_base_2022.csv"
    data = pd.read_csv(path)
    for indicator, value in {
        "universities": 1,
        "talent_total": 0.5,
        "students_higher_ed": 0.1,
        "national_key_labs": 1,
    }.items():
        data.loc[data.indicator == indicator, ["value", "low", "high"]] = value
    data.to_csv(path, index=False)
    monkeypatch.setattr(region, "CONF_DIR", conf)
    return [
        "region.population.research_institutes=0",
        "region.population.new_type_institutions=0",
        "region.population.flagship_labs=0",
        "region.population.researchers=500",
    ]


def test_a_city_with_one_university_and_one_person_per_agent(tiny_city):
    cfg = load_config([*tiny_city, "run.people_per_agent=1", "run.horizon=2027"])
    model = run_model(cfg, 4)
    frame = assert_clean(model)
    assert len(model.universities.live()) == 1
    assert frame.loc[2022, "talent"] == 5000
    t = model.talent
    assert (t.headcount[t.live()] == 1).all()  # one person per agent throughout
