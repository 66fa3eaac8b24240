"""City-level markets: R&D labour (talent <-> posts) and national cluster selection rounds.

The capital market (funds <-> firms) lives with the funds in ``agents/fund.py``: funds pick
firms by a noisy knowledge score and exits return capital to them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.categories import INDUSTRIES, TIERS

if TYPE_CHECKING:
    from sim.model import InnovationModel

RD_TIERS = np.array([TIERS.index(t) for t in ("top", "leading", "high_level", "young")])
UNIVERSITY_EMPLOYER_SHARE = np.array([0.7, 0.6, 0.4, 0.2, 0.05])
"""Share of each tier employed by universities and institutes (assumption, by tier)."""


class LabourMarket:
    """R&D labour: firms' posts (FTE) against the R&D-capable talent pool.

    Supply is the base-year R&D workforce (base demand plus a slack share) scaled by the stock of
    R&D-capable talent (top to young researchers) and by a participation factor: while posts stay
    unfilled, a growing share of that talent moves into R&D jobs (``rd_participation_response`` of
    the vacancy rate per year). When demand exceeds supply every firm fills the same share of its
    posts; unfilled posts cap real R&D and raise the vacancy rate that attracts talent.
    """

    def __init__(self, model: InnovationModel, base_demand_fte: float) -> None:
        self.model = model
        slack = model.behaviour.market.rd_labour_slack
        self.supply_base = base_demand_fte * (1.0 + slack)
        self.rd_talent_base = max(model.rd_talent_stock(), 1.0)
        self.vacancy_rate_base = 0.0
        self.vacancy_rate = 0.0
        self.fill_rate = 1.0
        self.participation = 1.0

    def supply(self) -> float:
        """R&D posts the city's talent can fill now (FTE)."""
        ratio = self.model.rd_talent_stock() / self.rd_talent_base
        return self.supply_base * ratio * self.participation

    def fill(self, demand_fte: float) -> float:
        """Clear the market for this quarter; returns the share of posts filled."""
        supply = self.supply()
        self.fill_rate = 1.0 if demand_fte <= supply else supply / demand_fte
        self.vacancy_rate = 1.0 - self.fill_rate
        response = self.model.behaviour.market.rd_participation_response
        self.participation *= 1.0 + response / 4.0 * self.vacancy_rate
        return self.fill_rate

    def assign_employers(self, rows: np.ndarray) -> None:
        """Give new or searching talent agents an employer: a university or an R&D firm."""
        m, t = self.model, self.model.talent
        if len(rows) == 0:
            return
        rng = m.streams.market
        at_univ = rng.random(len(rows)) < UNIVERSITY_EMPLOYER_SHARE[t.tier[rows]]
        u_idx, f_idx = m.universities.live(), m.firms.live()
        u_w, f_w = m.universities.researchers[u_idx], m.firms.rd_staff[f_idx] + 1e-9
        n_u = int(at_univ.sum())
        t.employer_kind[rows] = np.where(at_univ, 2, 1)
        if n_u:
            t.employer[rows[at_univ]] = rng.choice(u_idx, n_u, p=u_w / u_w.sum())
        if len(rows) - n_u:
            t.employer[rows[~at_univ]] = rng.choice(f_idx, len(rows) - n_u, p=f_w / f_w.sum())

    def reassign_orphans(self) -> None:
        """Talent whose employer exited looks for a new one."""
        t, f = self.model.talent, self.model.firms
        idx = t.live()
        orphans = idx[(t.employer_kind[idx] == 1) & ~f.alive[np.maximum(t.employer[idx], 0)]]
        self.assign_employers(orphans)


def cluster_round(model: InnovationModel) -> list[str]:
    """A national selection round: each candidate industry may win, more likely if R&D-strong.

    Returns:
        Names of the industries that won this round.
    """
    f, p, rng = model.firms, model.behaviour.market, model.streams.market
    idx = f.live()
    rd_by_ind = np.bincount(f.industry[idx], weights=f.rd_real[idx], minlength=len(INDUSTRIES))
    share = rd_by_ind / max(rd_by_ind.sum(), 1.0)
    mean = share[:-1].mean()
    won = []
    for k, name in enumerate(INDUSTRIES[:-1]):  # "other" is not a cluster candidate
        if name in model.clusters:
            continue
        prob = min(p.cluster_win_rate * (share[k] / mean) ** p.cluster_strength_elasticity, 0.9)
        if rng.random() < prob:
            won.append(name)
    model.clusters.extend(won)
    return won
