"""The per-agent Mesa reference of the benchmark (B5) computes what the vectorised rules compute."""

import numpy as np
import pytest

from benchmarks.reference import ReferenceModel, RefFirm, RefTalent, live_rows
from benchmarks.subset import base_year
from benchmarks.vectorised import VectorisedSubset


@pytest.fixture(scope="module")
def base():
    return base_year(people_per_agent=2000)


def test_rd_of_every_surviving_firm_matches_after_a_quarter(base):
    ref, vec = ReferenceModel(base, seed=1), VectorisedSubset(base, seed=1)
    ref.step()
    vec.step()
    rows = live_rows(ref, RefFirm)
    by_row = {a.row: a for a in ref.agents_by_type[RefFirm]}
    got = np.array([by_row[r].rd_real for r in rows])
    # R&D budgets are deterministic within a quarter: no labour market, no draws before them.
    np.testing.assert_allclose(got, vec.firms.rd_real[rows], rtol=1e-12)
    cost = np.array([by_row[r].cost_response for r in rows])
    np.testing.assert_allclose(cost, vec.firms.cost_response[rows], rtol=1e-12)


def test_leave_probability_of_every_talent_group_matches(base):
    ref, vec = ReferenceModel(base, seed=2), VectorisedSubset(base, seed=2)
    for _ in range(3):  # into the active scenario (housing support after eligibility)
        ref.clock.advance()
        vec.clock.advance()
    talent = ref.agents_by_type[RefTalent]
    ref._talent_conditions(talent)
    rows = np.array([a.row for a in talent])
    got = np.array([a.leave_probability() for a in talent])
    np.testing.assert_allclose(got, vec.leave_probability(rows), rtol=1e-10)


def test_kpis_agree_in_distribution(base):
    def run(cls, seed):
        model = cls(base, seed)
        for _ in range(4):
            model.step()
        return model.kpis()

    ref = [run(ReferenceModel, s) for s in range(4)]
    vec = [run(VectorisedSubset, 100 + s) for s in range(4)]
    for kpi in ("rd_real", "revenue", "talent"):
        a, b = np.mean([r[kpi] for r in ref]), np.mean([v[kpi] for v in vec])
        assert abs(a / b - 1) < 0.05, kpi
