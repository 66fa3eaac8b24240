"""Helpers shared by test modules (fixtures are in ``tests/conftest.py``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.model import InnovationModel

ROOT = Path(__file__).resolve().parents[1]
"""The repository root."""

FAST = [
    "run.people_per_agent=2000",
    "run.plots=false",
    "run.progress=false",
    "run.assimilate=false",  # unconditioned unless a test asks (tests/sim/test_assimilation.py)
]
"""Overrides of a coarse, quiet run (talent agents of 2,000 persons)."""


def run_model(cfg, seed: int = 0) -> InnovationModel:
    """Run one model to the horizon with a given replicate seed."""
    model = InnovationModel(cfg, rng=np.random.default_rng(seed))
    while model.running:
        model.step()
    return model
