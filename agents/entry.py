"""Entry of new technology firms: talent start-ups, university spin-offs and funded teams.

Each quarter new tech firms start in proportion to the talent stock (Poisson), joined by the
university spin-offs of the last research year and the start-up teams funded by the talent
programme (lever E; these firms start fund-backed). A new firm draws its industry and zone from
the city's composition, a lognormal first-year revenue and R&D intensity; a share registers as a
tech SME at once. Arrivals of outside firms' R&D centres are in :mod:`agents.rd_centres`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.categories import OWNERSHIPS
from agents.firm import FirmState
from agents.params import param


@dataclass
class EntryParams:
    """Parameters of firm entry (``region.behaviour.entry``)."""

    startups_per_10k_talent: float = param(
        6.0,
        low=2.0,
        high=15.0,
        unit="new tech firms per 10k talent per year",
        source="calibrated to HTE and tech-SME growth 2018-2022",
        rule="agents.entry.startups",
    )
    startup_tech_sme_share: float = param(
        0.5,
        low=0.05,
        high=0.9,
        unit="share",
        source="calibrated to tech-SME counts 2017-2020",
        rule="agents.entry.new_tech_firms",
    )
    startup_revenue_yuan: float = param(
        3.0e6,
        low=1.0e6,
        high=1.0e7,
        unit="yuan per year",
        source="assumption; median first-year revenue of a new tech firm",
        rule="agents.entry.new_tech_firms",
    )
    startup_revenue_log_sd: float = param(
        1.0,
        low=0.5,
        high=1.5,
        unit="log yuan",
        source="assumption; spread of first-year revenue",
        rule="agents.entry.new_tech_firms",
    )
    startup_rd_intensity: float = param(
        0.08,
        low=0.03,
        high=0.2,
        unit="share",
        source="assumption; mean desired R&D / revenue of a new tech firm",
        rule="agents.entry.new_tech_firms",
    )
    startup_rd_intensity_log_sd: float = param(
        0.6,
        low=0.3,
        high=1.0,
        unit="log share",
        source="assumption; spread of new firms' R&D intensity",
        rule="agents.entry.new_tech_firms",
    )


@dataclass
class Composition:
    """How new firms are spread over industries and zones (from ``region.population``)."""

    industry_p: np.ndarray
    zone_p: np.ndarray
    revenue_per_employee: float
    bonded_zone: int = -1
    """Zone code of the bonded zone (-1: the region has none)."""


def startups(talent_persons: int, p: EntryParams, rng: np.random.Generator) -> int:
    """New tech firms started by talent this quarter (Poisson in the talent stock)."""
    return int(rng.poisson(p.startups_per_10k_talent * talent_persons / 1e4 / 4.0))


def new_tech_firms(
    firms: FirmState,
    n: int,
    p: EntryParams,
    rng: np.random.Generator,
    composition: Composition,
    year: int,
    fund_backed: bool = False,
) -> np.ndarray:
    """Append ``n`` new private tech firms; returns their rows."""
    revenue = p.startup_revenue_yuan * rng.lognormal(0.0, p.startup_revenue_log_sd, n)
    sd = p.startup_rd_intensity_log_sd
    intensity = p.startup_rd_intensity * rng.lognormal(-0.5 * sd**2, sd, n)
    industry = rng.choice(len(composition.industry_p), n, p=composition.industry_p)
    zone = rng.choice(len(composition.zone_p), n, p=composition.zone_p)
    tech_sme = rng.random(n) < p.startup_tech_sme_share
    return firms.append(
        n,
        entry_year=year,
        industry=industry,
        zone=zone,
        bonded=zone == composition.bonded_zone,
        ownership=OWNERSHIPS.index("private"),
        revenue=revenue,
        employees=revenue / composition.revenue_per_employee,
        rd_intensity_target=intensity,
        rd_real=intensity * revenue,
        rd_reported=intensity * revenue,
        rd_last_year=intensity * revenue,
        tech_sme=tech_sme,
        fund_backed=fund_backed,
    )


def step_quarter(
    firms: FirmState,
    p: EntryParams,
    rng: np.random.Generator,
    *,
    talent_persons: int,
    spinoffs: int,
    team_startups: float,
    composition: Composition,
    year: int,
) -> float:
    """Start-ups, spin-offs and funded start-up teams enter this quarter.

    Args:
        firms: The firm population.
        p: Entry parameters.
        rng: The entry random stream.
        talent_persons: Talent stock now.
        spinoffs: University spin-offs waiting to start.
        team_startups: Funded start-up teams waiting (whole teams start now).
        composition: Industry and zone shares of new firms.
        year: Current year.

    Returns:
        Start-up teams still waiting (the fractional remainder).
    """
    n_start = startups(talent_persons, p, rng)
    if n_start + spinoffs > 0:
        new_tech_firms(firms, int(n_start + spinoffs), p, rng, composition, year)
    teams = int(team_startups)
    if teams > 0:
        team_startups -= teams
        new_tech_firms(firms, teams, p, rng, composition, year, fund_backed=True)
    return team_startups
