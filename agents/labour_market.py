"""The R&D labour market: firms' R&D posts (FTE) against the city's R&D-capable talent.

Supply is the base-year R&D workforce (base demand plus a slack share) scaled by the stock of
R&D-capable talent (top to young researchers) and by a participation factor: while posts stay
unfilled, a growing share of that talent moves into R&D jobs (``rd_participation_response`` of
the vacancy rate per year). When demand exceeds supply every firm fills the same share of its
posts; unfilled posts cap real R&D and raise the vacancy rate that attracts talent
(:meth:`agents.talent.TalentConditions.delta_v`). Talent agents also have an employer: a
university or institute (a tier-specific share) or an R&D firm, chosen in proportion to
researchers or R&D staff.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.categories import TIERS
from agents.firm import FirmState
from agents.params import param
from agents.talent import TalentState
from agents.university import UniversityState

FIRM_EMPLOYER, UNIVERSITY_EMPLOYER = 1, 2
"""Codes of ``TalentState.employer_kind`` (0 = other or searching)."""


@dataclass
class LabourParams:
    """Parameters of the R&D labour market (``region.behaviour.labour``)."""

    rd_labour_slack: float = param(
        0.10,
        low=0.0,
        high=0.2,
        unit="share",
        source="assumption; unfilled-post buffer of the R&D labour pool at base",
        rule="agents.labour_market.LabourMarket.__init__",
    )
    rd_participation_response: float = param(
        1.0,
        low=0.0,
        high=2.0,
        unit="share of the vacancy rate closed per year",
        source="assumption; scarce R&D posts draw talent from other jobs over time",
        rule="agents.labour_market.LabourMarket.fill",
    )
    university_employer_share: dict = param(
        {"top": 0.7, "leading": 0.6, "high_level": 0.4, "young": 0.2, "graduate": 0.05},
        low=0.0,
        high=1.0,
        unit="share",
        source="assumption; share of each tier employed by universities and institutes",
        rule="agents.labour_market.assign_employers",
    )


class LabourMarket:
    """Clears R&D posts against R&D-capable talent once a quarter.

    Args:
        params: Labour-market parameters.
        base_demand_fte: R&D posts of the base year (FTE).
        rd_talent_base: R&D-capable talent persons in the base year.
    """

    def __init__(self, params: LabourParams, base_demand_fte: float, rd_talent_base: float) -> None:
        self.params = params
        self.supply_base = base_demand_fte * (1.0 + params.rd_labour_slack)
        self.rd_talent_base = max(rd_talent_base, 1.0)
        self.vacancy_rate_base = 0.0
        self.vacancy_rate = 0.0
        self.fill_rate = 1.0
        self.participation = 1.0

    def supply(self, rd_talent: float) -> float:
        """R&D posts (FTE) that ``rd_talent`` R&D-capable persons fill now."""
        return self.supply_base * (rd_talent / self.rd_talent_base) * self.participation

    def fill(self, demand_fte: float, rd_talent: float) -> float:
        """Clear the market for this quarter; returns the share of posts filled."""
        supply = self.supply(rd_talent)
        self.fill_rate = 1.0 if demand_fte <= supply else supply / demand_fte
        self.vacancy_rate = 1.0 - self.fill_rate
        response = self.params.rd_participation_response
        self.participation *= 1.0 + response / 4.0 * self.vacancy_rate
        return self.fill_rate


def assign_employers(
    talent: TalentState,
    rows: np.ndarray,
    universities: UniversityState,
    firms: FirmState,
    params: LabourParams,
    rng: np.random.Generator,
) -> None:
    """Give new or searching talent agents an employer: a university or an R&D firm.

    A person-group works at a university with its tier's ``university_employer_share``; the
    university is drawn in proportion to researchers, a firm in proportion to R&D staff.
    """
    if len(rows) == 0:
        return
    share = np.array([params.university_employer_share[t] for t in TIERS])
    at_univ = rng.random(len(rows)) < share[talent.tier[rows]]
    u_idx, f_idx = universities.live(), firms.live()
    u_w, f_w = universities.researchers[u_idx], firms.rd_staff[f_idx] + 1e-9
    n_u = int(at_univ.sum())
    talent.employer_kind[rows] = np.where(at_univ, UNIVERSITY_EMPLOYER, FIRM_EMPLOYER)
    if n_u:
        talent.employer[rows[at_univ]] = rng.choice(u_idx, n_u, p=u_w / u_w.sum())
    if len(rows) - n_u:
        talent.employer[rows[~at_univ]] = rng.choice(f_idx, len(rows) - n_u, p=f_w / f_w.sum())


def orphans(talent: TalentState, firms: FirmState) -> np.ndarray:
    """Talent rows whose employing firm has exited."""
    idx = talent.live()
    employer = np.maximum(talent.employer[idx], 0)
    return idx[(talent.employer_kind[idx] == FIRM_EMPLOYER) & ~firms.alive[employer]]
