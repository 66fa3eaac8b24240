import math
import re

import pytest

from agents.firm import FirmParams
from agents.params import ConfigError, documented_fields, resolve_rule, validate
from sim.config import SimConfig
from sim.levers import LeverConfig


def test_defaults_pass():
    validate(SimConfig())


@pytest.mark.parametrize(
    ("path", "value", "name", "what"),
    [
        (("levers",), ("rd_post_subsidy_rate", -0.1), "levers.rd_post_subsidy_rate", "below"),
        (
            ("region", "behaviour", "firm"),
            ("subsidy_crowding_out", 1.5),
            "region.behaviour.firm.subsidy_crowding_out",
            "above",
        ),
        (
            ("reference_levers",),
            ("guidance_fund_yuan_per_year", math.nan),
            "reference_levers.guidance_fund_yuan_per_year",
            "not a finite",
        ),
        (
            ("region", "behaviour", "firm"),
            ("rd_elasticity_long_run", 0.5),
            "region.behaviour.firm.rd_elasticity_long_run",
            "above",
        ),
    ],
)
def test_invalid_values_name_the_field(path, value, name, what):
    cfg = SimConfig()
    obj = cfg
    for p in path:
        obj = getattr(obj, p)
    setattr(obj, *value)
    with pytest.raises(ConfigError, match=re.escape(name) + r"=.* " + what):
        validate(cfg)


def test_nested_and_keyed_values_are_named():
    cfg = SimConfig()
    cfg.levers.rent_subsidy_yuan_per_year.graduate = -1.0
    with pytest.raises(ConfigError, match=re.escape("levers.rent_subsidy_yuan_per_year.graduate=")):
        validate(cfg)
    cfg = SimConfig()
    cfg.region.behaviour.talent.leave_rate_base["top"] = 1.2
    with pytest.raises(
        ConfigError, match=re.escape("region.behaviour.talent.leave_rate_base[top]=")
    ):
        validate(cfg)
    cfg = SimConfig()
    cfg.region.behaviour.firm.exit_hazard_by_age[3] = math.inf
    with pytest.raises(ConfigError, match=re.escape("exit_hazard_by_age[3]=inf")):
        validate(cfg)


def test_share_lever_above_one_and_custom_maximum():
    lv = LeverConfig(standard_tax_rate=1.01)
    with pytest.raises(ConfigError, match="standard_tax_rate"):
        validate(lv)
    validate(LeverConfig(super_deduction_rate=2.0))  # declared maximum 2
    with pytest.raises(ConfigError, match="super_deduction_rate"):
        validate(LeverConfig(super_deduction_rate=2.01))


def test_documented_fields_metadata():
    fields = {name: meta for name, _, meta in documented_fields(SimConfig())}
    assert fields["region.behaviour.firm.rd_elasticity_long_run"]["kind"] == "parameter"
    assert fields["levers.rd_post_subsidy_rate"]["kind"] == "lever"
    assert fields["levers.rd_post_subsidy_rate"]["family"] == "C"
    assert fields["reference_levers.budget_cap_yuan_per_year"]["family"] == "I"
    for name, meta in fields.items():
        if meta["kind"] == "parameter":
            assert meta["unit"] and meta["source"] and meta["rule"], name
        else:
            assert meta["unit"] and meta["what"] and meta["minimum"] == 0.0, name
    # Plain fields (no param/lever) are not documented.
    assert "levers.start_year" not in fields and "levers.evaluate_and_adjust" not in fields


def test_documented_fields_cover_every_declared_field():
    declared = [n for n, f in FirmParams.__dataclass_fields__.items() if f.metadata]
    got = [n for n, _, _ in documented_fields(FirmParams)]
    assert got == declared and len(got) > 15
    values = {n: v for n, v, _ in documented_fields(FirmParams(), "x.")}
    assert values["x.growth_size_exponent"] == 0.17


def test_param_defaults_lie_in_their_hard_bounds():
    for name, value, meta in documented_fields(SimConfig()):
        if isinstance(value, int | float) and not isinstance(value, bool):
            lo, hi = meta["minimum"], meta["maximum"]
            assert lo is None or value >= lo, name
            assert hi is None or value <= hi, name


PARAMETERS = [
    (name, value, meta)
    for name, value, meta in documented_fields(SimConfig())
    if meta["kind"] == "parameter"
]


@pytest.mark.parametrize(
    ("name", "rule"), [(n, m["rule"]) for n, _, m in PARAMETERS], ids=[n for n, _, _ in PARAMETERS]
)
def test_every_rule_tag_resolves_to_a_function(name, rule):
    try:
        fn = resolve_rule(rule)
    except LookupError as err:
        pytest.fail(f"{name}: rule={rule!r} does not resolve: {err}")
    assert callable(fn), name


def test_a_rule_tag_that_does_not_resolve_is_named():
    with pytest.raises(LookupError, match="agents.firm.no_such_rule"):
        resolve_rule("agents.firm.no_such_rule")
    with pytest.raises(LookupError, match="no module"):
        resolve_rule("nowhere.at_all")
    with pytest.raises(LookupError, match="not a function"):
        resolve_rule("agents.firm.CENTRE_CODE")


def _numbers(value):
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return list(enumerate(value))
    return [(None, value)]


@pytest.mark.parametrize(("name", "value", "meta"), PARAMETERS, ids=[n for n, _, _ in PARAMETERS])
def test_every_parameter_default_lies_in_its_plausible_range(name, value, meta):
    for key, v in _numbers(value):
        if isinstance(v, bool) or not isinstance(v, int | float):
            continue  # names (initial clusters, arrival zone) have no range
        where = name if key is None else f"{name}[{key}]"
        assert meta["low"] <= v <= meta["high"], (
            f"{where}={v} outside its plausible range [{meta['low']}, {meta['high']}]"
        )
