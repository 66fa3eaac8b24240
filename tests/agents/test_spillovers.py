"""Knowledge spillovers (agents/spillovers.py): the innovation-rate multiplier."""

import numpy as np
import pytest

from agents.spillovers import SpilloverParams, multiplier


def test_multiplier_at_base_and_monotone():
    p = SpilloverParams()
    w = p.spillover_university_weight + p.spillover_platform_weight + p.spillover_industry_weight
    base = multiplier(1.0, 1.0, np.ones(3), p)
    np.testing.assert_allclose(base, 1.0 + w)
    assert multiplier(1.5, 1.0, np.ones(1), p)[0] > base[0]
    assert multiplier(1.0, 1.5, np.ones(1), p)[0] > base[0]
    ind = multiplier(1.0, 1.0, np.array([0.5, 1.0, 2.0]), p)
    assert np.all(np.diff(ind) > 0)
    assert ind[2] - ind[1] == pytest.approx(p.spillover_industry_weight)


def test_multiplier_is_one_with_zero_weights():
    p = SpilloverParams(
        spillover_university_weight=0.0,
        spillover_platform_weight=0.0,
        spillover_industry_weight=0.0,
    )
    np.testing.assert_allclose(multiplier(3.0, 2.0, np.array([5.0, 0.1]), p), 1.0)
