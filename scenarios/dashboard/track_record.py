"""The "Track record" tab: how the model did when run from earlier years (``docs/validation/``).

It shows the committed scorecard of ``python -m scenarios.validate`` (rolling-origin back-tests
scored against what the city reported): the pooled coverage of the 50 % and 90 % bands and the
CRPS skill against two naive forecasters, with the goals the model is held to, a table per KPI,
and per KPI the fan from each origin with the observed points, ranges and bounds. Nothing is
computed here; the files are ``scorecard_summary.csv``, ``scorecard.csv``, ``fans.csv``,
``observed.csv`` and ``run.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import markdown
import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure

from scenarios.validate import fan_figure

from . import tables
from .catalogue import ROOT

DOCS = ROOT / "docs" / "validation"
GOALS = {
    "coverage90": (0.80, 0.97, "pooled 90 % coverage"),
    "coverage50": (0.35, 0.65, "pooled 50 % coverage"),
}
SHARE_GOAL = 2 / 3
"""CRPS better than both naive forecasters on at least this share of the KPIs (next issue)."""
SHOWN_FIRST = ("high_tech_enterprises", "listed", "little_giants", "talent", "platforms")


@dataclass(frozen=True)
class TrackRecord:
    """The committed scorecard and what it was computed with."""

    summary: pd.DataFrame
    scorecard: pd.DataFrame
    fans: pd.DataFrame
    observed: pd.DataFrame
    info: dict
    directory: Path

    @property
    def kpis(self) -> list[str]:
        """Scored KPIs, the target KPIs first."""
        names = [k for k in self.summary["kpi"] if k != "pooled"]
        return [k for k in SHOWN_FIRST if k in names] + sorted(set(names) - set(SHOWN_FIRST))

    @property
    def pooled(self) -> pd.Series:
        """The pooled row of the summary."""
        return self.summary.set_index("kpi").loc["pooled"]


@cache
def load(directory: Path = DOCS) -> TrackRecord | None:
    """Read a scorecard directory; None when it has no scorecard."""
    directory = Path(directory)
    names = ("scorecard_summary.csv", "scorecard.csv", "fans.csv", "observed.csv")
    if not all((directory / n).exists() for n in names):
        return None
    frames = [pd.read_csv(directory / n) for n in names]
    info_path = directory / "run.json"
    info = json.loads(info_path.read_text()) if info_path.exists() else {}
    return TrackRecord(*frames, info=info, directory=directory)


def _md(text: str) -> None:
    """Markdown as HTML, as elsewhere on the page (``solara.Markdown`` loads mermaid from a CDN)."""
    solara.HTML(unsafe_innerHTML=markdown.markdown(text), classes=["md"])


def _fmt(x, pct: bool = False) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "-"
    if isinstance(x, float) and np.isinf(x):
        return "-inf" if x < 0 else "inf"
    return f"{x:.0%}" if pct else f"{x:.2f}"


def goals_markdown(record: TrackRecord) -> str:
    """The pooled numbers against the goals of the next issue, one line each."""
    p = record.pooled
    lines = []
    for key, (lo, hi, label) in GOALS.items():
        ok = lo <= p[key] <= hi
        lines.append(f"- {label}: **{_fmt(p[key])}** (goal {lo:.2f}-{hi:.2f}: {_met(ok)})")
    kpis = record.summary[record.summary["kpi"] != "pooled"]
    both = kpis[kpis["skill_trend"].notna() & kpis["skill_persistence"].notna()]
    beating = int(both["beats_both"].astype(str).eq("True").sum())
    share = beating / len(both) if len(both) else float("nan")
    lines.append(
        f"- CRPS skill, pooled (relative CRPS): **{_fmt(p['skill_trend'])}** against the trend, "
        f"**{_fmt(p['skill_persistence'])}** against persistence (> 0: better than the naive "
        "forecaster)"
    )
    lines.append(
        f"- KPIs with CRPS better than both naive forecasters: **{beating} of {len(both)}** with "
        f"both scores ({_fmt(share, pct=True)}; {len(kpis)} KPIs scored; goal at least two "
        f"thirds: {_met(share >= SHARE_GOAL)})"
    )
    return "\n".join(lines)


def _met(ok: bool) -> str:
    return "met" if ok else "not met"


def summary_table(record: TrackRecord) -> pd.DataFrame:
    """The per-KPI summary with readable columns (coverage in %, skills with 2 decimals)."""
    s = record.summary
    table = pd.DataFrame(
        {
            "KPI": s["kpi"],
            "points": s["points"].astype(int),
            "in 50 % band": s["coverage50"].map(lambda x: _fmt(x, True)),
            "in 90 % band": s["coverage90"].map(lambda x: _fmt(x, True)),
            "90 % band width / value (median)": s["median_width90_share"].map(
                lambda x: _fmt(x, True)
            ),
            "CRPS skill vs trend": s["skill_trend"].map(_fmt),
            "CRPS skill vs persistence": s["skill_persistence"].map(_fmt),
            "beats both": s["beats_both"].map(lambda b: "yes" if str(b) == "True" else "no"),
        }
    )
    kpis = s[s["kpi"] != "pooled"]
    both = kpis[kpis["skill_trend"].notna() & kpis["skill_persistence"].notna()]
    beating = int(both["beats_both"].astype(str).eq("True").sum())
    table.loc[s["kpi"] == "pooled", "beats both"] = f"{beating} of {len(both)} KPIs"
    table.loc[(s["kpi"] != "pooled") & ~s.index.isin(both.index), "beats both"] = "-"
    return table


def figure(record: TrackRecord, kpi: str) -> Figure:
    """Fans from each origin with the observed points of one KPI."""
    row = record.summary.set_index("kpi").loc[kpi]
    note = (
        f"{int(row['points'])} points, in 90 % band {_fmt(row['coverage90'], True)}, "
        f"in 50 % band {_fmt(row['coverage50'], True)}"
    )
    return fan_figure(record.fans, record.observed, kpi, note)


def intro_markdown(record: TrackRecord) -> str:
    """What was run: origins, lead, policy, drivers, date and command."""
    i = record.info
    origins = ", ".join(str(o) for o in i.get("origins", sorted(record.scorecard.origin.unique())))
    return (
        f"Would the model have seen what happened? From each origin year ({origins}) the model "
        "was calibrated on the observations up to that year only, then projected "
        f"`{i.get('levers', '?')}` (the policy in force) {i.get('lead_years', '?')} years ahead "
        f"with exogenous drivers {i.get('exogenous', '?').replace('_', ' ')}, "
        f"{i.get('replicates', '?')} replicates, and scored against "
        f"{len(record.scorecard)} values the city reported (ranges and bounds count when they "
        "overlap the band). Naive forecasters: the trend of the last two observations and "
        f"persistence. Run of {i.get('date', '?')}: `{i.get('command', '?')}` "
        f"({i.get('seconds', 0) / 60:.0f} min); files in `docs/validation/`."
    )


@solara.component
def TrackRecordFan(record: TrackRecord, kpi: str):
    """One KPI's fans (drawn once per KPI)."""
    fig = solara.use_memo(lambda: figure(record, kpi), [kpi])
    with solara.Div(classes=["track-fan", f"track-fan-{kpi}"]):
        solara.FigureMatplotlib(fig, dependencies=[kpi], format="png")


@solara.component
def TrackRecordTab(directory: Path = DOCS):
    """The tab: pooled numbers against the goals, the table per KPI, fans per KPI."""
    record = load(Path(directory))
    chosen, set_shown = solara.use_state(None)  # hooks before any early return
    if record is None:
        solara.Warning(
            f"No scorecard in {directory}: run `python -m scenarios.validate` and copy its "
            "scorecard files there (see docs/validation/README.md)."
        )
        return
    shown = record.kpis[:4] if chosen is None else chosen
    _md("#### Track record: rolling-origin back-tests\n\n" + intro_markdown(record))
    with solara.Div(classes=["track-pooled"]):
        _md(goals_markdown(record))
    table = summary_table(record)
    numeric = tuple(c for c in table.columns if c != "KPI")
    solara.HTML(
        unsafe_innerHTML=tables.frame_html(table, "track-summary-table", numeric),
        classes=["scroll-box"],
    )
    solara.SelectMultiple("KPIs", values=shown, all_values=record.kpis, on_value=set_shown)
    for kpi in shown:
        TrackRecordFan(record, kpi)
