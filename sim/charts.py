"""Plots of ensemble results: fan charts of KPIs with the targets and observations marked.

Charts are written atomically. Observations (``sim.observations.load_observed``) are drawn by
their kind: exact figures as dots, ranges as bars, lower and upper bounds as triangles pointing
up and down.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from sim.config import TargetSpec  # noqa: E402
from sim.kpis import KPI_UNITS  # noqa: E402
from sim.rundir import atomic_write  # noqa: E402

BANDS = ((0.05, 0.95, 0.2), (0.25, 0.75, 0.35))


def mark_targets(
    ax, targets: list[TargetSpec], with_kind: bool = True, offset=(-90, 6), fontsize: int = 8
) -> None:
    """Mark each target on a chart: a diamond at (year, threshold), a dashed line, a label.

    Args:
        ax: Matplotlib axes.
        targets: Targets to mark.
        with_kind: Prefix labels with the target's kind (target, tracking, three-year).
        offset: Label offset in points.
        fontsize: Label font size.
    """
    for t in targets:
        kind = "target" if t.kind == "target" else t.kind.replace("_", "-")
        ax.scatter([t.year], [t.threshold], marker="D", color="tab:red", zorder=5)
        ax.axhline(t.threshold, color="tab:red", ls="--", lw=0.8)
        ax.annotate(
            f"{kind + ' ' if with_kind else ''}{t.year}: {t.threshold:g}",
            (t.year, t.threshold),
            textcoords="offset points",
            xytext=offset,
            color="tab:red",
            fontsize=fontsize,
        )


def draw_observed(ax, observed: pd.DataFrame) -> None:
    """Observations of one KPI: exact as dots, ranges as bars, bounds as triangles.

    Args:
        ax: Matplotlib axes.
        observed: Tidy observations (``year, value, low, high, kind``) of the plotted KPI.
    """
    style = {"color": "black", "zorder": 6}
    exact = observed[observed.kind == "exact"]
    if len(exact):
        ax.scatter(exact.year, exact.value, s=22, label="observed", **style)
    ranges = observed[observed.kind == "range"]
    if len(ranges):
        ax.vlines(ranges.year, ranges.low, ranges.high, lw=2.2, label="observed range", **style)
    for kind, marker, label in (("lower", "^", "lower bound"), ("upper", "v", "upper bound")):
        sel = observed[observed.kind == kind]
        if len(sel):
            ax.scatter(sel.year, sel.value, marker=marker, s=40, label=label, **style)


def fan_chart(
    kpis: pd.DataFrame,
    kpi: str,
    targets: list[TargetSpec],
    path: Path,
    title: str = "",
    observed: pd.DataFrame | None = None,
) -> Path:
    """Median and 5-95 % / 25-75 % bands of one KPI over years, thresholds and observations.

    Args:
        kpis: Tidy KPIs (replicate, year, kpi, value).
        kpi: KPI id to plot.
        targets: Targets on this KPI (each drawn as a marker at its year and threshold).
        path: PNG file to write.
        title: Figure title (default: the KPI id).
        observed: The region's observations (those of ``kpi`` within the fan's years are drawn).

    Returns:
        The path written.
    """
    data = kpis[kpis["kpi"] == kpi]
    q = data.groupby("year")["value"].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    for lo, hi, alpha in BANDS:
        ax.fill_between(
            q.index,
            q[lo],
            q[hi],
            color="tab:blue",
            alpha=alpha,
            lw=0,
            label=f"{int(lo * 100)}-{int(hi * 100)} %",
        )
    ax.plot(q.index, q[0.5], color="tab:blue", lw=2, label="median")
    mark_targets(ax, targets)
    if observed is not None:
        years = observed.year.between(q.index.min(), q.index.max())
        draw_observed(ax, observed[(observed.kpi == kpi) & years])
    ax.set_title(title or kpi)
    ax.set_xlabel("year")
    ax.set_ylabel(KPI_UNITS.get(kpi, ""))
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    try:
        atomic_write(Path(path), lambda p: fig.savefig(p, format="png"))
    finally:
        plt.close(fig)
    return path


def _by_id(targets: list[TargetSpec]) -> dict[str, list[TargetSpec]]:
    by_id: dict[str, list[TargetSpec]] = {}
    for t in targets:
        by_id.setdefault(t.id, []).append(t)
    return by_id


def chart_names(targets: list[TargetSpec]) -> list[str]:
    """File names of the fan charts :func:`fan_charts` writes for these targets."""
    return [f"fan_{tid}.png" for tid in _by_id(targets)]


def fan_charts(
    kpis: pd.DataFrame,
    targets: list[TargetSpec],
    out_dir: Path,
    observed: pd.DataFrame | None = None,
) -> list[Path]:
    """One fan chart per target id (all years of that target on one chart).

    Args:
        kpis: Tidy KPIs (replicate, year, kpi, value).
        targets: Targets to chart.
        out_dir: Directory of the ``fan_<target>.png`` files.
        observed: The region's observations, drawn on the fan of their KPI (None: none drawn).
    """
    paths = []
    for tid, ts in _by_id(targets).items():
        label = ts[0].label or tid
        path = Path(out_dir) / f"fan_{tid}.png"
        paths.append(fan_chart(kpis, ts[0].kpi, ts, path, title=label, observed=observed))
    return paths
