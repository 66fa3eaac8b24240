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


SLOW_FILES = {
    "tests/notebooks/test_notebooks.py": 220,
    "tests/scenarios/test_validate.py": 105,
    "tests/sim/test_sweeps.py": 85,
    "tests/sim/test_run_ownership.py": 75,
    "tests/sim/test_directional.py": 65,
    "tests/scenarios/test_lever_table.py": 60,
    "tests/scenarios/test_calibrate.py": 55,
    "tests/sim/test_interrupts.py": 50,
    "tests/sim/test_failing_replicates.py": 45,
    "tests/scenarios/test_compare.py": 30,
    "tests/sim/test_reproducibility.py": 30,
    "tests/scenarios/test_compare_partial.py": 30,
}
"""Seconds per file, roughly (``--durations`` of a 2-core run at b6179d2). Only the order of
files uses it: :func:`pytest_collection_modifyitems` starts the longest files first, so the two
workers of ``make test`` (one file each, ``--dist loadfile``) finish together instead of one
running a long file alone at the end. No test passes or fails by it."""


def pytest_collection_modifyitems(config, items):
    """Longest files first (stable: the order within a file and among the rest is kept)."""
    root = config.rootpath

    def weight(item) -> float:
        path = item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else ""
        return -SLOW_FILES.get(path, 0)

    items.sort(key=weight)
