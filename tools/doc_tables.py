"""Render the generated tables of ``docs/model.md`` and ``docs/ODD.md`` from the code.

The field metadata declared with :func:`agents.params.param` and :func:`agents.params.lever` is the
single source of truth; this module turns it into Markdown tables and writes them between marker
comments, keeping the hand-written prose around them:

* ``docs/model.md``: ``<!-- BEGIN:parameters -->`` ... ``<!-- END:parameters -->``, and likewise
  ``endogenous`` (which city quantities the rules compute and which are exogenous drivers),
  ``migration`` (parameter paths before and after the refactor), ``levers`` and ``kpis``;
* ``docs/ODD.md``: ``endogenous`` (the same statement, in the input-data element) and
  ``provenance`` (the parameter provenance appendix of the ODD description, which marks the
  parameters calibrated by ``python -m scenarios.calibrate``, i.e. those in
  ``cfg.calibration.free``).

Run ``python -m tools.doc_tables`` after adding or changing a parameter, a lever, a KPI, an
exogenous driver or the list of calibrated parameters; ``python -m tools.doc_tables --check`` only
reports whether both files are up to date.
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

SECTIONS = ("endogenous", "migration", "parameters", "levers", "kpis")
"""Generated sections, in the order they appear in ``docs/model.md``."""

ODD_SECTIONS = ("endogenous", "provenance")
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


def _numbers_of(value: Any) -> list[float]:
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return [x for v in value for x in _numbers_of(v)]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [float(value)]
    return []


def outside_range(cfg: SimConfig) -> list[str]:
    """Parameters whose value in ``cfg`` (or an entry of it) lies outside its plausible range."""
    return [
        name
        for name, value, meta in parameter_rows(cfg)
        if any(not meta["low"] <= x <= meta["high"] for x in _numbers_of(value))
    ]


def range_note(cfg: SimConfig) -> str:
    """A line naming the parameters outside their plausible range (empty when there are none)."""
    names = outside_range(cfg)
    if not names:
        return ""
    listed = ", ".join(f"`{n}`" for n in names)
    return f"\nValue outside its plausible range in this config: {listed}.\n"


def parameter_table(cfg: SimConfig) -> str:
    """Markdown table of the parameters: name, value in ``cfg``, range, unit, source, rule.

    A line after the table names the parameters whose value lies outside their plausible range.

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
    return markdown_table(header, rows) + range_note(cfg)


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
    return markdown_table(header, rows) + range_note(cfg)


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


# ---------------------------------------------------------------------------------------------
# What is endogenous, what is exogenous


@dataclasses.dataclass(frozen=True)
class Response:
    """A city quantity that a rule computes from the simulated city, and what it responds to.

    Attributes:
        quantity: The quantity, as the prose names it.
        responds_to: What changes it (one phrase).
        rule: Dotted name of the function that computes the response.
        parameters: Dotted names of the parameters that set the response; the response is
            switched off in a config where all of them are 0. Empty for a structural response.
        aliases: Lower-case names of the quantity in the prose (``tests/test_docs.py`` checks
            that the prose never calls a responding quantity exogenous).
    """

    quantity: str
    responds_to: str
    rule: str
    parameters: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


_B = "region.behaviour."

RESPONSES = (
    Response(
        "house price",
        "the talent stock, on top of the exogenous house-price trend",
        "agents.economy.Economy.step_quarter",
        (f"{_B}economy.house_price_talent_elasticity",),
        ("house price", "house prices", "new-home price"),
    ),
    Response(
        "city wage index",
        "GDP: it grows at the year's GDP growth rate",
        "agents.economy.Economy.step_quarter",
        (),
        ("wage index", "city wage", "city wages", "city's wages"),
    ),
    Response(
        "firms' revenue drift",
        "GDP growth, less a pressure term while the firms' revenue / GDP is above its "
        "base-year value",
        "agents.economy.revenue_drift_per_quarter",
        (f"{_B}economy.revenue_share_pressure",),
        ("revenue drift",),
    ),
    Response(
        "R&D labour supply",
        "the R&D-capable talent stock, and the vacancy rate through participation",
        "agents.labour_market.LabourMarket.fill",
        (f"{_B}labour.rd_participation_response",),
        ("labour supply",),
    ),
    Response(
        "talent leaving, arriving and graduates staying",
        "the utility difference dV: city wages against outside wages, house prices net of "
        "support, talent programmes, R&D vacancies, the tier's stock",
        "agents.talent.TalentConditions.delta_v",
        tuple(
            f"{_B}talent.{n}"
            for n in (
                "wage_weight",
                "housing_cost_weight",
                "programme_weight",
                "job_weight",
                "network_weight",
            )
        ),
        ("talent flows", "talent arrivals"),
    ),
    Response(
        "outside R&D-centre arrivals",
        "the one-off award, the talent stock, IP / international spending, bonded relief",
        "agents.rd_centres.attractiveness",
        tuple(
            f"{_B}rd_centres.{n}"
            for n in (
                "centre_award_elasticity",
                "centre_talent_elasticity",
                "ip_elasticity",
                "bonded_relief_elasticity",
            )
        ),
        ("centre arrivals",),
    ),
    Response(
        "start-ups",
        "the talent stock",
        "agents.entry.startups",
        (f"{_B}entry.startups_per_10k_talent",),
        ("start-ups",),
    ),
    Response(
        "new listings",
        "the exogenous listing window, times the firms' revenue, age and fund backing",
        "agents.statuses.update_listing",
        (f"{_B}statuses.listing_rate",),
        ("new listings",),
    ),
    Response(
        "little giants picked",
        "the exogenous batch size, times the eligible firms' knowledge",
        "agents.statuses.select_little_giants",
        (f"{_B}statuses.little_giant_city_share",),
        ("little giants",),
    ),
    Response(
        "new national key labs",
        "the exogenous national rounds, times platform awards and the cultivation programme",
        "agents.platforms.national_key_labs",
        (f"{_B}platforms.national_key_lab_round_labs", f"{_B}platforms.national_key_lab_rate"),
        ("new national key labs",),
    ),
    Response(
        "technology-market depth",
        "the technology-contract turnover as a share of GDP (growth slows towards a ceiling)",
        "agents.university.deepen_market",
        (f"{_B}university.transfer_market_growth",),
        ("market depth",),
    ),
    Response(
        "national clusters won",
        "the exogenous round years, and each industry's share of the firms' R&D",
        "agents.clusters.cluster_round",
        (f"{_B}clusters.cluster_win_rate",),
        ("clusters won",),
    ),
)
"""City quantities the rules compute from the simulated city (the endogenous part)."""

EXOGENOUS_DRIVERS = {
    "gdp_growth": (
        "trend GDP growth of the years without an observed rate, drawn per replicate; a yearly "
        "normal shock of s.d. `region.behaviour.economy.gdp_shock_sd` is added",
        "agents.economy.Economy.start_year",
    ),
    "gdp_growth_by_year": (
        "observed GDP growth of past years, used as it is",
        "agents.economy.Economy.start_year",
    ),
    "listing_window": (
        "national A-share IPO activity relative to 2022, by year",
        "agents.statuses.update_listing",
    ),
    "listing_window_later": (
        "listing window of the other years, drawn per replicate",
        "agents.statuses.update_listing",
    ),
    "listing_window_spread": (
        "s.d. of a log-normal factor on each year's listing window (with exogenous uncertainty)",
        "agents.statuses.update_listing",
    ),
    "little_giant_batch": (
        "national little-giant batch size, by year",
        "agents.statuses.select_little_giants",
    ),
    "little_giant_batch_later": (
        "batch size of the other years, drawn per replicate",
        "agents.statuses.select_little_giants",
    ),
    "cluster_round_years": (
        "years with a national cluster round",
        "agents.clusters.cluster_round",
    ),
    "national_key_lab_rounds": (
        "intensity of the national key-lab round of a year (1 = a full reorganisation round)",
        "agents.platforms.national_key_labs",
    ),
    "national_key_lab_rounds_later": (
        "round intensity of the other years, drawn per replicate",
        "agents.platforms.national_key_labs",
    ),
    "house_price_growth": (
        "trend of house prices, drawn per replicate (the talent stock adds the endogenous part)",
        "agents.economy.Economy.step_quarter",
    ),
    "outside_talent_pool_growth": (
        "growth of the outside talent pool that arrivals scale with, drawn per replicate",
        "agents.talent.step_quarter",
    ),
    "outside_wage_growth": (
        "wage growth elsewhere, against which the city's wage index is compared, drawn per "
        "replicate",
        "agents.economy.Economy.step_quarter",
    ),
}
"""Every field of :class:`agents.economy.ExogenousConfig`: what it is and the rule that uses it."""


def parameter_values(cfg: SimConfig) -> dict[str, Any]:
    """Dotted name -> value of every behavioural and population parameter of ``cfg``."""
    return {name: value for name, value, _ in parameter_rows(cfg)}


def responding(cfg: SimConfig) -> list[tuple[Response, bool]]:
    """Each :data:`RESPONSES` entry with whether it responds in ``cfg``.

    A response is switched off when every parameter that sets it is 0 in ``cfg``; a structural
    response (no parameter) always responds.

    Raises:
        LookupError: a response names a parameter that is not declared, or a parameter whose
            ``rule=`` tag is not the response's rule.
    """
    rules = {name: meta["rule"] for name, _, meta in parameter_rows(cfg)}
    values = parameter_values(cfg)
    out = []
    for r in RESPONSES:
        for name in r.parameters:
            if name not in rules:
                raise LookupError(f"{r.quantity}: {name} is not a declared parameter")
            if rules[name] != r.rule:
                raise LookupError(f"{r.quantity}: {name} is read by {rules[name]}, not by {r.rule}")
        on = not r.parameters or any(values[n] != 0 for n in r.parameters)
        out.append((r, on))
    return out


def exogenous_fields(cfg: SimConfig) -> list[tuple[str, Any]]:
    """``(field, value)`` of every exogenous driver of ``cfg.region.exogenous``, in field order.

    Raises:
        LookupError: when :data:`EXOGENOUS_DRIVERS` does not describe exactly these fields.
    """
    exo = cfg.region.exogenous
    names = [f.name for f in dataclasses.fields(exo)]
    if set(names) != set(EXOGENOUS_DRIVERS):
        raise LookupError(
            f"describe every field of region.exogenous in EXOGENOUS_DRIVERS: missing "
            f"{sorted(set(names) - set(EXOGENOUS_DRIVERS))}, stale "
            f"{sorted(set(EXOGENOUS_DRIVERS) - set(names))}"
        )
    return [(n, getattr(exo, n)) for n in names]


def _driver_value(value: Any) -> str:
    if dataclasses.is_dataclass(value):
        low, high = format_number(value.low), format_number(value.high)
        return f"{format_number(value.value)} ({low} to {high})"
    if isinstance(value, dict):
        return format_value(dict(sorted(value.items()))) if value else "none"
    return format_value(value)


def endogenous_statement(cfg: SimConfig) -> str:
    """Which city quantities the rules compute, and which are exogenous drivers.

    Derived from the code: the responses are checked against the parameters' ``rule=`` tags and
    switched off where their parameters are 0; the drivers are the fields of
    ``region.exogenous``.

    Args:
        cfg: The config whose values are shown (the config of default runs).

    Returns:
        Markdown: a table of endogenous quantities, then a table of exogenous drivers.
    """
    values = parameter_values(cfg)
    rows = []
    for r, on in responding(cfg):
        params = ", ".join(f"`{n}` ({format_value(values[n])})" for n in r.parameters)
        status = "endogenous" if on else "exogenous in this config (its parameters are 0)"
        rows.append((r.quantity, status, r.responds_to, rule_cell(r.rule), params or "none"))
    endo = markdown_table(("quantity", "status", "responds to", "rule", "parameters"), rows)
    drivers = [
        (
            f"`region.exogenous.{name}`",
            EXOGENOUS_DRIVERS[name][0],
            rule_cell(EXOGENOUS_DRIVERS[name][1]),
            _driver_value(value),
        )
        for name, value in exogenous_fields(cfg)
    ]
    exo = markdown_table(("driver", "what", "used by", "value"), drivers)
    return (
        "**Computed by rules (endogenous).** Each quantity responds to the simulated city as "
        "stated; the parameters that set the response are shown with their values.\n\n"
        f"{endo}\n"
        "**Exogenous drivers** (`region.exogenous.*`). Set by the region config and, with "
        "`run.exogenous_uncertainty`, drawn per replicate from their ranges; no rule changes them. "
        "GDP follows `gdp_growth`, `gdp_growth_by_year` and the yearly shock alone: nothing the "
        "simulated city does feeds back on it.\n\n"
        f"{exo}"
    )


# ---------------------------------------------------------------------------------------------
# Parameter paths before and after the refactor


MOVED_PARAMETERS = {
    **{
        f"{_B}firm.{n}": f"{_B}spillovers.{n}"
        for n in (
            "spillover_university_weight",
            "spillover_platform_weight",
            "spillover_industry_weight",
        )
    },
    **{
        f"{_B}firm.{n}": f"{_B}statuses.{n}"
        for n in (
            "hte_rd_intensity_threshold",
            "hte_application_rate",
            "hte_reach_share",
            "tech_sme_registration_rate",
            "hte_loss_rate",
            "hte_knowledge_min_m_yuan",
            "little_giant_city_share",
            "little_giant_review_loss",
            "listing_rate",
            "listing_min_revenue_yuan",
            "listing_fund_multiplier",
            "delisting_rate",
        )
    },
    **{
        f"{_B}firm.{n}": f"{_B}rd_centres.{n}"
        for n in (
            "centre_upgrade_max_rate",
            "centre_upgrade_award_half_yuan",
            "centre_upgrade_min_rd_yuan",
        )
    },
    **{
        f"{_B}firm.{n}": f"{_B}platforms.{n}"
        for n in ("platform_award_elasticity", "platform_closure_rate", "cultivation_multiplier")
    },
    f"{_B}firm.fund_rd_boost": f"{_B}fund.fund_rd_boost",
    f"{_B}university.graduate_stay_share": f"{_B}talent.graduate_stay_share",
    f"{_B}university.national_key_lab_rate": f"{_B}platforms.national_key_lab_rate",
    **{
        f"{_B}entry.{n}": f"{_B}rd_centres.{n}"
        for n in (
            "centre_arrivals_base",
            "centre_award_elasticity",
            "centre_talent_elasticity",
            "bonded_relief_elasticity",
            "ip_elasticity",
            "centre_investment_yuan",
            "centre_rd_yuan",
        )
    },
    **{
        f"{_B}market.{n}": f"{_B}labour.{n}"
        for n in ("rd_labour_slack", "rd_participation_response")
    },
    **{
        f"{_B}market.{n}": f"{_B}economy.{n}"
        for n in ("house_price_talent_elasticity", "revenue_share_pressure")
    },
    **{
        f"{_B}market.{n}": f"{_B}clusters.{n}"
        for n in ("cluster_win_rate", "cluster_strength_elasticity")
    },
}
"""Old dotted path -> new path of every parameter that moved to another group in the refactor
(commit e1ff1eb); paths not listed kept their name or are in :data:`REMOVED_PARAMETERS`."""

_FORMATION = (
    "removed when platforms began to form from unused hosting potential (commit 91225b3): "
    "see `{b}platforms.platform_formation_rate` and `{b}platforms.{unit}`"
)

REMOVED_PARAMETERS = {
    **{
        f"{_B}{group}.platform_rate_per_100m_rd": _FORMATION.format(
            b=_B, unit="platform_rd_per_unit_yuan"
        )
        for group in ("firm", "platforms")
    },
    **{
        f"{_B}{group}.platform_rate_per_1000_researchers": _FORMATION.format(
            b=_B, unit="researchers_per_platform"
        )
        for group in ("university", "platforms")
    },
    **{
        f"{_B}{group}.national_platform_share": (
            "removed: national approvals are Poisson in real R&D, see "
            f"`{_B}platforms.national_platform_rate_per_100m_rd`"
        )
        for group in ("firm", "platforms")
    },
}
"""Old dotted path -> what replaced it, for parameters that no longer exist."""


def _named_parameters(text: str) -> list[str]:
    return re.findall(r"`(region\.[\w.]+)`", text)


def migration_table(cfg: SimConfig) -> str:
    """Markdown table of old parameter paths: the new path and its rule, or what replaced it.

    Raises:
        LookupError: a new path (or a replacement named in a note) is not a declared parameter,
            or an old path still is.
    """
    rules = {name: meta["rule"] for name, _, meta in parameter_rows(cfg)}
    stale = [old for old in (*MOVED_PARAMETERS, *REMOVED_PARAMETERS) if old in rules]
    named = [*MOVED_PARAMETERS.values()]
    named += [n for note in REMOVED_PARAMETERS.values() for n in _named_parameters(note)]
    missing = [new for new in named if new not in rules]
    if stale or missing:
        raise LookupError(
            f"MOVED_PARAMETERS / REMOVED_PARAMETERS: old paths still declared {stale}, new paths "
            f"not declared {missing}"
        )
    rows = [
        (f"`{old}`", f"`{new}`", rule_cell(rules[new])) for old, new in MOVED_PARAMETERS.items()
    ]
    rows += [(f"`{old}`", note, "") for old, note in REMOVED_PARAMETERS.items()]
    return markdown_table(("old path", "new path", "rule"), rows)


def render_tables(cfg: SimConfig | None = None) -> dict[str, str]:
    """Every generated section of ``docs/model.md``.

    Args:
        cfg: Config to document; the Changsha default config when omitted.

    Returns:
        Section name (``endogenous``, ``migration``, ``parameters``, ``levers``, ``kpis``) ->
        Markdown text.
    """
    if cfg is None:
        from sim.compose import load_config

        cfg = load_config()
    return {
        "endogenous": endogenous_statement(cfg),
        "migration": migration_table(cfg),
        "parameters": parameter_table(cfg),
        "levers": lever_table(cfg),
        "kpis": kpi_table(),
    }


def render_odd_tables(cfg: SimConfig | None = None) -> dict[str, str]:
    """Every generated section of ``docs/ODD.md``.

    Args:
        cfg: Config to document; the config of default runs when omitted.

    Returns:
        Section name (``endogenous``, ``provenance``) -> Markdown text.
    """
    if cfg is None:
        from sim.compose import load_config

        cfg = load_config()
    return {"endogenous": endogenous_statement(cfg), "provenance": provenance_table(cfg)}


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
