"""The emulator-based history matching engine on toy simulators with known posteriors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scenarios.emulation import (
    Observations,
    Prior,
    Settings,
    diagnostics,
    history_match,
    log_likelihood,
    systematic_resample,
)

FAST = Settings(waves=2, first_wave=40, wave_size=30, candidates=4000, posterior_size=1000)


def linear_simulator(a: np.ndarray, log: bool):
    """y = A theta (k = 1, deterministic); exp(A theta) when the outputs are log-transformed."""

    def simulate(points: np.ndarray) -> np.ndarray:
        y = points @ a.T
        return (np.exp(y) if log else y)[:, None, :]

    return simulate


def conjugate(a: np.ndarray, y: np.ndarray, sd: float) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and sd of theta under a flat prior and y ~ N(A theta, sd^2 I)."""
    cov = np.linalg.inv(a.T @ a) * sd**2
    return cov @ a.T @ y / sd**2, np.sqrt(np.diag(cov))


def exact(names, values, sd, transform="identity") -> Observations:
    v = np.asarray(values, float)
    return Observations(names, v, v, np.full(len(v), sd), np.zeros(len(v)), transform)


def mc_tolerance(res, post_sd: float) -> tuple[float, float]:
    """4-sigma Monte Carlo tolerances of a posterior mean and sd estimated with this ESS."""
    return 4 * post_sd / np.sqrt(res.ess), 4 / np.sqrt(2 * res.ess)


@pytest.mark.parametrize("log", [False, True])
def test_linear_gaussian_matches_conjugate_posterior(log):
    # Two identified parameters, a third that no output reads.
    a = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]])
    prior = Prior(["t1", "t2", "idle"], np.zeros(3), np.ones(3))
    y = a @ np.array([0.4, 0.6, 0.5]) + np.array([0.02, -0.03, 0.01])
    sd = 0.05  # on the transformed scale: a relative error when log-transformed
    obs = exact(["y1", "y2", "y3"], np.exp(y) if log else y, sd, "log" if log else "identity")
    res = history_match(prior, linear_simulator(a, log), obs, FAST)
    mean, post_sd = conjugate(a[:, :2], y, sd)
    diag = diagnostics(prior, res.posterior).set_index("parameter")
    tol_mean, tol_sd = mc_tolerance(res, post_sd.max())
    assert res.ess > 300
    for j, name in enumerate(["t1", "t2"]):
        assert diag.at[name, "mean"] == pytest.approx(mean[j], abs=tol_mean)
        assert diag.at[name, "sd"] == pytest.approx(post_sd[j], rel=tol_sd)
        assert diag.at[name, "at_bound"] == ""
    # The unread parameter keeps its prior: no shrinkage, not flagged.
    assert abs(diag.at["idle", "shrinkage"]) < 0.1
    assert diag.at["idle", "at_bound"] == ""
    assert res.simulations == 70


def test_lower_bound_removes_the_excluded_half():
    prior = Prior(["t", "idle"], np.zeros(2), np.ones(2))
    obs = Observations(["y"], [0.5], [np.inf], [0.005], [0.0], "identity")
    res = history_match(prior, lambda p: p[:, None, :1], obs, FAST)
    t = res.posterior["t"].to_numpy()
    assert (t < 0.48).mean() < 0.01
    # The kept half stays uniform: mean 0.75, sd 0.5 / sqrt(12).
    tol_mean, tol_sd = mc_tolerance(res, 0.5 / np.sqrt(12))
    assert t.mean() == pytest.approx(0.75, abs=tol_mean)
    assert t.std() == pytest.approx(0.5 / np.sqrt(12), rel=tol_sd)
    # Second wave's candidates: about half the prior volume is left.
    assert res.waves.nroy_share_prior.iloc[1] == pytest.approx(0.5, abs=0.05)


def test_interval_observation_keeps_the_interval():
    prior = Prior(["t"], [0.0], [1.0])
    obs = Observations(["y"], [0.2], [0.4], [0.005], [0.0], "identity")
    res = history_match(prior, lambda p: p[:, None, :], obs, FAST)
    t = res.posterior["t"].to_numpy()
    assert ((t > 0.18) & (t < 0.42)).mean() > 0.99
    assert t.mean() == pytest.approx(0.3, abs=0.02)


def test_posterior_piled_against_a_bound_is_flagged():
    prior = Prior(["t", "idle"], np.zeros(2), np.ones(2))
    obs = exact(["y"], [1.05], 0.05)  # the data want t beyond its upper bound
    res = history_match(prior, lambda p: p[:, None, :1], obs, FAST)
    diag = res.diagnostics().set_index("parameter")
    assert diag.at["t", "at_bound"] == "high"
    assert diag.at["t", "mass_near_high"] > 0.2
    assert diag.at["idle", "at_bound"] == ""


@pytest.mark.parametrize("reps", [1, 4])
def test_stochastic_simulator_variance_enters_the_posterior(reps):
    # y = t + N(0, 0.04) per run; observed y = 0.5 with sd 0.03: the posterior sd of t is
    # sqrt(0.04^2 + 0.03^2) = 0.05 (a single run's spread counts). With 4 replicates the
    # run variance is their pooled variance, with one run per point the GP nugget.
    rng = np.random.default_rng(3)

    def simulate(p):
        return p[:, None, :] + rng.normal(0, 0.04, (len(p), reps, 1))

    prior = Prior(["t"], [0.0], [1.0])
    res = history_match(prior, simulate, exact(["y"], [0.5], 0.03), FAST)
    assert res.emulators[-1].sim_var[0] == pytest.approx(0.04**2, rel=0.3 if reps > 1 else 0.5)
    tol_mean, tol_sd = mc_tolerance(res, 0.05)
    assert res.posterior.t.mean() == pytest.approx(0.5, abs=tol_mean + 0.01)
    assert res.posterior.t.std() == pytest.approx(0.05, rel=tol_sd + 0.1)


def test_same_seed_same_posterior_and_other_seed_differs():
    a = np.array([[1.0, 0.5]])
    prior = Prior(["t1", "t2"], np.zeros(2), np.ones(2))
    obs = exact(["y"], [0.8], 0.05)
    one = history_match(prior, linear_simulator(a, False), obs, FAST)
    two = history_match(prior, linear_simulator(a, False), obs, FAST)
    pd.testing.assert_frame_equal(one.posterior, two.posterior)
    pd.testing.assert_frame_equal(one.runs, two.runs)
    other = history_match(
        prior, linear_simulator(a, False), obs, Settings(**{**FAST.__dict__, "seed": 1})
    )
    assert not one.posterior.equals(other.posterior)


def test_censored_likelihood_kinds():
    obs = Observations(
        ["exact", "range", "lower", "upper"],
        [1.0, 0.0, 2.0, -np.inf],
        [1.0, 1.0, np.inf, 0.0],
        [1.0, 1.0, 1.0, 1.0],
        [0.0] * 4,
        "identity",
    )
    mean = np.array([[0.0, 0.5, 2.0, 0.0]])
    ll = log_likelihood(mean, np.zeros((1, 4)), obs, np.zeros(4))
    from scipy.stats import norm

    expected = norm.logpdf(1.0) + np.log(norm.cdf(0.5) - norm.cdf(-0.5)) + np.log(0.5) * 2
    assert ll[0] == pytest.approx(expected)


def test_systematic_resampling_follows_weights():
    w = np.array([0.1, 0.0, 0.6, 0.3])
    idx = systematic_resample(w, 1000, np.random.default_rng(0))
    counts = np.bincount(idx, minlength=4)
    assert counts.tolist() == [100, 0, 600, 300]


def test_bad_input_names_the_field():
    with pytest.raises(ValueError, match="transform"):
        Observations(["y"], [1.0], [1.0], [0.1], [0.0], "sqrt")
    with pytest.raises(ValueError, match="low must be < high"):
        Prior(["t"], [1.0], [0.0])
    with pytest.raises(ValueError, match="simulate must return shape"):
        history_match(Prior(["t"], [0.0], [1.0]), lambda p: p, exact(["y"], [0.5], 0.1), FAST)


def test_write_outputs(tmp_path):
    prior = Prior(["t1", "t2"], np.zeros(2), np.ones(2))
    res = history_match(prior, lambda p: p[:, None, :1], exact(["y"], [0.5], 0.05), FAST)
    res.write(tmp_path)
    for name in ("runs.csv", "waves.csv", "posterior.csv", "diagnostics.csv"):
        assert (tmp_path / name).stat().st_size > 0
    assert (tmp_path / "marginals.png").stat().st_size > 5000
    assert (tmp_path / "pairs.png").stat().st_size > 5000
    waves = pd.read_csv(tmp_path / "waves.csv")
    assert waves.points.tolist() == [40, 30, 0]


def test_adaptive_importance_sampling_recovers_a_narrow_posterior_in_six_dimensions():
    # The likelihood fills a few % of the non-implausible box: uniform candidates alone give
    # a small ESS; the tempered mixture steps must restore it.
    d = 6
    prior = Prior([f"t{j}" for j in range(d)], np.zeros(d), np.ones(d))
    truth = np.linspace(0.3, 0.7, d)
    obs = exact([f"y{j}" for j in range(d)], truth, 0.03)
    settings = Settings(
        waves=3, first_wave=60, wave_size=30, candidates=3000, is_steps=4, sampler="importance"
    )
    res = history_match(prior, lambda p: p[:, None, :], obs, settings)
    assert res.importance.ess.iloc[0] < 100 < 200 < res.ess
    assert res.importance.beta.iloc[-1] == 1.0
    diag = res.diagnostics()
    tol_mean, tol_sd = mc_tolerance(res, 0.03)
    np.testing.assert_allclose(diag["mean"], truth, atol=tol_mean + 0.005)
    np.testing.assert_allclose(diag["sd"], 0.03, rtol=tol_sd + 0.1)


def test_smc_recovers_a_narrow_posterior_in_ten_dimensions():
    # Ten parameters, each pinned by one exact observation with sd 0.03: the tempered SMC with
    # Metropolis moves (the default sampler) must reach the full likelihood and recover the
    # conjugate answer (mean = truth, sd = 0.03) within the Monte Carlo error of its particles.
    d = 10
    prior = Prior([f"t{j}" for j in range(d)], np.zeros(d), np.ones(d))
    truth = np.linspace(0.25, 0.75, d)
    obs = exact([f"y{j}" for j in range(d)], truth, 0.03)
    settings = Settings(waves=3, first_wave=80, wave_size=40, candidates=3000, particles=600)
    res = history_match(prior, lambda p: p[:, None, :], obs, settings)
    assert res.importance.beta.iloc[-1] == 1.0 and res.ess > 300  # distinct particles
    diag = res.diagnostics()
    # Moved particles are correlated, so their count overstates the sample size: the means must
    # lie within half a posterior sd of the truth (the prior sd is 0.29, ten times wider) and
    # the sds within 30 % of 0.03.
    np.testing.assert_allclose(diag["mean"], truth, atol=0.5 * 0.03)
    np.testing.assert_allclose(diag["sd"], 0.03, rtol=0.3)


def test_the_pairs_plot_keeps_the_most_informed_parameters_in_prior_order():
    from scenarios.emulation import pairs_parameters

    names = [f"t{i}" for i in range(5)]
    prior = Prior(names, np.zeros(5), np.ones(5))
    rng = np.random.default_rng(0)
    # Posterior sd per parameter: t3 and t1 narrow (informed), the rest uniform on the box.
    sd = {"t0": None, "t1": 0.05, "t2": None, "t3": 0.01, "t4": 0.2}
    post = pd.DataFrame(
        {n: rng.uniform(0, 1, 500) if s is None else 0.5 + s * rng.standard_normal(500)
         for n, s in sd.items()}
    )  # fmt: skip
    assert pairs_parameters(prior, post, 2) == [1, 3]
    assert pairs_parameters(prior, post, 3) == [1, 3, 4]
    assert pairs_parameters(prior, post, 10) == [0, 1, 2, 3, 4]
