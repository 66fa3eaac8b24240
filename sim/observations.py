"""Observed values of a region with their kinds: the one loader for calibration, validation, plots.

A region's observed file (``conf/region/<region>_observed.csv``) holds one row per published figure:

    kpi, year, published, factor, value, low, high, kind, unit, indicator, source_url, quote,
    confidence, note

``published`` is the figure as the source printed it, in the row's ``unit``; ``factor`` converts
that unit to the KPI's unit (``sim.kpis.KPI_UNITS``, e.g. 1e4 for "10k persons" -> persons).
``value, low, high, kind`` are derived from ``published`` x ``factor`` by :func:`parse_published`
(``python -m sim.observations <file> --write`` fills them in; the loader refuses a file where they
disagree with ``published``). The rule is that of :func:`sim.published.parse_published`
(bounds, ranges, approximate and exact figures; its module docstring lists every form).

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
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config import KPI_IDS, ConfigError
from sim.paths import region_file
from sim.published import APPROX_SHARE, Parsed, parse_published  # noqa: F401 (re-exported)

CONF_REGION = Path(__file__).resolve().parent.parent / "conf" / "region"

KINDS = ("exact", "range", "lower", "upper")
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


def observed_path(
    name: str, config_dirs: Iterable[str] = (), field: str = "region.observed_file"
) -> Path:
    """An observed (or track-record) file by name or by absolute path.

    A relative name is looked up in the user's ``config_dirs`` (``region.config_dirs``) first,
    then in ``conf/region/`` (:func:`sim.paths.region_file`). When no candidate exists the path
    in ``conf/region/`` is returned, so the loader reports the missing file (and a digest counts
    it as empty).
    """
    path = Path(name)
    if path.is_absolute() or not name or not config_dirs:
        return path if path.is_absolute() else CONF_REGION / name
    try:
        return region_file(name, field, config_dirs, conf_dir=CONF_REGION.parent)
    except ConfigError:
        return CONF_REGION / name


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
