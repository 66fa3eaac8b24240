"""The per-agent Mesa reference of the benchmark (B5) computes what the production rules compute.

``benchmarks/vectorised.py`` drives the production rules (``agents.firm.plan_rd`` and
``produce``, ``agents.talent.leave_probability``) on whole columns; ``benchmarks/reference.py``
re-implements them agent by agent with Python's ``random``. Deterministic quantities must agree
to rounding; random ones agree in distribution only, so they are compared with tests whose
tolerance comes from the sampling spread:

* one quarter, per firm and person (4 seeds pooled, about 47,000 firms): two-sample
  Kolmogorov-Smirnov on log revenue growth, two-proportion z-tests on innovation, exit and the
  persons leaving, each at alpha = 0.001;
* four quarters, city totals over seeds (8 reference, 32 vectorised seeds): Welch t-test of the
  means and Kolmogorov-Smirnov of the distributions, alpha = 0.001. Measured seed-to-seed
  spread: 0.2-0.4 % of the mean (R&D, revenue), 0.17 % (firms), 0.02 % (talent); the former
  check allowed 5 %, i.e. 10-400 standard deviations.

The mutation check makes the production growth rule 10 % more dispersed and requires the
first comparison to fail, so the comparison is of the production rules and has the power to
see such a change.
"""

from unittest import mock

import numpy as np
import pytest
from scipy import stats

from agents import firm
from benchmarks.reference import ReferenceModel, RefFirm, RefTalent, live_rows
from benchmarks.subset import base_year
from benchmarks.vectorised import VectorisedSubset

ALPHA = 0.001
QUARTER_SEEDS = range(4)
KPI_SEEDS = {ReferenceModel: range(8), VectorisedSubset: range(100, 132)}


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


def first_quarter(base, cls, seeds) -> dict:
    """Pooled one-quarter outcomes: log growth per surviving firm, innovations, exits, leavers."""
    growth, innovated, exits, firms, lost, persons = [], 0, 0, 0, 0, 0
    for seed in seeds:
        m = cls(base, seed)
        if cls is ReferenceModel:
            before = {a.row: (a.revenue, a.innovations) for a in m.agents_by_type[RefFirm]}
            heads = sum(a.headcount for a in m.agents_by_type[RefTalent])
            m.step()
            agents = list(m.agents_by_type[RefFirm])
            growth.append([np.log(a.revenue / before[a.row][0]) for a in agents])
            innovated += sum(a.innovations - before[a.row][1] for a in agents)
            n, survivors = len(before), len(agents)
            after = sum(a.headcount for a in m.agents_by_type[RefTalent])
        else:
            f, t = m.firms, m.talent
            n = f.n
            revenue, innovations = f.revenue.copy(), f.innovations.copy()
            heads = int(t.headcount[t.alive].sum())
            m.step()
            alive = f.alive[:n]
            growth.append(np.log(f.revenue[:n][alive] / revenue[alive]))
            innovated += int((f.innovations[:n] - innovations)[alive].sum())
            survivors = int(alive.sum())
            after = int(t.headcount[t.alive].sum())
        exits += n - survivors
        firms += n
        lost += heads - after
        persons += heads
    return {
        "growth": np.concatenate([np.asarray(g, float) for g in growth]),
        "innovation": (innovated, firms - exits),
        "exit": (exits, firms),
        "leave or retire": (lost, persons),
    }


def proportions_differ(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Two-sided p-value of a pooled two-proportion z-test (conservative for sums of binomials
    with unequal probabilities: their variance is below the pooled binomial variance)."""
    (xa, na), (xb, nb) = a, b
    p = (xa + xb) / (na + nb)
    z = (xa / na - xb / nb) / np.sqrt(p * (1 - p) * (1 / na + 1 / nb))
    return float(2 * stats.norm.sf(abs(z)))


def disagreements(ref: dict, vec: dict) -> dict[str, float]:
    """Comparisons whose p-value is below ALPHA."""
    p = {"growth": float(stats.ks_2samp(ref["growth"], vec["growth"]).pvalue)}
    for name in ("innovation", "exit", "leave or retire"):
        p[name] = proportions_differ(ref[name], vec[name])
    return {k: v for k, v in p.items() if v < ALPHA}


@pytest.fixture(scope="module")
def reference_quarter(base):
    return first_quarter(base, ReferenceModel, QUARTER_SEEDS)


def test_one_quarter_of_firm_and_talent_draws_agrees_in_distribution(base, reference_quarter):
    vec = first_quarter(base, VectorisedSubset, [100 + s for s in QUARTER_SEEDS])
    assert len(reference_quarter["growth"]) > 40_000 and len(vec["growth"]) > 40_000
    assert disagreements(reference_quarter, vec) == {}


def test_mutation_check_more_dispersed_production_growth_is_detected(base, reference_quarter):
    real = firm.revenue_growth

    def dispersed(rng, revenue, drift, innovated, boost, scale, exponent, size_ref):
        return real(rng, revenue, drift, innovated, boost, 1.1 * scale, exponent, size_ref)

    with mock.patch.object(firm, "revenue_growth", dispersed):
        vec = first_quarter(base, VectorisedSubset, [100 + s for s in QUARTER_SEEDS])
    assert "growth" in disagreements(reference_quarter, vec)


def four_quarter_kpis(base, cls) -> dict[str, np.ndarray]:
    out: dict[str, list[float]] = {}
    for seed in KPI_SEEDS[cls]:
        model = cls(base, seed)
        for _ in range(4):
            model.step()
        for k, v in model.kpis().items():
            out.setdefault(k, []).append(v)
    return {k: np.array(v) for k, v in out.items()}


def test_city_totals_after_a_year_agree_in_distribution(base):
    ref = four_quarter_kpis(base, ReferenceModel)
    vec = four_quarter_kpis(base, VectorisedSubset)
    for kpi in ("rd_real", "revenue", "firms", "talent"):
        a, b = ref[kpi], vec[kpi]
        assert b.std() / b.mean() < 0.01, kpi  # the spread the tolerance comes from
        welch = stats.ttest_ind(a, b, equal_var=False).pvalue
        ks = stats.ks_2samp(a, b).pvalue
        assert welch > ALPHA and ks > ALPHA, (kpi, a.mean(), b.mean(), welch, ks)
