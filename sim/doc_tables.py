"""Render the parameter, lever and KPI tables of ``docs/model.md`` from the code.

The field metadata declared with :func:`sim.params.param` and :func:`sim.params.lever` is the
single source of truth; this module turns it into Markdown tables and writes them between marker
comments in ``docs/model.md`` (``<!-- BEGIN:parameters -->`` ... ``<!-- END:parameters -->``, and
likewise ``levers`` and ``kpis``), keeping the hand-written prose around them.

Run ``python -m sim.doc_tables`` after adding or changing a parameter, a lever or a KPI;
``python -m sim.doc_tables --check`` only reports whether the file is up to date.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sim.config import SimConfig
from sim.params import documented_fields

DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "model.md"

LEVER_PRESETS = (
    "none",
    "baseline",
    "enacted_2023",
    "talent_housing_push",
    "bonded_rd_push",
    "platform_push",
)
"""Lever presets shown as columns of the lever table (``conf/levers/<name>.yaml``)."""

SECTIONS = ("parameters", "levers", "kpis")
"""Generated sections, in the order they appear in ``docs/model.md``."""

PARAMETER_GROUPS = (("behaviour", "region.behaviour."), ("population", "region.population."))
"""Config objects under ``cfg.region`` whose documented fields form the parameter table."""


# ---------------------------------------------------------------------------------------------
# Cell formatting


def format_number(x: float) -> str:
    """A number in a short readable form: ``490 k``, ``1.5 m``, ``2 bn``, ``0.242``.

    Args:
        x: The number (int or float).

    Returns:
        Thousands, millions and billions are abbreviated; smaller numbers use ``%g``.
    """
    ax = abs(x)
    for threshold, factor, suffix in ((1e9, 1e9, " bn"), (1e6, 1e6, " m"), (1e4, 1e3, " k")):
        if ax >= threshold:
            return f"{x / factor:g}{suffix}"
    return f"{x:g}"


def format_value(value: Any, *, skip_zero: bool = False) -> str:
    """A config value as a compact table cell.

    Args:
        value: Number, string, list, dict or dataclass instance.
        skip_zero: Leave out zero entries of dicts and dataclasses (``0`` if all are zero).

    Returns:
        ``k=v`` pairs for dicts and dataclasses, ``[a, b]`` for lists, the number otherwise.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        pairs = [(k, v) for k, v in value.items() if not (skip_zero and v == 0)]
        return ", ".join(f"{k}={format_value(v)}" for k, v in pairs) or "0"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return format_number(value)
    return str(value)


def _has_numbers(value: Any) -> bool:
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return any(_has_numbers(v) for v in value)
    return isinstance(value, int | float) and not isinstance(value, bool)


def format_range(value: Any, meta: dict) -> str:
    """The plausible range ``low to high`` of a parameter (``n/a`` for non-numeric values)."""
    if not _has_numbers(value):
        return "n/a"
    return f"{format_number(meta['low'])} to {format_number(meta['high'])}"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table.

    Args:
        header: Column titles.
        rows: One sequence of cells per row (converted with ``str``, pipes escaped).

    Returns:
        The table, one line per row, ending with a newline.
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Tables


def parameter_rows(cfg: SimConfig) -> list[tuple[str, Any, dict]]:
    """``(dotted_name, value, metadata)`` of every behavioural and population parameter."""
    rows = []
    for attr, prefix in PARAMETER_GROUPS:
        for name, value, meta in documented_fields(getattr(cfg.region, attr), prefix):
            if meta["kind"] == "parameter":
                rows.append((name, value, meta))
    return rows


def parameter_table(cfg: SimConfig) -> str:
    """Markdown table of the parameters: name, value in ``cfg``, range, unit, source, rule.

    Args:
        cfg: The config whose values are shown (the Changsha default config).

    Returns:
        The table.
    """
    header = ("name", "value", "range", "unit", "source", "rule")
    rows = [
        (
            f"`{name}`",
            format_value(value),
            format_range(value, meta),
            meta["unit"],
            meta["source"],
            f"`{meta['rule']}`",
        )
        for name, value, meta in parameter_rows(cfg)
    ]
    return markdown_table(header, rows)


def lever_values(levers: Any) -> dict[str, Any]:
    """Dotted lever name -> value for one lever config."""
    return {
        name: value
        for name, value, meta in documented_fields(levers, "levers.")
        if meta["kind"] == "lever"
    }


def load_presets(names: Sequence[str] = LEVER_PRESETS) -> dict[str, dict[str, Any]]:
    """Lever values of each preset, composed with Hydra (``levers=<name>``)."""
    from sim.compose import load_config  # local: Hydra is only needed when composing

    return {name: lever_values(load_config([f"levers={name}"]).levers) for name in names}


def lever_table(cfg: SimConfig, presets: dict[str, dict[str, Any]] | None = None) -> str:
    """Markdown table of the levers: name, family, unit, what, and the value in each preset.

    Args:
        cfg: Config whose lever fields and metadata are listed.
        presets: Preset name -> lever values; loaded from ``conf/levers`` when omitted.

    Returns:
        The table.
    """
    presets = load_presets() if presets is None else presets
    header = ("name", "family", "unit", "what", *presets)
    rows = [
        (
            f"`{name}`",
            meta["family"],
            meta["unit"],
            meta["what"],
            *(format_value(values[name], skip_zero=True) for values in presets.values()),
        )
        for name, _, meta in documented_fields(cfg.levers, "levers.")
        if meta["kind"] == "lever"
    ]
    return markdown_table(header, rows)


def kpi_table() -> str:
    """Markdown table of the KPIs the model reports each year, with their units."""
    from sim.kpis import KPI_UNITS

    return markdown_table(("KPI", "unit"), ((f"`{k}`", unit) for k, unit in KPI_UNITS.items()))


def render_tables(cfg: SimConfig | None = None) -> dict[str, str]:
    """Every generated section of ``docs/model.md``.

    Args:
        cfg: Config to document; the Changsha default config when omitted.

    Returns:
        Section name (``parameters``, ``levers``, ``kpis``) -> Markdown table.
    """
    if cfg is None:
        from sim.compose import load_config

        cfg = load_config()
    return {
        "parameters": parameter_table(cfg),
        "levers": lever_table(cfg),
        "kpis": kpi_table(),
    }


# ---------------------------------------------------------------------------------------------
# Writing docs/model.md


def markers(section: str) -> tuple[str, str]:
    """The begin and end marker comments of a generated section."""
    return f"<!-- BEGIN:{section} -->", f"<!-- END:{section} -->"


def _section_pattern(section: str) -> re.Pattern[str]:
    begin, end = markers(section)
    return re.compile(re.escape(begin) + r"\n(.*?)" + re.escape(end), re.DOTALL)


def extract_section(text: str, section: str) -> str | None:
    """The generated text between a section's markers, or ``None`` if the markers are missing."""
    match = _section_pattern(section).search(text)
    return match.group(1) if match else None


def replace_section(text: str, section: str, body: str) -> str:
    """``text`` with the part between a section's markers replaced (appended if missing).

    Args:
        text: The Markdown document.
        section: Section name.
        body: New generated text (ends with a newline).

    Returns:
        The updated document.
    """
    begin, end = markers(section)
    block = f"{begin}\n{body}{end}"
    pattern = _section_pattern(section)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text, count=1)
    return text.rstrip("\n") + f"\n\n{block}\n"


def strip_generated(text: str) -> str:
    """The hand-written prose only: ``text`` without the generated sections."""
    for section in SECTIONS:
        text = _section_pattern(section).sub("", text)
    return text


def update_document(text: str, tables: dict[str, str]) -> str:
    """``text`` with every generated section replaced by ``tables``."""
    for section, body in tables.items():
        text = replace_section(text, section, body)
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite the generated tables of ``docs/model.md`` (``--check``: only compare).

    Args:
        argv: Command-line arguments (default ``sys.argv[1:]``).

    Returns:
        Exit status: 0, or 1 when ``--check`` finds the file out of date.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    text = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
    new = update_document(text, render_tables())
    if "--check" in args:
        stale = new != text
        print(f"{DOC_PATH} is {'out of date' if stale else 'up to date'}")
        return int(stale)
    if new != text:
        DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
        DOC_PATH.write_text(new, encoding="utf-8")
    print(f"wrote tables {', '.join(SECTIONS)} to {DOC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
