"""HTML tables of the dashboard: headline (traffic lights), costs, parameters.

Plain HTML strings (escaped), rendered by ``solara.HTML``; classes and ``data-*`` attributes give
the browser tests stable selectors.
"""

from __future__ import annotations

import math
from html import escape

import pandas as pd

CSS = """
.dash-table { border-collapse: collapse; font-size: 13px; width: 100%; }
.dash-table th { text-align: left; background: #f3f3f3; }
.params-table th { position: sticky; top: 0; }
.dash-table td, .dash-table th { padding: 3px 6px; border-bottom: 1px solid #e0e0e0;
  vertical-align: top; overflow-wrap: anywhere; }
.dash-table td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.light-green { background: #c8e6c9; } .light-amber { background: #ffe0b2; }
.light-red { background: #ffcdd2; } .light-grey { background: #eeeeee; }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%;
  margin-right: 4px; }
.dot-green { background: #2e7d32; } .dot-amber { background: #ef6c00; }
.dot-red { background: #c62828; } .dot-grey { background: #9e9e9e; }
.group-row td { background: #fafafa; font-weight: bold; }
.lever-error { color: #b00020; font-size: 12px; line-height: 1.2; }
.result-label { padding: 6px 10px; border-radius: 4px; font-weight: 500; }
.result-label[data-stage="preview"] { background: #fff3cd; border: 1px solid #f0c36d; }
.result-label[data-stage="full"] { background: #e3f2fd; border: 1px solid #90caf9; }
.result-label[data-current="false"] { opacity: 0.6; }
.legend { font-size: 12px; color: #555; }
.scroll-box { max-height: 520px; overflow-y: auto; }
.sidebar { background: #fafafa; border-right: 1px solid #e0e0e0; }
.main-col, .main-col .v-sheet { min-width: 0; }
.main-col { overflow-x: hidden; padding-bottom: 48px !important; }
.md p { margin-bottom: 6px; } .md h3, .md h4 { margin: 8px 0 4px 0; }
.md pre, .md code { background: #f5f5f5; font-size: 12px; }
"""


def number(x: float) -> str:
    """A KPI value or threshold: thousands separators for large numbers, 2 decimals for small."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if abs(x) >= 1e5:
        return f"{x:,.0f}"
    if abs(x) >= 100 or x == int(x):
        return f"{x:.0f}"
    return f"{x:.2f}"


def yuan(x: float) -> str:
    """An amount of yuan in bn / m yuan."""
    if abs(x) >= 1e9:
        return f"{x / 1e9:,.2f} bn yuan"
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.1f} m yuan"
    return f"{x:,.0f} yuan"


def _prob_cell(row: pd.Series, side: str) -> str:
    light = row[f"light_{side}"]
    return (
        f'<td class="num p-{side} light-{light}" data-light="{light}">'
        f'<span class="dot dot-{light}"></span>{row[f"p_{side}"]:.2f} '
        f"[{row[f'lo_{side}']:.2f}, {row[f'hi_{side}']:.2f}]</td>"
    )


GROUPS = {"target": "", "tracking": " (2025 level kept)", "three_year": " (three-year target)"}


def headline_html(table: pd.DataFrame, costs: dict[str, dict[str, float]]) -> str:
    """Headline: per target P(reached) [95 % CI] in A and B with lights, B - A, then costs.

    Args:
        table: From :func:`scenarios.dashboard.results.headline`.
        costs: ``{"a": {...}, "b": {...}}`` from :func:`scenarios.dashboard.results.costs`.
    """
    head = (
        "<tr><th>target</th><th>threshold</th><th>A: P(reached) [95% CI]</th><th>A median</th>"
        "<th>B: P(reached) [95% CI]</th><th>B median</th><th>B - A [95% CI]</th></tr>"
    )
    rows = [head]
    for year, group in table.groupby("year", sort=True):
        rows.append(f'<tr class="group-row"><td colspan="7">{year}</td></tr>')
        for _, r in group.iterrows():
            label = escape(f"{r['label']}{GROUPS.get(r['kind'], '')}")
            rows.append(
                f'<tr data-target="{escape(r["target"])}-{year}"><td>{label}</td>'
                f'<td class="num">{number(r["threshold"])}</td>'
                f'{_prob_cell(r, "a")}<td class="num">{number(r["median_a"])}</td>'
                f'{_prob_cell(r, "b")}<td class="num">{number(r["median_b"])}</td>'
                f'<td class="num diff">{r["diff"]:+.2f} [{r["diff_lo"]:+.2f}, '
                f"{r['diff_hi']:+.2f}]</td></tr>"
            )
    rows.append('<tr class="group-row"><td colspan="7">public cost per year (mean)</td></tr>')
    names = {
        "local": "city budget (local levers)",
        "national": "national tax expenditure",
        "total": "total public cost",
    }
    for key, name in names.items():
        a, b = costs["a"][key], costs["b"][key]
        rows.append(
            f'<tr class="cost-row" data-cost="{key}"><td>{name}</td><td></td>'
            f'<td class="num cost-a" colspan="2">{yuan(a)}</td>'
            f'<td class="num cost-b" colspan="2">{yuan(b)}</td>'
            f'<td class="num diff">{"+" if b >= a else "-"}{yuan(abs(b - a))}</td></tr>'
        )
    return f'<table class="dash-table headline-table">{"".join(rows)}</table>'


def frame_html(frame: pd.DataFrame, classes: str = "", numeric: tuple[str, ...] = ()) -> str:
    """Any small DataFrame as an escaped HTML table (``numeric`` columns right-aligned)."""
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    body = []
    for _, r in frame.iterrows():
        cells = []
        for c in frame.columns:
            v = r[c]
            text = number(v) if c in numeric and isinstance(v, int | float) else str(v)
            cls = ' class="num"' if c in numeric else ""
            cells.append(f"<td{cls}>{escape(text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f'<table class="dash-table {classes}"><tr>{head}</tr>{"".join(body)}</table>'
