"""Bayesian emulator-based history matching with Gaussian processes (scikit-learn).

Model-agnostic calibration engine: it knows a prior box, a ``simulate(points) -> (n, k, m)``
callable (``k`` replicate seeds, ``m`` outputs) and the observations; nothing about the model.

Method (Vernon et al. 2010; Andrianakis et al. 2015):

1. **Waves.** Wave 1 runs a Latin hypercube over the prior box. After every wave one Gaussian
   process per output is fitted (inputs scaled to the unit cube, output transformed, then
   standardised; a linear trend plus a Matern-5/2 ARD kernel and a white-noise nugget; the
   replicate mean is the target and the replicate variance / k its known noise, ``alpha``).
   Later waves run points drawn from the current non-implausible region: a large candidate
   set (half a Latin hypercube over the bounding box of the last non-implausible candidates,
   widened 10 %, half Gaussian draws around those candidates) is screened with the emulators of
   every wave so far. If fewer candidates survive than the wave needs, the least implausible
   of the others fill it (logged).
2. **Implausibility** of a point for output ``j``: the distance of the emulator mean from the
   observed interval ``[low, high]`` (0 inside it) on the transformed scale, divided by
   ``sqrt(emulator var + simulator var + obs sd^2 + discrepancy sd^2)``. A point is
   non-implausible when its ``rank``-th largest implausibility is <= ``cut`` (rank 1 = the
   maximum, the default; rank 2 = the second maximum, which tolerates one badly emulated
   output among many, e.g. > 20 outputs).
3. **Discrepancy scale.** Before the posterior, every discrepancy sd is multiplied by the
   factor ``lambda >= 1`` at which the simulated run closest to the record has mean squared
   standardised distance 1 (:func:`discrepancy_scale`; ``Settings.estimate_discrepancy``): the
   stated discrepancies are a floor, and the model may be as far from the record as its best run
   demonstrably is. The factor is reported.
4. **Posterior.** The target is the uniform prior restricted to the non-implausible region times
   the last wave's emulator likelihood: per output a censored Gaussian on the transformed scale
   with ``Y ~ N(emulator mean, emulator var + simulator var + obs sd^2 + discrepancy sd^2)``:
   exact -> density, interval -> ``P(low <= Y <= high)``, lower bound -> ``P(Y >= low)``, upper
   bound -> ``P(Y <= high)``; outputs are independent. It is sampled on the emulator (no
   simulations) by tempered sequential Monte Carlo with random-walk Metropolis moves
   (``sampler="smc"``, the default, :func:`_smc`; Del Moral et al. 2006) or by adaptive
   importance sampling (``sampler="importance"``, :func:`_importance`). ``posterior_size`` sets
   are drawn by systematic resampling; the effective sample size (for SMC: distinct particles)
   is reported and a warning is logged when it is below ``min_ess``.

Diagnostics (:func:`diagnostics`): prior range, posterior mean/sd/5-50-95 %, shrinkage
``1 - posterior sd / prior sd`` and an ``at_bound`` flag when more than ``BOUND_MASS`` (20 %) of
the posterior mass lies within ``BOUND_WIDTH`` (2 %) of the range from a bound (a flat posterior
has 2 % there, so the flag means ten times that: the data push the parameter to its bound and the
prior range may be too narrow). Plots: prior vs posterior marginals and a pairs plot.

Everything is deterministic for a fixed ``Settings.seed``.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import qmc
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern, WhiteKernel
from threadpoolctl import threadpool_limits

from sim.likelihood import censored_log_likelihood

log = logging.getLogger("scenarios.emulation")
TRANSFORMS = ("log", "identity")
KERNELS = ("matern", "rbf")
BOUND_WIDTH = 0.02
"""Share of a parameter's prior range next to each bound checked by the ``at_bound`` flag."""
BOUND_MASS = 0.20
"""Posterior mass within ``BOUND_WIDTH`` of a bound above which a parameter is flagged."""
PAIRS_POINTS = 400
"""Posterior sets drawn in the pairs plot."""
PAIRS_MAX = 10
"""Parameters in the pairs plot: the most informed ones (largest shrinkage). The pairs of
parameters the record leaves at their prior are uniform clouds, and a 34 x 34 matrix is neither
readable nor cheap to draw (about 25 s)."""
LOG_FLOOR = 1e-12
"""Values below this are clipped before the log transform (the log of 0 is -inf)."""

LBFGS_ITERATIONS = 100
"""Iterations of the hyperparameter optimiser per output (sklearn's default has 15000)."""

Simulator = Callable[[np.ndarray], np.ndarray]


# ---------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True)
class Prior:
    """Uniform prior over a box: one (low, high) per named parameter."""

    names: list[str]
    low: np.ndarray
    high: np.ndarray

    def __post_init__(self):
        low, high = np.asarray(self.low, float), np.asarray(self.high, float)
        if not (len(self.names) == len(low) == len(high)) or not len(self.names):
            raise ValueError("Prior: names, low and high must have the same non-zero length")
        bad = [n for n, lo, hi in zip(self.names, low, high, strict=True) if not lo < hi]
        if bad:
            raise ValueError(f"Prior: low must be < high for {bad}")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    @property
    def dim(self) -> int:
        """Number of parameters."""
        return len(self.names)

    def to_unit(self, points: np.ndarray) -> np.ndarray:
        """Points scaled to the unit cube of the box."""
        return (np.asarray(points, float) - self.low) / (self.high - self.low)

    def from_unit(self, unit: np.ndarray) -> np.ndarray:
        """Unit-cube points scaled to the box."""
        return self.low + np.asarray(unit, float) * (self.high - self.low)


@dataclass(frozen=True)
class Observations:
    """Observed intervals per output, with their error, discrepancy and transform.

    Attributes:
        names: Output labels (e.g. ``"tech_smes@2025"``), in the order ``simulate`` returns them.
        low: Lower end; ``-inf`` for an upper bound.
        high: Upper end; ``+inf`` for a lower bound; ``low == high`` for an exact value.
        obs_sd: Observation error sd on the transformed scale (for ``"log"`` a relative error).
        disc_sd: Model-discrepancy sd on the transformed scale.
        transform: ``"log"`` (positive quantities spanning scales) or ``"identity"``, per output.
    """

    names: list[str]
    low: np.ndarray
    high: np.ndarray
    obs_sd: np.ndarray
    disc_sd: np.ndarray
    transform: list[str]

    def __post_init__(self):
        m = len(self.names)
        arrays = {}
        for key in ("low", "high", "obs_sd", "disc_sd"):
            a = np.broadcast_to(np.asarray(getattr(self, key), float), (m,)).copy()
            arrays[key] = a
            object.__setattr__(self, key, a)
        transform = [self.transform] * m if isinstance(self.transform, str) else self.transform
        if len(transform) != m:
            raise ValueError(f"Observations: transform needs {m} entries, got {len(transform)}")
        bad = sorted({t for t in transform if t not in TRANSFORMS})
        if bad:
            raise ValueError(f"Observations.transform: {bad} not in {list(TRANSFORMS)}")
        object.__setattr__(self, "transform", list(transform))
        if (arrays["low"] > arrays["high"]).any() or np.isnan(arrays["low"] + arrays["high"]).any():
            raise ValueError("Observations: need low <= high (use -inf / +inf for one-sided)")
        if (arrays["obs_sd"] < 0).any() or (arrays["disc_sd"] < 0).any():
            raise ValueError("Observations: obs_sd and disc_sd must be >= 0")
        logs = np.array([t == "log" for t in transform])
        if (logs & np.isfinite(arrays["high"]) & (arrays["high"] <= 0)).any():
            raise ValueError("Observations: a log-transformed output needs high > 0")

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Observations:
        """From a table with columns name, low, high, obs_sd, disc_sd, transform."""
        missing = {"name", "low", "high", "obs_sd", "disc_sd", "transform"} - set(frame.columns)
        if missing:
            raise ValueError(f"Observations.from_frame: missing columns {sorted(missing)}")
        return cls(
            names=list(frame["name"]),
            low=frame["low"].to_numpy(float),
            high=frame["high"].to_numpy(float),
            obs_sd=frame["obs_sd"].to_numpy(float),
            disc_sd=frame["disc_sd"].to_numpy(float),
            transform=list(frame["transform"]),
        )

    @property
    def size(self) -> int:
        """Number of outputs."""
        return len(self.names)

    def _is_log(self) -> np.ndarray:
        return np.array([t == "log" for t in self.transform])

    def apply(self, values: np.ndarray) -> np.ndarray:
        """Transform simulated values (last axis = outputs)."""
        values = np.asarray(values, float)
        logged = np.log(np.maximum(values, LOG_FLOOR))
        return np.where(self._is_log(), logged, values)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The observed interval on the transformed scale (log of a bound <= 0 is -inf)."""
        is_log = self._is_log()
        with np.errstate(divide="ignore", invalid="ignore"):
            lo = np.where(is_log, np.log(np.where(self.low > 0, self.low, 1.0)), self.low)
            hi = np.where(is_log, np.log(np.where(self.high > 0, self.high, 1.0)), self.high)
        lo = np.where(is_log & (self.low <= 0), -np.inf, lo)
        return lo, hi


@dataclass(frozen=True)
class Settings:
    """Waves, sizes and emulator options of a history matching run.

    Attributes:
        waves: Number of waves (each runs the simulator, then fits emulators).
        first_wave: Latin-hypercube points of wave 1.
        wave_size: Points of every later wave.
        candidates: Candidate points screened per wave and per batch of the posterior.
        posterior_batches: At most this many candidate batches for the posterior, drawn until
            at least ``posterior_size`` are non-implausible.
        is_steps: At most this many adaptive importance-sampling steps after the first.
        target_ess: Stop the steps once the pooled ESS reaches this.
        cut: Implausibility cut-off (3 = Pukelsheim's three-sigma rule).
        rank: 1 = cut the maximum implausibility over outputs, 2 = the second maximum.
        posterior_size: Parameter sets resampled from the posterior.
        min_ess: Log a warning when the effective sample size is below this.
        kernel: ``"matern"`` (5/2) or ``"rbf"``.
        sampler: ``"smc"`` (tempered sequential Monte Carlo with Metropolis moves on the
            emulator, :func:`_smc`) or ``"importance"`` (adaptive importance sampling).
        particles: Particles of the SMC sampler.
        mh_steps: Metropolis steps per tempering stage of the SMC sampler.
        estimate_discrepancy: Before the posterior, scale every discrepancy sd by the factor
            ``lambda >= 1`` at which the best simulated run's squared standardised distances
            from the observations average 1 (:func:`discrepancy_scale`).
        max_train: At most this many runs train an emulator (the most recent waves first).
        max_fit: Of these, the most recent ``max_fit`` estimate the kernel hyperparameters.
        seed: Seed of every random choice (designs, candidates, resampling).
    """

    waves: int = 4
    first_wave: int = 200
    wave_size: int = 100
    candidates: int = 20000
    posterior_batches: int = 5
    is_steps: int = 12
    target_ess: float = 500.0
    cut: float = 3.0
    rank: int = 1
    posterior_size: int = 1000
    min_ess: float = 200.0
    kernel: str = "matern"
    sampler: str = "smc"
    particles: int = 1000
    mh_steps: int = 8
    estimate_discrepancy: bool = True
    max_train: int = 400
    max_fit: int = 200
    seed: int = 0

    def __post_init__(self):
        if self.waves < 1 or self.first_wave < 2 or self.wave_size < 1:
            raise ValueError("Settings: waves >= 1, first_wave >= 2 and wave_size >= 1")
        if self.kernel not in KERNELS:
            raise ValueError(f"Settings.kernel={self.kernel!r} not in {list(KERNELS)}")
        if self.rank not in (1, 2):
            raise ValueError(f"Settings.rank={self.rank} not in [1, 2]")
        if self.sampler not in ("smc", "importance"):
            raise ValueError(f"Settings.sampler={self.sampler!r} not in ['smc', 'importance']")


# ---------------------------------------------------------------------------------------------
# Emulators


@dataclass
class Emulator:
    """One Gaussian process per output on the unit cube and the transformed scale."""

    models: list[GaussianProcessRegressor]
    trend: np.ndarray  # (d + 1, m) linear-trend coefficients on the standardised scale
    y_mean: np.ndarray
    y_sd: np.ndarray
    sim_var: np.ndarray  # variance of one simulator run around its mean, transformed scale
    n_train: int

    @classmethod
    def fit(
        cls, unit: np.ndarray, sims: np.ndarray, kernel: str = "matern", max_fit: int = 200
    ) -> Emulator:
        """Fit to runs: ``unit`` (n, d) in the unit cube, ``sims`` (n, k, m) transformed.

        The kernel hyperparameters are estimated (maximum marginal likelihood, L-BFGS-B) on
        the last ``max_fit`` runs, then the GP conditions on all runs with them fixed: the
        O(n^3) optimisation is what costs, not the final fit.
        """
        n, k, m = sims.shape
        d = unit.shape[1]
        target = sims.mean(axis=1)
        y_mean, y_sd = target.mean(axis=0), target.std(axis=0)
        y_sd = np.where(y_sd > 0, y_sd, 1.0)
        z = (target - y_mean) / y_sd
        design = np.column_stack([np.ones(n), unit])
        trend = np.linalg.lstsq(design, z, rcond=None)[0] if n > d + 1 else np.zeros((d + 1, m))
        resid = z - design @ trend
        rep_var = sims.var(axis=1, ddof=1) if k > 1 else np.zeros((n, m))
        models, sim_var = [], np.zeros(m)
        sub = np.arange(n)[-max_fit:]  # hyperparameters from the most recent runs
        for j in range(m):
            alpha = np.maximum(rep_var[:, j] / k / y_sd[j] ** 2, 1e-8)
            gp = GaussianProcessRegressor(
                _kernel(kernel, d), alpha=alpha[sub], optimizer=_lbfgs, n_restarts_optimizer=0
            )
            # One BLAS thread: at a few hundred runs threads cost more than they save, and
            # the simulator's workers share the cores.
            with warnings.catch_warnings(), threadpool_limits(1):
                warnings.simplefilter("ignore", ConvergenceWarning)
                gp.fit(unit[sub], resid[sub, j])
                if len(sub) < n:  # condition on every run with the hyperparameters fixed
                    gp = GaussianProcessRegressor(gp.kernel_, alpha=alpha, optimizer=None)
                    gp.fit(unit, resid[:, j])
            models.append(gp)
            if k > 1:
                sim_var[j] = rep_var[:, j].mean()
            else:  # one run per point: the nugget is the run-to-run variance
                sim_var[j] = gp.kernel_.k2.noise_level * y_sd[j] ** 2
        return cls(models, trend, y_mean, y_sd, sim_var, n)

    def predict(self, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Emulator mean and variance of the simulator mean, each (n, m), transformed scale."""
        design = np.column_stack([np.ones(len(unit)), unit])
        base = design @ self.trend
        mean = np.empty_like(base)
        var = np.empty_like(base)
        for j, gp in enumerate(self.models):
            with threadpool_limits(1):
                mu, sd = gp.predict(unit, return_std=True)
            # return_std includes the WhiteKernel nugget; remove it (it is simulator noise).
            nugget = gp.kernel_.k2.noise_level
            mean[:, j] = (base[:, j] + mu) * self.y_sd[j] + self.y_mean[j]
            var[:, j] = np.maximum(sd**2 - nugget, 1e-12) * self.y_sd[j] ** 2
        return mean, var


def _lbfgs(objective, theta, bounds):
    res = minimize(
        objective,
        theta,
        method="L-BFGS-B",
        jac=True,
        bounds=bounds,
        options={"maxiter": LBFGS_ITERATIONS},
    )
    return res.x, res.fun


def _kernel(kind: str, d: int):
    shape = Matern(np.ones(d), (1e-2, 1e2), nu=2.5) if kind == "matern" else RBF(np.ones(d))
    return ConstantKernel(1.0, (1e-3, 1e2)) * shape + WhiteKernel(1e-2, (1e-8, 1.0))


# ---------------------------------------------------------------------------------------------
# Implausibility and likelihood


def implausibility(
    mean: np.ndarray, var: np.ndarray, obs: Observations, sim_var: np.ndarray
) -> np.ndarray:
    """Implausibility (n, m): distance from the observed interval over the total sd."""
    lo, hi = obs.bounds()
    gap = np.maximum(np.maximum(lo - mean, mean - hi), 0.0)
    return gap / np.sqrt(var + sim_var + obs.obs_sd**2 + obs.disc_sd**2)


def log_likelihood(
    mean: np.ndarray, var: np.ndarray, obs: Observations, sim_var: np.ndarray
) -> np.ndarray:
    """Censored-Gaussian log likelihood of every point (n,), summed over outputs."""
    lo, hi = obs.bounds()
    sd = np.sqrt(var + sim_var + obs.obs_sd**2 + obs.disc_sd**2)
    return censored_log_likelihood(mean, sd, lo, hi)


def _ranked(imp: np.ndarray, rank: int) -> np.ndarray:
    if imp.shape[1] < rank:
        return imp.max(axis=1)
    return np.sort(imp, axis=1)[:, -rank]


def systematic_resample(weights: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Indices drawn by systematic resampling (one uniform offset, evenly spaced)."""
    cum = np.cumsum(weights / weights.sum())
    cum[-1] = 1.0
    positions = (rng.random() + np.arange(size)) / size
    return np.searchsorted(cum, positions, side="left")


# ---------------------------------------------------------------------------------------------
# The run


@dataclass
class Result:
    """Everything a history-matching run produced.

    Attributes:
        prior: The prior box.
        runs: Every simulated point: parameters, ``wave``, and the mean transformed output per
            observation (columns ``sim:<name>``).
        waves: Per wave: points run, non-implausible share of the candidates (within the
            search box and as a share of the prior volume), refilled points, emulator size.
        posterior: ``posterior_size`` resampled parameter sets (rows may repeat).
        candidates: The final non-implausible candidates with their importance ``weight``.
        ess: Effective sample size of the final importance weights.
        importance: Per adaptive importance-sampling step: tempering exponent, samples, ESS.
        emulators: The emulator of each wave (the last one weighs the posterior).
        discrepancy_scale: Factor applied to every discrepancy sd before the posterior
            (:func:`discrepancy_scale`; 1 when not estimated).
    """

    prior: Prior
    runs: pd.DataFrame
    waves: pd.DataFrame
    posterior: pd.DataFrame
    candidates: pd.DataFrame
    ess: float
    importance: pd.DataFrame
    emulators: list[Emulator] = field(repr=False)
    discrepancy_scale: float = 1.0

    @property
    def simulations(self) -> int:
        """Simulator runs used (points x replicates)."""
        return int(self.waves["simulations"].sum())

    def diagnostics(self) -> pd.DataFrame:
        """Per-parameter prior and posterior summary (see :func:`diagnostics`)."""
        return diagnostics(self.prior, self.posterior)

    def write(self, out_dir: Path) -> None:
        """Write runs.csv, waves.csv, posterior.csv, diagnostics.csv and the two plots."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        self.runs.to_csv(out_dir / "runs.csv", index=False)
        self.waves.to_csv(out_dir / "waves.csv", index=False)
        self.importance.to_csv(out_dir / "importance.csv", index=False)
        self.posterior.to_csv(out_dir / "posterior.csv", index=False)
        self.diagnostics().to_csv(out_dir / "diagnostics.csv", index=False)
        plot_marginals(self.prior, self.posterior, out_dir / "marginals.png")
        plot_pairs(self.prior, self.posterior, out_dir / "pairs.png")


class _Screen:
    """Candidate screening against the emulators of all waves so far."""

    def __init__(self, prior: Prior, obs: Observations, settings: Settings):
        self.prior, self.obs, self.settings = prior, obs, settings
        self.emulators: list[Emulator] = []
        self.box = (np.zeros(prior.dim), np.ones(prior.dim))  # unit-cube search box
        self.seeds: np.ndarray | None = None  # centres of the local candidate draws
        self.chol: np.ndarray | None = None

    def ranked(self, unit: np.ndarray) -> np.ndarray:
        """Rank-th largest implausibility of each point under the strictest wave emulator."""
        worst = np.zeros(len(unit))
        alive = np.ones(len(unit), bool)
        for em in reversed(self.emulators):  # latest first: it rules out the most
            idx = np.flatnonzero(alive)
            if not len(idx):
                break
            mean, var = em.predict(unit[idx])
            r = _ranked(implausibility(mean, var, self.obs, em.sim_var), self.settings.rank)
            worst[idx] = np.maximum(worst[idx], r)
            alive[idx] = r <= self.settings.cut
        return worst

    def candidates(
        self, wave: int, batch: int = 0
    ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
        """Screened candidates: points, implausibility, NROY share of the prior, log density.

        Half are a Latin hypercube over the search box; once a screen has run, the other half
        are Gaussian draws around the last screen's non-implausible points (or its least
        implausible 20 when none were), with a quarter of their covariance. A small
        non-implausible region is then still found in many dimensions. ``log_q`` is the log
        density of this proposal (used as importance weights' denominator); the NROY share
        of the prior volume is estimated from the Latin-hypercube half only.
        """
        lo, hi = self.box
        d, n, cut = self.prior.dim, self.settings.candidates, self.settings.cut
        seed = self.settings.seed + 7919 * wave + 104729 * batch
        rng = np.random.default_rng(seed)
        n_local = n // 2 if self.seeds is not None else 0
        n_uni = n - n_local
        parts = [lo + qmc.LatinHypercube(d=d, seed=seed).random(n_uni) * (hi - lo)]
        if n_local:
            comp = rng.integers(len(self.seeds), size=n_local)
            local = self.seeds[comp] + rng.standard_normal((n_local, d)) @ self.chol.T
            parts.append(local[((local >= 0) & (local <= 1)).all(axis=1)])
        unit = np.vstack(parts)
        imp = self.ranked(unit)
        volume = float(np.prod(hi - lo))
        share = float((imp[:n_uni] <= cut).mean()) * volume
        log_q = self._log_density(unit, n_uni / n, volume)
        ok = imp <= cut
        pool = unit[ok] if ok.sum() >= 20 else unit[np.argsort(imp, kind="stable")[:20]]
        if len(pool) > 500:
            pool = pool[np.sort(rng.choice(len(pool), 500, replace=False))]
        self.seeds = pool
        cov = 0.25 * np.cov(pool.T).reshape(d, d) + 1e-8 * np.eye(d)
        self.chol = np.linalg.cholesky(cov)
        return unit, imp, share, log_q

    def _log_density(self, unit: np.ndarray, uniform_share: float, volume: float) -> np.ndarray:
        lo, hi = self.box
        in_box = ((unit >= lo) & (unit <= hi)).all(axis=1)
        dens = np.where(in_box, uniform_share / volume, 0.0)
        if self.seeds is not None and uniform_share < 1:
            dens = dens + (1 - uniform_share) * np.exp(
                _log_mixture(unit, self.seeds, self.chol, normalised=True)
            )
        return np.log(np.maximum(dens, 1e-300))

    def shrink_box(self, keep: np.ndarray) -> None:
        """Bounding box of the non-implausible candidates, widened by 10 % of its span."""
        if len(keep) < 2:
            return
        span = keep.max(axis=0) - keep.min(axis=0)
        self.box = (
            np.maximum(0.0, keep.min(axis=0) - 0.1 * span),
            np.minimum(1.0, keep.max(axis=0) + 0.1 * span),
        )


def history_match(
    prior: Prior, simulate: Simulator, obs: Observations, settings: Settings | None = None
) -> Result:
    """Run the waves, estimate the discrepancy scale, then sample the posterior.

    Args:
        prior: Uniform prior box.
        simulate: ``simulate(points (n, d)) -> (n, k, m)`` in the observations' order and units.
        obs: Observed intervals, errors, discrepancies and transforms.
        settings: Waves, sizes, cut and seed (defaults: :class:`Settings`).

    Returns:
        The :class:`Result` (runs, per-wave counts, posterior sets, ESS, emulators).

    Raises:
        ValueError: if ``simulate`` returns the wrong shape.
    """
    s = settings or Settings()
    rng = np.random.default_rng(s.seed)
    screen = _Screen(prior, obs, s)
    units, sims, wave_of, rows = [], [], [], []
    for wave in range(1, s.waves + 1):
        refilled, share_box, share_prior = 0, 1.0, 1.0
        if wave == 1:
            design = qmc.LatinHypercube(d=prior.dim, seed=s.seed).random(s.first_wave)
        else:
            cand, imp, share_prior, _ = screen.candidates(wave)
            ok = imp <= s.cut
            share_box = float(ok.mean())
            screen.shrink_box(cand[ok])
            design, refilled = _pick(cand, imp, ok, s.wave_size, rng)
        out = _checked(simulate(prior.from_unit(design)), len(design), obs.size)
        units.append(design)
        sims.append(obs.apply(out))
        wave_of.append(np.full(len(design), wave))
        train = _training_set(screen, np.vstack(units), np.concatenate(wave_of), s)
        all_sims = np.concatenate(sims)
        em = Emulator.fit(np.vstack(units)[train], all_sims[train], s.kernel, s.max_fit)
        screen.emulators.append(em)
        rows.append(
            {
                "wave": wave,
                "points": len(design),
                "simulations": int(out.shape[0] * out.shape[1]),
                "refilled": refilled,
                "nroy_share_box": share_box,
                "nroy_share_prior": share_prior,
                "emulator_runs": int(train.sum()),
            }
        )
        log.info("wave %d: %s", wave, rows[-1])
    all_units, all_sims = np.vstack(units), np.concatenate(sims)
    scale = 1.0
    if s.estimate_discrepancy:
        scale = discrepancy_scale(all_sims.mean(axis=1), obs, screen.emulators[-1].sim_var)
        obs = replace(obs, disc_sd=obs.disc_sd * scale)
        screen.obs = obs
        log.info(
            "discrepancy scale %.3g (best run's mean squared standardised distance = 1)", scale
        )
    cand, imp, share_prior, log_q = _final_candidates(screen, s)
    ok = imp <= s.cut
    if ok.sum() < 2:
        log.warning("no non-implausible candidate left; using the 1 %% least implausible")
        ok = imp <= np.quantile(imp, 0.01)
    if s.sampler == "smc":
        final, w, ess, steps = _smc(screen, cand[ok], s, rng)
    else:
        final, w, ess, steps = _importance(screen, cand[ok], log_q[ok], s, rng)
    if ess < s.min_ess:
        log.warning(
            "importance sampling ESS %.0f < %.0f: more candidates, iterations or a wave needed",
            ess,
            s.min_ess,
        )
    idx = systematic_resample(w, s.posterior_size, rng)
    points = prior.from_unit(final)
    runs = pd.DataFrame(prior.from_unit(all_units), columns=prior.names)
    runs.insert(0, "wave", np.concatenate(wave_of))
    sim_cols = pd.DataFrame(all_sims.mean(axis=1), columns=[f"sim:{n}" for n in obs.names])
    candidates = pd.DataFrame(points, columns=prior.names).assign(weight=w / w.sum())
    waves = pd.DataFrame(rows)
    waves.loc[len(waves)] = {
        "wave": s.waves + 1,
        "points": 0,
        "simulations": 0,
        "refilled": 0,
        "nroy_share_box": float(ok.mean()),
        "nroy_share_prior": share_prior,
        "emulator_runs": 0,
    }
    return Result(
        prior=prior,
        runs=pd.concat([runs, sim_cols], axis=1),
        waves=waves.astype({"wave": int, "points": int, "simulations": int, "refilled": int}),
        posterior=pd.DataFrame(points[idx], columns=prior.names),
        candidates=candidates,
        ess=ess,
        importance=pd.DataFrame(steps),
        emulators=screen.emulators,
        discrepancy_scale=scale,
    )


def discrepancy_scale(sims: np.ndarray, obs: Observations, sim_var: np.ndarray) -> float:
    """Factor ``lambda >= 1`` on the discrepancy sd that makes the best run's misfit typical.

    For the simulated run closest to the observations (least sum of squared standardised
    distances), ``lambda`` solves ``mean_j gap_j^2 / (sim_var_j + obs_sd_j^2 + lambda^2
    disc_sd_j^2) = 1``: the model is allowed to be as far from the record as its best run
    demonstrably is (a moment estimate of the discrepancy's scale; the best of many runs fits the
    same data, so the estimate errs low). 1 when the best run already fits within the stated
    errors.

    Args:
        sims: Mean transformed output per run, shape ``(n, m)``.
        obs: The observations (their discrepancy sd is the unit scaled).
        sim_var: Simulator variance per output on the transformed scale.
    """
    lo, hi = obs.bounds()
    gap = np.maximum(np.maximum(lo - sims, sims - hi), 0.0)

    def misfit(lam: float) -> np.ndarray:
        var = sim_var + obs.obs_sd**2 + (lam * obs.disc_sd) ** 2
        return (gap**2 / var).mean(axis=1)

    best = int(np.argmin(misfit(1.0)))
    if misfit(1.0)[best] <= 1.0 or not (obs.disc_sd > 0).any():
        return 1.0
    low, high = 1.0, 2.0
    while misfit(high)[best] > 1.0 and high < 1e3:
        low, high = high, 2 * high
    for _ in range(60):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if misfit(mid)[best] > 1.0 else (low, mid)
    return float(high)


def _smc(
    screen: _Screen, start: np.ndarray, s: Settings, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, float, list[dict]]:
    """Tempered sequential Monte Carlo on the emulator posterior (Del Moral et al. 2006).

    The target is the uniform prior on the non-implausible region (by the emulators of every
    wave) times the censored-Gaussian likelihood of the last wave's emulator. ``particles``
    points are drawn uniformly from the final non-implausible candidates; at each stage the
    likelihood exponent rises to the largest value that keeps the effective sample size at half
    the particles (at most 1), the particles are resampled systematically and moved by
    ``mh_steps`` random-walk Metropolis steps (proposal covariance 2.38^2 / d times the
    particles' covariance, scaled to an acceptance rate near 0.25; proposals outside the box or
    the region are rejected). No simulation is run.

    Returns:
        The final particles (unit cube), equal weights, the number of distinct particles (the
        sample size that counts after moves) and a log per stage.
    """
    em = screen.emulators[-1]
    d = start.shape[1]

    def loglik(u: np.ndarray) -> np.ndarray:
        mean, var = em.predict(u)
        return log_likelihood(mean, var, screen.obs, em.sim_var)

    def inside(u: np.ndarray) -> np.ndarray:
        ok = ((u >= 0) & (u <= 1)).all(axis=1)
        if ok.any():
            idx = np.flatnonzero(ok)
            ok[idx] = screen.ranked(u[idx]) <= s.cut
        return ok

    x = start[rng.integers(len(start), size=s.particles)]
    ll = loglik(x)
    beta, scale, steps = 0.0, 2.38 / np.sqrt(d), []
    for stage in range(200):
        nxt = _next_beta_smc(ll, beta)
        w = _normalised((nxt - beta) * ll)
        ess = _ess(w)
        keep = systematic_resample(w, s.particles, rng)
        x, ll, beta = x[keep], ll[keep], nxt
        cov = np.cov(x.T).reshape(d, d) + 1e-10 * np.eye(d)
        chol = np.linalg.cholesky(cov)
        accepted = 0
        for _ in range(s.mh_steps):
            prop = x + scale * rng.standard_normal(x.shape) @ chol.T
            ok = inside(prop)
            ll_prop = np.full(len(x), -np.inf)
            if ok.any():
                ll_prop[ok] = loglik(prop[ok])
            take = np.log(rng.random(len(x))) < beta * (ll_prop - ll)
            x[take], ll[take] = prop[take], ll_prop[take]
            accepted += int(take.sum())
        rate = accepted / (s.mh_steps * len(x))
        scale *= np.exp(rate - 0.25)  # towards an acceptance rate near 0.25
        distinct = len(np.unique(x, axis=0))
        steps.append(
            {"step": stage, "beta": beta, "samples": len(x), "ess": ess, "acceptance": rate}
        )
        log.info(
            "SMC stage %d: beta %.3g, ESS before resampling %.0f, acceptance %.2f, %d distinct",
            stage,
            beta,
            ess,
            rate,
            distinct,
        )
        if beta >= 1.0:
            return x, np.full(len(x), 1.0 / len(x)), float(distinct), steps
    raise RuntimeError("SMC did not reach the full likelihood in 200 stages")


def _next_beta_smc(ll: np.ndarray, beta: float) -> float:
    """The next exponent: the largest in (beta, 1] whose incremental weights keep ESS >= N/2."""
    n = len(ll)
    if _ess(_normalised((1.0 - beta) * ll)) >= n / 2:
        return 1.0
    low, high = beta, 1.0
    for _ in range(60):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if _ess(_normalised((mid - beta) * ll)) >= n / 2 else (low, mid)
    return max(low, beta + 1e-6)


def _importance(
    screen: _Screen, start: np.ndarray, log_q: np.ndarray, s: Settings, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, float, list[dict]]:
    """Adaptive, tempered importance sampling of the emulator posterior on the NROY region.

    The target is the uniform prior restricted to the non-implausible region times the
    censored-Gaussian likelihood of the last wave's emulator. Step 0 uses the non-implausible
    candidates (weights ``L / candidate density``). While the weights at full likelihood are
    degenerate (the likelihood is much narrower than the region), each step tempers the
    likelihood (``L^beta``, the largest ``beta`` that at most halves the ESS), draws the next
    sample from a mixture of Gaussians around 500 resampled points (covariance twice the
    weighted covariance: population Monte Carlo, Cappe et al. 2004); weights are
    ``L / mixture density``, zero outside the box or the region. Once ``beta`` has reached 1,
    the draws of every further step are pooled (each weighted by its own normalised proposal
    density); the steps stop once the pooled ESS reaches ``target_ess``.

    Returns:
        The pooled unit-cube sample, its normalised weights, their ESS and a log per step.
    """
    em = screen.emulators[-1]

    def loglik(u: np.ndarray) -> np.ndarray:
        mean, var = em.predict(u)
        return log_likelihood(mean, var, screen.obs, em.sim_var)

    x, logq = start, log_q
    ll = loglik(x)
    beta, steps = 0.0, []
    pool_x, pool_logw = [x], [ll - logq]
    for step in range(s.is_steps + 1):
        logw = np.concatenate(pool_logw)
        ess = _ess(_normalised(logw))
        steps.append({"step": step, "beta": beta, "samples": len(x), "ess": ess})
        log.info("importance step %d: beta %.3g, %d samples, ESS %.0f", step, beta, len(x), ess)
        if ess >= s.target_ess or step == s.is_steps:
            return np.vstack(pool_x), _normalised(logw), ess, steps
        beta = _next_beta(ll, logq, beta)
        new, new_logq = _mixture_step(x, _normalised(beta * ll - logq), screen, s, rng)
        if len(new) < 10:
            log.warning("importance step %d: %d proposals in the region", step + 1, len(new))
            continue
        x, logq = new, new_logq
        ll = loglik(x)
        if beta < 1:  # a proposal for a tempered target: only the latest sample counts
            pool_x, pool_logw = [], []
        pool_x.append(x)
        pool_logw.append(ll - logq)
    raise AssertionError("unreachable")


def _log_mixture(
    x: np.ndarray, centres: np.ndarray, chol: np.ndarray, normalised: bool
) -> np.ndarray:
    """Log density of an equal-weight Gaussian mixture (common covariance ``chol chol^T``)."""
    inv = np.linalg.inv(chol)
    out = np.empty(len(x))
    for start in range(0, len(x), 500):
        z = (x[start : start + 500, None, :] - centres[None, :, :]) @ inv.T
        e = -0.5 * (z**2).sum(axis=2)
        top = e.max(axis=1)
        out[start : start + 500] = top + np.log(np.exp(e - top[:, None]).mean(axis=1))
    if normalised:
        d = x.shape[1]
        out -= np.log(np.abs(np.diag(chol))).sum() + 0.5 * d * np.log(2 * np.pi)
    return out


def _normalised(logw: np.ndarray) -> np.ndarray:
    w = np.exp(logw - logw.max())
    return w / w.sum()


def _ess(w: np.ndarray) -> float:
    return float(1.0 / (w**2).sum())


def _next_beta(ll: np.ndarray, logq: np.ndarray, beta: float) -> float:
    """The largest tempering exponent in (beta, 1] that at most halves the current ESS."""
    target = 0.5 * _ess(_normalised(beta * ll - logq))
    if _ess(_normalised(ll - logq)) >= target:
        return 1.0
    lo, hi = beta, 1.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _ess(_normalised(mid * ll - logq)) >= target else (lo, mid)
    return lo


def _mixture_step(
    x: np.ndarray, w: np.ndarray, screen: _Screen, s: Settings, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw from a Gaussian mixture around resampled points; keep those in the region."""
    centres = x[systematic_resample(w, min(500, len(x)), rng)]
    mean = w @ x
    # Twice the weighted covariance, plus 1 % of the sample's own spread so that a few
    # dominant weights do not collapse the kernel.
    spread = np.cov(x.T).reshape(x.shape[1], x.shape[1]) if len(x) > 1 else np.eye(x.shape[1])
    cov = 2.0 * ((x - mean).T * w) @ (x - mean) + 0.01 * spread + 1e-10 * np.eye(x.shape[1])
    chol = np.linalg.cholesky(cov)
    comp = np.arange(s.candidates) % len(centres)
    new = centres[comp] + rng.standard_normal((s.candidates, x.shape[1])) @ chol.T
    inside = ((new >= 0) & (new <= 1)).all(axis=1)
    new = new[inside]
    new = new[screen.ranked(new) <= s.cut]
    logq = _log_mixture(new, centres, chol, normalised=True)
    return new, logq


def _final_candidates(
    screen: _Screen, s: Settings
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Candidate batches until ``posterior_size`` are non-implausible (or the batches run out)."""
    cands, imps, logs, shares = [], [], [], []
    for batch in range(s.posterior_batches):
        cand, imp, share, log_q = screen.candidates(s.waves + 1, batch)
        cands.append(cand)
        imps.append(imp)
        logs.append(log_q)
        shares.append(share)
        if sum(int((i <= s.cut).sum()) for i in imps) >= s.posterior_size:
            break
    return np.vstack(cands), np.concatenate(imps), float(np.mean(shares)), np.concatenate(logs)


def _pick(
    cand: np.ndarray, imp: np.ndarray, ok: np.ndarray, size: int, rng: np.random.Generator
) -> tuple[np.ndarray, int]:
    """A random subset of the non-implausible candidates; the least implausible fill up."""
    good = np.flatnonzero(ok)
    if len(good) >= size:
        return cand[np.sort(rng.choice(good, size, replace=False))], 0
    rest = np.flatnonzero(~ok)
    fill = rest[np.argsort(imp[rest], kind="stable")[: size - len(good)]]
    log.info("only %d non-implausible candidates: %d least implausible added", len(good), len(fill))
    return cand[np.concatenate([good, fill])], len(fill)


def _training_set(
    screen: _Screen, unit: np.ndarray, wave_of: np.ndarray, s: Settings
) -> np.ndarray:
    """Runs that train the next emulator: those not ruled out by the emulators so far."""
    if not screen.emulators:
        keep = np.ones(len(unit), bool)
    else:
        keep = screen.ranked(unit) <= s.cut
        keep |= wave_of == wave_of.max()  # the latest wave always trains
    if keep.sum() > s.max_train:  # the most recent runs first
        idx = np.flatnonzero(keep)[::-1][: s.max_train]
        keep = np.zeros(len(unit), bool)
        keep[idx] = True
    return keep


def _checked(out: np.ndarray, n: int, m: int) -> np.ndarray:
    out = np.asarray(out, float)
    if out.ndim != 3 or out.shape[0] != n or out.shape[2] != m:
        raise ValueError(f"simulate must return shape ({n}, k, {m}), got {out.shape}")
    return out


# ---------------------------------------------------------------------------------------------
# Diagnostics


def diagnostics(prior: Prior, posterior: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: prior range, posterior mean/sd/5-50-95 %, shrinkage, bound flag.

    ``shrinkage = 1 - posterior sd / prior sd`` (0: the data say nothing; 1: pinned down).
    ``at_bound`` is ``"low"``/``"high"`` when more than ``BOUND_MASS`` of the posterior lies
    within ``BOUND_WIDTH`` of the range from that bound, else ``""``.
    """
    rows = []
    for j, name in enumerate(prior.names):
        x = posterior[name].to_numpy(float)
        lo, hi = prior.low[j], prior.high[j]
        span = hi - lo
        near_lo = float((x <= lo + BOUND_WIDTH * span).mean())
        near_hi = float((x >= hi - BOUND_WIDTH * span).mean())
        flag = "low" if near_lo > BOUND_MASS else "high" if near_hi > BOUND_MASS else ""
        q05, q50, q95 = np.quantile(x, [0.05, 0.5, 0.95])
        sd = float(x.std(ddof=1)) if len(x) > 1 else 0.0
        rows.append(
            {
                "parameter": name,
                "prior_low": lo,
                "prior_high": hi,
                "mean": float(x.mean()),
                "sd": sd,
                "q05": q05,
                "q50": q50,
                "q95": q95,
                "shrinkage": 1.0 - sd / (span / np.sqrt(12.0)),
                "mass_near_low": near_lo,
                "mass_near_high": near_hi,
                "at_bound": flag,
            }
        )
    return pd.DataFrame(rows)


def _short(name: str) -> str:
    return ".".join(name.split(".")[-2:])


def plot_marginals(prior: Prior, posterior: pd.DataFrame, path: Path) -> None:
    """Histogram of each parameter's posterior against its uniform prior density."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = prior.dim
    cols = min(4, d)
    rows = -(-d // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), dpi=90, squeeze=False)
    for j, ax in enumerate(axes.flat):
        if j >= d:
            ax.axis("off")
            continue
        lo, hi = prior.low[j], prior.high[j]
        ax.hist(posterior[prior.names[j]], bins=25, range=(lo, hi), density=True, alpha=0.6)
        ax.hlines(1 / (hi - lo), lo, hi, colors="k", linestyles="--", label="prior")
        ax.set_title(_short(prior.names[j]), fontsize=8)
        ax.tick_params(labelsize=6)
    axes.flat[0].legend(fontsize=6)
    fig.suptitle("Prior (dashed) vs posterior marginals", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def pairs_parameters(prior: Prior, posterior: pd.DataFrame, most: int = PAIRS_MAX) -> list[int]:
    """Indices of the ``most`` parameters with the largest shrinkage, in the prior's order."""
    shrink = diagnostics(prior, posterior)["shrinkage"].to_numpy(float)
    keep = np.argsort(-shrink, kind="stable")[:most]
    return sorted(int(j) for j in keep)


def plot_pairs(prior: Prior, posterior: pd.DataFrame, path: Path) -> None:
    """Scatter matrix of the posterior sets over the most informed parameters.

    At most :data:`PAIRS_MAX` parameters (:func:`pairs_parameters`) and :data:`PAIRS_POINTS`
    sets; axes span the prior box.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = pairs_parameters(prior, posterior)
    d = len(cols)
    size = max(6.0, 1.3 * d)
    fig, axes = plt.subplots(d, d, figsize=(size, size), dpi=60, squeeze=False)
    x = posterior[[prior.names[j] for j in cols]].to_numpy(float)
    low, high = prior.low[cols], prior.high[cols]
    names = [prior.names[j] for j in cols]
    if len(x) > PAIRS_POINTS:  # a fixed subset keeps the file small
        x = x[np.random.default_rng(0).choice(len(x), PAIRS_POINTS, replace=False)]
    for i in range(d):
        for j in range(d):
            ax = axes[i, j]
            if i == j:
                ax.hist(x[:, j], bins=20, range=(low[j], high[j]), color="tab:blue")
            else:
                ax.scatter(x[:, j], x[:, i], s=2, alpha=0.3, color="tab:blue", lw=0)
                ax.set_ylim(low[i], high[i])
            ax.set_xlim(low[j], high[j])
            ax.set_xticks([])
            ax.set_yticks([])
            if i == d - 1:
                ax.set_xlabel(_short(names[j]), fontsize=6, rotation=30, ha="right")
            if j == 0:
                ax.set_ylabel(_short(names[i]), fontsize=6, rotation=0, ha="right")
    shown = f"the {d} most informed of {prior.dim} parameters, " if d < prior.dim else ""
    fig.suptitle(f"Posterior pairs ({shown}axes = prior box)", fontsize=9)
    fig.savefig(path)
    plt.close(fig)
