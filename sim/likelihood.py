"""How likely a simulated path is given what a city reported: the observation model.

One observation model serves calibration (``scenarios/calibrate.py``) and the assimilation of the
record into the ensemble entering the projection years (:mod:`sim.assimilation`). On a
``log1p`` scale (``identity`` for KPIs that can be negative) the reported figure is the simulated
value plus noise with standard deviation ``sqrt(obs^2 + disc^2)``:

* ``obs`` is the observation error, a share of the value set by the source's confidence
  (:data:`OBSERVATION_SD`: high 5 %, medium 10 %, low 20 %);
* ``disc`` is the model discrepancy of the series (``calibration.discrepancy``, a share, per KPI
  with a default): what the model structure cannot reproduce even at the right parameters
  (Kennedy & O'Hagan 2001).

Published bounds and ranges are censored observations: an exact figure contributes the normal
density, a range ``[low, high]`` the probability ``P(low <= Y <= high)``, a lower bound
``P(Y >= low)``, an upper bound ``P(Y <= high)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

OBSERVATION_SD = {"high": 0.05, "medium": 0.10, "low": 0.20}
"""Observation error (share of the value) by the confidence of the source."""

IDENTITY_KPIS = frozenset({"rd_growth"})
"""KPIs compared on their own scale (they can be negative); all others on ``log1p``."""


def transform(kpi: str, values: np.ndarray) -> np.ndarray:
    """Values of ``kpi`` on the comparison scale (``log1p``, or as they are)."""
    values = np.asarray(values, dtype=float)
    if kpi in IDENTITY_KPIS:
        return values
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log1p(np.maximum(values, 0.0))


def noise_sd(obs: pd.DataFrame, discrepancy: dict[str, float]) -> np.ndarray:
    """Per observation: ``sqrt(obs^2 + disc^2)`` on the comparison scale.

    Args:
        obs: Observations with ``kpi`` and ``confidence`` columns.
        discrepancy: Discrepancy share by KPI; the key ``default`` applies to the others.
    """
    share = obs["confidence"].astype(str).str.strip().map(OBSERVATION_SD).fillna(0.2).to_numpy()
    default = float(discrepancy.get("default", 0.1))
    disc = np.array([float(discrepancy.get(k, default)) for k in obs["kpi"]])
    sd = np.sqrt(share**2 + disc**2)
    identity = obs["kpi"].isin(IDENTITY_KPIS).to_numpy()
    if identity.any():  # a share of the value on the KPI's own scale
        scale = np.abs(obs["value"].to_numpy(dtype=float))
        sd = np.where(identity, sd * np.maximum(scale, 1.0), sd)
    return sd


def log_likelihood(sim: np.ndarray, obs: pd.DataFrame, sd: np.ndarray) -> np.ndarray:
    """Log-likelihood of simulated values given censored observations.

    Args:
        sim: Simulated values, shape ``(..., n_obs)`` in KPI units, one column per row of ``obs``.
        obs: Observations (``kpi, low, high, kind``; bounds may be infinite).
        sd: Noise sd per observation on the comparison scale (:func:`noise_sd`), possibly with
            extra variance already added (e.g. an emulator's).

    Returns:
        The summed log-likelihood over observations, shape ``sim.shape[:-1]``.
    """
    sim = np.asarray(sim, dtype=float)
    total = np.zeros(sim.shape[:-1])
    for j, row in enumerate(obs.itertuples(index=False)):
        mu = transform(row.kpi, sim[..., j])
        lo = transform(row.kpi, np.array(row.low)) if np.isfinite(row.low) else -np.inf
        hi = transform(row.kpi, np.array(row.high)) if np.isfinite(row.high) else np.inf
        s = sd[j]
        if row.kind == "exact":
            total = total + norm.logpdf(lo, loc=mu, scale=s)
        else:
            upper = norm.cdf((hi - mu) / s) if np.isfinite(hi) else 1.0
            lower = norm.cdf((lo - mu) / s) if np.isfinite(lo) else 0.0
            total = total + np.log(np.maximum(upper - lower, 1e-300))
    return total


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
