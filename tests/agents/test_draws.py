"""Coupled draws: right distributions, one number per row, monotone in the probability."""

from __future__ import annotations

import numpy as np
import pytest

from agents import draws

N = 200_000


def test_binomial_by_inversion_has_the_binomial_moments():
    rng = np.random.default_rng(1)
    n = np.full(N, 40)
    x = draws.binomial(rng.random(N), n, np.full(N, 0.1))
    # Mean 4, variance 3.6: within 4 standard errors of each.
    assert x.mean() == pytest.approx(4.0, abs=4 * np.sqrt(3.6 / N))
    assert x.var() == pytest.approx(3.6, rel=4 * np.sqrt(2 / N) * 1.5)
    assert x.min() >= 0 and x.max() <= 40


def test_groups_of_one_are_the_same_inversion():
    u = np.random.default_rng(2).random(N)
    p = np.full(N, 0.3)
    ones = draws.binomial(u, np.ones(N, np.int64), p)
    np.testing.assert_array_equal(ones, (u > 0.7).astype(np.int64))  # ppf of Binomial(1, 0.3)
    assert ones.mean() == pytest.approx(0.3, abs=4 * np.sqrt(0.21 / N))
    assert (draws.binomial(u, np.zeros(N, np.int64), p) == 0).all()


def test_a_higher_probability_or_count_never_draws_fewer_from_the_same_numbers():
    rng = np.random.default_rng(3)
    u = rng.random(N)
    n = rng.integers(1, 50, N)
    low = draws.binomial(u, n, np.full(N, 0.05))
    high = draws.binomial(u, n, np.full(N, 0.06))
    assert (high >= low).all() and (high > low).any()
    assert (draws.binomial(u, n + 5, np.full(N, 0.05)) >= low).all()
    assert (draws.poisson(u, np.full(N, 3.1)) >= draws.poisson(u, np.full(N, 3.0))).all()


def test_poisson_by_inversion_has_the_poisson_mean():
    x = draws.poisson(np.random.default_rng(4).random(N), np.full(N, 2.5))
    assert x.mean() == pytest.approx(2.5, abs=4 * np.sqrt(2.5 / N))
    assert (draws.poisson(np.full(3, 0.5), np.zeros(3)) == 0).all()


def test_a_row_keeps_its_number_whatever_other_rows_exist():
    rng = np.random.default_rng(5)
    a = draws.row_uniforms(draws.keyed(rng, 2024, 1, 0), np.array([0, 3, 7]))
    b = draws.row_uniforms(draws.keyed(rng, 2024, 1, 0), np.array([3, 7, 12, 40]))
    assert a[1:] == pytest.approx(b[:2])
    assert len(draws.row_uniforms(rng, np.array([], np.int64))) == 0


def test_a_key_gives_the_same_generator_and_does_not_advance_the_stream():
    rng = np.random.default_rng(6)
    before = rng.bit_generator.state
    first = draws.keyed(rng, 2030, 4, 2).random(5)
    assert rng.bit_generator.state == before
    np.testing.assert_array_equal(draws.keyed(rng, 2030, 4, 2).random(5), first)
    assert not np.allclose(draws.keyed(rng, 2030, 4, 1).random(5), first)
    assert not np.allclose(draws.keyed(rng, 2030, 3, 2).random(5), first)


def test_the_direct_search_and_scipy_give_the_same_inversion():
    from scipy import stats

    rng = np.random.default_rng(7)
    u = rng.random(N)
    n = rng.integers(2, 3000, N)
    p = rng.random(N) * 0.03  # n p up to 90: both branches of draws.binomial
    expected = stats.binom.ppf(u, n, p).astype(np.int64)
    np.testing.assert_array_equal(draws.binomial(u, n, p), expected)
    assert ((n * p) > draws.SEARCH_MEAN).any() and ((n * p) <= draws.SEARCH_MEAN).any()
