"""Entry: university spin-offs, talent start-ups and outside firms' R&D centres arriving.

Arrivals of outside R&D centres are Poisson with a rate that scales with the city's
attractiveness: the one-off award relative to the centre's investment, the talent pool, bonded
duty relief (bonded centres only) and IP / international spending.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.categories import BONDED_ZONE, INDUSTRIES, OWNERSHIPS, ZONES
from agents.firm import CENTRE_CODE

if TYPE_CHECKING:
    from sim.model import InnovationModel

ARRIVING_TYPES = ("fortune500", "leading_hq", "foreign", "bonded")
OWNER_OF_TYPE = {
    "fortune500": OWNERSHIPS.index("fortune500_affiliate"),
    "leading_hq": OWNERSHIPS.index("soe"),
    "foreign": OWNERSHIPS.index("foreign"),
    "bonded": OWNERSHIPS.index("private"),
}
STARTUP_REVENUE_YUAN = 3.0e6  # median first-year revenue of a new tech firm (assumption)
STARTUP_RD_INTENSITY = 0.08  # desired R&D / revenue of a new tech firm (assumption)


def attractiveness(
    award: float,
    investment: float,
    talent_ratio: float,
    bonded_relief: float,
    ip_ratio: float,
    p,
    bonded: bool,
) -> float:
    """Multiplier of the base arrival rate of one centre type.

    Args:
        award: One-off award the centre would receive (yuan).
        investment: Typical investment of such a centre (yuan).
        talent_ratio: Talent stock relative to the base year.
        bonded_relief: Duty/VAT relief rate (applies to bonded centres).
        ip_ratio: IP / international spending relative to the base-year policy.
        p: Entry behaviour parameters.
        bonded: Whether the type is a bonded R&D centre.

    Returns:
        Rate multiplier (1 under base-year conditions without awards).
    """
    m = (1.0 + award / investment) ** p.centre_award_elasticity
    m *= talent_ratio**p.centre_talent_elasticity
    m *= ip_ratio**p.ip_elasticity
    if bonded:
        m *= np.exp(p.bonded_relief_elasticity * bonded_relief)
    return float(m)


def add_firms(model: InnovationModel, n: int, **columns) -> np.ndarray:
    """Append ``n`` new firms (entry year = now) and create their Mesa agents."""
    rows = model.firms.append(n, entry_year=model.year, **columns)
    model.create_firm_agents(rows)
    return rows


def _new_tech_firms(model: InnovationModel, n: int, fund_backed: bool = False) -> np.ndarray:
    rng, pop = model.streams.entry, model.region.population
    ind_p = np.array([pop.industry_shares[k] for k in INDUSTRIES])
    zone_p = np.array([pop.zone_shares[k] for k in ZONES])
    revenue = STARTUP_REVENUE_YUAN * rng.lognormal(0.0, 1.0, n)
    intensity = STARTUP_RD_INTENSITY * rng.lognormal(-0.18, 0.6, n)
    return add_firms(
        model,
        n,
        industry=rng.choice(len(INDUSTRIES), n, p=ind_p),
        zone=rng.choice(len(ZONES), n, p=zone_p),
        ownership=OWNERSHIPS.index("private"),
        revenue=revenue,
        employees=revenue / pop.revenue_per_employee_yuan,
        rd_intensity_target=intensity,
        rd_real=intensity * revenue,
        rd_reported=intensity * revenue,
        rd_last_year=intensity * revenue,
        tech_sme=rng.random(n) < model.behaviour.entry.startup_tech_sme_share,
        fund_backed=fund_backed,
    )


def step_quarter(model: InnovationModel) -> None:
    """Start-ups and spin-offs enter; outside R&D centres arrive."""
    rng, p = model.streams.entry, model.behaviour.entry
    talent = model.talent_stock()
    n_start = rng.poisson(p.startups_per_10k_talent * talent / 1e4 / 4.0)
    n_spin, model.pending_spinoffs = model.pending_spinoffs, 0
    if n_start + n_spin > 0:
        _new_tech_firms(model, int(n_start + n_spin))
    teams = int(model.pending_team_startups)
    if teams > 0:
        model.pending_team_startups -= teams
        _new_tech_firms(model, teams, fund_backed=True)
    lv = model.policy.levers
    ip_spend = model.policy.amount("ip_and_international_yuan_per_year", "H")
    ip_ratio = (ip_spend + 1e6) / (model.policy.reference.ip_and_international_yuan_per_year + 1e6)
    model.gov.book("ip_and_international", ip_spend / 4)
    awards = model.policy.centre_award_by_code()
    for kind in ARRIVING_TYPES:
        code = CENTRE_CODE[kind]
        invest = p.centre_investment_yuan[kind]
        mult = attractiveness(
            awards[code],
            invest,
            talent / model.talent_stock_base,
            lv.bonded_duty_relief_rate,
            ip_ratio,
            p,
            bonded=kind == "bonded",
        )
        n = int(rng.poisson(p.centre_arrivals_base[kind] * mult / 4.0))
        if n == 0:
            continue
        rd = p.centre_rd_yuan[kind] * rng.lognormal(-0.125, 0.5, n)
        revenue = rd / 0.05
        zone = BONDED_ZONE if kind == "bonded" else ZONES.index("xiangjiang_science_city")
        rows = add_firms(
            model,
            n,
            industry=rng.choice(len(INDUSTRIES) - 1, n),
            zone=zone,
            ownership=OWNER_OF_TYPE[kind],
            revenue=revenue,
            employees=revenue / 1e6,
            rd_intensity_target=rd / revenue,
            rd_real=rd,
            rd_reported=rd,
            rd_last_year=rd,
            knowledge=rd * 3.0,
            age=5.0,
            centre_type=code,
        )
        model.pay_centre_awards(rows)
