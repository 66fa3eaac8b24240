"""The lever catalogue: every lever in real units, grouped by family, with the presets.

Everything comes from the lever declarations in ``sim/config.py`` (unit, family, what, hard
bounds), the presets in ``conf/levers/`` and the family titles in ``docs/model.md`` section 6, so
the dashboard shows what the model reads and nothing is restated here.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from agents.params import documented_fields
from sim.compose import load_config
from sim.config import SimConfig
from sim.lever_evidence import evidence
from sim.levers import FAMILIES, FAMILY_NAMES, preset_names
from sim.region import CONF_DIR

ROOT = Path(__file__).resolve().parents[2]
PRESET_ORDER = tuple(name for name in preset_names() if name != "none")
UNIT_SUFFIXES = ("_yuan_per_year", "_per_year", "_yuan", "_m2")


@dataclass(frozen=True)
class Lever:
    """One control of the dashboard: a numeric (or on/off) config field in real units.

    Attributes:
        name: Dotted config key, e.g. ``levers.rent_subsidy_yuan_per_year.graduate``.
        label: Short label shown on the control.
        family: Lever family A-I.
        unit: Real unit (rate, yuan, count, months, ...).
        what: One line saying what the instrument is.
        minimum: Hard lower bound (values below are refused).
        maximum: Hard upper bound, or None when there is none.
        slider_max: Upper end of the slider (typed values may go beyond, up to ``maximum``).
        step: Slider step.
        kind: ``"float"``, ``"int"`` or ``"bool"``.
        evidence: What the lever's effect rests on (:func:`sim.lever_evidence.evidence`:
            calibrated, sourced, assumed, rule or cost only); empty for timing controls.
    """

    name: str
    label: str
    family: str
    unit: str
    what: str
    minimum: float
    maximum: float | None
    slider_max: float
    step: float
    kind: str = "float"
    evidence: str = ""


def presets() -> list[str]:
    """Lever presets in ``conf/levers/``: the documented order first, then any others."""
    found = sorted(p.stem for p in (CONF_DIR / "levers").glob("*.yaml"))
    first = [p for p in PRESET_ORDER if p in found]
    return first + [p for p in found if p not in first]


@cache
def preset_config(preset: str) -> SimConfig:
    """The validated default config with the given lever preset (cached; do not mutate)."""
    return load_config([f"levers={preset}"])


def get_field(obj: Any, dotted: str) -> Any:
    """Value of a dotted field path, e.g. ``levers.platform_award_yuan.national_key_lab``."""
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def preset_values(preset: str) -> dict[str, Any]:
    """Every catalogue lever's value in a preset."""
    cfg = preset_config(preset)
    return {lv.name: get_field(cfg, lv.name) for lv in catalogue()}


def _label(field_name: str) -> str:
    for suffix in UNIT_SUFFIXES:
        if field_name.endswith(suffix):
            field_name = field_name[: -len(suffix)]
            break
    return field_name.replace("_", " ")


def nice_ceil(x: float) -> float:
    """Smallest number of the form 1, 2 or 5 times a power of ten that is >= ``x`` (> 0)."""
    exp = math.floor(math.log10(x))
    for m in (1, 2, 5, 10):
        if m * 10**exp >= x * (1 - 1e-12):
            return float(m * 10**exp)
    return float(10 ** (exp + 1))


def _fallback_top(unit: str) -> float:
    """Slider top of a lever that is zero in every preset."""
    if unit.startswith("yuan per year"):
        return 2.0e10
    if unit.startswith("yuan"):
        return 1.0e8
    if unit.startswith("count"):
        return 100.0
    return 1.0


def _slider(unit: str, maximum: float | None, largest: float, kind: str) -> tuple[float, float]:
    """Slider range and step: the hard maximum when small, else a round multiple of the presets."""
    if maximum is not None and maximum <= 2.0:
        top = maximum
    else:
        top = nice_ceil(4 * largest) if largest > 0 else _fallback_top(unit)
        if maximum is not None:
            top = min(top, maximum)
    step = nice_ceil(top / 200)
    if kind == "int" or unit.startswith("count") or unit in ("months", "years", "m2"):
        step = max(1.0, round(step))
    return top, step


def _timing_levers(cfg: SimConfig) -> list[Lever]:
    """Timing: when the setting's levers replace the base-year policy."""
    first, horizon = cfg.region.base_year + 1, cfg.run.horizon
    what_year = "year from which the setting's levers replace the base-year policy"
    what_quarter = "quarter of the start year in which the levers take effect"
    return [
        Lever(
            "levers.start_year",
            "start year",
            "I",
            "year",
            what_year,
            first,
            horizon,
            horizon,
            1.0,
            "int",
        ),
        Lever(
            "levers.start_quarter",
            "start quarter",
            "I",
            "quarter",
            what_quarter,
            1.0,
            4.0,
            4.0,
            1.0,
            "int",
        ),
    ]


def _from_meta(
    name: str, label: str, meta: dict, largest: float, kind: str, evidence: str = ""
) -> Lever:
    """A control for a documented lever field, its slider sized by the largest preset value."""
    top, step = _slider(meta["unit"], meta["maximum"], largest, kind)
    return Lever(
        name,
        label,
        meta["family"],
        meta["unit"],
        meta["what"],
        float(meta["minimum"]),
        meta["maximum"],
        top,
        step,
        kind,
        evidence,
    )


@cache
def catalogue() -> tuple[Lever, ...]:
    """Every lever of ``LeverConfig`` as dashboard controls (category amounts one per category)."""
    cfgs = [preset_config(p) for p in presets()]
    out: list[Lever] = []
    for name, value, meta in documented_fields(cfgs[0].levers, "levers."):
        leaf = name.rsplit(".", 1)[-1]
        ev = evidence(leaf, cfgs[0].region)[0]
        if dataclasses.is_dataclass(value):
            subs = [f.name for f in dataclasses.fields(value)]
            largest = max(float(getattr(get_field(c, name), s)) for c in cfgs for s in subs)
            for sub in subs:
                label = f"{_label(leaf)}: {sub.replace('_', ' ')}"
                out.append(_from_meta(f"{name}.{sub}", label, meta, largest, "float", ev))
            continue
        kind = "int" if isinstance(value, int) and not isinstance(value, bool) else "float"
        largest = max(float(get_field(c, name)) for c in cfgs)
        out.append(_from_meta(name, _label(leaf), meta, largest, kind, ev))
        if leaf == "budget_cap_yuan_per_year":
            out.append(
                Lever(
                    "levers.evaluate_and_adjust",
                    "evaluate and adjust",
                    "I",
                    "on/off",
                    "periodic evaluation and re-allocation of effort towards lagging targets",
                    0.0,
                    1.0,
                    1.0,
                    1.0,
                    "bool",
                )
            )
    out.extend(_timing_levers(cfgs[0]))
    return tuple(out)


def lever(name: str) -> Lever:
    """The catalogue entry of a dotted config key.

    Raises:
        KeyError: for a name that is not a dashboard lever.
    """
    for lv in catalogue():
        if lv.name == name:
            return lv
    raise KeyError(name)


def by_family() -> dict[str, list[Lever]]:
    """Levers grouped by family A-I, in declaration order within a family."""
    groups: dict[str, list[Lever]] = {f: [] for f in FAMILIES}
    for lv in catalogue():
        groups.setdefault(lv.family, []).append(lv)
    return {f: levers for f, levers in groups.items() if levers}


@cache
def family_titles() -> dict[str, str]:
    """Family titles (:data:`sim.levers.FAMILY_NAMES`)."""
    return dict(FAMILY_NAMES)
