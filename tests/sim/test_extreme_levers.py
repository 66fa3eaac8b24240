"""Every lever at its allowed maximum: the model runs, R&D stays within what firms can fund, the
budget binds in the year it is set, public cost is reported gross and net.

Row 13 of issue 13: before, every lever at its maximum gave R&D of 235 % of GDP in 2030 (3,000 to
7,000 % without a budget cap), 6.3e12 yuan of local spending in 2023 against a 2e10 cap (the cap
acted only from the next year), and all levers at 0 a negative ``public_cost``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import agents.firm as firm
from agents.params import documented_fields
from sim.compose import load_config
from sim.config import KPI_IDS, base_year_gdp
from sim.ledger import PublicCostLedger
from sim.levers import BUDGET
from sim.model import InnovationModel

COARSE = ["run.people_per_agent=20000", "run.plots=false", "run.progress=false"]


def at_maximum() -> list[str]:
    """Overrides setting every lever to its allowed maximum (the bound itself for money levers).

    Tax rates must stay below 1 (the user cost divides by 1 - rate): 0.99. The budget cap is left
    at 0, which means the city's budget capacity.
    """
    cfg = load_config()
    gdp = base_year_gdp(cfg.region)
    out = []
    for name, value, meta in documented_fields(cfg.levers, "levers."):
        if meta["kind"] != "lever" or name == "levers.budget_cap_yuan_per_year":
            continue
        if isinstance(value, bool):  # a switch (e.g. centre_registration_open): on
            top = True
        elif name.endswith("tax_rate"):
            top = 0.99
        elif meta.get("gdp_multiple"):
            top = meta["gdp_multiple"] * gdp * (1 - 1e-9)
        else:
            top = meta["maximum"]
        assert top is not None, f"{name} has no maximum"
        if dataclasses.is_dataclass(value):
            out += [f"{name}.{f.name}={top}" for f in dataclasses.fields(value)]
        elif isinstance(value, int) and not isinstance(value, bool):
            out.append(f"{name}={int(top)}")
        else:
            out.append(f"{name}={top}")
    return out


class FundingWatch:
    """Checks, every quarter, that each firm's real R&D stays within what it can fund."""

    def __init__(self, monkeypatch) -> None:
        self.worst = 0.0
        self.quarters = 0
        plan_rd, produce = firm.plan_rd, firm.produce

        def watched_plan(f, idx, p, policy, notch):
            self.means = (
                np.maximum(p.rd_own_funds_cap_share, f.rd_intensity_target[idx]) * f.revenue[idx]
                + f.award_pool[idx]  # awards held before a quarter of them is spent
            )
            return plan_rd(f, idx, p, policy, notch)

        def watched_produce(f, plan, *args, **kwargs):
            exited = produce(f, plan, *args, **kwargs)
            self.worst = max(self.worst, float((f.rd_real[plan.idx] / self.means).max()))
            self.quarters += 1
            return exited

        monkeypatch.setattr(firm, "plan_rd", watched_plan)
        monkeypatch.setattr(firm, "produce", watched_produce)


def run(overrides: list[str], seed: int = 1) -> InnovationModel:
    model = InnovationModel(load_config(overrides), rng=np.random.default_rng(seed))
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        while model.running:
            model.step()
    return model


@pytest.fixture(scope="module")
def gdp() -> float:
    return base_year_gdp(load_config().region)


def test_every_lever_at_its_maximum_runs_within_the_city_s_means(monkeypatch, gdp):
    watch = FundingWatch(monkeypatch)
    model = run([*at_maximum(), *COARSE])
    frame = model.kpi_frame()[list(KPI_IDS)]
    assert np.isfinite(frame.to_numpy()).all()
    assert (frame.drop(columns=["rd_growth", "public_cost"]) >= 0).all().all()
    assert watch.quarters == 32 and watch.worst <= 1 + 1e-9  # R&D within own means + awards
    outlays = frame["public_cost_gross"].loc[2023:] * 1e8
    assert (outlays <= BUDGET * gdp * (1 + 1e-9)).all()  # without a cap: the budget capacity
    assert outlays.loc[2023] == pytest.approx(BUDGET * gdp)  # ... and it binds from the start
    # Was 235 % of GDP (3,000-7,000 % without a cap); now firms spend at most their revenue on
    # R&D of their own (about two thirds of GDP) plus public money (at most 10 % of GDP).
    assert frame.loc[2030, "rd_intensity"] < 30  # measured 20.0 (seed 1)


def test_a_budget_cap_binds_in_the_year_it_is_set(gdp):
    cap = 2.0e10
    model = run([*at_maximum(), f"levers.budget_cap_yuan_per_year={cap}", *COARSE])
    outlays = model.kpi_frame()["public_cost_gross"] * 1e8
    assert (outlays <= cap * (1 + 1e-9)).all()
    assert outlays.loc[2023] == pytest.approx(cap)  # was 6.3e12 in 2023, the cap's first year
    # The ration then spreads the capped money over the year: later years ask for about the cap.
    assert model.policy.ration < 0.05


def test_without_levers_gross_cost_is_zero_and_net_cost_only_fund_returns():
    # no local policy ever: the scenario starts in the first simulated quarter
    model = run(
        ["levers=none", "levers.start_year=2023", "levers.start_quarter=1", *COARSE], seed=5
    )
    frame = model.kpi_frame()
    assert (frame["public_cost_gross"] == 0).all()
    returns = {}
    for year, line, yuan in model.cost_records():
        if line == "guidance_fund_returns":
            returns[year] = returns.get(year, 0.0) + yuan
    assert returns and all(v <= 0 for v in returns.values())
    for year, value in returns.items():
        assert frame.loc[year, "public_cost"] * 1e8 == pytest.approx(value)


def test_gross_cost_is_net_cost_plus_the_fund_returns(finished_enacted):
    frame = finished_enacted.kpi_frame()
    returns = np.zeros(len(frame))
    for year, line, yuan in finished_enacted.cost_records():
        if line == "guidance_fund_returns":
            returns[frame.index.get_loc(year)] += yuan
    np.testing.assert_allclose(
        frame["public_cost"] * 1e8 - returns, frame["public_cost_gross"] * 1e8, rtol=1e-12
    )
    assert (frame["public_cost_gross"] >= frame["public_cost"]).all()


@pytest.fixture(scope="module")
def finished_enacted() -> InnovationModel:
    return run(COARSE, seed=2)


def test_the_ledger_grants_what_is_left_of_the_cap():
    ledger = PublicCostLedger()
    ledger.cap = 100.0
    assert ledger.book("rd_post_subsidy", 60.0) == 1.0
    assert ledger.book("platform_awards", 60.0) == pytest.approx(40.0 / 60.0)
    assert ledger.book("flagship_investment", 10.0) == 0.0
    assert ledger.book("national_super_deduction", 1e9) == 1.0  # national money is not capped
    assert ledger.book("guidance_fund_returns", -30.0) == 1.0  # returns are not outlays
    assert ledger.outlays() == pytest.approx(100.0) and ledger.demand == pytest.approx(130.0)
    assert ledger.local_total() == pytest.approx(70.0)  # net: outlays less returns
    ledger.close_year(2023)
    assert ledger.demand == 0.0 and ledger.book("rd_post_subsidy", 50.0) == 1.0


def test_fundable_rd_keeps_a_start_up_s_own_plan_above_revenue():
    own = np.array([5.0, 5.0, 0.5])
    revenue = np.array([2.0, 2.0, 2.0])
    plan = np.array([0.05, 2.0, 0.05])  # the second plans R&D of twice its revenue
    np.testing.assert_allclose(firm.fundable_rd(own, revenue, plan, 1.0), [2.0, 4.0, 0.5])
