"""Reachability of targets over an ensemble, with binomial confidence intervals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from scipy.stats import binomtest

from sim.config import ConfigError, TargetSpec

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


def format_table(
    reach: pd.DataFrame, observed_through: int | None = None, outlook_note: str = ""
) -> str:
    """The reachability table as aligned text for the terminal.

    Args:
        reach: The table of :func:`reachability`.
        observed_through: The last year the region has reported: rows up to it come first
            under a "reported years" line, the later rows (the outlook) under an "outlook" line
            (default: one block in the table's order).
        outlook_note: What the outlook's P(reached) is conditioned on (printed on its line).
    """
    lines = [
        f"{'target':<38} {'year':>4} {'threshold':>11} {'median':>11} {'p5 - p95':>25} "
        f"{'P(reached)':>10} {'95% CI':>13}"
    ]
    if observed_through is None or reach.empty:
        return "\n".join(lines + [_reach_row(r) for r in reach.itertuples()])
    past, outlook = reach[reach.year <= observed_through], reach[reach.year > observed_through]
    if len(past):
        lines.append(
            f"-- reported years (through {observed_through}): P(reached) of this ensemble; the "
            "city's figures are under Reported outcomes below"
        )
        lines += [_reach_row(r) for r in past.itertuples()]
    if len(outlook):
        first, last = int(outlook.year.min()), int(outlook.year.max())
        years = str(first) if first == last else f"{first}-{last}"
        lines.append(f"-- outlook {years}: {outlook_note or 'P(reached)'}")
        lines += [_reach_row(r) for r in outlook.itertuples()]
    return "\n".join(lines)


def _reach_row(r) -> str:
    band = f"{_num(r.p05)} - {_num(r.p95)}"
    return (
        f"{r.target:<38} {r.year:>4} {_num(r.threshold):>11} {_num(r.median):>11} {band:>25} "
        f"{r.probability:>10.2f} {f'{r.ci_low:.2f}-{r.ci_high:.2f}':>13}"
    )


def _num(x: float) -> str:
    if abs(x) >= 1e5:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.2f}"


NOT_REPORTED = "not reported"
"""Status of a target whose year has been reported but not its KPI."""

TRACK_RECORD_COLUMNS = (
    "origin",
    "target",
    "year",
    "probability",
    "ci_low",
    "ci_high",
    "replicates",
)
"""Columns of a region's track-record file (``region.track_record_file``)."""

OUTCOME_COLUMNS = (
    "target",
    "kpi",
    "year",
    "threshold",
    "observed",
    "value",
    "low",
    "high",
    "kind",
    "status",
    "source",
    "origin",
    "p_from_origin",
    "p_ci_low",
    "p_ci_high",
    "p_replicates",
)
"""Columns of ``outcomes.csv`` (:func:`observed_outcomes`)."""


def outcome_status(low: float, high: float, threshold: float) -> str:
    """``met``, ``missed`` or ``open`` (the published interval straddles the threshold)."""
    if low >= threshold:
        return "met"
    if high < threshold:
        return "missed"
    return "open"


def read_track_record(path: Path) -> pd.DataFrame:
    """A region's back-test probabilities (:data:`TRACK_RECORD_COLUMNS`, extra columns kept).

    Raises:
        ConfigError: the file is unreadable, lacks a column or holds a non-number (one line).
    """
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ConfigError(
            f"region.track_record_file {path.name} is not a readable CSV: {err}"
        ) from err
    missing = [c for c in TRACK_RECORD_COLUMNS if c not in table.columns]
    if missing:
        raise ConfigError(f"region.track_record_file {path.name} lacks the columns {missing}")
    numbers = [c for c in TRACK_RECORD_COLUMNS if c != "target"]
    if table[numbers].apply(pd.to_numeric, errors="coerce").isna().any().any():
        raise ConfigError(
            f"region.track_record_file {path.name}: {numbers} must be numbers in every row"
        )
    return table


def observed_text(kind: str, value: float, low: float, high: float) -> str:
    """An observation as text: ``8,500``, ``>= 8,500``, ``<= 35`` or ``3,823 - 4,336``."""
    if kind == "exact":
        return _figure(value)
    if kind == "lower":
        return f">= {_figure(low)}"
    if kind == "upper":
        return f"<= {_figure(high)}"
    return f"{_figure(low)} - {_figure(high)}"


def _figure(x: float) -> str:
    """A published figure: whole numbers as counts (``3,400``), others as :func:`_num`."""
    return f"{x:,.0f}" if x == round(x) else _num(x)


def observed_outcomes(
    targets: list[TargetSpec],
    observed: pd.DataFrame,
    from_origin: pd.DataFrame | None = None,
    origin: int | None = None,
) -> pd.DataFrame:
    """Targets of the reported years: the observation, met / missed / open, and its source.

    Args:
        targets: Target specs.
        observed: Tidy observations (``sim.observations.load_observed``); its last year is the
            last reported year.
        from_origin: Optional track record (``origin, target, year, probability, ci_low,
            ci_high, replicates``): P(reached) as the model gave it from an earlier origin.
        origin: The origin whose probabilities are shown (rows of other origins are ignored).

    Returns:
        :data:`OUTCOME_COLUMNS`, one row per target whose year is at most the last observed
        year; a target whose KPI was not reported that year has status ``not reported``. The
        ``p_*`` columns are NaN where the track record has no row.
    """
    if observed.empty:
        return pd.DataFrame(columns=list(OUTCOME_COLUMNS))
    last = int(observed["year"].max())
    record = _origin_rows(from_origin, origin)
    rows = []
    for t in targets:
        if t.year > last:
            continue
        sel = observed[(observed["kpi"] == t.kpi) & (observed["year"] == t.year)]
        row = {"target": t.id, "kpi": t.kpi, "year": t.year, "threshold": t.threshold}
        if sel.empty:
            row.update(observed="-", status=NOT_REPORTED, source="")
        else:
            r = sel.iloc[0]
            low, high, value = float(r["low"]), float(r["high"]), float(r["value"])
            row.update(
                observed=observed_text(r["kind"], value, low, high),
                value=value,
                low=low,
                high=high,
                kind=r["kind"],
                status=outcome_status(low, high, t.threshold),
                source=str(r.get("source_url", "")),
            )
        hit = record[(record["target"] == t.id) & (record["year"] == t.year)]
        row["origin"] = origin
        if len(hit):
            h = hit.iloc[0]
            row.update(
                p_from_origin=float(h["probability"]),
                p_ci_low=float(h["ci_low"]),
                p_ci_high=float(h["ci_high"]),
                p_replicates=int(h["replicates"]),
            )
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=list(OUTCOME_COLUMNS))


def _origin_rows(record: pd.DataFrame | None, origin: int | None) -> pd.DataFrame:
    if record is None:
        return pd.DataFrame(columns=list(TRACK_RECORD_COLUMNS))
    if origin is None or "origin" not in record.columns:
        return record
    return record[record["origin"] == origin]


def format_outcomes(outcomes: pd.DataFrame, origin: int | None = None) -> str:
    """The reported targets as aligned text: observation, status, the model's earlier P, source.

    Args:
        outcomes: The table of :func:`observed_outcomes`.
        origin: The origin year of the ``p_from_origin`` column (its heading).
    """
    p_head = f"P from {origin}" if origin is not None else "P earlier"
    lines = [
        f"{'target':<38} {'year':>4} {'threshold':>11} {'observed':>17} {'status':>12} "
        f"{p_head:>11} {'95% CI':>11}  source"
    ]
    for r in outcomes.itertuples():
        p = r.p_from_origin
        known = isinstance(p, float | int) and p == p
        prob = f"{p:.2f}" if known else "n/a"
        ci = f"{r.p_ci_low:.2f}-{r.p_ci_high:.2f}" if known else ""
        line = (
            f"{r.target:<38} {r.year:>4} {_num(r.threshold):>11} {r.observed:>17} "
            f"{r.status:>12} {prob:>11} {ci:>11}  {_first_source(r.source)}"
        )
        lines.append(line.rstrip())
    return "\n".join(lines)


def _first_source(source: object) -> str:
    """The first of ``" | "``-joined sources, with how many more there are."""
    parts = [p for p in str(source or "").split(" | ") if p and p != "nan"]
    if not parts:
        return ""
    return parts[0] + (f" (+{len(parts) - 1} more)" if len(parts) > 1 else "")
