"""Reachability of targets over an ensemble, with binomial confidence intervals."""

from __future__ import annotations

import pandas as pd
from scipy.stats import binomtest

from sim.config import TargetSpec

QUANTILES = {"p05": 0.05, "p50": 0.5, "p95": 0.95}


def summary(kpis: pd.DataFrame) -> pd.DataFrame:
    """Per year and KPI: mean and the 5th, 50th and 95th percentiles over replicates."""
    g = kpis.groupby(["year", "kpi"])["value"]
    out = g.mean().rename("mean").to_frame()
    for name, q in QUANTILES.items():
        out[name] = g.quantile(q)
    return out.reset_index()


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion."""
    ci = binomtest(successes, n).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


def reachability(kpis: pd.DataFrame, targets: list[TargetSpec]) -> pd.DataFrame:
    """P(KPI >= threshold in the target year) per target, with a 95 % Wilson interval.

    Args:
        kpis: Tidy KPIs (replicate, year, kpi, value).
        targets: Target specs; targets after the simulated horizon are skipped.

    Returns:
        One row per target and year: target, year, threshold, probability, ci_low, ci_high,
        replicates, median, p05, p95, kind, label.
    """
    rows = []
    for t in targets:
        values = kpis[(kpis["kpi"] == t.kpi) & (kpis["year"] == t.year)]["value"]
        n = len(values)
        if n == 0:
            continue
        k = int((values >= t.threshold).sum())
        lo, hi = wilson_interval(k, n)
        rows.append(
            {
                "target": t.id,
                "year": t.year,
                "threshold": t.threshold,
                "probability": k / n,
                "ci_low": lo,
                "ci_high": hi,
                "replicates": n,
                "median": float(values.median()),
                "p05": float(values.quantile(0.05)),
                "p95": float(values.quantile(0.95)),
                "kind": t.kind,
                "label": t.label,
            }
        )
    return pd.DataFrame(rows)


def format_table(reach: pd.DataFrame) -> str:
    """The reachability table as aligned text for the terminal."""
    lines = [
        f"{'target':<38} {'year':>4} {'threshold':>11} {'median':>11} {'p5 - p95':>25} "
        f"{'P(reached)':>10} {'95% CI':>13}"
    ]
    for r in reach.itertuples():
        band = f"{_num(r.p05)} - {_num(r.p95)}"
        lines.append(
            f"{r.target:<38} {r.year:>4} {_num(r.threshold):>11} {_num(r.median):>11} {band:>25} "
            f"{r.probability:>10.2f} {f'{r.ci_low:.2f}-{r.ci_high:.2f}':>13}"
        )
    return "\n".join(lines)


def _num(x: float) -> str:
    if abs(x) >= 1e5:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.2f}"
