"""docs/ODD.md follows the ODD protocol (2020 structure) and its provenance table is current."""

from __future__ import annotations

import re

import pytest

from agents.params import documented_fields
from sim.build import PopulationConfig
from sim.compose import load_config
from sim.config import BehaviourConfig
from tools import doc_tables

REGENERATE = "run `python -m tools.doc_tables` to regenerate the provenance table of docs/ODD.md"

ODD_ELEMENTS = (
    "Purpose and patterns",
    "Entities, state variables, and scales",
    "Process overview and scheduling",
    "Design concepts",
    "Initialization",
    "Input data",
    "Submodels",
)
"""The seven elements of ODD (Grimm et al. 2020), with the protocol's identifiers, in order."""

DESIGN_CONCEPTS = (
    "Basic principles",
    "Emergence",
    "Adaptation",
    "Objectives",
    "Learning",
    "Prediction",
    "Sensing",
    "Interaction",
    "Stochasticity",
    "Collectives",
    "Observation",
)
"""The eleven design concepts of ODD, in order."""

PROVENANCE_HEADING = "Parameter provenance"
NUMBER = r"(?:Appendix\s+)?(?:[\dA-Z]+(?:\.\d+)*\.?\s+)?"
"""Optional numbering of a heading: ``4.``, ``4.1``, ``Appendix B.``."""


@pytest.fixture(scope="module")
def cfg():
    return load_config()


@pytest.fixture(scope="module")
def odd() -> str:
    assert doc_tables.ODD_PATH.exists(), "docs/ODD.md is missing"
    return doc_tables.ODD_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def rows(odd) -> dict[str, list[str]]:
    """Provenance table rows: parameter name -> cells (name, value, range, unit, source, rule)."""
    table = doc_tables.extract_section(odd, "provenance")
    assert table is not None, f"docs/ODD.md lacks the provenance markers; {REGENERATE}"
    out = {}
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break  # the note after the table
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        out[cells[0].strip("`")] = cells
    return out


def _headings(text: str, level: int) -> list[tuple[int, str]]:
    """(offset, title) of every Markdown heading of exactly ``level`` outside code blocks."""
    out, offset, fenced = [], 0, False
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(rf"#{{{level}}} ", line):
            out.append((offset, line[level + 1 :].strip()))
        offset += len(line)
    return out


def _title(heading: str) -> str:
    """A heading without its numbering: ``4.1 Basic principles`` -> ``Basic principles``."""
    return re.sub(rf"^{NUMBER}", "", heading).strip()


def _element_offsets(odd: str) -> dict[str, int]:
    return {_title(t): pos for pos, t in _headings(odd, 2)}


def _parameter_names() -> list[str]:
    """Every behavioural and population parameter declared in sim/config.py."""
    groups = ((BehaviourConfig(), "region.behaviour."), (PopulationConfig(), "region.population."))
    return [
        name
        for obj, prefix in groups
        for name, _, meta in documented_fields(obj, prefix)
        if meta["kind"] == "parameter"
    ]


# Structure


def test_seven_odd_elements_appear_in_order(odd):
    titles = [_title(t) for _, t in _headings(odd, 2)]
    elements = [t for t in titles if t in ODD_ELEMENTS]
    assert elements == list(ODD_ELEMENTS), (
        f"docs/ODD.md must have the seven ODD elements as '## ' headings, each once, in the "
        f"protocol's order {list(ODD_ELEMENTS)}; found {elements}"
    )
    first = titles.index(ODD_ELEMENTS[0])
    assert titles[first : first + 7] == list(ODD_ELEMENTS), (
        f"no other '## ' section may sit between the ODD elements; found {titles}"
    )


def test_eleven_design_concepts_appear_in_order_inside_design_concepts(odd):
    offsets = _element_offsets(odd)
    start = offsets["Design concepts"]
    end = min(pos for pos in offsets.values() if pos > start)
    inside = [_title(t) for pos, t in _headings(odd, 3) if start < pos < end]
    assert inside == list(DESIGN_CONCEPTS), (
        f"'Design concepts' must have exactly the eleven sub-headings {list(DESIGN_CONCEPTS)} "
        f"as '### ' headings in this order; found {inside}"
    )


def test_provenance_appendix_follows_submodels(odd):
    offsets = _element_offsets(odd)
    assert PROVENANCE_HEADING in offsets, (
        "docs/ODD.md lacks a '## ... Parameter provenance' appendix"
    )
    appendix = offsets[PROVENANCE_HEADING]
    assert appendix > offsets["Submodels"], "the provenance appendix must come after Submodels"
    begin, _ = doc_tables.markers("provenance")
    later = [pos for pos in offsets.values() if pos > appendix]
    assert appendix < odd.index(begin) < min(later, default=len(odd)), (
        "the provenance table markers must sit inside the Parameter provenance appendix"
    )


def test_odd_is_cited(odd):
    for year in ("2006", "2010", "2020"):
        assert re.search(rf"Grimm\b.{{0,300}}?\b{year}\b", odd, re.DOTALL), (
            f"cite ODD: Grimm et al. ({year})"
        )


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_links_to_model_md_point_at_existing_sections(odd):
    model = doc_tables.DOC_PATH.read_text(encoding="utf-8")
    anchors = {_anchor(t) for level in range(1, 5) for _, t in _headings(model, level)}
    links = re.findall(r"\]\(model\.md#([^)]+)\)", odd)
    assert links, "docs/ODD.md should point to the sections of docs/model.md"
    broken = sorted({a for a in links if a not in anchors})
    assert not broken, f"links from docs/ODD.md to missing sections of docs/model.md: {broken}"


def test_every_submodel_group_links_to_model_md(odd):
    offsets = _element_offsets(odd)
    start = offsets["Submodels"]
    end = min(pos for pos in offsets.values() if pos > start)
    subs = [(pos, t) for pos, t in _headings(odd, 3) if start < pos < end]
    assert subs, "Submodels needs one '### ' subsection per rule group"
    bounds = [pos for pos, _ in subs[1:]] + [end]
    missing = [
        t for (pos, t), stop in zip(subs, bounds, strict=True) if "(model.md#" not in odd[pos:stop]
    ]
    assert not missing, f"Submodels subsections without a link to docs/model.md: {missing}"


def test_every_rule_is_named_in_submodels(cfg, odd):
    offsets = _element_offsets(odd)
    start = offsets["Submodels"]
    end = min(pos for pos in offsets.values() if pos > start)
    submodels = odd[start:end]
    rules = {meta["rule"] for _, _, meta in doc_tables.parameter_rows(cfg)}
    missing = sorted(r for r in rules if f"`{r}`" not in submodels)
    assert not missing, f"rules of the parameter metadata not named in ODD Submodels: {missing}"


# Provenance table


def test_provenance_table_is_up_to_date(cfg, odd):
    current = doc_tables.extract_section(odd, "provenance")
    assert current is not None, f"docs/ODD.md lacks the provenance markers; {REGENERATE}"
    assert current == doc_tables.provenance_table(cfg), (
        f"the provenance table is stale; {REGENERATE}"
    )


def test_every_free_parameter_is_declared(cfg):
    unknown = doc_tables.unknown_free(cfg)
    assert not unknown, (
        f"calibration.free (conf/calibration/*.yaml) names parameters not declared in "
        f"sim/config.py: {unknown}"
    )


def test_every_free_parameter_is_marked_calibrated(cfg, rows):
    free = list(cfg.calibration.free)
    assert free, "calibration.free is empty: no parameter would be calibrated"
    missing = [name for name in free if name not in rows]
    assert not missing, f"free parameters missing from the provenance table: {missing}"
    unmarked = [name for name in free if not rows[name][4].startswith("calibrated (prior: ")]
    assert not unmarked, (
        f"free parameters whose source is not 'calibrated (prior: ...)': {unmarked}"
    )


def test_only_free_parameters_are_marked_calibrated(cfg, rows):
    free = set(cfg.calibration.free)
    extra = [
        n
        for n, cells in rows.items()
        if cells[4].startswith("calibrated (prior:") and n not in free
    ]
    assert not extra, f"marked calibrated but not in calibration.free: {extra}"


def test_every_declared_parameter_is_in_the_provenance_table(rows):
    missing = [name for name in _parameter_names() if name not in rows]
    assert not missing, (
        f"declared in sim/config.py but missing from docs/ODD.md: {missing}; {REGENERATE}"
    )
    extra = sorted(set(rows) - set(_parameter_names()))
    assert not extra, f"in the provenance table but no longer declared: {extra}; {REGENERATE}"


def test_provenance_table_marks_a_given_free_list(cfg):
    names = [name for name, _, _ in doc_tables.parameter_rows(cfg)]
    chosen = names[0]
    table = doc_tables.provenance_table(cfg, free=[chosen])
    source = next(
        meta["source"] for name, _, meta in doc_tables.parameter_rows(cfg) if name == chosen
    )
    row = next(line for line in table.splitlines() if line.startswith(f"| `{chosen}` |"))
    assert f"| calibrated (prior: {doc_tables._cell(source)}) |" in row
    others = [line for line in table.splitlines()[2:] if not line.startswith(f"| `{chosen}` |")]
    assert not any("calibrated (prior:" in line for line in others)
    assert doc_tables.provenance_table(cfg, free=[]).count("calibrated (prior:") == 0


def test_check_mode_covers_both_documents(capsys):
    assert doc_tables.main(["--check"]) == 0, "run `python -m tools.doc_tables`"
    out = capsys.readouterr().out
    assert "model.md is up to date" in out
    assert "ODD.md is up to date" in out
