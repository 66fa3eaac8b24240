"""What a run's numbers rest on that is not the region's own data: printed once per command.

Three kinds of borrowed evidence are reported (and recorded: ``region.inherited_parameters`` in
``config.yaml``, ``estimated_indicators`` in the run record):

- behaviour parameters whose value rests on another city's figures or calibration
  (:func:`sim.config.inherited_parameters`);
- base-year indicators estimated from a reference city (:func:`sim.region.load_base_state`);
- behaviour that is the prior (no calibration of this region is installed).
"""

from __future__ import annotations

from sim.config import SimConfig
from sim.region import BaseState

SHOWN = 6
"""Inherited parameters named on the console (all are in ``config.yaml``)."""


def notes(cfg: SimConfig, base: BaseState | None = None) -> list[str]:
    """One line per kind of borrowed evidence in the run (empty when there is none)."""
    reg = cfg.region
    out = []
    inherited = reg.inherited_parameters
    if inherited:
        names = ", ".join(line.split(" (")[0].removeprefix("region.") for line in inherited[:SHOWN])
        more = f" and {len(inherited) - SHOWN} more" if len(inherited) > SHOWN else ""
        out.append(
            f"{len(inherited)} parameter(s) of region {reg.name} rest on another city's figures "
            f"or calibration (region.inherited_parameters in config.yaml): {names}{more}"
        )
    estimated = getattr(base, "estimated", {}) if base is not None else {}
    if estimated:
        out.append(
            f"{len(estimated)} base-year indicator(s) of {reg.name} are estimated, not published "
            f"(region.estimates; listed in the run record): {', '.join(sorted(estimated))}"
            + (
                ""
                if cfg.run.base_state_uncertainty
                else "; they enter at their central value (run.base_state_uncertainty=true "
                "draws them from their ranges)"
            )
        )
    if not reg.calibrated_for and cfg.run.parameter_uncertainty:
        out.append(
            f"region {reg.name}: behaviour is the prior (no calibration installed; "
            f"region={reg.name}_calibrated after python -m scenarios.calibrate "
            f"region={reg.name} calibration=<its preset> calibration.install=true; "
            "docs/your_city.md)"
        )
    return out


def announce(cfg: SimConfig, base: BaseState | None = None) -> None:
    """Print :func:`notes` (once per command, before the work starts)."""
    for line in notes(cfg, base):
        print(f"note: {line}")
