"""Shared fixtures: small, fast configs composed with Hydra's compose API."""

from __future__ import annotations

import numpy as np
import pytest

from sim.compose import load_config
from sim.model import InnovationModel

FAST = ["run.people_per_agent=2000", "run.plots=false", "run.progress=false"]


@pytest.fixture(scope="session")
def fast_config():
    """The enacted scenario at a coarse talent scale."""
    return load_config(FAST)


def run_model(cfg, seed: int = 0) -> InnovationModel:
    """Run one model to the horizon with a given replicate seed."""
    model = InnovationModel(cfg, rng=np.random.default_rng(seed))
    while model.running:
        model.step()
    return model


@pytest.fixture(scope="session")
def finished_model(fast_config):
    """One enacted run to 2030 (shared by read-only tests)."""
    return run_model(fast_config, seed=1)
