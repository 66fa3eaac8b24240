"""Render the generated tables of ``docs/model.md`` and ``docs/ODD.md`` from the code.

The field metadata declared with :func:`agents.params.param` and :func:`agents.params.lever` is the
single source of truth; this module turns it into Markdown tables and writes them between marker
comments, keeping the hand-written prose around them:

* ``docs/model.md``: ``<!-- BEGIN:parameters -->`` ... ``<!-- END:parameters -->``, and likewise
  ``levers`` and ``kpis``;
* ``docs/ODD.md``: ``provenance`` (the parameter provenance appendix of the ODD description, which
  marks the parameters calibrated by ``python -m scenarios.calibrate``, i.e. those in
  ``cfg.calibration.free``).

Run ``python -m tools.doc_tables`` after adding or changing a parameter, a lever, a KPI or the
list of calibrated parameters; ``python -m tools.doc_tables --check`` only reports whether both
files are up to date.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from agents.params import documented_fields, rule_file
from sim.config import SimConfig
from sim.levers import preset_names

DOCS_DIR = Path(__file__).resolve().parent.parent / "docs"
DOC_PATH = DOCS_DIR / "model.md"
ODD_PATH = DOCS_DIR / "ODD.md"

SECTIONS = ("parameters", "levers", "kpis")
"""Generated sections, in the order they appear in ``docs/model.md``."""

ODD_SECTIONS = ("provenance",)
"""Generated sections of ``docs/ODD.md``."""

CALIBRATED_SOURCE = "calibrated (prior: {source})"
"""Source cell of a parameter in ``cfg.calibration.free``; ``source`` is the declared source."""

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
            rule_cell(meta["rule"]),
        )
        for name, value, meta in parameter_rows(cfg)
    ]
    return markdown_table(header, rows)


def rule_cell(rule: str) -> str:
    """A rule name linked to the file that defines it (links relative to ``docs/``)."""
    return f"[`{rule}`](../{rule_file(rule)})"


def calibrated_source(source: str) -> str:
    """The provenance source cell of a calibrated parameter, keeping its declared source."""
    return CALIBRATED_SOURCE.format(source=source)


def unknown_free(cfg: SimConfig, free: Iterable[str] | None = None) -> list[str]:
    """Names in the calibration ``free`` list that are not behavioural or population parameters.

    Args:
        cfg: Config whose parameters are declared.
        free: Dotted names of the calibrated parameters (default ``cfg.calibration.free``).

    Returns:
        The names that match no parameter (typos, or parameters not yet declared).
    """
    free = cfg.calibration.free if free is None else free
    declared = {name for name, _, _ in parameter_rows(cfg)}
    return [name for name in free if name not in declared]


def provenance_table(cfg: SimConfig, free: Iterable[str] | None = None) -> str:
    """Markdown table of parameter provenance for the ODD description (``docs/ODD.md``).

    One row per behavioural and population parameter: name, value in ``cfg``, plausible range,
    unit, source and rule. A parameter in ``free`` (the parameters fitted by history matching) has
    the source ``calibrated (prior: <declared source>)``: its value comes from calibration and its
    declared range and source are the prior.

    Args:
        cfg: The config whose values are shown (the config of default runs).
        free: Dotted names of the calibrated parameters (default ``cfg.calibration.free``).

    Returns:
        The table.
    """
    calibrated = set(cfg.calibration.free if free is None else free)
    header = ("name", "value", "range", "unit", "source", "rule")
    rows = [
        (
            f"`{name}`",
            format_value(value),
            format_range(value, meta),
            meta["unit"],
            calibrated_source(meta["source"]) if name in calibrated else meta["source"],
            rule_cell(meta["rule"]),
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


def load_presets(names: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """Lever values of each preset of ``conf/levers/`` (or ``names``), composed with Hydra."""
    from sim.compose import load_config  # local: Hydra is only needed when composing

    names = preset_names() if names is None else names
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


def render_odd_tables(cfg: SimConfig | None = None) -> dict[str, str]:
    """Every generated section of ``docs/ODD.md``.

    Args:
        cfg: Config to document; the config of default runs when omitted.

    Returns:
        Section name (``provenance``) -> Markdown table.
    """
    if cfg is None:
        from sim.compose import load_config

        cfg = load_config()
    return {"provenance": provenance_table(cfg)}


# ---------------------------------------------------------------------------------------------
# Writing docs/model.md and docs/ODD.md


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


def strip_generated(text: str, sections: Sequence[str] = SECTIONS) -> str:
    """The hand-written prose only: ``text`` without the generated sections.

    Args:
        text: The Markdown document.
        sections: Its generated sections (default: those of ``docs/model.md``).
    """
    for section in sections:
        text = _section_pattern(section).sub("", text)
    return text


def update_document(text: str, tables: dict[str, str]) -> str:
    """``text`` with every generated section replaced by ``tables``."""
    for section, body in tables.items():
        text = replace_section(text, section, body)
    return text


def render_documents(cfg: SimConfig | None = None) -> dict[Path, dict[str, str]]:
    """Generated sections of every document: path -> section name -> Markdown table.

    Args:
        cfg: Config to document; the config of default runs when omitted.
    """
    if cfg is None:
        from sim.compose import load_config

        cfg = load_config()
    return {DOC_PATH: render_tables(cfg), ODD_PATH: render_odd_tables(cfg)}


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite the generated tables of ``docs/model.md`` and ``docs/ODD.md``.

    Args:
        argv: Command-line arguments (default ``sys.argv[1:]``); ``--check`` only compares.

    Returns:
        Exit status: 0, or 1 when ``--check`` finds a file out of date.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    check = "--check" in args
    from sim.compose import load_config

    cfg = load_config()
    unknown = unknown_free(cfg)
    if unknown:
        print(
            f"warning: calibration.free names parameters that are not declared: {unknown}",
            file=sys.stderr,
        )
    stale_any = False
    for path, tables in render_documents(cfg).items():
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        new = update_document(text, tables)
        if check:
            stale = new != text
            stale_any |= stale
            print(f"{path} is {'out of date' if stale else 'up to date'}")
            continue
        if new != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(new, encoding="utf-8")
        print(f"wrote tables {', '.join(tables)} to {path}")
    return int(stale_any)


if __name__ == "__main__":
    sys.exit(main())
