"""How likely a simulated path is given what a city reported: the observation model.

One observation model serves the calibration (``scenarios/calibrate.py`` through the emulator of
``scenarios/emulation.py``) and the assimilation of the record into the ensemble entering the
projection years (:mod:`sim.assimilation`). On a log scale (the raw scale for small counts and for
growth rates, :data:`IDENTITY_KPIS`) a reported figure is the simulated value plus noise with
standard deviation ``sqrt(obs^2 + disc^2)``:

* ``obs`` is the observation error, set by the source's confidence (:data:`OBSERVATION_SD`:
  high 5 %, medium 10 %, low 20 % of the value);
* ``disc`` is the model discrepancy of the series (``calibration.discrepancy``, a share of the
  value per KPI with a ``default``; in units of the KPI for the raw-scale ones): what the model
  structure cannot reproduce even at the right parameters (Kennedy & O'Hagan 2001).

Published bounds and ranges are censored observations: an exact figure contributes the normal
density, a range ``[low, high]`` the probability ``P(low <= Y <= high)``, a lower bound
``P(Y >= low)``, an upper bound ``P(Y <= high)`` (:func:`censored_log_likelihood`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

OBSERVATION_SD = {"high": 0.05, "medium": 0.10, "low": 0.20}
"""Observation error (share of the value) by the confidence of the source."""

IDENTITY_KPIS = frozenset({"clusters", "big_science", "rd_growth"})
"""KPIs compared on their own scale (small counts, growth rates that can be negative)."""

IDENTITY_FLOOR = 0.5
"""Least observation sd of a raw-scale KPI (half a unit of a count)."""

LOG_FLOOR = 1e-12
"""Values below this are clipped before the log (the log of 0 is -inf)."""


def observation_table(obs: pd.DataFrame, discrepancy: dict[str, float]) -> pd.DataFrame:
    """Observations with their noise and scale: the input of calibration and assimilation.

    Args:
        obs: Tidy observations (``kpi, year, value, low, high, kind, confidence``).
        discrepancy: Discrepancy by KPI (share of the value; units for raw-scale KPIs); the key
            ``default`` applies to the KPIs not named.

    Returns:
        ``obs`` plus ``name`` (``kpi@year``), ``transform`` (``log`` / ``identity``), ``obs_sd``
        and ``disc_sd`` on the transformed scale.
    """
    out = obs.reset_index(drop=True).copy()
    share = out["confidence"].astype(str).str.strip().map(OBSERVATION_SD).fillna(0.2)
    default = float(discrepancy.get("default", 0.1))
    disc = np.array([float(discrepancy.get(k, default)) for k in out["kpi"]])
    identity = out["kpi"].isin(IDENTITY_KPIS).to_numpy()
    scale = np.abs(out["value"].to_numpy(dtype=float))
    out["name"] = [f"{k}@{y}" for k, y in zip(out["kpi"], out["year"], strict=True)]
    out["transform"] = np.where(identity, "identity", "log")
    out["obs_sd"] = np.where(identity, np.maximum(share * scale, IDENTITY_FLOOR), share)
    out["disc_sd"] = disc
    return out


def transform(table: pd.DataFrame, values: np.ndarray) -> np.ndarray:
    """Simulated values (last axis = the table's rows) on the comparison scale."""
    values = np.asarray(values, dtype=float)
    logged = np.log(np.maximum(values, LOG_FLOOR))
    return np.where(table["transform"].to_numpy() == "log", logged, values)


def bounds(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The observed interval on the comparison scale (the log of a bound <= 0 is -inf)."""
    is_log = table["transform"].to_numpy() == "log"
    low, high = table["low"].to_numpy(float), table["high"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(is_log, np.log(np.where(low > 0, low, 1.0)), low)
        hi = np.where(is_log, np.log(np.where(high > 0, high, 1.0)), high)
    lo = np.where(is_log & (low <= 0), -np.inf, lo)
    return lo, hi


def censored_log_likelihood(
    mean: np.ndarray, sd: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """Log-likelihood of censored Gaussian observations, per point (summed over the last axis).

    An exact observation (``lo == hi``) contributes ``log N(lo; mean, sd)``; an interval
    ``log P(lo <= Y <= hi)`` for ``Y ~ N(mean, sd)``, computed in the dominant tail so that it
    stays finite far from the interval.
    """
    exact = lo == hi
    dens = norm.logpdf(lo, mean, sd)
    a, b = (lo - mean) / sd, (hi - mean) / sd
    upper = np.where(a > 0, norm.logsf(a), norm.logcdf(b))  # the tail that dominates
    other = np.where(a > 0, norm.logsf(b), norm.logcdf(a))
    with np.errstate(divide="ignore", invalid="ignore"):
        prob = upper + np.log1p(-np.exp(np.minimum(other - upper, 0.0)))
    return np.where(exact, dens, prob).sum(axis=-1)


def log_likelihood(table: pd.DataFrame, sim: np.ndarray) -> np.ndarray:
    """Log-likelihood of simulated values ``(..., n_obs)`` (KPI units) given the observations."""
    lo, hi = bounds(table)
    sd = np.sqrt(table["obs_sd"].to_numpy() ** 2 + table["disc_sd"].to_numpy() ** 2)
    return censored_log_likelihood(transform(table, sim), sd, lo, hi)


def effective_sample_size(log_weights: np.ndarray) -> float:
    """Kish's effective sample size of importance weights given on the log scale."""
    w = np.exp(log_weights - np.max(log_weights))
    return float(w.sum() ** 2 / (w**2).sum())


def systematic_resample(log_weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n`` draws by systematic resampling with the given log weights."""
    w = np.exp(log_weights - np.max(log_weights))
    cum = np.cumsum(w / w.sum())
    cum[-1] = 1.0
    positions = (rng.random() + np.arange(n)) / n
    return np.searchsorted(cum, positions)
