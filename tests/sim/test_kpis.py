"""KPIs (sim/kpis.py): R&D growth by hand, and every KPI recomputed from the state arrays."""

import numpy as np
import pytest

from agents.firm import CENTRE_CODE
from sim.kpis import KPI_IDS, KPI_UNITS, check_finite, rd_growth


def test_rd_growth_is_the_average_yearly_growth_in_percent():
    assert rd_growth(121.0, 100.0, 2) == pytest.approx(10.0)
    assert rd_growth(100.0, 100.0, 5) == 0.0
    assert rd_growth(50.0, 100.0, 1) == pytest.approx(-50.0)
    assert rd_growth(300.0, 100.0, 0) == 0.0  # the base year itself


def test_every_kpi_has_a_unit_and_the_targets_come_first():
    assert KPI_IDS == tuple(KPI_UNITS) and len(set(KPI_IDS)) == len(KPI_IDS)
    targets = ("rd_growth", "platforms", "rd_centres", "clusters", "talent", "listed")
    assert set(targets + ("little_giants", "big_science")) <= set(KPI_IDS[:11])
    assert all(KPI_UNITS[k] for k in KPI_IDS)


def test_check_finite_names_the_kpi_and_year():
    check_finite({"talent": 1.0}, 2025)
    with pytest.raises(FloatingPointError, match="KPI gdp is nan in 2027"):
        check_finite({"talent": 1.0, "gdp": float("nan")}, 2027)


def test_every_kpi_equals_a_count_recomputed_from_the_arrays(finished_model):
    """The last KPI row is computed at the end of 2030, the state the model finished in."""
    m = finished_model
    row = m.kpi_frame().loc[2030]
    f, u, t = m.firms, m.universities, m.talent
    fa, ua = f.alive, u.alive
    platforms = (
        f.platforms[fa].sum()
        + f.national_enterprise_tech_centre[fa].sum()
        + f.national_innovation_centre[fa].sum()
        + f.other_national[fa].sum()
        + u.platforms[ua].sum()
        + u.national_key_labs[ua].sum()
        + u.national_platforms[ua].sum()
    )
    depth = m.market_depth  # the depth of the year just ended
    turnover = (
        u.contract_turnover[ua].sum()
        + m.reference.firm_turnover_per_knowledge * f.knowledge[fa].sum() * depth
    )
    expected = {
        "platforms": platforms,
        "rd_centres": (fa & f.centre_registered).sum(),
        "rd_institutions": platforms + (fa & f.centre_registered).sum(),
        "national_key_labs": u.national_key_labs[ua].sum(),
        "national_platforms": (
            f.national_enterprise_tech_centre[fa].sum()
            + f.national_innovation_centre[fa].sum()
            + f.other_national[fa].sum()
            + u.national_key_labs[ua].sum()
            + u.national_platforms[ua].sum()
        ),
        "clusters": len(m.clusters),
        "talent": t.headcount[t.alive].sum(),
        "listed": (fa & f.listed).sum(),
        "little_giants": (fa & f.little_giant).sum(),
        "big_science": (ua & u.big_science).sum(),
        "high_tech_enterprises": (fa & f.high_tech).sum(),
        "tech_smes": (fa & f.tech_sme).sum(),
        "tech_contract_turnover": turnover / 1e8,
        "new_national_key_labs": m.approvals.approved["national_key_lab"],
        "new_national_innovation_centres": m.approvals.approved["national_innovation_centre"],
        "new_national_enterprise_tech_centres": m.approvals.approved[
            "national_enterprise_tech_centre"
        ],
        "cultivation_pool": (fa & f.cultivation).sum(),
        "gdp": m.economy.gdp_year / 1e8,
    }
    for kpi, value in expected.items():
        assert row[kpi] == pytest.approx(float(value), rel=1e-12), kpi
    # Reported R&D of the year is not kept in the arrays; its ratios are.
    assert row["rd_intensity"] == pytest.approx(
        100 * row["rd_expenditure"] * 1e8 / m.economy.gdp_year
    )
    growth = ((row["rd_expenditure"] * 1e8 / m.reference.rd_expenditure) ** (1 / 8) - 1) * 100
    assert row["rd_growth"] == pytest.approx(growth)
    local = sum(v for y, k, v in m.cost_records() if y == 2030 and not k.startswith("national_"))
    assert row["public_cost"] == pytest.approx(local / 1e8)
    # Sanity of the recomputation itself: some of every counted thing exists by 2030.
    assert min(expected["rd_centres"], expected["listed"], expected["high_tech_enterprises"]) > 0
    assert (f.centre_type[fa] <= max(CENTRE_CODE.values())).all()
    assert np.isfinite(row[list(KPI_IDS)].to_numpy(dtype=float)).all()
