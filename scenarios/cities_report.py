"""Tables, markdown and figure of the cities comparison (:mod:`scenarios.cities`).

Pure functions of an ensemble's KPIs and a city's base-year population: nothing here runs the
model, so the dashboard redraws a comparison from its ``cities.csv`` and ``targets.csv``.

Per-capita values divide by the base-year resident population, held at that level in every year
(the model has no population projection): counts and persons per 10k residents, amounts of
100m yuan as yuan per resident, rates (percent) not at all. Public cost is the KPI
``public_cost`` (the city's budget: local outlays net of guidance-fund returns; national tax
expenditure is not in it), summed per replicate over the years after the base year.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.kpis import KPI_UNITS

PER_10K = "per 10k residents"
YUAN_PER_RESIDENT = "yuan per resident"
COST_KPI = "public_cost"
QUANTILES = {"p05": 0.05, "p50": 0.5, "p95": 0.95}
REPORT_YEARS = (2025, 2030)
SHOWN_KPIS = (
    "talent",
    "platforms",
    "rd_centres",
    "high_tech_enterprises",
    "tech_smes",
    "listed",
    "little_giants",
    "rd_expenditure",
    "gdp",
)
"""Per-capita KPIs of ``cities.md`` and ``cities.png`` (``cities.csv`` has every KPI)."""
CITY_COLUMNS = [
    "city",
    "region",
    "base_year",
    "population",
    "replicates",
    "kpi",
    "unit",
    "year",
    "p05",
    "p50",
    "p95",
    "per_capita_unit",
    "per_capita_p05",
    "per_capita_p50",
    "per_capita_p95",
    "public_cost_cum_yuan_p50",
    "public_cost_per_resident_p05",
    "public_cost_per_resident_p50",
    "public_cost_per_resident_p95",
]
"""Columns of ``cities.csv``: one row per city, KPI and year."""
TARGET_COLUMNS = [
    "city",
    "target",
    "kpi",
    "year",
    "threshold",
    "probability",
    "ci_low",
    "ci_high",
    "replicates",
    "median",
    "kind",
    "label",
    "conditioning",
]
"""Columns of ``targets.csv``: one row per target of each city's own targets file."""


def per_capita(kpi: str) -> tuple[float, str] | None:
    """How a KPI is put per capita: (factor applied to value / population, unit), or None.

    Counts and persons: per 10k residents; 100m yuan: yuan per resident; rates: None.
    """
    unit = KPI_UNITS.get(kpi, "")
    if unit.startswith("count") or unit == "persons":
        return 1e4, PER_10K
    if unit.startswith("100m yuan"):
        return 1e8, YUAN_PER_RESIDENT
    return None


def cumulative_cost(kpis: pd.DataFrame, base_year: int) -> pd.DataFrame:
    """Public cost summed per replicate from the base year to each year (yuan).

    Returns:
        ``replicate, year, yuan``; the base year (nothing spent yet) is 0.
    """
    cost = kpis[kpis["kpi"] == COST_KPI][["replicate", "year", "value"]].copy()
    cost["value"] = np.where(cost["year"] > base_year, cost["value"] * 1e8, 0.0)
    cost = cost.sort_values(["replicate", "year"])
    cost["yuan"] = cost.groupby("replicate")["value"].cumsum()
    return cost[["replicate", "year", "yuan"]].reset_index(drop=True)


def city_table(
    city: str, region: str, kpis: pd.DataFrame, population: float, base_year: int
) -> pd.DataFrame:
    """:data:`CITY_COLUMNS` for one city's ensemble (tidy KPIs ``replicate, year, kpi, value``)."""
    g = kpis.groupby(["kpi", "year"])["value"]
    table = pd.concat({name: g.quantile(q) for name, q in QUANTILES.items()}, axis=1)
    table = table.reset_index()
    table["unit"] = table["kpi"].map(lambda k: KPI_UNITS.get(k, ""))
    rules = table["kpi"].map(per_capita)
    factor = rules.map(lambda r: r[0] if r else math.nan)
    table["per_capita_unit"] = rules.map(lambda r: r[1] if r else "")
    for name in QUANTILES:
        table[f"per_capita_{name}"] = table[name] * factor / population
    cost = cumulative_cost(kpis, base_year).groupby("year")["yuan"]
    per_year = pd.concat({name: cost.quantile(q) for name, q in QUANTILES.items()}, axis=1)
    table["public_cost_cum_yuan_p50"] = table["year"].map(per_year["p50"])
    for name in QUANTILES:
        table[f"public_cost_per_resident_{name}"] = table["year"].map(per_year[name]) / population
    table = table.assign(
        city=city,
        region=region,
        base_year=base_year,
        population=population,
        replicates=kpis["replicate"].nunique(),
    )
    return table[CITY_COLUMNS].sort_values(["kpi", "year"], ignore_index=True)


def targets_table(
    city: str, reach: pd.DataFrame, kpi_of: dict[str, str], note: str
) -> pd.DataFrame:
    """:data:`TARGET_COLUMNS` from a city's :func:`sim.targets.reachability` table."""
    if reach.empty:
        return pd.DataFrame(columns=TARGET_COLUMNS)
    table = reach.assign(city=city, kpi=reach["target"].map(kpi_of), conditioning=note)
    return table[TARGET_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------


def num(x: float) -> str:
    """A value for the tables: thousands separators from 100, two significant decimals below."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def band(row: pd.Series, prefix: str) -> str:
    """``median [p05-p95]`` of the columns ``<prefix>p50`` etc."""
    return f"{num(row[prefix + 'p50'])} [{num(row[prefix + 'p05'])}-{num(row[prefix + 'p95'])}]"


def report_years(table: pd.DataFrame) -> list[int]:
    """The years of :data:`REPORT_YEARS` in the table, else its last year."""
    years = sorted(int(y) for y in table["year"].unique())
    shown = [y for y in REPORT_YEARS if y in years]
    return shown or years[-1:]


def cities_of(table: pd.DataFrame) -> list[str]:
    """The cities of a table in their order of appearance."""
    return list(dict.fromkeys(table["city"]))


def shown_kpis(table: pd.DataFrame) -> list[str]:
    """:data:`SHOWN_KPIS` present in the table with a per-capita value."""
    present = set(table.loc[table["per_capita_unit"].fillna("") != "", "kpi"])
    return [k for k in SHOWN_KPIS if k in present]


def _row(table: pd.DataFrame, city: str, kpi: str, year: int) -> pd.Series | None:
    sel = table[(table["city"] == city) & (table["kpi"] == kpi) & (table["year"] == year)]
    return sel.iloc[0] if len(sel) else None


def _first(table: pd.DataFrame, city: str) -> pd.Series:
    return table[table["city"] == city].iloc[0]


def summary_markdown(table: pd.DataFrame) -> str:
    """One column per city: population, per-capita KPIs and public cost per resident by year."""
    cities = cities_of(table)
    years = report_years(table)
    lines = [
        "| | " + " | ".join(cities) + " |",
        "|---|" + "---:|" * len(cities),
        "| region config | " + " | ".join(f"`{_first(table, c)['region']}`" for c in cities) + " |",
    ]
    firsts = [_first(table, c) for c in cities]
    base = "/".join(sorted({str(int(f["base_year"])) for f in firsts}))
    lines.append(
        f"| resident population ({base}, held) | "
        + " | ".join(f"{f['population']:,.0f}" for f in firsts)
        + " |"
    )
    lines.append("| replicates | " + " | ".join(str(int(f["replicates"])) for f in firsts) + " |")
    for kpi in shown_kpis(table):
        for year in years:
            unit = table.loc[table["kpi"] == kpi, "per_capita_unit"].iloc[0]
            cells = []
            for c in cities:
                row = _row(table, c, kpi, year)
                cells.append("-" if row is None else band(row, "per_capita_"))
            lines.append(f"| {kpi} {unit}, {year} | " + " | ".join(cells) + " |")
    for year in years:
        cells = []
        for c in cities:
            sel = table[(table["city"] == c) & (table["year"] == year)]
            cells.append("-" if sel.empty else band(sel.iloc[0], "public_cost_per_resident_"))
        lines.append(f"| public cost per resident to {year} (yuan) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets_markdown(targets: pd.DataFrame, city: str) -> str:
    """One city's own targets: threshold, P(reached) with its 95 % interval, median."""
    mine = targets[targets["city"] == city]
    if mine.empty:
        return f"No target of `targets={city}` falls within the simulated years."
    lines = [
        "| target | year | threshold | P(reached) [95 % CI] | median |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in mine.itertuples():
        lines.append(
            f"| {r.label} | {int(r.year)} | {num(r.threshold)} | {r.probability:.2f} "
            f"[{r.ci_low:.2f}-{r.ci_high:.2f}] | {num(r.median)} |"
        )
    return "\n".join(lines)


def markdown(table: pd.DataFrame, targets: pd.DataFrame) -> str:
    """``cities.md``: what the numbers are, the side-by-side table, each city's own targets."""
    cities = cities_of(table)
    parts = [
        "# Cities side by side",
        "",
        "Each city runs under its own enacted policy (its `region.policy_timeline` throughout, "
        "`run.policy=timeline`) and is scored only against its own targets (`targets=<city>`). "
        "Values are the median [5-95 %] over the replicates. Per-capita values divide by the "
        "base-year resident population, **held at its base-year level** in every year (the model "
        "has no population projection): counts and persons per 10k residents, amounts in yuan "
        "per resident. Public cost per resident: the city's budget (local outlays net of "
        "guidance-fund returns, KPI `public_cost`; national tax expenditure not included), "
        "cumulative from the base year.",
        "",
        "## Per-capita KPIs and public cost",
        "",
        summary_markdown(table),
    ]
    for city in cities:
        mine = targets[targets["city"] == city]
        note = f" ({mine['conditioning'].iloc[0]})" if len(mine) else ""
        parts += ["", f"## {city}: P(reached) of its own targets{note}", ""]
        parts.append(targets_markdown(targets, city))
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------------------------
# Figure
# --------------------------------------------------------------------------------------------


def figure(table: pd.DataFrame) -> Figure:
    """Per-capita KPIs and public cost per resident, cities side by side (bars: median, 5-95 %).

    One panel per KPI of :func:`shown_kpis` plus public cost per resident; in each panel a group
    of bars per year of :func:`report_years`, one bar per city.

    Returns:
        A matplotlib Figure (not registered with pyplot).
    """
    cities = cities_of(table)
    years = report_years(table)
    panels = [*shown_kpis(table), COST_KPI + "_per_resident"]
    cols = min(5, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig = Figure(figsize=(3.0 * cols, 2.6 * rows + 0.6), dpi=90)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    width = 0.8 / max(len(cities), 1)
    colours = [f"C{i}" for i in range(len(cities))]
    for ax, panel in zip(axes, panels, strict=False):
        is_cost = panel.endswith("_per_resident")
        prefix = "public_cost_per_resident_" if is_cost else "per_capita_"
        for i, city in enumerate(cities):
            mid, lo, hi = [], [], []
            for year in years:
                row = _row(table, city, COST_KPI if is_cost else panel, year)
                vals = [math.nan] * 3 if row is None else [row[prefix + q] for q in QUANTILES]
                lo.append(vals[1] - vals[0])
                mid.append(vals[1])
                hi.append(vals[2] - vals[1])
            x = np.arange(len(years)) + (i - (len(cities) - 1) / 2) * width
            ax.bar(x, mid, width, yerr=[lo, hi], color=colours[i], label=city, capsize=2)
        ax.set_xticks(range(len(years)), [str(y) for y in years], fontsize=8)
        unit = (
            "yuan per resident, cumulative"
            if is_cost
            else table.loc[table["kpi"] == panel, "per_capita_unit"].iloc[0]
        )
        ax.set_title(f"{'public cost' if is_cost else panel}\n{unit}", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", ncols=len(cities), fontsize=8)
    fig.suptitle(
        "Cities side by side, per resident (population held at the base year): median and 5-95 %",
        fontsize=10,
        x=0.02,
        ha="left",
    )
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig
