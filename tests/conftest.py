"""Shared fixtures: small, fast configs composed with Hydra's compose API."""

from __future__ import annotations

import pytest

from sim.compose import load_config
from tests.helpers import FAST, run_model


@pytest.fixture(scope="session")
def fast_config():
    """The enacted scenario at a coarse talent scale."""
    return load_config(FAST)


@pytest.fixture(scope="session")
def finished_model(fast_config):
    """One enacted run to 2030 (shared by read-only tests)."""
    return run_model(fast_config, seed=1)
