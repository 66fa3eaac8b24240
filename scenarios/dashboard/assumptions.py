"""What the numbers rest on: behavioural parameters in use, exogenous drivers, purpose and limits.

The parameter table comes from the parameter declarations (value, plausible range, unit, source,
rule; :func:`agents.params.documented_fields`) and the calibrated posterior; the purpose and limits
are the README's section "Purpose and limits", read at run time so there is one text.
"""

from __future__ import annotations

import dataclasses
import re

import pandas as pd

from agents.params import documented_fields
from sim.config import Driver, SimConfig
from sim.posterior import load_posterior

from .catalogue import ROOT

README = ROOT / "README.md"
SECTION = "Purpose and limits"


def _show(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v:g}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(f"{v:g}" if isinstance(v, int | float) else str(v) for v in value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def posterior_names(cfg: SimConfig) -> set[str]:
    """Parameters drawn per replicate from the calibrated posterior (empty when off)."""
    if not (cfg.run.parameter_uncertainty and cfg.region.posterior_file):
        return set()
    drawn = set(load_posterior(cfg.region.posterior_file).columns)
    return drawn - set(cfg.run.fixed_parameters)


def parameters(cfg: SimConfig) -> pd.DataFrame:
    """Every behavioural parameter in use with its range, unit, source and rule.

    Returns:
        Columns: parameter, value, low, high, unit, source, rule, posterior (True when each
        replicate draws the parameter from the calibrated posterior instead of ``value``).
    """
    drawn = posterior_names(cfg)
    rows = [
        {
            "parameter": name.removeprefix("region.behaviour."),
            "value": _show(value),
            "low": meta["low"],
            "high": meta["high"],
            "unit": meta["unit"],
            "source": meta["source"],
            "rule": meta["rule"],
            "posterior": name in drawn,
        }
        for name, value, meta in documented_fields(cfg.region.behaviour, "region.behaviour.")
    ]
    return pd.DataFrame(rows)


def drivers(cfg: SimConfig) -> pd.DataFrame:
    """Exogenous drivers with the range each replicate draws from (triangular)."""
    exo = cfg.region.exogenous
    rows = [
        {"driver": f.name, "value": d.value, "low": d.low, "high": d.high}
        for f in dataclasses.fields(exo)
        if isinstance(d := getattr(exo, f.name), Driver)
    ]
    return pd.DataFrame(rows)


def purpose_and_limits() -> str:
    """The README's "Purpose and limits" section as Markdown (links reduced to their text)."""
    try:
        text = README.read_text(encoding="utf-8")
    except OSError:
        return f"(README.md not found at {README}; see the section '{SECTION}' there.)"
    match = re.search(rf"^## {SECTION}\s*\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    if not match:
        return f"(README.md has no section '{SECTION}'.)"
    return re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", match.group(1)).strip()
