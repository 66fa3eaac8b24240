"""Plots of ensemble results: fan charts of KPIs with the target marked (written atomically)."""

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


def fan_chart(
    kpis: pd.DataFrame, kpi: str, targets: list[TargetSpec], path: Path, title: str = ""
) -> Path:
    """Median and 5-95 % / 25-75 % bands of one KPI over years, thresholds marked.

    Args:
        kpis: Tidy KPIs (replicate, year, kpi, value).
        kpi: KPI id to plot.
        targets: Targets on this KPI (each drawn as a marker at its year and threshold).
        path: PNG file to write.
        title: Figure title (default: the KPI id).

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


def fan_charts(kpis: pd.DataFrame, targets: list[TargetSpec], out_dir: Path) -> list[Path]:
    """One fan chart per target id (all years of that target on one chart)."""
    paths = []
    for tid, ts in _by_id(targets).items():
        label = ts[0].label or tid
        paths.append(fan_chart(kpis, ts[0].kpi, ts, Path(out_dir) / f"fan_{tid}.png", title=label))
    return paths
