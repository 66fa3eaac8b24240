"""Fan charts of one KPI: setting A, setting B and the paired difference B - A.

The style follows :mod:`sim.charts` (median, 25-75 % and 5-95 % bands, targets as red
diamonds with a dashed line). Figures are built with :class:`matplotlib.figure.Figure`, not pyplot,
so sessions can draw them from their own threads.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from sim.charts import BANDS, draw_observed, mark_targets
from sim.config import TargetSpec
from sim.kpis import KPI_UNITS

from .runs import PairResult

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
COLOURS = {"A": "tab:blue", "B": "tab:orange", "B - A": "tab:purple"}


def quantiles_by_year(values: pd.DataFrame) -> pd.DataFrame:
    """Quantiles (columns 0.05 ... 0.95) of ``value`` per ``year``."""
    return values.groupby("year")["value"].quantile(list(QUANTILES)).unstack()


def paired_difference(result: PairResult, kpi: str) -> pd.DataFrame:
    """B - A of one KPI per replicate and year (replicates paired by seed)."""
    sides = []
    for ens in (result.a, result.b):
        sel = ens.kpis[ens.kpis["kpi"] == kpi]
        sides.append(sel.set_index(["replicate", "year"])["value"])
    both = pd.concat(sides, axis=1, keys=["a", "b"], join="inner")
    return (both["b"] - both["a"]).rename("value").reset_index()


def _fan(ax, q: pd.DataFrame, colour: str) -> None:
    for lo, hi, alpha in BANDS:
        ax.fill_between(q.index, q[lo], q[hi], color=colour, alpha=alpha, lw=0)
    ax.plot(q.index, q[0.5], color=colour, lw=2)


def _targets(ax, targets: list[TargetSpec]) -> None:
    mark_targets(ax, targets, with_kind=False, offset=(-40, 5), fontsize=7)


def fan_figure(
    result: PairResult,
    kpi: str,
    targets: list[TargetSpec],
    title: str = "",
    observed: pd.DataFrame | None = None,
) -> Figure:
    """Three panels for one KPI: A, B (same y axis, targets and observations marked) and B - A.

    Args:
        result: The pair of ensembles.
        kpi: KPI id.
        targets: Targets on this KPI.
        title: Figure title (default: the KPI id); the stage is appended for previews.
        observed: The region's observations (``sim.observations.load_observed``); those of
            ``kpi`` inside the simulated years are drawn on A and B (dots exact, bars ranges,
            triangles bounds).

    Returns:
        A matplotlib Figure (not registered with pyplot).
    """
    fig = Figure(figsize=(10.5, 2.9), dpi=80)
    axes = fig.subplots(1, 3)
    unit = KPI_UNITS.get(kpi, "")
    panels = (
        ("A", quantiles_by_year(result.a.kpis[result.a.kpis["kpi"] == kpi])),
        ("B", quantiles_by_year(result.b.kpis[result.b.kpis["kpi"] == kpi])),
        ("B - A", quantiles_by_year(paired_difference(result, kpi))),
    )
    for ax, (name, q) in zip(axes, panels, strict=True):
        _fan(ax, q, COLOURS[name])
        if name == "B - A":
            ax.axhline(0, color="black", lw=0.8)
        else:
            _targets(ax, targets)
            if observed is not None:
                years = q.index
                mine = observed[
                    (observed["kpi"] == kpi)
                    & (observed["year"] >= years.min())
                    & (observed["year"] <= years.max())
                ]
                draw_observed(ax, mine)
        ax.set_title(f"{name}" + (" (paired by replicate)" if name == "B - A" else ""), fontsize=9)
        ax.set_xlabel("year", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(unit, fontsize=8)
    lo = min(axes[0].get_ylim()[0], axes[1].get_ylim()[0])
    hi = max(axes[0].get_ylim()[1], axes[1].get_ylim()[1])
    for ax in axes[:2]:
        ax.set_ylim(lo, hi)
    stage = " - PREVIEW" if result.stage == "preview" else ""
    fig.suptitle(
        f"{title or kpi} [{unit}]{stage}: median, 25-75 % and 5-95 % of {result.replicates} "
        "replicates",
        fontsize=10,
    )
    fig.tight_layout()
    return fig
