"""The public cost ledger (sim/ledger.py): cost lines, local totals and the yearly close."""

import pytest

from sim.ledger import PublicCostLedger
from sim.levers import COST_LINES, FAMILIES


def test_ledger_refuses_an_unknown_cost_line():
    with pytest.raises(KeyError, match="rd_post_subsidyy"):
        PublicCostLedger().book("rd_post_subsidyy", 1.0)
    assert set(COST_LINES.values()) <= set(FAMILIES)


def test_book_local_total_and_close_year():
    gov = PublicCostLedger()
    gov.book("rd_post_subsidy", 1e6)
    gov.book("rd_post_subsidy", 2e6)
    gov.book("platform_awards", 5e5)
    gov.book("national_super_deduction", 7e7)
    assert gov.local_total() == pytest.approx(3.5e6)
    costs = gov.close_year(2024)
    assert costs == {
        "rd_post_subsidy": 3e6,
        "platform_awards": 5e5,
        "national_super_deduction": 7e7,
    }
    assert gov.local_total() == 0.0 and len(gov.year_costs) == 0
    assert (2024, "national_super_deduction", 7e7) in gov.history
    assert [h[0] for h in gov.history] == [2024] * 3
    gov.book("platform_awards", 1.0)
    assert gov.close_year(2025) == {"platform_awards": 1.0}
    assert len(gov.history) == 4
