"""Long horizons and extreme settings: every KPI inside a stated envelope, not only finite.

Two kinds of envelope:

* **Hard envelopes** (:func:`tests.sim.envelopes.assert_hard_envelope`) follow from what a KPI
  counts, whatever the levers: counts are whole and non-negative, counted firms are at most the
  live firms, big-science hosts at most the flagship labs, the cultivation pool at most its
  lever, clusters at most the nine candidate industries. They apply to every extreme run here
  and to every generated config of tests/sim/test_properties.py.
* **Plausible envelopes** (``ENVELOPE_2050``) bound each KPI of a 2022-2050 run by what a city
  could plausibly reach, each with its reason. Where today's model falls outside one, that
  single case is marked ``xfail(strict=True)`` with the measured value, so the model change
  that brings it back inside turns the test red (XPASS) until the mark is removed. The envelope
  is not widened to fit the model.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

import sim.region as region
from sim.compose import load_config
from sim.kpis import KPI_IDS
from tests.helpers import run_model
from tests.sim.envelopes import assert_hard_envelope

BASE_YEAR, HORIZON = 2022, 2050
YEARS = HORIZON - BASE_YEAR


@pytest.fixture(scope="module")
def long_run():
    """One replicate of the enacted scenario to 2050 (seed 1)."""
    with np.errstate(all="raise"):
        model = run_model(load_config([f"run.horizon={HORIZON}", "run.people_per_agent=20000"]), 1)
    return model


def _batches_to_2050(model) -> float:
    exo = model.region.exogenous
    later = exo.little_giant_batch_later.value
    return float(sum(exo.little_giant_batch.get(y, later) for y in range(2019, HORIZON + 1)))


def _envelope(kpi: str, last: pd.Series, base: pd.Series, model) -> tuple[float, float, float]:
    """(value, low, high) of one KPI in 2050; the reason for each bound is in ENVELOPE_2050."""
    gdp = last.gdp
    years_policy = HORIZON - 2023 + 0.5  # the scenario starts in 2023 Q3
    value = float(last[kpi])
    bounds = {
        "rd_expenditure": (base.rd_expenditure * 0.95**YEARS, base.rd_expenditure * 1.15**YEARS),
        "rd_intensity": (0.5, 8.0),
        "rd_growth": (-5.0, 15.0),
        "gdp": (base.gdp * 0.9 * 1.04**YEARS, base.gdp * 1.1 * 1.065**YEARS),
        "platforms": (base.platforms, 3 * base.platforms / base.gdp * gdp),
        "rd_centres": (0.0, 0.1 * last.high_tech_enterprises),
        "clusters": (base.clusters, len(model.places.candidates)),
        "talent": (0.5 * base.talent, 9.0e6),
        "listed": (0.5 * base.listed, 500.0),
        "little_giants": (0.0, 0.05 * _batches_to_2050(model)),
        "big_science": (0.0, model.region.population.flagship_labs),
        "high_tech_enterprises": (0.0, 1.0 * gdp),
        "tech_smes": (0.0, 1.0 * gdp),
        "tech_contract_turnover": (0.0, 0.5 * gdp),
        "new_national_key_labs": (0.0, 2.0 * years_policy),
        "new_national_innovation_centres": (0.0, 10.0),
        "new_national_enterprise_tech_centres": (0.0, 200.0),
        "cultivation_pool": (0.0, model.policy.levers.cultivation_pool_size),
        "public_cost": (-0.005 * gdp, 0.01 * gdp),
        "public_cost_gross": (0.0, 0.01 * gdp),
        "new_platforms": (0.0, 0.3 * last.platforms),
        "national_platforms": (base.national_platforms, 0.2 * last.platforms),
        "national_key_labs": (base.national_key_labs, 100.0),
        "rd_institutions": (base.rd_institutions, 4 * base.rd_institutions / base.gdp * gdp),
        "new_rd_institutions": (0.0, 0.3 * last.rd_institutions),
        "new_high_tech_enterprises": (0.0, 0.5 * last.high_tech_enterprises),
    }
    low, high = bounds[kpi]
    return value, low, high


ENVELOPE_2050 = {  # KPI -> reason for its envelope (values in _envelope)
    "rd_expenditure": "average growth between -5 % and +15 % a year over 28 years",
    "rd_intensity": "at most 8 % of GDP: no country or city today is above about 7 % "
    "(Israel, Korea about 5-6 %; Beijing about 6.8 %, Shenzhen about 5.8 %)",
    "rd_growth": "average R&D growth between -5 % and +15 % a year (China grew about 10 % a "
    "year over 2012-2022)",
    "gdp": "the exogenous growth driver is drawn in 4-6.5 % a year; 10 % slack either side",
    "platforms": "no fewer than in 2022 (few close) and at most triple the 2022 platforms per "
    "unit of GDP",
    "rd_centres": "at most a tenth of the high-tech enterprises: a registered centre needs R&D "
    "at the scale of a large certified firm",
    "clusters": "between the 2022 clusters (never lost) and the nine candidate industries",
    "talent": "at most 9 m persons: 60 % of a resident population of 15 m in 2050 (10.4 m in "
    "2022), more than twice the 2022 talent share of 27 %",
    "listed": "between half the 2022 count and 500 (more A-share companies than any Chinese "
    "city lists today; Beijing about 470)",
    "little_giants": "at most 5 % of all national picks of the batches 2019-2050 (Changsha won "
    "1.5 % of batches 1-4)",
    "big_science": "at most one per flagship lab",
    "high_tech_enterprises": "at most 1.0 per 100m yuan of GDP (Beijing and Shenzhen about 0.65 "
    "today, Changsha 0.47 in 2022)",
    "tech_smes": "at most 1.0 per 100m yuan of GDP (Shenzhen about 0.7 today, Changsha 0.32)",
    "tech_contract_turnover": "at most half of GDP (Beijing, the national technology market "
    "hub, is about 20 %)",
    "new_national_key_labs": "at most 2 new national key labs a year (Changsha had 11 in 2017)",
    "new_national_innovation_centres": "at most 10: there are about 30 national technology and "
    "manufacturing innovation centres in all of China",
    "new_national_enterprise_tech_centres": "at most 200: about a tenth of the about 1,900 "
    "national enterprise technology centres of all of China today",
    "cultivation_pool": "at most the pool size of the lever",
    "public_cost": "between -0.5 % and +1 % of GDP: the city's whole general budget is about "
    "10 % of GDP",
    "public_cost_gross": "between 0 and 1 % of GDP: a tenth of the city's general budget",
    "new_platforms": "at most 30 % of the stock approved in one year (2023: 604 of about 2,700)",
    "national_platforms": "no fewer than in 2022 and at most a fifth of all platforms (152 of "
    "3,400+ in 2025)",
    "national_key_labs": "between the 2022 labs and 100: about 530 national key labs exist in "
    "all of China",
    "rd_institutions": "no fewer than in 2022 and at most four times the 2022 count per unit of "
    "GDP",
    "new_rd_institutions": "at most 30 % of the stock in one year (2024: 1,178 of about 3,500)",
    "new_high_tech_enterprises": "at most half the stock certified in one year (2023: 1,238 of "
    "7,889)",
}

MEASURED_OUTSIDE = {  # KPI -> what today's model gives in 2050 (seed 1, people_per_agent=20000)
    # Back inside since the issue-15 model (market ceiling, calibrated 2017-2025):
    # tech_contract_turnover (was about 6,900 x GDP, now 0.31 x). R&D intensity was 13.4 % of GDP,
    # 7.9 % with the first 2017-2025 posterior, 8.4 % after the recalibration with the observed
    # 2023-2024 GDP.
    "rd_intensity": "8.4 % of GDP",
    "talent": "18.9 m persons (x6.8 the 2022 stock, more than the 2022 resident population)",
    "high_tech_enterprises": "80,614, 1.28 per 100m yuan of GDP",
    "tech_smes": "76,324, 1.21 per 100m yuan of GDP",
    "new_national_innovation_centres": "162",
    "new_national_enterprise_tech_centres": "824",
}


def test_every_kpi_has_a_stated_envelope():
    assert set(ENVELOPE_2050) == set(KPI_IDS)
    assert set(MEASURED_OUTSIDE) <= set(KPI_IDS)


def test_a_2022_to_2050_run_stays_inside_the_hard_envelope(long_run):
    frame = assert_hard_envelope(long_run)
    assert list(frame.index) == list(range(BASE_YEAR, HORIZON + 1))


@pytest.mark.parametrize(
    "kpi",
    [
        pytest.param(
            k,
            marks=pytest.mark.xfail(
                strict=True, reason=f"today's model gives {MEASURED_OUTSIDE[k]} in 2050"
            ),
        )
        if k in MEASURED_OUTSIDE
        else k
        for k in KPI_IDS
    ],
)
def test_2050_kpi_is_inside_its_plausible_envelope(long_run, kpi):
    frame = long_run.kpi_frame()
    value, low, high = _envelope(kpi, frame.loc[HORIZON], frame.loc[BASE_YEAR], long_run)
    assert low <= value <= high, (
        f"{kpi}={value:.4g} outside [{low:.4g}, {high:.4g}]: " + (ENVELOPE_2050[kpi])
    )


def test_huge_budgets_finish_inside_the_hard_envelope():
    # Just below the GDP-derived maxima (Changsha 2022 GDP 1.397e12 yuan; larger values are
    # refused, tests/sim/test_bad_inputs.py).
    huge = [
        "levers.guidance_fund_yuan_per_year=2.7e10",
        "levers.rent_subsidy_yuan_per_year.graduate=1.3e5",
        "levers.centre_award_cap_yuan.upgraded=1.3e9",
        "levers.centre_award_investment_share=1",
        "levers.platform_award_yuan.provincial_municipal=1.3e8",
        "levers.knowledge_credit_yuan_per_year=2.7e10",
        "levers.flagship_investment_yuan_per_year=2.7e10",
        "levers.joint_lab_support_yuan_per_year=2.7e10",
        "run.people_per_agent=20000",
        "run.horizon=2026",
    ]
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        model = run_model(load_config(huge), 2)
    frame = assert_hard_envelope(model)
    # The money meets the in-year budget cap (BUDGET x base-year GDP, sim/levers.py): the cap
    # binds in the first policy year and is never exceeded (public cost is in 100m yuan); the
    # flagship programme, funded far above its threshold, wins big science.
    cap = model.ledger.cap / 1e8
    assert frame.loc[2023, "public_cost_gross"] == pytest.approx(cap, rel=1e-9)
    assert (frame.loc[2023:, "public_cost_gross"] <= cap * (1 + 1e-9)).all()
    assert frame.loc[2026, "big_science"] >= 1


def test_zero_budgets_finish_inside_the_hard_envelope():
    cfg = load_config(
        [
            "levers=none",
            "levers.start_year=2023",  # from the first simulated quarter: no local policy ever
            "levers.start_quarter=1",
            "run.people_per_agent=20000",
            "run.horizon=2026",
            "levers.super_deduction_rate=0",
            "levers.hte_tax_rate=0.25",
        ]
    )
    frame = assert_hard_envelope(run_model(cfg, 3))
    assert (frame.public_cost <= 0).all()  # nothing local is spent; fund returns may come back
    assert (frame.cultivation_pool == 0).all()
    # Without the registration programme no centre counts (centres still arrive, unregistered).
    assert (frame.rd_centres == 0).all()


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
    frame = assert_hard_envelope(model)
    assert len(model.universities.live()) == 1
    assert frame.loc[2022, "talent"] == 5000
    assert (frame.big_science == 0).all()  # no flagship lab to host it
    t = model.talent
    assert (t.headcount[t.live()] == 1).all()  # one person per agent throughout
