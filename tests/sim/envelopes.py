"""Hard envelopes: bounds on every KPI that follow from what it counts, whatever the levers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.kpis import KPI_IDS

COUNTS_OF_FIRMS = ("rd_centres", "listed", "little_giants", "high_tech_enterprises", "tech_smes")
INTEGER_KPIS = (
    "platforms",
    "clusters",
    "talent",
    "big_science",
    "cultivation_pool",
    "new_national_key_labs",
    "new_national_innovation_centres",
    "new_national_enterprise_tech_centres",
    "new_platforms",
    "national_platforms",
    "national_key_labs",
    "rd_institutions",
    "new_rd_institutions",
    "new_high_tech_enterprises",
    *COUNTS_OF_FIRMS,
)


def assert_hard_envelope(model) -> pd.DataFrame:
    """Every KPI of every year is finite and inside the bounds its definition implies."""
    frame = model.kpi_frame()[list(KPI_IDS)]
    assert np.isfinite(frame.to_numpy()).all()
    assert (frame.drop(columns=["rd_growth", "public_cost"]) >= 0).all().all()
    assert (frame[list(INTEGER_KPIS)] == frame[list(INTEGER_KPIS)].round()).all().all()
    # GDP is exogenous, so R&D has no hard ceiling: with absurd budgets reported R&D exceeds
    # GDP (135 % in 2026 in the huge-budget run below); only the identity holds.
    assert (frame.gdp > 0).all() and (frame.rd_growth > -100).all()
    np.testing.assert_allclose(frame.rd_intensity, 100 * frame.rd_expenditure / frame.gdp)
    assert (frame.clusters <= len(model.places.candidates)).all()  # never the catch-all
    assert (frame.clusters.diff().dropna() >= 0).all()  # a cluster is never lost
    last = frame.iloc[-1]
    live_firms = model.firms.count()
    for kpi in COUNTS_OF_FIRMS:
        assert last[kpi] <= live_firms, kpi
    assert last.big_science <= model.region.population.flagship_labs
    assert last.cultivation_pool <= max(model.policy.levers.cultivation_pool_size, 0)
    assert last.talent == model.talent.headcount[model.talent.alive].sum()
    return frame
