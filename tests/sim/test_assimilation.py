"""The particle filter (sim/assimilation.py): the ensemble entering the projection years agrees
with what was observed since the base year, and its replicates are replays of pool particles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import assimilation
from sim.compose import load_config
from sim.ensemble import Continuation, run_ensemble, run_replicate
from sim.likelihood import log_likelihood, observation_table
from sim.observations import load_observed, observed_path

SMALL = ["run.people_per_agent=5000", "run.progress=false", "run.plots=false", "run.workers=1"]
FILTER = ["run.assimilate=true", "run.assimilate_until=2025"]
SETUP = [*SMALL, *FILTER, "run.replicates=6", "run.assimilation_paths=4", "run.horizon=2026"]


@pytest.fixture(scope="module")
def cfg():
    return load_config(SETUP)


@pytest.fixture(scope="module")
def result(cfg):
    return run_ensemble(cfg)


@pytest.fixture(scope="module")
def observed(cfg):
    return load_observed(observed_path(cfg.region.observed_file))


def _loglik(cfg, kpis: pd.DataFrame, obs: pd.DataFrame) -> np.ndarray:
    """Censored log-likelihood of the observations under each replicate of ``kpis``."""
    reps = np.sort(kpis.replicate.unique())
    sim = assimilation.simulated_at(kpis, obs, reps)
    return log_likelihood(observation_table(obs, cfg.calibration.discrepancy), sim)


def test_the_filter_assimilates_every_observation_of_2023_to_2025(result, observed):
    plan = result.assimilation
    assert (plan.first_year, plan.last_year) == (2023, 2025)
    want = observed[observed.year.between(2023, 2025)]
    assert len(plan.observations) == len(want) > 20
    assert 1.0 <= plan.ess <= 4.0  # effective paths per replicate
    assert "2023-2025" in plan.summary() and "pool 24 -> 6 replicates" in plan.summary()


def test_the_chosen_replicates_fit_the_observations_better_than_the_pool(cfg, result):
    """Mean log-likelihood of the 2023-2025 record under the chosen paths against all candidate
    paths, and against the plain ensemble of the same seed; mean absolute log error on the exact
    points. Measured (6 replicates x 4 paths, seeds 1-3 and the default): chosen - pool +0.9 to
    +2.5 nats; the expected gain of the weights +0.9 to +2.3. Only paths are chosen (each
    replicate keeps its parameter set), so the gain is smaller than reweighting parameters too
    would give, which would count the record twice."""
    plan = result.assimilation
    chosen = _loglik(cfg, result.kpis, plan.observations)
    assert chosen.mean() > plan.log_weights.mean() + 0.5
    lw = plan.log_weights.reshape(cfg.run.replicates, cfg.run.assimilation_paths)
    w = np.exp(lw - lw.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    assert (w * lw).sum(axis=1).mean() > lw.mean() + 0.5
    # the unweighted ensemble of the same seed (no assimilation) fits worse too
    plain = run_ensemble(load_config([*SETUP, "run.assimilate=false"]))
    assert chosen.mean() > _loglik(cfg, plain.kpis, plan.observations).mean()
    exact = plan.observations[plan.observations.kind == "exact"]
    exact = exact[exact.value > 0]
    err = {}
    for name, kpis in (("chosen", result.kpis), ("plain", plain.kpis)):
        sim = assimilation.simulated_at(kpis, exact, np.sort(kpis.replicate.unique()))
        err[name] = np.abs(np.log(np.maximum(sim, 1e-9) / exact.value.to_numpy())).mean()
    assert err["chosen"] < err["plain"]


def test_each_replicate_replays_its_parent_to_the_assimilation_year(cfg, result):
    plan = result.assimilation
    assert ((plan.parents >= 0) & (plan.parents < 24)).all()
    np.testing.assert_array_equal(result.seeds.parent.to_numpy(), plan.parents)
    # the record of each replicate has exactly its parent's likelihood ...
    chosen = _loglik(cfg, result.kpis, plan.observations)
    np.testing.assert_allclose(chosen, plan.log_weights[plan.parents], rtol=1e-12)
    # ... and the parameter set of its parent
    table = plan.table()
    np.testing.assert_array_equal(
        result.seeds.param_set.to_numpy(), table.param_set.to_numpy()[plan.parents]
    )
    assert table.drawn.sum() == 6 and (table.drawn.to_numpy()[plan.parents] >= 1).all()
    # ... and its parent's KPIs to 2025, bit for bit (the pool particle run again on its own)
    for r in (0, 5):
        parent = int(plan.parents[r])
        path = Continuation(parent, 2025, None, r)  # the particle: its seed, replicate r's set
        pool = run_replicate(assimilation.pool_config(cfg, 2025), parent, path).kpis
        mine = result.kpis[(result.kpis.replicate == r) & (result.kpis.year <= 2025)]
        np.testing.assert_array_equal(mine.value.to_numpy(), pool.value.to_numpy())


def test_a_replicate_shares_its_parents_past_and_draws_a_new_future(cfg, result):
    """After 2025 a replicate continues with streams of its own, not its path's old streams."""
    r = 2
    parent = int(result.assimilation.parents[r])
    own = run_replicate(cfg, parent, Continuation(parent, 2026, None, r)).kpis  # no reseed
    mine = result.kpis[result.kpis.replicate == r].set_index(["year", "kpi"]).value
    old = own.set_index(["year", "kpi"]).value
    past = mine.index.get_level_values("year") <= 2025
    pd.testing.assert_series_equal(mine[past], old[past], check_names=False)
    future = ~past & mine.index.get_level_values("kpi").isin(["talent", "gdp", "tech_smes"])
    assert (mine[future] != old[future]).all()


def test_the_same_seed_gives_the_same_ensemble(cfg, result):
    again = run_ensemble(cfg)
    np.testing.assert_array_equal(again.assimilation.parents, result.assimilation.parents)
    pd.testing.assert_frame_equal(again.kpis, result.kpis)
    other = run_ensemble(load_config([*SETUP, "run.seed=7"]))
    assert not np.array_equal(other.assimilation.log_weights, result.assimilation.log_weights)


@pytest.mark.parametrize("levers", ["baseline", "talent_housing_push"])
def test_a_scenario_departing_from_the_timeline_in_2023_is_not_conditioned(levers, observed):
    cfg = load_config([*SMALL, *FILTER, f"levers={levers}", "run.replicates=2", "run.horizon=2024"])
    assert assimilation.last_shared_year(cfg) == 2022
    reason = assimilation.skip_reason(cfg, observed)
    assert reason.startswith(f"levers={levers} departs from the region's policy timeline in 2023")
    result = run_ensemble(cfg)
    assert result.assimilation is None and "parent" not in result.seeds
    if levers == "baseline":  # the replicates are the plain ones
        plain = run_ensemble(
            load_config(
                [
                    *SMALL,
                    "levers=baseline",
                    "run.replicates=2",
                    "run.horizon=2024",
                    "run.assimilate=false",
                ]
            )
        )
        pd.testing.assert_frame_equal(result.kpis, plain.kpis)


def test_a_scenario_starting_in_2025_is_conditioned_up_to_2024(observed):
    cfg = load_config(
        [*FILTER, "levers=talent_housing_push", "levers.start_year=2025", "levers.start_quarter=1"]
    )
    assert assimilation.last_shared_year(cfg) == 2024
    assert assimilation.window(cfg, observed) == (2023, 2024)
    assert assimilation.skip_reason(cfg, observed) is None
    assert "departs from the policy timeline in 2025" in assimilation.window_note(cfg)


def test_back_tests_and_runs_without_the_flag_are_not_conditioned(observed):
    assert assimilation.skip_reason(load_config([*FILTER, "mode=backtest"]), observed).startswith(
        "mode=backtest"
    )
    assert assimilation.skip_reason(load_config(["run.assimilate=false"]), observed) == (
        "run.assimilate=false"
    )
    enacted = load_config(FILTER)
    assert assimilation.skip_reason(enacted, observed) is None
    assert assimilation.window(enacted, observed) == (2023, 2025)
    assert assimilation.window(load_config([*FILTER, "run.assimilate_until=2024"]), observed) == (
        2023,
        2024,
    )


def test_weights_are_normalised_within_each_parameter_set():
    """Each posterior set keeps its share of the pool; only its paths are weighted."""
    from sim.assimilation import given_parameters

    log_w = np.array([0.0, np.log(3.0), -50.0, -52.0, -np.inf, -np.inf])
    sets = np.array([0, 0, 1, 1, 2, 2])
    w = np.exp(given_parameters(log_w, sets))
    # set 0 and set 1 keep two particles' worth each although set 1 fits e^50 times worse
    assert w[:2].sum() == pytest.approx(2.0) and w[2:4].sum() == pytest.approx(2.0)
    assert w[1] / w[0] == pytest.approx(3.0) and w[2] / w[3] == pytest.approx(np.exp(2.0))
    assert (w[4:] == 0).all()  # a set with no possible path keeps no weight
    # without parameter sets (or all -1) it is the plain bootstrap filter
    plain = given_parameters(log_w, None)
    assert np.array_equal(plain, log_w)
    one = np.exp(given_parameters(log_w[:4], np.full(4, -1)))
    assert one.sum() == pytest.approx(4.0) and one[1] / one[2] == pytest.approx(3 * np.exp(50))


def test_each_replicate_keeps_its_parameter_draw_and_chooses_among_its_own_paths(cfg, result):
    plan = result.assimilation
    k = cfg.run.assimilation_paths
    np.testing.assert_array_equal(plan.parents // k, np.arange(cfg.run.replicates))
    plain = run_ensemble(load_config([*SETUP, "run.assimilate=false"]))
    np.testing.assert_array_equal(result.seeds.param_set, plain.seeds.param_set)
    table = plan.table()
    assert (table.groupby(table.particle // k).param_set.nunique() == 1).all()
