"""Scoring rules for probabilistic back-tests: CRPS, interval score, coverage, PIT, naive baselines.

Pure, vectorised functions (numpy arrays in, arrays out). The ensemble axis is the last axis.
References: Gneiting, T. & Raftery, A. E. (2007), "Strictly proper scoring rules, prediction, and
estimation", JASA 102(477):359-378 (CRPS in its energy form, eq. 20-21; the interval score,
section 6.2); Gneiting, Balabdaoui & Raftery (2007), "Probabilistic forecasts, calibration and
sharpness", JRSS B 69(2):243-268 (PIT histograms; the randomised PIT for discrete forecasts).

Interval and bound observations (``low < high``, one end possibly infinite) are scored at the
point of the observed interval most favourable to the forecast, ``y* = clip(centre, low, high)``
with ``centre`` the forecast's median (the point forecast of a naive forecaster): a forecast
whose median lies inside the published interval is scored as if the truth were its median. The
same rule applies to the model and to the naive forecasters, so skill comparisons are fair;
scores of interval observations are therefore lower bounds of the scores under any truth inside
the interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""Quantiles reported per point: the 90 % band (5-95), the 50 % band (25-75) and the median."""


def crps_ensemble(ensemble: np.ndarray, y: np.ndarray) -> np.ndarray:
    """CRPS of an ensemble (its empirical distribution) at observations ``y``.

    Energy form (Gneiting & Raftery 2007, eq. 20): ``CRPS(F, y) = E|X - y| - 0.5 E|X - X'|``
    with ``X, X'`` independent draws from the ensemble's empirical distribution. ``E|X - X'|``
    is computed from the sorted members in O(m log m):
    ``E|X - X'| = 2 / m^2 * sum_i (2 i - m - 1) x_(i)``, i = 1..m.

    Args:
        ensemble: Members along the last axis, shape ``(..., m)``.
        y: Observations, shape ``(...)`` (broadcast against the leading axes).

    Returns:
        CRPS per observation, in the unit of ``y``; 0 for a perfect point forecast, the absolute
        error for a one-member ensemble.
    """
    x = np.sort(np.asarray(ensemble, dtype=float), axis=-1)
    y = np.asarray(y, dtype=float)
    m = x.shape[-1]
    abs_error = np.abs(x - y[..., None]).mean(axis=-1)
    weights = 2.0 * np.arange(1, m + 1) - m - 1
    spread = 2.0 / m**2 * (x * weights).sum(axis=-1)
    return abs_error - 0.5 * spread


def crps_point(forecast: np.ndarray, y: np.ndarray) -> np.ndarray:
    """CRPS of a point forecast (a one-member ensemble): the absolute error ``|forecast - y|``.

    Gneiting & Raftery (2007): the CRPS reduces to the absolute error for a deterministic
    forecast, so point and ensemble forecasts are compared on one scale.
    """
    return np.abs(np.asarray(forecast, dtype=float) - np.asarray(y, dtype=float))


def interval_score(lower: np.ndarray, upper: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """Interval score of a central ``(1 - alpha)`` prediction interval ``[lower, upper]``.

    Gneiting & Raftery (2007, section 6.2):
    ``IS_alpha(l, u; y) = (u - l) + 2/alpha (l - y) 1{y < l} + 2/alpha (y - u) 1{y > u}``;
    the width rewards sharpness, the penalty a miss. Lower is better.

    Args:
        lower: Lower end of the band (e.g. the 5 % quantile for alpha = 0.1).
        upper: Upper end of the band.
        y: Observations.
        alpha: One minus the band's nominal coverage (0.1 for 90 %, 0.5 for 50 %).

    Returns:
        The score per observation.
    """
    lo, hi, y = (np.asarray(a, dtype=float) for a in (lower, upper, y))
    below = np.where(y < lo, lo - y, 0.0)
    above = np.where(y > hi, y - hi, 0.0)
    return (hi - lo) + 2.0 / alpha * (below + above)


def band_hit(
    band_low: np.ndarray, band_high: np.ndarray, obs_low: np.ndarray, obs_high: np.ndarray
) -> np.ndarray:
    """Whether an observation lies inside a band: its interval overlaps ``[band_low, band_high]``.

    An exact value counts when it lies in the band; a range when it overlaps the band; a lower
    bound (``obs_high = +inf``) when the band reaches past it (``band_high >= obs_low``); an
    upper bound (``obs_low = -inf``) when ``band_low <= obs_high``. Coverage as in Gneiting,
    Balabdaoui & Raftery (2007): the share of hits should match the band's nominal level.
    """
    bl, bh, ol, oh = (np.asarray(a, dtype=float) for a in (band_low, band_high, obs_low, obs_high))
    return (oh >= bl) & (ol <= bh)


def favourable_point(centre: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The point of each observed interval most favourable to a forecast: ``clip(centre)``.

    For an exact observation (``low == high``) this is the observation itself. See the module
    docstring for why (Gneiting & Raftery 2007 score points, not intervals).
    """
    return np.clip(np.asarray(centre, dtype=float), low, high)


def pit(
    ensemble: np.ndarray, low: np.ndarray, high: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Randomised probability integral transform of observations under an ensemble.

    ``PIT = F(low-) + U * (F(high) - F(low-))`` with ``U ~ Uniform(0, 1)``, ``F(low-)`` the
    share of members below ``low`` and ``F(high)`` the share at or below ``high``. For an exact
    value of a continuous ensemble this is ``F(y)``; ties (count KPIs) and interval observations
    get a uniform draw over the ensemble's probability of the observed set, the randomised PIT
    of Gneiting, Balabdaoui & Raftery (2007), which is uniform for a calibrated forecast.

    Args:
        ensemble: Members along the last axis, shape ``(..., m)``.
        low: Low ends of the observations (``-inf`` for upper bounds).
        high: High ends (equal to ``low`` for exact values, ``+inf`` for lower bounds).
        rng: Random generator (a fixed seed makes the histogram reproducible).

    Returns:
        PIT values in [0, 1].
    """
    x = np.asarray(ensemble, dtype=float)
    lo = np.asarray(low, dtype=float)[..., None]
    hi = np.asarray(high, dtype=float)[..., None]
    f_below = (x < lo).mean(axis=-1)
    f_upto = (x <= hi).mean(axis=-1)
    u = rng.uniform(size=f_below.shape)
    return f_below + u * (f_upto - f_below)


def naive_forecasts(
    years: np.ndarray, values: np.ndarray, target_years: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Trend and persistence forecasts of one series from its observations up to an origin.

    Persistence: the last observed value. Trend: the compound growth between the last two
    observations, ``g = (v2 / v1) ** (1 / (t2 - t1)) - 1``, extrapolated from the last one,
    ``v2 (1 + g) ** (target - t2)``; with one observation, or when a value is not positive, the
    trend falls back to persistence. Without observations both are NaN (no naive score).

    Args:
        years: Years of the observations available at the origin (any order).
        values: Their values (the combined value of intervals: midpoint or bound).
        target_years: Years to forecast.

    Returns:
        ``(trend, persistence)`` arrays shaped like ``target_years``.
    """
    years = np.asarray(years, dtype=float)
    values = np.asarray(values, dtype=float)
    target = np.asarray(target_years, dtype=float)
    if years.size == 0:
        nan = np.full(target.shape, np.nan)
        return nan, nan.copy()
    order = np.argsort(years, kind="stable")
    years, values = years[order], values[order]
    last_year, last = years[-1], values[-1]
    persistence = np.full(target.shape, last)
    if years.size < 2 or values[-2] <= 0 or last <= 0 or years[-1] == years[-2]:
        return persistence.copy(), persistence
    growth = (last / values[-2]) ** (1.0 / (last_year - years[-2]))
    return last * growth ** (target - last_year), persistence


def skill(model: np.ndarray, naive: np.ndarray) -> float:
    """CRPS skill ``1 - sum(model) / sum(naive)`` over the points both forecasters scored.

    Positive: the model beats the naive forecaster; 0: as good; negative: worse. NaN without
    common points; ``-inf`` when the naive forecaster is perfect and the model is not.
    """
    model, naive = np.asarray(model, dtype=float), np.asarray(naive, dtype=float)
    both = np.isfinite(model) & np.isfinite(naive)
    if not both.any():
        return float("nan")
    m, n = model[both].sum(), naive[both].sum()
    if n == 0:
        return 0.0 if m == 0 else float("-inf")
    return float(1.0 - m / n)


def score_points(
    ensemble: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    trend: np.ndarray,
    persistence: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Every score of a set of observations against their ensembles and naive forecasts.

    Args:
        ensemble: Shape ``(points, members)``: the projected KPI of each point's year.
        low: Low end of each observation (``value`` for exact values, ``-inf`` if open).
        high: High end (``+inf`` if open).
        trend: Naive trend forecast per point (NaN when unavailable).
        persistence: Naive persistence forecast per point.
        rng: Generator of the randomised PIT.

    Returns:
        One row per point: ``p05 p25 p50 p75 p95 in50 in90 y_star crps is50 is90 pit
        y_star_trend y_star_persistence crps_trend crps_persistence``.
    """
    ens = np.asarray(ensemble, dtype=float)
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    q = np.quantile(ens, QUANTILES, axis=-1)
    p05, p25, p50, p75, p95 = q
    y_star = favourable_point(p50, low, high)
    y_trend = favourable_point(trend, low, high)
    y_pers = favourable_point(persistence, low, high)
    return pd.DataFrame(
        {
            "p05": p05,
            "p25": p25,
            "p50": p50,
            "p75": p75,
            "p95": p95,
            "in50": band_hit(p25, p75, low, high),
            "in90": band_hit(p05, p95, low, high),
            "y_star": y_star,
            "crps": crps_ensemble(ens, y_star),
            "is50": interval_score(p25, p75, y_star, 0.5),
            "is90": interval_score(p05, p95, y_star, 0.1),
            "pit": pit(ens, low, high, rng),
            "y_star_trend": y_trend,
            "y_star_persistence": y_pers,
            "crps_trend": crps_point(trend, y_trend),
            "crps_persistence": crps_point(persistence, y_pers),
        }
    )


def _row(g: pd.DataFrame, scaled: bool) -> dict:
    """Summary of a group of scored points; ``scaled`` divides CRPS by ``|y*|`` (pooling)."""
    scale = g["y_star"].abs().where(g["y_star"].abs() > 0) if scaled else 1.0
    crps = g["crps"] / scale
    trend = g["crps_trend"] / scale
    pers = g["crps_persistence"] / scale
    value = g["value"].abs().where(g["value"].abs() > 0)
    naive = trend.notna() & crps.notna()  # trend and persistence exist for the same points
    return {
        "points": len(g),
        "coverage50": float(g["in50"].mean()),
        "coverage90": float(g["in90"].mean()),
        "median_width50_share": float(((g["p75"] - g["p25"]) / value).median()),
        "median_width90_share": float(((g["p95"] - g["p05"]) / value).median()),
        "crps": float(crps.sum()),
        "points_naive": int(naive.sum()),
        "crps_naive_points": float(crps[naive].sum()),
        "crps_trend": float(trend[naive].sum()),
        "crps_persistence": float(pers[naive & pers.notna()].sum()),
        "skill_trend": skill(crps.to_numpy(), trend.to_numpy()),
        "skill_persistence": skill(crps.to_numpy(), pers.to_numpy()),
    }


def summarise(scorecard: pd.DataFrame) -> pd.DataFrame:
    """Per KPI and pooled: points, coverage50/90, median band widths, CRPS and skills.

    Per KPI, ``crps`` sums the model's CRPS over all its points (in the KPI's unit);
    ``crps_naive_points``, ``crps_trend`` and ``crps_persistence`` sum the model's and the naive
    forecasters' CRPS over the ``points_naive`` points with observations up to the origin (no
    naive forecast without them), and the skill is ``1 - CRPS_model / CRPS_naive`` there. The
    ``pooled`` row sums CRPS scaled by ``|y*|`` (relative errors), so KPIs of different units
    pool; its coverage is over all points. ``beats_both`` marks KPIs whose CRPS is better than
    both naive forecasters; the pooled row's ``share_beating_both`` is the share of such KPIs
    among those with both skills (its ``beats_both``: that share is at least two thirds).

    Args:
        scorecard: Scored points with ``kpi, value, p05..p95, in50, in90, y_star, crps,
            crps_trend, crps_persistence``.

    Returns:
        One row per KPI (sorted) and a last row ``kpi = "pooled"``.
    """
    rows = []
    for kpi, g in scorecard.groupby("kpi", sort=True):
        row = {"kpi": kpi, **_row(g, scaled=False)}
        both = np.isfinite([row["skill_trend"], row["skill_persistence"]]).all()
        row["beats_both"] = bool(both and row["skill_trend"] > 0 and row["skill_persistence"] > 0)
        row["has_skills"] = bool(both)
        rows.append(row)
    table = pd.DataFrame(rows)
    pooled = {"kpi": "pooled", **_row(scorecard, scaled=True)}
    with_skills = table[table["has_skills"]] if len(table) else table
    share = float(with_skills["beats_both"].mean()) if len(with_skills) else float("nan")
    pooled["beats_both"] = bool(share >= 2 / 3)
    pooled["share_beating_both"] = share
    table = pd.concat([table.drop(columns="has_skills"), pd.DataFrame([pooled])])
    return table.reset_index(drop=True)
