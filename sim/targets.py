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


def outcome_status(low: float, high: float, threshold: float) -> str:
    """``met``, ``missed`` or ``open`` (the published interval straddles the threshold)."""
    if low >= threshold:
        return "met"
    if high < threshold:
        return "missed"
    return "open"


def observed_outcomes(
    targets: list[TargetSpec], observed: pd.DataFrame, from_origin: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Targets whose year has been reported: the observation, met or missed, and its source.

    Args:
        targets: Target specs.
        observed: Tidy observations (``sim.observations.load_observed``).
        from_origin: Optional ``target, year, probability`` the model gave from an earlier origin
            (the validation's ``target_probabilities.csv``), shown beside the outcome.

    Returns:
        One row per target with an observation in its year: target, year, threshold, observed
        (published text or interval), status, source, and ``p_from_origin`` when given.
    """
    rows = []
    for t in targets:
        sel = observed[(observed["kpi"] == t.kpi) & (observed["year"] == t.year)]
        if sel.empty:
            continue
        r = sel.iloc[0]
        low, high = float(r["low"]), float(r["high"])
        if r["kind"] == "exact":
            text = f"{_num(float(r['value']))}"
        elif r["kind"] == "lower":
            text = f">= {_num(low)}"
        elif r["kind"] == "upper":
            text = f"<= {_num(high)}"
        else:
            text = f"{_num(low)} - {_num(high)}"
        row = {
            "target": t.id,
            "year": t.year,
            "threshold": t.threshold,
            "observed": text,
            "status": outcome_status(low, high, t.threshold),
            "source": str(r.get("source_url", "")),
        }
        if from_origin is not None:
            hit = from_origin[(from_origin["target"] == t.id) & (from_origin["year"] == t.year)]
            row["p_from_origin"] = float(hit["probability"].iloc[0]) if len(hit) else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def format_outcomes(outcomes: pd.DataFrame, origin: int | None = None) -> str:
    """The reported targets as aligned text: observation, met / missed, the model's earlier P."""
    head = f"{'target':<22} {'year':>4} {'threshold':>11} {'observed':>16} {'status':>7}"
    if origin is not None:
        head += f" {f'P from {origin}':>11}"
    lines = [head]
    for r in outcomes.itertuples():
        line = f"{r.target:<22} {r.year:>4} {_num(r.threshold):>11} {r.observed:>16} {r.status:>7}"
        if origin is not None:
            p = getattr(r, "p_from_origin", float("nan"))
            line += f" {('n/a' if p != p else f'{p:.2f}'):>11}"
        lines.append(line)
    return "\n".join(lines)
