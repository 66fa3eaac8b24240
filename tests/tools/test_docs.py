"""The docs stay in step with the code.

docs/model.md: generated tables, parameter names under the rule that reads them, one subsection per
rule linked to its file, the schedule in the order InnovationModel.step calls it, names and paths
that exist, and a generated statement of what is endogenous that the prose may not contradict.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

from agents.economy import Economy, EconomyParams, ExogenousConfig, revenue_drift_per_quarter
from agents.labour_market import LabourMarket, LabourParams
from agents.params import ConfigError, documented_fields, rule_file
from agents.population import Population
from agents.rd_centres import CentreParams, attractiveness
from agents.talent import CityConditions, TalentConditions, TalentParams
from sim.build import PopulationConfig
from sim.compose import load_config
from sim.config import BehaviourConfig
from sim.levers import COST_LINES, LeverConfig, PolicyState, TierAmounts
from sim.model import InnovationModel
from tools import doc_tables

ROOT = doc_tables.DOCS_DIR.parent
README = ROOT / "README.md"

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


# (e) one subsection per rule, headed by its dotted name and linked to its file; each parameter is
# named in the subsection of the rule that reads it

HEADING = re.compile(r"^(#{1,6}) ", re.MULTILINE)
RULE_HEADING = re.compile(r"^#### \[`([\w.]+)`\]\(\.\./([\w/.]+)\)", re.MULTILINE)


def rule_sections(prose: str) -> dict[str, tuple[str, str]]:
    """Rule heading name -> (linked file, text of its subsection up to the next heading)."""
    heads = [(m.start(), len(m.group(1))) for m in HEADING.finditer(prose)]
    out = {}
    for m in RULE_HEADING.finditer(prose):
        end = next((pos for pos, lvl in heads if pos > m.start() and lvl <= 4), len(prose))
        out[m.group(1)] = (m.group(2), prose[m.start() : end])
    return out


def test_every_rule_heading_links_to_the_file_that_defines_it(cfg, prose):
    sections = rule_sections(prose)
    missing = sorted(_rules(cfg) - set(sections))
    assert not missing, f"rules without a '#### [`rule`](../file)' heading: {missing}"
    wrong = {r: f for r, (f, _) in sections.items() if f != rule_file(r)}
    assert not wrong, f"rule headings linked to the wrong file: {wrong}"


def test_every_parameter_is_named_under_its_rule(cfg, prose):
    sections = rule_sections(prose)
    misplaced = [
        (name, meta["rule"])
        for name, _, meta in doc_tables.parameter_rows(cfg)
        if meta["rule"] in sections and not _mentioned(name, sections[meta["rule"]][1])
    ]
    assert not misplaced, (
        f"parameters not named in the subsection of the rule that reads them: {misplaced}"
    )


# (f) the schedule (section 4) lists the calls of InnovationModel.step in their order


def _scheduled_calls(model: InnovationModel) -> list[str]:
    """Dotted names of the functions ``InnovationModel.step`` calls, in execution order.

    The model's own helpers (``self._firms_quarter()``, ...) are followed; calls on populations
    (row bookkeeping such as ``live``, ``remove``, ``stock``), the keying of random streams
    (``agents.draws``, plumbing rather than a step of the schedule) and calls outside
    ``agents``/``sim`` are left out. Each call is recorded after its arguments, as Python
    evaluates it.
    """
    module = inspect.getmodule(InnovationModel)
    ours = ("agents.", "sim.")
    out: list[str] = []

    def walk(method: str) -> None:
        source = textwrap.dedent(inspect.getsource(getattr(InnovationModel, method)))
        aliases: dict[str, object] = {}

        def record(func: ast.expr) -> None:
            if isinstance(func, ast.Name):
                obj = getattr(module, func.id, None)
                if inspect.isfunction(obj) and obj.__module__.startswith(ours):
                    out.append(f"{obj.__module__}.{obj.__qualname__}")
                return
            if not isinstance(func, ast.Attribute):
                return
            base = func.value
            if isinstance(base, ast.Name) and base.id == "self":
                if inspect.isfunction(getattr(InnovationModel, func.attr, None)):
                    walk(func.attr)
                return
            if isinstance(base, ast.Name) and inspect.ismodule(getattr(module, base.id, None)):
                name = getattr(module, base.id).__name__
                if name.startswith(ours):
                    out.append(f"{name}.{func.attr}")
                return
            if isinstance(base, ast.Attribute) and getattr(base.value, "id", None) == "self":
                owner = getattr(model, base.attr, None)
            elif isinstance(base, ast.Name):
                owner = aliases.get(base.id)
            else:
                return
            meth = getattr(type(owner), func.attr, None)
            if owner is None or isinstance(owner, Population) or not callable(meth):
                return
            where = getattr(meth, "__module__", None) or ""
            if where.startswith(ours) and where != "sim.model":
                out.append(f"{meth.__module__}.{meth.__qualname__}")

        class Visitor(ast.NodeVisitor):
            def visit_Assign(self, node: ast.Assign) -> None:
                self.generic_visit(node)
                target, value = node.targets[0], node.value
                pairs = (
                    zip(target.elts, value.elts, strict=True)
                    if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple)
                    else [(target, value)]
                )
                for t, v in pairs:
                    if (
                        isinstance(t, ast.Name)
                        and getattr(getattr(v, "value", None), "id", None) == "self"
                    ):
                        aliases[t.id] = getattr(model, v.attr, None)

            def visit_Call(self, node: ast.Call) -> None:
                if isinstance(node.func, ast.Attribute):
                    self.visit(node.func.value)
                for arg in [*node.args, *(k.value for k in node.keywords)]:
                    self.visit(arg)
                record(node.func)

        Visitor().visit(ast.parse(source).body[0])

    walk("step")
    return [name for name in out if not name.startswith("agents.draws.")]


def _section(text: str, start: str, stop: str) -> str:
    return text[text.index(start) : text.index(stop, text.index(start))]


def test_schedule_lists_the_calls_of_step_in_order(fast_config, prose):
    calls = _scheduled_calls(InnovationModel(fast_config))
    assert len(calls) > 30, f"the schedule reader found too few calls: {calls}"
    schedule = _section(prose, "## 4. Schedule", "## 5. Rules")
    named = re.findall(r"`((?:agents|sim)(?:\.\w+)+)`", schedule)
    listed = [n for n in named if n in set(calls)]
    assert listed == calls, (
        "section 4 of docs/model.md must name the functions InnovationModel.step calls, in the "
        f"order it calls them (once per call):\n  code: {calls}\n  docs: {listed}"
    )


def test_schedule_reader_follows_helpers_and_skips_row_bookkeeping(fast_config):
    calls = _scheduled_calls(InnovationModel(fast_config))
    assert calls.index("agents.firm.plan_rd") < calls.index("agents.firm.produce")
    assert calls.count("agents.labour_market.assign_employers") == 4
    assert "sim.levers.PolicyState.update" in calls
    assert not any("Population" in c or c.endswith(".stock") for c in calls)


# (g) dotted names and file paths named in the docs exist


def _resolves(name: str) -> bool:
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def _documents() -> dict[Path, str]:
    docs = {
        p: doc_tables.strip_generated(p.read_text(encoding="utf-8"))
        for p in (doc_tables.DOC_PATH, doc_tables.ODD_PATH)
    }
    for path in (README, doc_tables.DOCS_DIR / "calibration" / "README.md"):
        docs[path] = path.read_text(encoding="utf-8")
    return docs


def test_dotted_names_in_the_docs_exist():
    pattern = re.compile(r"`((?:agents|sim|scenarios|tools|benchmarks)(?:\.\w+)+)(?:\(\))?`")
    missing = [
        (path.name, name)
        for path, text in _documents().items()
        for name in sorted(set(pattern.findall(text)))
        if not _resolves(name)
    ]
    assert not missing, f"names in the docs that the code does not define: {missing}"


def test_file_paths_in_the_docs_exist():
    tree = re.compile(
        r"`((?:agents|sim|scenarios|tools|tests|conf|benchmarks|notebooks|docs)/[\w./-]*)`"
    )
    link = re.compile(r"\]\(((?!https?:|#)[^)#\s]+)(?:#[^)]*)?\)")
    missing = []
    for path, text in _documents().items():
        for p in tree.findall(text):
            if not (ROOT / p).exists():
                missing.append((path.name, p))
        for p in link.findall(text):
            if not (path.parent / p).exists():
                missing.append((path.name, p))
    assert not missing, f"paths in the docs that do not exist: {missing}"


def test_where_to_look_names_what_each_file_defines(prose):
    table = _section(prose, "## Where to look", "\n## ")
    rows = [r for r in table.splitlines() if r.startswith("| How") or r.startswith("| Where")]
    assert len(rows) == 4, f"the 'Where to look' table should answer four questions: {rows}"
    for row in rows:
        _, question, file_cell, where, _ = (c.strip() for c in row.split("|"))
        path = re.search(r"\]\(\.\./([\w/.]+)\)", file_cell).group(1)
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        source = (ROOT / path).read_text(encoding="utf-8")
        for name in re.findall(r"`([\w.]+)`", where):
            if name in COST_LINES:
                assert re.search(rf"book\(\s*\"{name}\"", source), (
                    f"{question}: {path} does not book the cost line {name}"
                )
            elif name.startswith(("agents.", "sim.")):
                assert _resolves(name), f"{question}: {name} does not exist"
            else:
                obj = module
                for attr in name.split("."):
                    assert hasattr(obj, attr), f"{question}: {path} defines no {name}"
                    obj = getattr(obj, attr)


# (h) the generated statement of what is endogenous: derived from the code, true of the code, and
# not contradicted by the prose


def _code_free(text: str) -> str:
    return re.sub(r"`[^`]*`", "", text)


def exogenous_claims(text: str, aliases: tuple[str, ...]) -> list[str]:
    """Sentences of ``text`` that call one of ``aliases`` exogenous (code spans ignored).

    Matches "exogenous ... <alias>" (unless the alias is followed by "trend" or "growth", e.g.
    "the exogenous house-price trend") and "<alias> ... is/are exogenous", skipping negations and
    a new clause in between ("..., and ...").
    """
    flat = " ".join(_code_free(text).lower().split())
    found = []
    for sentence in re.split(r"(?<=[.;:!?])\s+|\s-\s", flat):
        for alias in aliases:
            a = re.escape(alias)
            patterns = (
                rf"\bexogenous\b[^.;:]{{0,50}}?\b{a}\b(?![\w-]*\s*(?:trend|growth))",
                rf"\b{a}\b[^.;:]{{0,100}}?\b(?:is|are|stays?|remains?)\s+(?:\w+\s+)?exogenous\b",
            )
            for pattern in patterns:
                m = re.search(pattern, sentence)
                exempt = r"\bnot\b|\bno longer\b|\bendogenous\b|,\s*(?:and|but|while)\b"
                if m and not re.search(exempt, m.group(0)):
                    found.append(f"{alias!r}: {sentence[:200]}")
    return found


def test_exogenous_claims_detector():
    aliases = ("house price", "house prices")
    assert exogenous_claims("House prices are exogenous: talent does not move them.", aliases)
    assert exogenous_claims("Economy: exogenous GDP, wage index and house price.", aliases)
    assert exogenous_claims(
        "drivers (GDP growth, house prices, listing window) are exogenous", ("house prices",)
    )
    assert not exogenous_claims("It draws the exogenous house-price trend.", aliases)
    assert not exogenous_claims("House prices are not exogenous.", aliases)
    assert not exogenous_claims("GDP is exogenous, and house prices follow talent.", aliases)
    assert not exogenous_claims(
        "See `region.exogenous.house_price_growth` for house prices.", ("house prices",)
    )


def test_prose_does_not_call_endogenous_quantities_exogenous(cfg):
    aliases = tuple(a for r, on in doc_tables.responding(cfg) if on for a in r.aliases)
    claims = [
        (path.name, claim)
        for path, text in _documents().items()
        for claim in exogenous_claims(text, aliases)
    ]
    assert not claims, (
        f"the docs call exogenous what the code computes (see the generated statement in "
        f"docs/model.md §8.2): {claims}"
    )


def test_every_exogenous_driver_is_described_and_named_in_the_prose(cfg, prose):
    names = [f.name for f in dataclasses.fields(ExogenousConfig)]
    assert set(doc_tables.EXOGENOUS_DRIVERS) == set(names)
    for name, (_, rule) in doc_tables.EXOGENOUS_DRIVERS.items():
        assert _resolves(rule), f"region.exogenous.{name} is used by {rule}, which does not exist"
    unnamed = [n for n in names if not _mentioned(f"region.exogenous.{n}", prose)]
    assert not unnamed, f"exogenous drivers not described in the prose: {unnamed}"


def _with_economy(cfg, **changes):
    """``cfg`` with some economy parameters changed."""
    b = cfg.region.behaviour
    behaviour = dataclasses.replace(b, economy=dataclasses.replace(b.economy, **changes))
    return dataclasses.replace(cfg, region=dataclasses.replace(cfg.region, behaviour=behaviour))


def _status(cfg, quantity: str) -> bool:
    return {r.quantity: on for r, on in doc_tables.responding(cfg)}[quantity]


def test_responses_follow_the_rule_tags_and_switch_off_with_their_parameters(cfg, monkeypatch):
    assert all(on for _, on in doc_tables.responding(cfg)), "a response is off in default runs"
    off = _with_economy(cfg, house_price_talent_elasticity=0.0)
    assert _status(off, "house price") is False
    assert _status(off, "city wage index") is True  # structural: no parameter switches it off
    assert "| house price | exogenous in this config" in doc_tables.endogenous_statement(off)
    wrong = doc_tables.Response("x", "y", "agents.firm.produce", doc_tables.RESPONSES[0].parameters)
    monkeypatch.setattr(doc_tables, "RESPONSES", (wrong,))
    with pytest.raises(LookupError, match="is read by agents.economy.Economy.step_quarter"):
        doc_tables.responding(cfg)


def _economy_after_a_quarter(talent_ratio: float, elasticity: float) -> Economy:
    params = EconomyParams(house_price_talent_elasticity=elasticity)
    economy = Economy(ExogenousConfig(), params, 1e12, 1e4, np.random.default_rng(0), False)
    economy.start_year(2023)
    economy.step_quarter(talent_ratio)
    return economy


@pytest.mark.parametrize("elasticity", [None, 0.0])
def test_statement_on_house_prices_gdp_and_wages_is_true_of_the_economy(cfg, elasticity):
    e = cfg.region.behaviour.economy.house_price_talent_elasticity
    e = e if elasticity is None else elasticity
    c = _with_economy(cfg, house_price_talent_elasticity=e)
    base, more_talent = _economy_after_a_quarter(1.0, e), _economy_after_a_quarter(1.5, e)
    # House prices respond to the talent stock exactly when the statement says so.
    assert (more_talent.house_price > base.house_price) == _status(c, "house price")
    # GDP is exogenous: the talent stock does not move it; the city wage index follows GDP.
    assert more_talent.gdp == base.gdp
    assert base.wage_index == pytest.approx(base.gdp / 1e12)
    assert base.wage_index > 1.0
    assert _status(c, "city wage index")


def test_statement_on_revenue_drift_and_labour_supply_is_true_of_the_rules(cfg):
    b = cfg.region.behaviour
    gdp, share, drift = 1e12, 0.5, 0.01
    at_base = revenue_drift_per_quarter(
        share * gdp, gdp, share, drift, b.economy.revenue_share_pressure
    )
    outgrown = revenue_drift_per_quarter(
        2 * share * gdp, gdp, share, drift, b.economy.revenue_share_pressure
    )
    assert (outgrown < at_base) == _status(cfg, "firms' revenue drift")
    market = LabourMarket(b.labour, 100.0, 1000.0)
    supply = market.supply(1000.0)
    market.fill(2 * supply, 1000.0)  # half the posts unfilled
    assert (market.supply(1000.0) > supply) == _status(cfg, "R&D labour supply")
    assert (
        LabourMarket(LabourParams(rd_participation_response=0.0), 100.0, 1000.0).supply(2000.0)
        > supply
    )


def test_statement_on_talent_and_centre_arrivals_is_true_of_the_rules(cfg):
    b = cfg.region.behaviour
    stock = np.full(5, 1000.0)
    conditions = TalentConditions(b.talent, stock)
    policy = PolicyState(LeverConfig(), LeverConfig())

    def dv(price: float) -> float:
        city = CityConditions(policy, price, 1e4, 0.0, 0.0, 1.0, 1.0)
        tier = np.array([4])
        return float(
            conditions.delta_v(tier, np.zeros(1), conditions.wage[tier], True, city, stock)[0]
        )

    assert (dv(2e4) < dv(1e4)) == _status(cfg, "talent leaving, arriving and graduates staying")
    p = b.rd_centres
    more = attractiveness(0.0, 1.0, 2.0, 0.0, 1.0, p, False)
    assert (more > attractiveness(0.0, 1.0, 1.0, 0.0, 1.0, p, False)) == _status(
        cfg, "outside R&D-centre arrivals"
    )
    assert (
        attractiveness(0.0, 1.0, 2.0, 0.0, 1.0, CentreParams(centre_talent_elasticity=0.0), False)
        == 1.0
    )
    assert TalentParams().housing_cost_weight > 0


# (i) the migration table of moved parameter paths


OLD_PATHS = sorted([*doc_tables.MOVED_PARAMETERS, *doc_tables.REMOVED_PARAMETERS])


def test_moved_parameters_point_from_old_to_declared_paths(cfg):
    declared = {name for name, _, _ in doc_tables.parameter_rows(cfg)}
    assert doc_tables.MOVED_PARAMETERS, "the migration table is empty"
    assert not set(OLD_PATHS) & declared, "an old path is still declared"
    assert set(doc_tables.MOVED_PARAMETERS.values()) <= declared
    for old, note in doc_tables.REMOVED_PARAMETERS.items():
        named = re.findall(r"`(region\.[\w.]+)`", note)
        assert named and set(named) <= declared, f"{old}: the note must name what replaced it"


@pytest.mark.parametrize("old", [*OLD_PATHS[::8], *doc_tables.REMOVED_PARAMETERS])
def test_an_override_with_an_old_path_stops_with_its_name(old):
    with pytest.raises(ConfigError, match=re.escape(old)):
        load_config([f"{old}=0.1"])
