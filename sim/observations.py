"""Observed values of a region with their kinds: the one loader for calibration, validation, plots.

A region's observed file (``conf/region/<region>_observed.csv``) holds one row per published figure:

    kpi, year, published, factor, value, low, high, kind, unit, indicator, source_url, quote,
    confidence, note

``published`` is the figure as the source printed it, in the row's ``unit``; ``factor`` converts
that unit to the KPI's unit (``sim.kpis.KPI_UNITS``, e.g. 1e4 for "10k persons" -> persons).
``value, low, high, kind`` are derived from ``published`` x ``factor`` by :func:`parse_published`
(``python -m sim.observations <file> --write`` fills them in; the loader refuses a file where they
disagree with ``published``). The rule:

- ``"3,400+"``, ``">300"``, ``">=13"``, ``"over 3 million"``, ``"8500余"``, ``"突破6600"``,
  ``"以上"``, ``"at least"``, ``"more than"`` -> **lower** bound: ``low = value``, ``high = +inf``;
- ``"<5"``, ``"<=5"``, ``"under"``, ``"below"``, ``"less than"``, ``"at most"``, ``"以下"``,
  ``"不足"`` -> **upper** bound: ``low = -inf``, ``high = value``;
- ``"130-239"`` (also ``–``, ``—``, ``~`` or ``to`` between two numbers) -> **range**
  ``[130, 239]``, ``value`` = midpoint;
- ``"~6400"``, ``"about"``, ``"around"``, ``"approx."``, ``"约"``, ``"左右"`` -> **range** of
  +-5 % (:data:`APPROX_SHARE`) around the number;
- a plain number -> **exact** (``low = high = value``).

Thousands separators are dropped; the multipliers 万 (1e4), 亿 (1e8), thousand, million, billion
and trillion apply to the number they follow. Text without a number is refused.

Several rows for the same ``kpi`` and ``year`` (sources that agree or conflict) are combined by
:func:`combine`: the intervals ``[low, high]`` of all rows are intersected (consistent bounds and
exact values narrow each other: ``12000`` and ``>12000`` give exact 12000); when the intersection
is empty, the sources conflict and the combined observation is the **range** from the smallest to
the largest finite end point (exact 6588 and ">6600" give the range 6588-6600). The combined row
keeps every indicator and source (joined with ``" | "``) and the lowest confidence.

Files without a ``kpi`` column (the older ``indicator, year, value, ...`` layout) are read through
a series mapping ``indicator -> (kpi, factor)`` (``calibration.series``), their ``value`` column
taken as the published text.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config import KPI_IDS, ConfigError

CONF_REGION = Path(__file__).resolve().parent.parent / "conf" / "region"

KINDS = ("exact", "range", "lower", "upper")
APPROX_SHARE = 0.05
"""Half-width of the range given to an approximate figure ("~6400", "about"), as a share."""

CONFIDENCE_ORDER = ("low", "medium", "high")

COLUMNS = (
    "kpi",
    "year",
    "published",
    "factor",
    "value",
    "low",
    "high",
    "kind",
    "unit",
    "indicator",
    "source_url",
    "quote",
    "confidence",
    "note",
)
DERIVED = ("value", "low", "high", "kind")
TIDY = (
    "kpi",
    "year",
    "value",
    "low",
    "high",
    "kind",
    "indicator",
    "source_url",
    "confidence",
    "sources",
)

_LOWER = (
    r"\+\s*$",
    r"^\s*(?:>=?|≥|＞)",
    r"\bover\b",
    r"\bmore than\b",
    r"\babove\b",
    r"\bat least\b",
    r"\bexceed",
    "余",
    "多",
    "突破",
    "超过",
    "以上",
    "逾",
)
_UPPER = (
    r"^\s*(?:<=?|≤|＜)",
    r"\bunder\b",
    r"\bbelow\b",
    r"\bless than\b",
    r"\bat most\b",
    r"\bup to\b",
    "以下",
    "不足",
    "不到",
)
_APPROX = (
    r"^\s*[~～≈]",
    r"\babout\b",
    r"\baround\b",
    r"\bapprox",
    r"\bcirca\b",
    r"\bc\.\s",
    "约",
    "左右",
)
_MULTIPLIERS = {
    "万": 1e4,
    "亿": 1e8,
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
}
_NUMBER = r"(\d+(?:\.\d+)?)"
_MULT = r"\s*(万|亿|thousand|million|billion|trillion)?"
_RANGE = re.compile(_NUMBER + _MULT + r"\s*(?:-|–|—|~|～|to|至|到)\s*" + _NUMBER + _MULT)
_ONE = re.compile(r"(-)?" + _NUMBER + _MULT)


@dataclass(frozen=True)
class Parsed:
    """An observation read from published text: central value, interval and kind."""

    value: float
    low: float
    high: float
    kind: str


def _has(patterns: Iterable[str], text: str) -> bool:
    return any(re.search(p, text, flags=re.IGNORECASE) for p in patterns)


def _normalise(text: str) -> str:
    text = str(text).strip()
    text = text.replace("，", ",").replace("．", ".")
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # thousands separators


def _number(digits: str, word: str | None) -> float:
    return float(digits) * _MULTIPLIERS.get((word or "").lower(), 1.0)


def parse_published(text: object, factor: float = 1.0) -> Parsed:
    """Read a published figure ("3,400+", ">300", "~6400", "130-239", "1.2万") into an interval.

    Args:
        text: The figure as published (see the module docstring for the rule).
        factor: Multiplies every number (converts the published unit to the KPI's unit).

    Returns:
        ``Parsed(value, low, high, kind)`` with ``kind`` one of ``exact``, ``range``, ``lower``,
        ``upper``; open ends are ``-inf`` / ``+inf``.

    Raises:
        ValueError: no number in the text, a reversed range, or both bound markers.
    """
    raw = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    norm = _normalise(raw)
    if not norm:
        raise ValueError("empty published value")
    rng = _RANGE.search(norm)
    if rng:
        a = _number(rng.group(1), rng.group(2) or rng.group(4)) * factor
        b = _number(rng.group(3), rng.group(4) or rng.group(2)) * factor
        if a > b:
            raise ValueError(f"range {raw!r} has its low end above its high end")
        return Parsed((a + b) / 2, a, b, "range")
    one = _ONE.search(norm)
    if not one:
        raise ValueError(f"no number in {raw!r}")
    sign = -1.0 if one.group(1) and one.start() == 0 else 1.0
    v = sign * _number(one.group(2), one.group(3)) * factor
    lower, upper = _has(_LOWER, norm), _has(_UPPER, norm)
    if lower and upper:
        raise ValueError(f"{raw!r} reads as both a lower and an upper bound")
    if lower:
        return Parsed(v, v, math.inf, "lower")
    if upper:
        return Parsed(v, -math.inf, v, "upper")
    if _has(_APPROX, norm):
        lo, hi = sorted((v * (1 - APPROX_SHARE), v * (1 + APPROX_SHARE)))
        return Parsed(v, lo, hi, "range")
    return Parsed(v, v, v, "exact")


def observed_path(name: str) -> Path:
    """An observed file by name (in ``conf/region/``) or by absolute path."""
    path = Path(name)
    return path if path.is_absolute() else CONF_REGION / name


def derive(raw: pd.DataFrame) -> pd.DataFrame:
    """``raw`` with ``value, low, high, kind`` computed from ``published`` x ``factor``.

    Raises:
        ConfigError: a row whose published text cannot be read (names the row).
    """
    out = raw.copy()
    parsed = []
    for i, r in enumerate(out.itertuples(index=False), start=2):  # line 1 is the header
        try:
            parsed.append(parse_published(r.published, float(r.factor)))
        except ValueError as err:
            raise ConfigError(f"line {i} ({r.kpi} {r.year}): {err}") from err
    out["value"] = [p.value for p in parsed]
    out["low"] = [p.low for p in parsed]
    out["high"] = [p.high for p in parsed]
    out["kind"] = [p.kind for p in parsed]
    return out


def _legacy(raw: pd.DataFrame, series, name: str) -> pd.DataFrame:
    """Older layout (indicator, year, value, ...) mapped through ``indicator -> kpi, factor``."""
    if not series:
        raise ConfigError(f"{name} has no 'kpi' column and no calibration.series maps it")
    rows = []
    for spec in series:
        sel = raw[raw["indicator"] == spec.indicator]
        if sel.empty:
            raise ConfigError(f"{name}: no rows for calibration series {spec.indicator!r}")
        sel = sel.assign(kpi=spec.kpi, factor=spec.factor, published=sel["value"].astype(str))
        rows.append(sel[pd.to_numeric(sel["year"], errors="coerce").notna()])
    return pd.concat(rows, ignore_index=True)


def read_observed(path: Path, series=None, check_derived: bool = True) -> pd.DataFrame:
    """Every row of an observed file, checked, with derived columns (one row per source).

    Args:
        path: The observed CSV.
        series: ``indicator -> kpi`` mapping for files without a ``kpi`` column (legacy).
        check_derived: Refuse a file whose ``value, low, high, kind`` disagree with
            ``published`` (off when the columns are being (re)written).

    Returns:
        Rows with every column of :data:`COLUMNS`; ``year`` int, open ends +-inf.

    Raises:
        ConfigError: missing file, missing column, unknown KPI, unreadable value or year, or
            derived columns that disagree with the published text (one line).
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"observed file {path.name!r} not found in {path.parent}")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path.name} is not a readable CSV: {err}") from err
    if "kpi" not in raw.columns:
        raw = _legacy(raw, series, path.name)
    missing = [c for c in ("kpi", "year", "published") if c not in raw.columns]
    if missing:
        raise ConfigError(f"{path.name} lacks the columns {missing}")
    for col in COLUMNS:
        if col not in raw.columns:
            raw[col] = "1" if col == "factor" else ""
    raw["factor"] = raw["factor"].replace("", "1")
    unknown = sorted(set(raw["kpi"]) - set(KPI_IDS))
    if unknown:
        raise ConfigError(f"{path.name}: kpi {unknown} not model KPIs; allowed: {list(KPI_IDS)}")
    years = pd.to_numeric(raw["year"], errors="coerce")
    if years.isna().any() or (years != years.round()).any():
        bad = raw.loc[years.isna() | (years != years.round()), "year"].tolist()
        raise ConfigError(f"{path.name}: years {bad} are not whole years")
    factor = pd.to_numeric(raw["factor"], errors="coerce")
    if factor.isna().any() or (factor <= 0).any():
        raise ConfigError(f"{path.name}: factor must be a positive number in every row")
    derived = derive(raw.assign(year=years.astype(int), factor=factor))
    if check_derived and all(raw[c].ne("").all() for c in DERIVED):
        _check_derived(raw, derived, path.name)
    return derived[list(COLUMNS)].reset_index(drop=True)


def _as_float(col: pd.Series, empty: float) -> np.ndarray:
    return pd.to_numeric(col.replace("", str(empty)), errors="coerce").to_numpy(float)


def _check_derived(raw: pd.DataFrame, derived: pd.DataFrame, name: str) -> None:
    for col, empty in (("value", math.nan), ("low", -math.inf), ("high", math.inf)):
        given, want = _as_float(raw[col], empty), derived[col].to_numpy(float)
        ok = np.isclose(given, want, rtol=1e-6, atol=1e-9) | (given == want)
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise ConfigError(
                f"{name} line {i + 2}: {col}={raw[col].iloc[i]!r} does not follow from published="
                f"{raw['published'].iloc[i]!r} x factor (want {want[i]:g}); run "
                f"`python -m sim.observations {name} --write`"
            )
    bad = raw["kind"].ne(derived["kind"])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ConfigError(
            f"{name} line {i + 2}: kind={raw['kind'].iloc[i]!r} but published="
            f"{raw['published'].iloc[i]!r} reads as {derived['kind'].iloc[i]!r}"
        )


def _kind(low: float, high: float) -> str:
    if low == high:
        return "exact"
    if math.isfinite(low) and math.isfinite(high):
        return "range"
    return "lower" if math.isfinite(low) else "upper"


def combine_intervals(lows: Iterable[float], highs: Iterable[float]) -> tuple[float, float]:
    """One interval from several sources: their intersection, or their hull when they conflict.

    Args:
        lows: Low ends (``-inf`` for upper bounds).
        highs: High ends (``+inf`` for lower bounds).

    Returns:
        ``(low, high)``: the intersection when it is not empty; otherwise the range from the
        smallest to the largest finite end point (the disagreement becomes the interval).
    """
    lows, highs = np.asarray(list(lows), float), np.asarray(list(highs), float)
    lo, hi = float(lows.max()), float(highs.min())
    if lo <= hi:
        return lo, hi
    ends = np.concatenate([lows, highs])
    ends = ends[np.isfinite(ends)]
    return float(ends.min()), float(ends.max())


def combine(rows: pd.DataFrame) -> pd.DataFrame:
    """One observation per ``kpi`` and ``year`` (see the module docstring for the rule).

    Returns:
        Columns of :data:`TIDY`: ``value`` is the exact value, the midpoint of a range, or the
        bound; ``sources`` counts the rows combined.
    """
    out = []
    for (kpi, year), g in rows.groupby(["kpi", "year"], sort=True):
        if len(g) == 1:
            r = g.iloc[0]
            lo, hi, kind, value = r["low"], r["high"], r["kind"], r["value"]
        else:
            lo, hi = combine_intervals(g["low"], g["high"])
            kind = _kind(lo, hi)
            value = {"exact": lo, "range": (lo + hi) / 2, "lower": lo, "upper": hi}[kind]
        conf = [c for c in g["confidence"] if c in CONFIDENCE_ORDER]
        out.append(
            {
                "kpi": kpi,
                "year": int(year),
                "value": float(value),
                "low": float(lo),
                "high": float(hi),
                "kind": kind,
                "indicator": " | ".join(dict.fromkeys(g["indicator"])),
                "source_url": " | ".join(dict.fromkeys(g["source_url"])),
                "confidence": min(conf, key=CONFIDENCE_ORDER.index) if conf else "low",
                "sources": len(g),
            }
        )
    return pd.DataFrame(out, columns=list(TIDY))


def load_observed(path: Path | str, kpis: Iterable[str] | None = None, series=None) -> pd.DataFrame:
    """The observations of a region: one tidy row per KPI and year, in KPI units.

    This is the one loader used by calibration (:func:`scenarios.calibrate.load_observations`),
    validation (``python -m scenarios.validate``) and the track-record plots.

    Args:
        path: Observed file (a name in ``conf/region/`` or an absolute path).
        kpis: Keep only these KPIs (default: all).
        series: ``indicator -> kpi`` mapping for legacy files without a ``kpi`` column.

    Returns:
        Columns ``kpi, year, value, low, high, kind, indicator, source_url, confidence, sources``
        sorted by KPI and year; open ends are +-inf.

    Raises:
        ConfigError: see :func:`read_observed`.
    """
    path = observed_path(str(path))
    rows = read_observed(path, series=series)
    if kpis is not None:
        rows = rows[rows["kpi"].isin(list(kpis))]
    return combine(rows).reset_index(drop=True)


def write_derived(path: Path) -> pd.DataFrame:
    """Recompute ``value, low, high, kind`` of an observed file from ``published`` (in place)."""
    rows = read_observed(path, check_derived=False)
    shown = rows.copy()
    for col in ("low", "high"):
        shown[col] = shown[col].map(lambda x: "" if not math.isfinite(x) else f"{x:.10g}")
    shown["value"] = shown["value"].map(lambda x: f"{x:.10g}")
    shown["factor"] = shown["factor"].map(lambda x: f"{x:g}")
    from sim.rundir import atomic_write

    atomic_write(Path(path), lambda p: shown.to_csv(p, index=False))
    return rows


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.observations <file> [--write]``: check an observed file, show it combined."""
    parser = argparse.ArgumentParser(prog="python -m sim.observations", description=main.__doc__)
    parser.add_argument("file", help="observed CSV (name in conf/region/ or a path)")
    parser.add_argument("--write", action="store_true", help="rewrite value, low, high, kind")
    args = parser.parse_args(argv)
    path = Path(args.file)
    path = path if path.exists() else observed_path(args.file)
    try:
        if args.write:
            write_derived(path)
        table = load_observed(path.resolve())
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    with pd.option_context("display.width", 160, "display.max_rows", 500):
        print(table.drop(columns=["source_url"]).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
