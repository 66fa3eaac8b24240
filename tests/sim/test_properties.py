"""Property-based tests over the config space: a config either runs cleanly or is refused.

Hypothesis draws up to five lever and parameter overrides, some outside their allowed range on
purpose. A refused config must be refused with one line naming the field; a config that runs
must stay inside the hard envelope of every KPI (tests/sim/envelopes.py) and keep the talent and
fund identities exactly. Examples are derandomised, so the same configs are drawn on every run,
and the test counts how many ran and how many were refused: a strategy or a validation change
that refuses (or accepts) everything would otherwise pass with nothing checked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.compose import load_config
from sim.config import ConfigError
from tests.helpers import run_model
from tests.sim.envelopes import assert_hard_envelope

LEVERS = {  # override key -> values to draw from (some outside the allowed range on purpose)
    "levers.rd_post_subsidy_rate": st.floats(-0.2, 1.3),
    "levers.centre_incremental_rd_rate": st.floats(0, 1),
    "levers.bonded_duty_relief_rate": st.floats(0, 0.9),
    "levers.rent_subsidy_yuan_per_year.graduate": st.floats(-1e4, 1e6),
    "levers.purchase_subsidy_m2.young": st.floats(0, 500),
    "levers.housing_eligibility_months": st.floats(-1, 80),
    "levers.guidance_fund_yuan_per_year": st.floats(0, 1e12),
    "levers.cultivation_pool_size": st.integers(-5, 2000),
    "levers.budget_cap_yuan_per_year": st.floats(0, 1e11),
    "levers.evaluate_and_adjust": st.booleans(),
    "region.behaviour.talent.housing_cost_weight": st.floats(-1, 10),
    "region.behaviour.firm.rd_elasticity_long_run": st.floats(-6, 0.5),
}
EXAMPLES = 12
MIN_RAN, MIN_REFUSED = 6, 2
"""With derandomised draws, 12 examples give 9 configs that run and 3 refused (measured); the
minimums leave room for a Hypothesis upgrade that shifts the draws, not for an empty test."""


@st.composite
def overrides(draw) -> list[str]:
    keys = draw(st.lists(st.sampled_from(sorted(LEVERS)), min_size=1, max_size=5, unique=True))
    out = []
    for key in keys:
        value = draw(LEVERS[key])
        out.append(f"{key}={str(value).lower() if isinstance(value, bool) else value}")
    return out


def check_run(model) -> None:
    assert_hard_envelope(model)
    flows = pd.DataFrame(model.flows.history).set_index("year")
    talent = model.kpi_frame()["talent"]
    for year, f in flows.iterrows():
        inflow = f["inflow_arrivals"] + f["inflow_graduates"]
        assert talent[year] - talent[year - 1] == inflow - f["outflow_leave"] - f["outflow_retire"]
    fu = model.funds
    i = fu.live()
    balance = fu.inflow[i] - fu.invested[i] + fu.proceeds[i] - fu.fees[i] - fu.distributed[i]
    np.testing.assert_allclose(fu.cash[i], balance, rtol=1e-9, atol=1e-2)


def test_every_config_runs_cleanly_or_is_refused_with_one_line():
    seen = {"ran": 0, "refused": 0}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(overrides())
    def check(ov):
        try:
            cfg = load_config(["run.horizon=2024", "run.people_per_agent=20000", *ov])
        except ConfigError as err:
            msg = str(err)
            assert "\n" not in msg
            assert any(key.split("=")[0].split(".")[-1] in msg for key in ov), msg
            seen["refused"] += 1
            return
        check_run(run_model(cfg, seed=0))
        seen["ran"] += 1

    check()
    assert seen["ran"] >= MIN_RAN and seen["refused"] >= MIN_REFUSED, seen
