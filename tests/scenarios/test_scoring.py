"""Scoring rules against hand-computed cases (Gneiting & Raftery 2007)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from scenarios.scoring import (
    band_hit,
    crps_ensemble,
    crps_point,
    favourable_point,
    interval_score,
    naive_forecasts,
    pit,
    score_points,
    skill,
    summarise,
)

INF = math.inf


def test_crps_of_known_ensembles():
    # [0, 1] at 0: E|X-y| = 0.5, E|X-X'| = 0.5 -> 0.25 (= the integral of (F - 1{x >= 0})^2)
    assert crps_ensemble([0.0, 1.0], 0.0) == pytest.approx(0.25)
    # [1, 2, 3, 4] at 2.5: E|X-y| = 1, E|X-X'| = 1.25 -> 0.375 (step integral 1/16+1/8+1/8+1/16)
    assert crps_ensemble([4.0, 2.0, 1.0, 3.0], 2.5) == pytest.approx(0.375)
    # a point mass is scored by its absolute error; so is a point forecast
    assert crps_ensemble([5.0, 5.0, 5.0], 2.0) == pytest.approx(3.0)
    assert crps_point(5.0, 2.0) == pytest.approx(3.0)


def test_crps_matches_the_pairwise_definition_and_is_vectorised():
    rng = np.random.default_rng(1)
    ens = rng.normal(size=(3, 50))
    y = np.array([-1.0, 0.0, 2.0])
    pairwise = np.abs(ens - y[:, None]).mean(axis=1) - 0.5 * np.abs(
        ens[:, :, None] - ens[:, None, :]
    ).mean(axis=(1, 2))
    np.testing.assert_allclose(crps_ensemble(ens, y), pairwise)
    assert crps_ensemble(ens, y).shape == (3,)


def test_interval_score_is_width_plus_penalised_miss():
    assert interval_score(10, 20, 15, 0.1) == pytest.approx(10)  # inside: the width
    assert interval_score(10, 20, 5, 0.1) == pytest.approx(10 + 20 * 5)  # 2/alpha = 20
    assert interval_score(10, 20, 22, 0.5) == pytest.approx(10 + 4 * 2)  # 2/alpha = 4
    np.testing.assert_allclose(interval_score([0, 0], [1, 1], [0.5, 2], 0.1), [1, 21])


def test_band_hits_for_exact_values_ranges_and_bounds():
    lo, hi = 10.0, 20.0
    assert band_hit(lo, hi, 15, 15) and not band_hit(lo, hi, 21, 21)  # exact
    assert band_hit(lo, hi, 18, 25) and not band_hit(lo, hi, 21, 25)  # range overlaps or not
    assert band_hit(lo, hi, 18, INF)  # lower bound 18: the band reaches past it
    assert not band_hit(lo, hi, 25, INF)  # lower bound 25: the whole band is below
    assert band_hit(lo, hi, -INF, 12) and not band_hit(lo, hi, -INF, 9)  # upper bounds


def test_interval_observations_are_scored_at_the_most_favourable_point():
    np.testing.assert_allclose(
        favourable_point([15, 15, 15], [18, 10, 15], [INF, 12, 15]), [18, 12, 15]
    )
    ens = np.array([[20.0, 21.0, 22.0]])  # median 21 inside ">= 18": scored as if y = 21
    scores = score_points(ens, [18.0], [INF], [np.nan], [np.nan], np.random.default_rng(0))
    assert scores.y_star[0] == 21 and bool(scores.in90[0])
    assert scores.crps[0] == pytest.approx(crps_ensemble(ens[0], 21.0))


def test_pit_is_the_cdf_for_exact_values_and_randomised_for_ties_and_intervals():
    rng = np.random.default_rng(3)
    assert pit([1.0, 2.0, 3.0, 4.0], 2.5, 2.5, rng) == pytest.approx(0.5)
    ties = pit(np.tile([1.0, 2.0, 2.0, 3.0], (2000, 1)), np.full(2000, 2.0), 2.0, rng)
    assert ties.min() >= 0.25 and ties.max() <= 0.75 and abs(ties.mean() - 0.5) < 0.02
    assert pit([1.0, 2.0, 3.0, 4.0], 5.0, INF, rng) == pytest.approx(1.0)  # bound above all
    assert pit([1.0, 2.0, 3.0, 4.0], -INF, 0.5, rng) == pytest.approx(0.0)  # bound below all


def test_naive_forecasters_from_observations_up_to_the_origin():
    trend, pers = naive_forecasts([2021, 2019], [121.0, 100.0], [2022, 2023])
    np.testing.assert_allclose(trend, [121 * 1.1, 121 * 1.1**2])  # 10 % a year from 2019-2021
    np.testing.assert_allclose(pers, [121, 121])
    trend, pers = naive_forecasts([2020], [7.0], [2024])  # one observation: persistence
    assert trend[0] == pers[0] == 7
    trend, pers = naive_forecasts([2019, 2020], [0.0, 3.0], [2022])  # no growth from zero
    assert trend[0] == pers[0] == 3
    trend, pers = naive_forecasts([], [], [2022])
    assert np.isnan(trend[0]) and np.isnan(pers[0])


def test_skill_against_a_naive_forecaster():
    assert skill([1, 1], [2, 2]) == pytest.approx(0.5)
    assert skill([3, np.nan], [2, 9]) == pytest.approx(-0.5)  # only points both scored
    assert skill([0.0], [0.0]) == 0.0 and skill([1.0], [0.0]) == -INF
    assert np.isnan(skill([1.0], [np.nan]))


def test_a_far_outside_point_misses_every_band():
    ens = np.array([[100.0, 101.0, 102.0, 103.0]])
    s = score_points(ens, [500.0], [500.0], [400.0], [103.0], np.random.default_rng(0))
    assert not s.in50[0] and not s.in90[0] and s.pit[0] == 1.0
    assert s.crps[0] > 390 and s.crps_trend[0] == 100 and s.crps_persistence[0] == 397


def test_summary_per_kpi_and_pooled_on_relative_crps():
    card = pd.DataFrame(
        {
            "kpi": ["a", "a", "b"],
            "value": [10.0, 10.0, 1000.0],
            "p05": [8, 8, 900],
            "p25": [9, 9, 950],
            "p75": [11, 11, 1050],
            "p95": [12, 12, 1100],
            "in50": [True, False, True],
            "in90": [True, True, False],
            "y_star": [10.0, 10.0, 1000.0],
            "crps": [1.0, 1.0, 100.0],
            "crps_trend": [2.0, 2.0, 50.0],
            "crps_persistence": [4.0, 4.0, np.nan],
        }
    )
    s = summarise(card).set_index("kpi")
    assert list(s.index) == ["a", "b", "pooled"]
    assert s.loc["a", "points"] == 2 and s.loc["a", "coverage50"] == 0.5
    assert s.loc["a", "skill_trend"] == pytest.approx(0.5)  # 1 - 2/4
    assert s.loc["a", "skill_persistence"] == pytest.approx(0.75)
    assert s.loc["b", "skill_trend"] == pytest.approx(-1.0) and np.isnan(
        s.loc["b", "skill_persistence"]
    )
    assert s.loc["a", "median_width90_share"] == pytest.approx(0.4)
    # pooled: CRPS / |y*| = 0.1, 0.1, 0.1 against trend 0.2, 0.2, 0.05 -> 1 - 0.3 / 0.45
    assert s.loc["pooled", "skill_trend"] == pytest.approx(1 - 0.3 / 0.45)
    assert s.loc["pooled", "coverage90"] == pytest.approx(2 / 3)
    assert bool(s.loc["a", "beats_both"]) and not bool(s.loc["b", "beats_both"])
    assert s.loc["pooled", "share_beating_both"] == 1.0  # b has no persistence skill: left out
