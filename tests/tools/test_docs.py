"""docs/model.md stays in step with the code: generated tables, parameter names, rules, metadata."""

from __future__ import annotations

import dataclasses
import re

import pytest

from agents.params import documented_fields
from sim.build import PopulationConfig
from sim.compose import load_config
from sim.config import BehaviourConfig
from sim.levers import LeverConfig, TierAmounts
from tools import doc_tables

REGENERATE = "run `python -m tools.doc_tables` to regenerate the tables of docs/model.md"

LEVER_FIELDS_WITHOUT_METADATA = frozenset(
    {"name", "start_year", "start_quarter", "evaluate_and_adjust"}
)
"""LeverConfig fields that are settings of the scenario, not levers with a unit and a family."""


@pytest.fixture(scope="module")
def cfg():
    return load_config()


@pytest.fixture(scope="module")
def doc() -> str:
    assert doc_tables.DOC_PATH.exists(), f"docs/model.md is missing; {REGENERATE}"
    return doc_tables.DOC_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def prose(doc) -> str:
    return doc_tables.strip_generated(doc)


@pytest.fixture(scope="module")
def tables(cfg) -> dict[str, str]:
    return doc_tables.render_tables(cfg)


def _documented(cfg) -> list[tuple[str, object, dict]]:
    return [*doc_tables.parameter_rows(cfg), *documented_fields(cfg.levers, "levers.")]


def _mentioned(name: str, text: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", text) is not None


# (a) generated tables are up to date


@pytest.mark.parametrize("section", doc_tables.SECTIONS)
def test_generated_tables_are_up_to_date(doc, tables, section):
    current = doc_tables.extract_section(doc, section)
    begin, end = doc_tables.markers(section)
    assert current is not None, f"docs/model.md lacks the markers {begin} ... {end}; {REGENERATE}"
    assert current == tables[section], (
        f"the {section} table of docs/model.md is stale; {REGENERATE}"
    )


# (b) every documented parameter and lever is named in the hand-written prose


def test_every_documented_name_is_in_the_prose(cfg, prose):
    missing = [name for name, _, _ in _documented(cfg) if not _mentioned(name, prose)]
    assert not missing, (
        f"documented in sim/config.py but not described in the prose of docs/model.md: {missing}; "
        "name each under the rule that reads it (the generated tables do not count)"
    )


def test_every_documented_name_is_in_the_tables(cfg, doc):
    missing = [name for name, _, _ in _documented(cfg) if f"`{name}`" not in doc]
    assert not missing, f"missing from the tables of docs/model.md: {missing}; {REGENERATE}"


# (c) numeric config fields carry param()/lever() metadata


def _is_numeric(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if dataclasses.is_dataclass(value):
        return True
    if isinstance(value, dict):
        return any(_is_numeric(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_is_numeric(v) for v in value)
    return False


def _undocumented(obj: object, prefix: str, exempt: frozenset[str] = frozenset()) -> list[str]:
    return [
        f"{prefix}{f.name}"
        for f in dataclasses.fields(obj)
        if f.name not in exempt and _is_numeric(getattr(obj, f.name)) and not f.metadata.get("kind")
    ]


def _behaviour_sub_configs() -> list[tuple[str, object]]:
    behaviour = BehaviourConfig()
    return [(f.name, getattr(behaviour, f.name)) for f in dataclasses.fields(behaviour)]


def test_behaviour_sub_configs_are_dataclasses():
    for name, sub in _behaviour_sub_configs():
        assert dataclasses.is_dataclass(sub), f"region.behaviour.{name} must be a dataclass"


def test_numeric_behaviour_fields_are_documented():
    missing = []
    for name, sub in _behaviour_sub_configs():
        missing += _undocumented(sub, f"region.behaviour.{name}.")
    assert not missing, f"declare these with agents.params.param(...): {missing}"


def test_numeric_population_fields_are_documented():
    missing = _undocumented(PopulationConfig(), "region.population.")
    assert not missing, f"declare these with agents.params.param(...): {missing}"


def test_numeric_lever_fields_are_documented():
    missing = _undocumented(LeverConfig(), "levers.", LEVER_FIELDS_WITHOUT_METADATA)
    assert not missing, f"declare these with agents.params.lever(...): {missing}"


def test_metadata_is_complete(cfg):
    keys = {
        "parameter": ("low", "high", "unit", "source", "rule"),
        "lever": ("unit", "family", "what"),
    }
    bad = [
        name
        for name, _, meta in _documented(cfg)
        if any(meta.get(k) in (None, "") for k in keys[meta["kind"]])
    ]
    assert not bad, f"incomplete param()/lever() metadata: {bad}"


# (d) every rule is named in the prose, as a heading or in bold


def _rules(cfg) -> set[str]:
    return {meta["rule"] for _, _, meta in doc_tables.parameter_rows(cfg)}


def _has_heading_or_bold(rule: str, prose: str) -> bool:
    name = rf"(?<![\w.]){re.escape(rule)}(?![\w.])"
    heading = re.search(rf"^#+ .*{name}", prose, re.MULTILINE)
    bold = re.search(rf"\*\*`?{re.escape(rule)}`?\*\*", prose)
    return bool(heading or bold)


def test_every_rule_has_a_subsection(cfg, prose):
    missing = sorted(r for r in _rules(cfg) if not _has_heading_or_bold(r, prose))
    assert not missing, (
        f"rules named in the rule= metadata without a heading or bold name in docs/model.md: "
        f"{missing}"
    )


# the table helpers


def test_format_value_renders_non_zero_dataclass_entries():
    assert doc_tables.format_value(TierAmounts(young=40000, graduate=10000), skip_zero=True) == (
        "young=40 k, graduate=10 k"
    )
    assert doc_tables.format_value(TierAmounts(), skip_zero=True) == "0"


def test_format_value_is_compact():
    assert doc_tables.format_value({"a": 0.5, "b": 2.0e9}) == "a=0.5, b=2 bn"
    assert doc_tables.format_value([0.1, 1.5e6]) == "[0.1, 1.5 m]"
    assert doc_tables.format_number(490_000.0) == "490 k"


def test_replace_section_keeps_the_prose():
    text = "intro\n<!-- BEGIN:kpis -->\nold\n<!-- END:kpis -->\noutro\n"
    new = doc_tables.replace_section(text, "kpis", "| a |\n")
    assert new == "intro\n<!-- BEGIN:kpis -->\n| a |\n<!-- END:kpis -->\noutro\n"
    assert doc_tables.strip_generated(new) == "intro\n\noutro\n"
