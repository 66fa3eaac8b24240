"""Load and validate a region's base-year data file (the agents are built in :mod:`sim.build`).

The data file is a CSV with columns ``indicator, value, low, high, unit, basis`` (the Changsha file
is a copy of ``shared/data/changsha/base_2022.csv``), one row per indicator; every indicator of
:data:`REQUIRED` must be there (or be estimated, below). Units follow the Chinese statistical
bulletins: 100m yuan, 10k persons, percent. Where the file is found: :mod:`sim.paths`
(``region.data_file`` absolute, else in the user's config dirs, else in ``conf/region/``).

**Values as published.** The ``value`` cell takes a figure as the source printed it; it is read
by :func:`sim.published.parse_published` (thousands separators, 万/亿 and the words listed there
are understood). ``low`` and ``high`` may be left blank; a blank one is filled from the published
form of ``value`` (:func:`from_published`):

- exact (``"13966.11"``, ``"3,400"``): ``low = high = value``;
- range (``"130-239"``): ``low`` and ``high`` are its ends, ``value`` its midpoint;
- approximate (``"~6400"``, ``"约6400"``, ``"about 6400"``): ``low = x * (1 - APPROX_SHARE)``,
  ``high = x * (1 + APPROX_SHARE)``, ``value = x`` (:data:`APPROX_SHARE` = 0.05);
- lower bound (``">6600"``, ``"3,400+"``, ``"6600以上"``): ``value = low = x``,
  ``high = x * (1 + BOUND_SHARE)``: a published lower bound is taken as at most 10 % above it
  (:data:`BOUND_SHARE` = 0.10);
- upper bound (``"<5"``, ``"不足5"``): ``value = high = x``, ``low = x * (1 - BOUND_SHARE)``.

A ``low`` or ``high`` that is given wins over the rule (it takes a plain number); whatever their
source, ``low <= value <= high`` must hold. The forms other than exact are recorded per
indicator in :attr:`BaseState.published` and in the run record (``published_forms``).

**Estimated indicators.** An indicator the city has not published may be estimated from a named
reference city (``region.estimates``, :class:`sim.config.EstimateConfig`): list it under
``region.estimates.by`` with the indicator it scales with, and leave it out of the data file (or
leave its ``value``, ``low`` and ``high`` blank). With ``C`` the city's file, ``R`` the reference
city's file (``region.estimates.reference_data_file``, found like the data file) and ``w`` =
``region.estimates.widen``, the rule of :func:`estimate_indicators` is

    ratio = C[by] / R[by]          (the ``value`` column of both files)
    value = R.value x ratio
    low   = R.low   x ratio x (1 - w)
    high  = R.high  x ratio x (1 + w)

where ``by`` is ``gdp``, ``resident_population`` (a row of both files), ``gdp_per_capita``
(``gdp / resident_population`` of each file) or ``none`` (ratio 1: the reference's figure is
copied). Both files use the units of :data:`REQUIRED`. Each estimate is recorded with its rule in
:attr:`BaseState.estimated` and in the run record (``estimated_indicators``). Refused, each with
one line: an indicator both in the file and in ``by``; a ``by`` rule not in :data:`SCALE_BY`;
estimating ``gdp`` or ``resident_population`` (the scaling indicators); ``by`` without
``reference_data_file``; a reference file that is missing or lacks the indicator (or the scaling
indicator); a zero scaling indicator in the reference; ``widen`` outside ``[0, 1)``. An
indicator missing from the file and not listed in ``by`` is refused as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents.params import ConfigError
from sim.paths import candidates, region_file
from sim.published import APPROX_SHARE, parse_published, published_form  # noqa: F401

if TYPE_CHECKING:
    from sim.config import RegionConfig

CONF_DIR = Path(__file__).resolve().parent.parent / "conf"

REQUIRED = {
    "gdp": 1e8,
    "rd_expenditure": 1e8,
    "rd_enterprise_share": 0.01,
    "innovation_platforms": 1.0,
    "national_innovation_platforms": 1.0,
    "five_type_rd_centres": 1.0,
    "national_mfg_clusters": 1.0,
    "talent_total": 1e4,
    "listed_companies": 1.0,
    "little_giants": 1.0,
    "national_lab_or_big_science": 1.0,
    "high_tech_enterprises": 1.0,
    "tech_smes": 1.0,
    "universities": 1.0,
    "students_higher_ed": 1e4,
    "national_key_labs": 1.0,
    "tech_contract_turnover": 1e8,
    "new_home_price": 1.0,
}
"""Indicators a region file must have, with the factor converting its unit to yuan / persons."""

BOUND_SHARE = 0.10
"""A published lower bound (``">6600"``) is taken as at most 10 % above it, an upper bound
(``"<5"``) as at most 10 % below it: the other end of the range :func:`from_published` gives."""

SCALE_BY = ("gdp", "resident_population", "gdp_per_capita", "none")
"""What an estimated indicator may be scaled by (``region.estimates.by`` values)."""

SCALING = ("gdp", "resident_population")
"""The indicators estimates are scaled by; they cannot be estimated themselves."""


@dataclass
class BaseState:
    """Base-year stocks in model units (yuan, persons, counts, shares)."""

    values: dict[str, float]
    low: dict[str, float]
    high: dict[str, float]
    estimated: dict[str, str] = field(default_factory=dict)
    """Estimated indicators with the rule that gave each (one line, see the module docstring)."""
    published: dict[str, str] = field(default_factory=dict)
    """Indicators whose value was published as other than an exact number: the form (``range``,
    ``approx``, ``lower``, ``upper``; :func:`sim.published.published_form`)."""

    def __getitem__(self, key: str) -> float:
        return self.values[key]

    def drawn(self, rng: np.random.Generator) -> BaseState:
        """A copy with every stock drawn from its (low, value, high) triangular range."""
        vals = {}
        for k, v in self.values.items():
            lo, hi = self.low[k], self.high[k]
            vals[k] = float(rng.triangular(lo, min(max(v, lo), hi), hi)) if hi > lo else v
        return BaseState(vals, self.low, self.high, dict(self.estimated), dict(self.published))


@dataclass(frozen=True)
class Figure:
    """One indicator of a data file, in the file's unit: central value, range and its origin."""

    value: float
    low: float
    high: float
    form: str = "exact"
    """``exact``, ``range``, ``approx``, ``lower``, ``upper`` or ``estimated``."""
    line: int = 0
    """Line of the data file (the header is line 1); 0 for an estimate."""
    rule: str = ""
    """For an estimate: how it was computed (one line)."""


_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def data_path(region: RegionConfig, must_exist: bool = True) -> Path:
    """Path of the region's base-year data file (``region.data_file``, found by :mod:`sim.paths`).

    Raises:
        ConfigError: ``region.data_file`` is empty, or (with ``must_exist``) not found.
    """
    return region_file(
        region.data_file,
        "region.data_file",
        region.config_dirs,
        conf_dir=CONF_DIR,
        must_exist=must_exist,
    )


def from_published(text: object) -> Figure:
    """``value, low, high`` of a published figure by the rule of the module docstring.

    Raises:
        ValueError: no number in the text (:func:`sim.published.parse_published`).
    """
    plain = _PLAIN.match(_THOUSANDS.sub("", str(text).strip()))
    if plain:  # a plain number, also "1.2e5" and ".5"
        x = float(plain.group(0))
        return Figure(x, x, x, "exact")
    parsed = parse_published(text)
    form = published_form(text)
    x = parsed.value
    if form == "lower":
        return Figure(x, x, x * (1 + BOUND_SHARE), form)
    if form == "upper":
        return Figure(x, x * (1 - BOUND_SHARE), x, form)
    return Figure(x, parsed.low, parsed.high, form)


# ---------------------------------------------------------------------------------------------
# Reading a data file


@dataclass
class _Table:
    """A data file's cells as text, by indicator, with their line numbers."""

    path: Path
    cells: pd.DataFrame
    lines: dict[str, int]

    def has_row(self, key: str) -> bool:
        return key in self.lines

    def blank(self, key: str) -> bool:
        """The row has no value (it may be estimated)."""
        return not self.cells.loc[key, "value"]


def _read_table(path: Path) -> _Table:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path.name} is not a readable CSV: {err}") from err
    for col in ("indicator", "value", "low", "high"):
        if col not in df.columns:
            raise ConfigError(
                f"{path.name}: column {col!r} is missing; need indicator,value,low,high"
            )
    df = df.apply(lambda col: col.str.strip())
    dup = df["indicator"][df["indicator"].duplicated(keep=False)]
    if len(dup):
        name = dup.iloc[0]
        lines = [i + 2 for i in dup.index[dup == name]]  # header is line 1
        raise ConfigError(
            f"{path.name}: indicator {name!r} appears {len(lines)} times (lines "
            f"{', '.join(map(str, lines))}); each indicator must appear once"
        )
    lines = {name: i + 2 for i, name in zip(df.index, df["indicator"], strict=True)}
    return _Table(path, df.set_index("indicator"), lines)


def _figure(table: _Table, key: str) -> Figure:
    """The indicator's figure in file units (its row has a value)."""
    row, line = table.cells.loc[key], table.lines[key]
    where = f"{table.path.name}, line {line}: {key}"
    text = row["value"]
    try:
        fig = from_published(text)
    except ValueError:
        raise ConfigError(
            f"{where}.value={text!r} is not a number (nor a published form such as '>12000', "
            "'~6400', '130-239')"
        ) from None
    ends = {}
    for col in ("low", "high"):
        cell = row[col]
        if not cell:
            continue
        try:
            parsed = parse_published(cell)
        except ValueError:
            parsed = None
        if parsed is None or parsed.kind != "exact":
            raise ConfigError(
                f"{where}.{col}={cell!r} is not a number (low and high take plain numbers; "
                "published forms go in value, or leave them blank)"
            )
        ends[col] = parsed.value
    values = {
        "value": fig.value,
        "low": ends.get("low", fig.low),
        "high": ends.get("high", fig.high),
    }
    for col, v in values.items():
        if not np.isfinite(v):
            raise ConfigError(f"{where}.{col}={row[col]!r} is not a number")
        if v < 0:
            raise ConfigError(
                f"{table.path.name}: {key}.{col}={v:g} is negative (line {line}); "
                "stocks must be >= 0"
            )
    lo, v, hi = values["low"], values["value"], values["high"]
    if not lo <= v <= hi:
        shown = ", ".join(
            f"{c}={values[c]:g}" + ("" if row[c] else " (from value)")
            for c in ("low", "value", "high")
        )
        raise ConfigError(
            f"{where}: needs low <= value <= high, but {shown} (value {text!r} is {fig.form})"
        )
    return Figure(v, lo, hi, fig.form, line)


def read_figures(path: Path, keys: list[str] | None = None) -> dict[str, Figure]:
    """The figures of a data file in its units (indicators with a blank value left out).

    Args:
        path: The data file.
        keys: Read only these indicators (those present); default: every row.

    Raises:
        ConfigError: unreadable file, missing column, repeated indicator, a cell that is not a
            number, a negative value, or ``low <= value <= high`` failing.
    """
    table = _read_table(Path(path))
    keys = list(table.lines) if keys is None else keys
    return {k: _figure(table, k) for k in keys if table.has_row(k) and not table.blank(k)}


# ---------------------------------------------------------------------------------------------
# Estimates from a reference city


def _check_by(region: RegionConfig, published: dict[str, str]) -> dict[str, str]:
    """``region.estimates.by`` after checking it (empty when nothing is estimated).

    ``published`` says where each published indicator is (for the message when one is listed).
    """
    est = region.estimates
    by = dict(est.by or {})
    if not by:
        return by
    for key, rule in by.items():
        field_name = f"region.estimates.by.{key}"
        if key in SCALING:
            raise ConfigError(
                f"{field_name}={rule!r}: {key} is what estimates are scaled by and cannot be "
                "estimated; give it in the data file"
            )
        if key not in REQUIRED:
            raise ConfigError(
                f"{field_name}={rule!r}: {key!r} is not an indicator of a base-year data file "
                f"(indicators: {list(REQUIRED)})"
            )
        scaling, _ = split_rule(rule)
        if scaling not in SCALE_BY:
            raise ConfigError(
                f"{field_name}={rule!r} is not a scaling rule; allowed: {', '.join(SCALE_BY)}, "
                "optionally followed by 'from <reference data file>'"
            )
        if key in published:
            raise ConfigError(
                f"{field_name}={rule!r}: {key} is published in {published[key]}; remove it from "
                "region.estimates.by or blank its value to estimate it"
            )
    if not est.reference_data_file and any(not split_rule(r)[1] for r in by.values()):
        raise ConfigError(
            f"region.estimates.by lists {sorted(by)} but region.estimates.reference_data_file is "
            "empty; name the reference city's base-year data file"
        )
    if not 0 <= est.widen < 1:
        raise ConfigError(f"region.estimates.widen={est.widen} must be in [0, 1)")
    return by


def split_rule(rule: str) -> tuple[str, str]:
    """``"gdp from x.csv"`` -> ``("gdp", "x.csv")``; without a file the second part is ``""``."""
    head, _, file = str(rule).partition(" from ")
    return head.strip(), file.strip()


def _scale(rule: str, city: dict[str, Figure], ref: dict[str, Figure], files: tuple[str, str]):
    """``(ratio, how)``: the scaling ratio city / reference of ``rule`` and how it was formed."""
    if rule == "none":
        return 1.0, "copied"
    needs = ("gdp", "resident_population") if rule == "gdp_per_capita" else (rule,)
    for figures, name in ((city, files[0]), (ref, files[1])):
        for need in needs:
            if need not in figures:
                raise ConfigError(f"scaling by {rule} needs {need} in both files; {name} has none")
    for figures, name in ((city, files[0]), (ref, files[1])):
        for need in needs:
            if not figures[need].value > 0:
                raise ConfigError(
                    f"{name} has {need}={figures[need].value:g}; scaling by {rule} needs it > 0"
                )
    if rule == "gdp_per_capita":
        c = city["gdp"].value / city["resident_population"].value
        r = ref["gdp"].value / ref["resident_population"].value
    else:
        c, r = city[rule].value, ref[rule].value
    return c / r, f"{rule} {c:.6g} / {r:.6g}"


def estimate_indicators(
    region: RegionConfig, city: dict[str, Figure], city_file: str = ""
) -> dict[str, Figure]:
    """Estimates of the indicators listed in ``region.estimates.by`` from the reference city.

    The rule (module docstring): ``value = R.value x ratio``, ``low = R.low x ratio x (1 - widen)``,
    ``high = R.high x ratio x (1 + widen)`` with ``ratio = city[by] / reference[by]``.

    Args:
        region: Region config (``estimates``, ``config_dirs``).
        city: The city's published figures in file units (:func:`read_figures`); must hold the
            scaling indicators the rules need and none of the estimated indicators.
        city_file: Name of the city's file (for messages).

    Returns:
        An estimated :class:`Figure` (file units, ``form="estimated"``, with its ``rule``) per
        indicator listed in ``by``.

    Raises:
        ConfigError: see the module docstring (one line naming the field).
    """
    est = region.estimates
    city_file = Path(city_file or region.data_file).name
    where = {k: f"{city_file} (line {f.line}, value {f.value:g})" for k, f in city.items()}
    by = _check_by(region, where)
    if not by:
        return {}
    needs = {"none": (), "gdp_per_capita": SCALING}
    parsed = {}  # indicator -> (scaling rule, reference file)
    for key, full_rule in by.items():
        rule, file = split_rule(full_rule)
        parsed[key] = (rule, file or est.reference_data_file)
    refs: dict[str, tuple[Path, dict[str, Figure], str]] = {}
    for file in sorted({file for _, file in parsed.values()}):
        ref_path = region_file(
            file, "region.estimates.reference_data_file", region.config_dirs, conf_dir=CONF_DIR
        )
        keys = [k for k, (_, f) in parsed.items() if f == file]
        scaling = {s for k in keys for s in needs.get(parsed[k][0], (parsed[k][0],))}
        name = est.reference_region if file == est.reference_data_file else ""
        refs[file] = (
            ref_path,
            read_figures(ref_path, [*keys, *sorted(scaling)]),
            name or ref_path.stem,
        )
    out = {}
    for key, (rule, file) in parsed.items():
        ref_path, ref, ref_name = refs[file]
        if key not in ref:
            raise ConfigError(
                f"region.estimates.by.{key}={rule!r}: the reference file {ref_path.name} "
                f"(region.estimates.reference_data_file) has no value for {key}"
            )
        try:
            ratio, how = _scale(rule, city, ref, (city_file, ref_path.name))
        except ConfigError as err:
            raise ConfigError(f"region.estimates.by.{key}={rule!r}: {err}") from None
        r = ref[key]
        value = r.value * ratio
        low, high = r.low * ratio * (1 - est.widen), r.high * ratio * (1 + est.widen)
        if rule == "none":
            text = f"copied from {ref_name} ({ref_path.name}): {r.value:.6g}"
        else:
            text = (
                f"scaled by {rule} from {ref_name} ({ref_path.name}): {r.value:.6g} x {ratio:.4g}"
                f" = {value:.6g} ({how})"
            )
        text += (
            f"; range [{low:.6g}, {high:.6g}] = reference range x ratio widened by {est.widen:g}"
        )
        out[key] = Figure(value, low, high, "estimated", 0, text)
    return out


# ---------------------------------------------------------------------------------------------
# The base state


def _locate(region: RegionConfig) -> Path:
    try:
        return data_path(region)
    except ConfigError as err:
        if not region.data_file:
            raise
        dirs = {p.parent for p in candidates(region.data_file, region.config_dirs, CONF_DIR)}
        available = sorted({p.name for d in dirs if d.is_dir() for p in d.glob("*.csv")})
        raise ConfigError(
            f"{err} (region.base_year={region.base_year}); available files: {available}"
        ) from None


def load_base_state(region: RegionConfig) -> BaseState:
    """Read and validate the region's base-year data file, estimating what ``estimates`` lists.

    Args:
        region: Region config (``data_file``, ``base_state`` column, ``config_dirs``,
            ``estimates``).

    Returns:
        Stocks converted to model units, with the estimated indicators and the non-exact
        published forms marked.

    Raises:
        ConfigError: missing file, missing or repeated indicator, a cell that is neither a number
            nor a published form, a negative value, ``low <= value <= high`` failing, or an
            estimate that cannot be made (module docstring); one line naming file or field.
    """
    path = _locate(region)
    table = _read_table(path)
    published = {
        k: f"{path.name} (line {table.lines[k]}, value={table.cells.loc[k, 'value']!r})"
        for k in table.lines
        if not table.blank(k)
    }
    by = _check_by(region, published)
    for key in REQUIRED:
        if key in by:
            continue
        if not table.has_row(key):
            raise ConfigError(
                f"{path.name}: indicator {key!r} is missing (required: {list(REQUIRED)}); add it "
                "or list it under region.estimates.by"
            )
        if table.blank(key):
            filled = [c for c in ("low", "high") if table.cells.loc[key, c]]
            raise ConfigError(
                f"{path.name}, line {table.lines[key]}: {key}.value is empty"
                + (f" (but {' and '.join(filled)} given)" if filled else "")
                + "; give the published value or list it under region.estimates.by"
            )
    for key in by:
        if table.has_row(key) and any(table.cells.loc[key, c] for c in ("low", "high")):
            raise ConfigError(
                f"{path.name}, line {table.lines[key]}: {key} is estimated "
                f"(region.estimates.by.{key}) but its low/high are given; blank them or "
                "publish its value"
            )
    keys = [k for k in REQUIRED if k not in by]
    city = {k: _figure(table, k) for k in keys}
    for key in SCALING:
        if key not in city and table.has_row(key) and not table.blank(key):
            city[key] = _figure(table, key)
    figures = {**city, **estimate_indicators(region, city, path.name)}
    out: dict[str, dict[str, float]] = {"value": {}, "low": {}, "high": {}}
    for key, factor in REQUIRED.items():
        fig = figures[key]
        for col in out:
            out[col][key] = float(getattr(fig, col)) * factor
    estimated = {k: figures[k].rule for k in REQUIRED if figures[k].form == "estimated"}
    published = {k: city[k].form for k in REQUIRED if k in city and city[k].form != "exact"}
    return BaseState(out[region.base_state], out["low"], out["high"], estimated, published)
