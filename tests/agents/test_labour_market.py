"""The R&D labour market (agents/labour_market.py): fill rate, participation, supply, employers.

Hand-computed cases use base demand 100 FTE and 1,000 R&D-capable persons, so the base supply is
100 x (1 + slack 0.1) = 110 FTE. Statistical checks allow 4 binomial standard errors.
"""

import numpy as np
import pytest

from agents.categories import TIERS
from agents.firm import FirmState
from agents.labour_market import (
    FIRM_EMPLOYER,
    UNIVERSITY_EMPLOYER,
    LabourMarket,
    LabourParams,
    assign_employers,
    orphans,
)
from agents.talent import TalentState
from agents.university import UniversityState


def market(response=1.0, slack=0.1):
    return LabourMarket(
        LabourParams(rd_labour_slack=slack, rd_participation_response=response), 100.0, 1000.0
    )


def test_supply_scales_with_rd_talent_and_the_slack():
    lab = market()
    assert lab.supply(1000.0) == pytest.approx(110.0)
    assert lab.supply(2500.0) == pytest.approx(275.0)  # proportional to R&D-capable talent
    assert market(slack=0.0).supply(1000.0) == pytest.approx(100.0)
    assert LabourMarket(LabourParams(), 100.0, 0.0).rd_talent_base == 1.0  # floored, no 1/0


def test_fill_rate_is_one_until_demand_exceeds_supply():
    lab = market()
    assert lab.fill(110.0, 1000.0) == 1.0
    assert lab.vacancy_rate == 0.0 and lab.participation == 1.0
    assert lab.fill(220.0, 1000.0) == pytest.approx(0.5)  # 110 of 220 posts filled
    assert lab.vacancy_rate == pytest.approx(0.5)


def test_unfilled_posts_draw_talent_into_rd_jobs():
    lab = market(response=1.0)
    lab.fill(220.0, 1000.0)
    # A quarter closes response / 4 of the vacancy rate: participation x (1 + 0.5 / 4).
    assert lab.participation == pytest.approx(1.125)
    assert lab.supply(1000.0) == pytest.approx(110.0 * 1.125)
    assert lab.fill(220.0, 1000.0) == pytest.approx(123.75 / 220.0)
    assert lab.participation == pytest.approx(1.125 * (1 + (1 - 123.75 / 220) / 4))
    still = market(response=0.0)
    still.fill(220.0, 1000.0)
    assert still.participation == 1.0  # no response: the shortage persists
    assert still.fill(220.0, 1000.0) == pytest.approx(0.5)


def populations(n_talent, tier="graduate"):
    talent = TalentState()
    rows = talent.append(n_talent, tier=TIERS.index(tier), headcount=1, employer=-1)
    universities = UniversityState()
    universities.append(2, researchers=np.array([1000.0, 3000.0]))
    firms = FirmState()
    firms.append(3, rd_staff=np.array([10.0, 0.0, 30.0]))
    return talent, rows, universities, firms


@pytest.mark.parametrize("tier", ["top", "graduate"])
def test_employer_shares_follow_tier_share_researchers_and_rd_staff(tier):
    n = 40_000
    talent, rows, universities, firms = populations(n, tier)
    params = LabourParams()
    assign_employers(talent, rows, universities, firms, params, np.random.default_rng(5))
    kind, employer = talent.employer_kind[rows], talent.employer[rows]
    share = params.university_employer_share[tier]
    at_univ = kind == UNIVERSITY_EMPLOYER
    assert set(np.unique(kind)) <= {FIRM_EMPLOYER, UNIVERSITY_EMPLOYER}
    assert abs(at_univ.mean() - share) < 4 * np.sqrt(share * (1 - share) / n)
    # Universities in proportion to researchers (1:3), firms to R&D staff (10:0:30).
    u = employer[at_univ]
    assert abs((u == 1).mean() - 0.75) < 4 * np.sqrt(0.1875 / len(u))
    f = employer[~at_univ]
    assert not (f == 1).any()  # a firm without R&D staff employs nobody
    assert abs((f == 2).mean() - 0.75) < 4 * np.sqrt(0.1875 / len(f))


def test_assign_employers_with_no_rows_changes_nothing():
    talent, _, universities, firms = populations(3)
    assign_employers(
        talent, np.empty(0, np.int64), universities, firms, LabourParams(), np.random.default_rng(6)
    )
    assert (talent.employer == -1).all() and (talent.employer_kind == 0).all()


def test_orphans_are_firm_employees_whose_firm_exited():
    talent, rows, universities, firms = populations(4)
    talent.employer_kind[:] = [FIRM_EMPLOYER, FIRM_EMPLOYER, UNIVERSITY_EMPLOYER, 0]
    talent.employer[:] = [0, 2, 0, -1]
    firms.alive[0] = False  # firm 0 exits; university 0 (same row number) does not matter
    np.testing.assert_array_equal(orphans(talent, firms), [0])
    talent.alive[0] = False
    assert len(orphans(talent, firms)) == 0
