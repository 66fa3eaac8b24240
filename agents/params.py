"""Documented parameters: one declaration carries default, range, unit, source and rule.

Every behavioural parameter and every lever of the simulator is a dataclass field declared with
:func:`param` or :func:`lever`. The field metadata is the single source of truth for

* validation (:func:`validate`): hard bounds, checked before any simulation starts;
* documentation (``docs/model.md`` is generated from it by :mod:`tools.doc_tables`);
* experiments (the plausible ``low``/``high`` range feeds calibration and sensitivity analysis).
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from collections.abc import Iterator
from typing import Any


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the field and what is allowed."""


def param(
    default: Any,
    *,
    low: float,
    high: float,
    unit: str,
    source: str,
    rule: str,
    minimum: float | None = None,
    maximum: float | None = None,
    city: str = "",
) -> Any:
    """Declare a behavioural parameter.

    Args:
        default: Value used when the config does not set it.
        low: Lower end of the plausible range (documentation, calibration prior).
        high: Upper end of the plausible range.
        unit: Unit of the value, e.g. ``"share"`` or ``"yuan per year"``.
        source: Literature reference, ``"calibrated"`` or ``"assumption"`` with a reason.
        rule: Dotted name of the function that reads it, e.g.
            ``"agents.statuses.update_high_tech"`` (see :func:`resolve_rule`).
        minimum: Hard lower bound for validation. Defaults to 0 when ``low >= 0``.
        maximum: Hard upper bound. Defaults to 1 for shares and probabilities.
        city: The city whose figures the default rests on (e.g. ``"changsha"``), empty for
            literature or general assumptions. Defaults whose source starts with
            ``"calibrated"`` rest on :data:`CALIBRATION_CITY` unless ``city`` says otherwise
            (:func:`source_city`). Another region that keeps such a default inherits it; the run
            lists it (``region.inherited_parameters``).

    Returns:
        A dataclass field carrying the metadata.
    """
    if minimum is None and low >= 0:
        minimum = 0.0
    if maximum is None and unit in (
        "share",
        "probability",
        "share per year",
        "probability per year",
    ):
        maximum = 1.0
    meta = {
        "kind": "parameter",
        "low": low,
        "high": high,
        "unit": unit,
        "source": source,
        "rule": rule,
        "minimum": minimum,
        "maximum": maximum,
        "city": city,
    }
    if isinstance(default, list | dict):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def lever(
    default: Any,
    *,
    unit: str,
    family: str,
    what: str,
    maximum: float | None = None,
    gdp_multiple: float | None = None,
) -> Any:
    """Declare a policy lever in real units (rate, yuan, count).

    Args:
        default: Value when a lever preset does not set it (no local policy).
        unit: Real unit, e.g. ``"yuan"``, ``"share"``, ``"count per year"``.
        family: Lever family of the mission brief (A-I).
        what: One line saying what the instrument is.
        maximum: Hard upper bound (rates are capped at 1 by default).
        gdp_multiple: For money levers: the hard upper bound as a multiple of the region's
            base-year GDP in yuan (checked by :func:`sim.config.check` once the region is known).

    Returns:
        A dataclass field carrying the metadata.
    """
    if maximum is None and unit == "share":
        maximum = 1.0
    meta = {
        "kind": "lever",
        "unit": unit,
        "family": family,
        "what": what,
        "minimum": 0.0,
        "maximum": maximum,
        "gdp_multiple": gdp_multiple,
    }
    if dataclasses.is_dataclass(default):
        return dataclasses.field(
            default_factory=lambda: dataclasses.replace(default), metadata=meta
        )
    return dataclasses.field(default=default, metadata=meta)


CALIBRATION_CITY = "changsha"
"""The city whose record the code's ``"calibrated"`` defaults were fitted to (the first city)."""


def source_city(meta: dict) -> str:
    """The city a parameter's default rests on ("" when it is literature or a general guess)."""
    if meta.get("city"):
        return meta["city"]
    return CALIBRATION_CITY if str(meta.get("source", "")).startswith("calibrated") else ""


def documented_fields(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any, dict]]:
    """Yield ``(dotted_name, value, metadata)`` for every documented field, recursively.

    Args:
        obj: A dataclass instance or class.
        prefix: Dotted path of ``obj`` inside the full config.

    Yields:
        One tuple per field declared with :func:`param` or :func:`lever`.
    """
    for f in dataclasses.fields(obj):
        name = f"{prefix}{f.name}"
        value = getattr(obj, f.name) if not isinstance(obj, type) else _field_default(f)
        if f.metadata.get("kind"):
            yield name, value, dict(f.metadata)
        elif dataclasses.is_dataclass(value):
            yield from documented_fields(value, prefix=f"{name}.")


def _field_default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def _numbers(value: Any) -> Iterator[tuple[str, Any]]:
    if dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield f".{f.name}", getattr(value, f.name)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield f"[{i}]", v
    elif isinstance(value, dict):
        for k, v in value.items():
            yield f"[{k}]", v
    else:
        yield "", value


def validate(obj: Any, prefix: str = "") -> None:
    """Check every documented field of ``obj`` against its hard bounds.

    Args:
        obj: A dataclass instance (checked recursively).
        prefix: Dotted path of ``obj`` for messages.

    Raises:
        ConfigError: naming the first offending field, its value and the allowed range.
    """
    for name, value, meta in documented_fields(obj, prefix):
        lo, hi = meta.get("minimum"), meta.get("maximum")
        for suffix, v in _numbers(value):
            if isinstance(v, bool) or not isinstance(v, int | float):
                continue
            where = f"{name}{suffix}"
            if not math.isfinite(v):
                raise ConfigError(f"{where}={v!r} is not a finite number")
            if lo is not None and v < lo:
                raise ConfigError(f"{where}={v!r} is below the allowed range {_range(lo, hi)}")
            if hi is not None and v > hi:
                raise ConfigError(f"{where}={v!r} is above the allowed range {_range(lo, hi)}")


def _range(lo: float | None, hi: float | None) -> str:
    return f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"


def resolve_rule(rule: str) -> Any:
    """The function (or method) a ``rule=`` tag names, e.g. ``"agents.talent.step_quarter"``.

    Raises:
        LookupError: when no module prefix of the name imports or an attribute is missing.
    """
    parts = rule.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError as err:
            raise LookupError(f"rule {rule!r}: {err}") from err
        if not callable(obj):
            raise LookupError(f"rule {rule!r} names {type(obj).__name__}, not a function")
        return obj
    raise LookupError(f"rule {rule!r}: no module of this name")


def rule_file(rule: str) -> str:
    """Path (relative to the repository root) of the module that defines a rule."""
    parts = rule.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        return "/".join(parts[:i]) + ".py"
    raise LookupError(f"rule {rule!r}: no module of this name")
