"""One setting of the levers, run options, validation of typed values, and export.

A :class:`Setting` is a lever preset plus the levers changed from it; :class:`RunOptions` holds
the ensemble sizes. Both are immutable, so a Solara session keeps them in reactive variables and
replaces them on every change. Typed values are checked against the lever's hard bounds and then
against the whole config (:func:`sim.config.check`), and refused with the model's own message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from sim.compose import load_config, to_yaml
from sim.config import ConfigError, SimConfig, check
from sim.posterior import with_params

from .catalogue import Lever, lever, preset_config, preset_values

MIN_PEOPLE_PER_AGENT = 50  # finer scales are for batch runs (make run), not an interactive page
MAX_PEOPLE_PER_AGENT = 100_000
MAX_REPLICATES = 1000


@dataclass(frozen=True)
class Setting:
    """A lever preset and the levers changed from it (dotted key, value), in key order."""

    preset: str = "enacted_2023"
    changes: tuple[tuple[str, Any], ...] = ()

    def value(self, name: str) -> Any:
        """Current value of a lever."""
        return dict(self.changes).get(name, preset_values(self.preset)[name])

    def is_changed(self, name: str) -> bool:
        """Whether the lever differs from the preset."""
        return name in dict(self.changes)

    def with_value(self, name: str, value: Any) -> Setting:
        """A copy with one lever set (a value equal to the preset's drops the change)."""
        changes = dict(self.changes)
        if value == preset_values(self.preset)[name]:
            changes.pop(name, None)
        else:
            changes[name] = value
        return Setting(self.preset, tuple(sorted(changes.items())))

    def describe(self) -> str:
        """E.g. ``platform_push + 2 changes``."""
        n = len(self.changes)
        return self.preset + (f" + {n} change{'s' if n > 1 else ''}" if n else "")


@dataclass(frozen=True)
class RunOptions:
    """Ensemble sizes of the full run and of the quick preview (same seed for A and B)."""

    seed: int
    replicates: int
    people_per_agent: int
    preview_replicates: int = 8
    preview_people_per_agent: int = 5000


@cache
def default_options() -> RunOptions:
    """Run options from the default config (``conf/run/default.yaml``)."""
    run = load_config([]).run
    return RunOptions(run.seed, run.replicates, run.people_per_agent)


OPTION_BOUNDS = {
    "seed": (0, 2**63 - 1),
    "replicates": (1, MAX_REPLICATES),
    "people_per_agent": (MIN_PEOPLE_PER_AGENT, MAX_PEOPLE_PER_AGENT),
    "preview_replicates": (1, 64),
    "preview_people_per_agent": (MIN_PEOPLE_PER_AGENT, MAX_PEOPLE_PER_AGENT),
}


def parse_number(text: str) -> float:
    """A number typed by a person: ``1,000,000``, ``1e6``, ``1_000_000`` and ``0.25`` all work.

    Raises:
        ValueError: with a message for text that is not a finite number.
    """
    cleaned = str(text).strip().replace(",", "").replace("_", "").replace(" ", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text.strip()!r} is not a finite number")
    return value


def _range(lv: Lever) -> str:
    hi = "inf" if lv.maximum is None else f"{lv.maximum:g}"
    return f"[{lv.minimum:g}, {hi}]"


def check_lever(setting: Setting, options: RunOptions, name: str, text: str) -> tuple[Any, str]:
    """Parse and check a value typed into a lever's field.

    Returns:
        ``(value, "")`` when accepted, else ``(None, message)`` saying why it is refused.
    """
    lv = lever(name)
    try:
        value = parse_number(text)
    except ValueError as err:
        return None, f"refused: {err}; {lv.name} keeps {format_value(lv, setting.value(name))}"
    if lv.kind in ("int", "bool") and value != int(value):
        return None, f"refused: {lv.name} takes a whole number, got {value:g}"
    problem = ""
    if value < lv.minimum:
        problem = f"{lv.name}={value:g} is below the allowed range {_range(lv)}"
    elif lv.maximum is not None and value > lv.maximum:
        problem = f"{lv.name}={value:g} is above the allowed range {_range(lv)}"
    typed: Any = bool(value) if lv.kind == "bool" else int(value) if lv.kind == "int" else value
    if not problem:
        try:
            config(setting.with_value(name, typed), options)
        except ConfigError as err:
            problem = str(err)
    if problem:
        return None, f"refused: {problem}; kept {format_value(lv, setting.value(name))}"
    return typed, ""


def check_option(options: RunOptions, name: str, text: str) -> tuple[RunOptions | None, str]:
    """Parse and check a typed run option (seed, replicates, people per agent).

    Returns:
        ``(new options, "")`` when accepted, else ``(None, message)``.
    """
    lo, hi = OPTION_BOUNDS[name]
    try:
        value = parse_number(text)
    except ValueError as err:
        return None, f"refused: {err}"
    if value != int(value):
        return None, f"refused: {name} takes a whole number, got {value:g}"
    if not lo <= value <= hi:
        return None, f"refused: {name}={value:g} is outside the allowed range [{lo}, {hi}]"
    return replace(options, **{name: int(value)}), ""


def config(setting: Setting, options: RunOptions, preview: bool = False) -> SimConfig:
    """The validated config of a setting: preset, changed levers, seed and ensemble size.

    Args:
        setting: Lever preset and changes.
        options: Seed and ensemble sizes.
        preview: Use the preview's replicates and people per agent instead of the full run's.

    Raises:
        ConfigError: if a value is out of range (one line naming the field).
    """
    base = preset_config(setting.preset)
    numeric = [(n, v) for n, v in setting.changes if lever(n).kind != "bool"]
    cfg = with_params(base, [n for n, _ in numeric], [v for _, v in numeric])  # a copy
    for name, value in setting.changes:
        if lever(name).kind == "bool":
            setattr(cfg.levers, name.rsplit(".", 1)[-1], bool(value))
    run = replace(
        cfg.run,
        seed=options.seed,
        replicates=options.preview_replicates if preview else options.replicates,
        people_per_agent=(
            options.preview_people_per_agent if preview else options.people_per_agent
        ),
        progress=False,
        plots=False,
    )
    return check(replace(cfg, run=run))


def format_value(lv: Lever, value: Any) -> str:
    """A lever value for a text field: thousands separators for large numbers."""
    if lv.kind == "bool":
        return "1" if value else "0"
    value = float(value)
    if value == int(value) and abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.10g}"


def _override_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if float(value) == int(value):
        return str(int(value))
    return repr(float(value))


def overrides(setting: Setting, options: RunOptions) -> list[str]:
    """Hydra overrides that reproduce the setting in a batch run (``python -m sim ...``)."""
    out = [f"levers={setting.preset}"]
    out += [f"{name}={_override_value(value)}" for name, value in setting.changes]
    out += [
        f"run.seed={options.seed}",
        f"run.replicates={options.replicates}",
        f"run.people_per_agent={options.people_per_agent}",
    ]
    return out


def override_string(setting: Setting, options: RunOptions) -> str:
    """The overrides as one command-line string."""
    return " ".join(overrides(setting, options))


def config_yaml(setting: Setting, options: RunOptions, name: str = "dashboard") -> str:
    """The full resolved config as YAML, with a header saying how to run it in batch.

    Args:
        setting: Lever preset and changes.
        options: Seed and ensemble size of the full run.
        name: File stem the researcher saves it under (``<name>.yaml``).
    """
    header = (
        f"# Innovation-ecosystem simulator: setting exported from the dashboard "
        f"({setting.describe()}).\n"
        f"# Same as the Hydra overrides: {override_string(setting, options)}\n"
        f"# Run in batch from the repository root, with this file saved as <dir>/{name}.yaml:\n"
        f"#   .venv/bin/python -m sim -cp <absolute path of dir> -cn {name}\n"
    )
    return header + to_yaml(config(setting, options))
