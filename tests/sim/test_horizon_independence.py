"""Random streams do not depend on the horizon: a replicate's path to a year is the same whether
the run stops there or goes on (issue 15, item 5). Assimilation replays particles on this."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.compose import load_config
from sim.config import KPI_IDS
from sim.ensemble import replicate_seed, run_ensemble, run_replicate
from sim.model import InnovationModel

SMALL = ["run.people_per_agent=5000", "run.progress=false", "run.plots=false", "run.workers=1"]


def _to_2025(levers: str, horizon: int, replicate: int):
    cfg = load_config([*SMALL, f"levers={levers}", f"run.horizon={horizon}"])
    result = run_replicate(cfg, replicate)
    assert result.error is None, result.error
    kpis = result.kpis[result.kpis.year <= 2025].reset_index(drop=True)
    costs = result.costs[result.costs.year <= 2025].reset_index(drop=True)
    return kpis, costs, result.kpis.year.max()


@pytest.mark.parametrize("levers", ["enacted_2023", "baseline"])
def test_every_2025_kpi_of_a_replicate_is_the_same_for_horizon_2025_and_2030(levers):
    runs = {}
    for replicate in (0, 3):
        short, short_costs, short_end = _to_2025(levers, 2025, replicate)
        long, long_costs, long_end = _to_2025(levers, 2030, replicate)
        assert (short_end, long_end) == (2025, 2030)
        assert set(short[short.year == 2025].kpi) == set(KPI_IDS)
        pd.testing.assert_frame_equal(short, long)  # every KPI, every year, bit for bit
        pd.testing.assert_frame_equal(short_costs, long_costs)
        runs[replicate] = short
    # not trivially equal: another replicate's seed gives another 2025
    a, b = (runs[r][runs[r].year == 2025].set_index("kpi")["value"] for r in (0, 3))
    assert (a != b).sum() >= 5


def _drivers_to_2025(horizon: int, replicate: int = 0) -> dict:
    """The exogenous drivers a replicate draws for the years up to 2025 (listing windows,
    little-giant batches, key-lab round intensities)."""
    cfg = load_config([*SMALL, f"run.horizon={horizon}"])
    model = InnovationModel(cfg, rng=np.random.default_rng(replicate_seed(cfg.run.seed, replicate)))
    return {k: {y: v for y, v in d.items() if y <= 2025} for k, d in model.exo_draws.items()}


def test_the_drivers_drawn_up_to_2025_do_not_depend_on_the_horizon():
    for replicate in (0, 1, 2):
        assert _drivers_to_2025(2025, replicate) == _drivers_to_2025(2030, replicate)


def test_the_check_fails_when_a_stream_is_shared_across_years(monkeypatch):
    """Mutation check: drawing every year's listing window from one shared stream (so the later
    draws shift with the number of years simulated) makes the drivers up to 2025 depend on the
    horizon (the 2024-2025 key-lab round intensity is drawn after the windows)."""
    monkeypatch.setattr(InnovationModel, "year_rng", lambda self, year: self.streams.exogenous)
    assert _drivers_to_2025(2025) != _drivers_to_2025(2030)


def test_an_assimilated_ensemble_has_the_same_2025_for_horizon_2025_and_2026():
    """The pool runs to min(assimilate_until, horizon), so both horizons draw the same parents."""
    common = [*SMALL, "run.replicates=3", "run.assimilate=true", "run.assimilation_paths=2"]
    short = run_ensemble(load_config([*common, "run.horizon=2025"]))
    long = run_ensemble(load_config([*common, "run.horizon=2026"]))
    assert short.assimilation is not None and long.assimilation is not None
    np.testing.assert_array_equal(short.assimilation.parents, long.assimilation.parents)
    until = long.kpis[long.kpis.year <= 2025].reset_index(drop=True)
    pd.testing.assert_frame_equal(short.kpis, until)
    assert long.kpis.year.max() == 2026
