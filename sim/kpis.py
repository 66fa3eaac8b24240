"""KPIs: the one list of KPI ids and units, and their values each year (DataCollector reporters).

Each KPI is counted by one function, next to the rule that changes it: platforms in
:mod:`agents.platforms`, R&D centres in :mod:`agents.rd_centres`, firm statuses in
:mod:`agents.statuses`, clusters in :mod:`agents.clusters`, big science in
:mod:`agents.university`, talent in :class:`agents.talent.TalentState`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents import clusters, platforms, rd_centres, statuses, university

if TYPE_CHECKING:
    from sim.model import InnovationModel

KPI_UNITS = {
    "rd_expenditure": "100m yuan",
    "rd_intensity": "% of GDP",
    "rd_growth": "% per year since base year",
    "platforms": "count",
    "rd_centres": "count",
    "clusters": "count",
    "talent": "persons",
    "listed": "count",
    "little_giants": "count",
    "big_science": "count",
    "high_tech_enterprises": "count",
    "tech_smes": "count",
    "tech_contract_turnover": "100m yuan",
    "new_national_key_labs": "count since the three-year window opened",
    "new_national_innovation_centres": "count since the three-year window opened",
    "new_national_enterprise_tech_centres": "count since the three-year window opened",
    "cultivation_pool": "count",
    "gdp": "100m yuan",
    "public_cost": "100m yuan (net: local outlays less guidance-fund returns, this year)",
    "public_cost_gross": "100m yuan (gross: local outlays, this year)",
    "new_platforms": "count approved this year (all kinds)",
    "national_platforms": "count (national-level platforms, national key labs included)",
    "national_key_labs": "count",
    "rd_institutions": "count (platforms plus registered R&D centres)",
    "new_rd_institutions": "count this year (new platforms plus newly registered centres)",
    "new_high_tech_enterprises": "count certified this year",
}
"""Every KPI the model reports each year, with its unit (the first eleven are the targets' ids)."""

KPI_IDS = tuple(KPI_UNITS)


def tech_contract_turnover(model: InnovationModel) -> float:
    """City turnover: universities' contracts plus firms' (scaling with firm knowledge), yuan.

    Both grow with the depth of the technology market (:func:`agents.university.deepen_market`).
    """
    f = model.firms
    knowledge = float(f.knowledge[f.live()].sum())
    depth = model.market_depth
    univ = university.contract_turnover(model.universities)
    return univ + model.reference.firm_turnover_per_knowledge * knowledge * depth


def rd_growth(rd_yuan: float, rd_base_yuan: float, years: int) -> float:
    """Average yearly growth of R&D expenditure since the base year, in percent."""
    return ((rd_yuan / rd_base_yuan) ** (1.0 / years) - 1.0) * 100 if years > 0 else 0.0


def compute(
    model: InnovationModel,
    rd_expenditure_yuan: float,
    public_cost_yuan: float,
    public_outlays_yuan: float = 0.0,
) -> dict[str, float]:
    """All KPIs of the current year.

    Args:
        model: The model at the end of a year (or at initialisation).
        rd_expenditure_yuan: Reported R&D of the year (firms plus institutions).
        public_cost_yuan: Net local public cost of the year (outlays less fund returns; can be
            negative when the guidance fund returns more than the city pays out).
        public_outlays_yuan: Gross local public cost of the year (outlays only, >= 0).

    Returns:
        KPI id -> value in the units of ``KPI_UNITS``.
    """
    f, u = model.firms, model.universities
    rd = rd_expenditure_yuan
    years = model.year - model.base_year
    approved = model.approvals.approved
    flows = model.year_flows
    n_platforms = platforms.count(f, u)
    n_centres = rd_centres.count(f)
    return {
        "rd_expenditure": rd / 1e8,
        "rd_intensity": rd / model.economy.gdp_year * 100,
        "rd_growth": float(rd_growth(rd, model.reference.rd_expenditure, years)),
        "platforms": float(n_platforms),
        "rd_centres": float(n_centres),
        "clusters": float(clusters.count(model.clusters)),
        "talent": float(model.talent.stock()),
        "listed": float(statuses.count_listed(f)),
        "little_giants": float(statuses.count_little_giants(f)),
        "big_science": float(university.count_big_science(u)),
        "high_tech_enterprises": float(statuses.count_high_tech(f)),
        "tech_smes": float(statuses.count_tech_smes(f)),
        "tech_contract_turnover": tech_contract_turnover(model) / 1e8,
        "new_national_key_labs": float(approved["national_key_lab"]),
        "new_national_innovation_centres": float(approved["national_innovation_centre"]),
        "new_national_enterprise_tech_centres": float(approved["national_enterprise_tech_centre"]),
        "cultivation_pool": float(platforms.count_cultivation(f)),
        "gdp": model.economy.gdp_year / 1e8,
        "public_cost": public_cost_yuan / 1e8,
        "new_platforms": float(flows["new_platforms"]),
        "national_platforms": float(platforms.count_national(f, u)),
        "national_key_labs": float(platforms.count_national_key_labs(u)),
        "rd_institutions": float(n_platforms + n_centres),
        "new_rd_institutions": float(flows["new_platforms"] + flows["new_rd_centres"]),
        "new_high_tech_enterprises": float(flows["new_high_tech_enterprises"]),
        "public_cost_gross": public_outlays_yuan / 1e8,
    }


def check_finite(values: dict[str, float], year: int) -> None:
    """Fail loudly if a KPI is NaN or infinite."""
    for k, v in values.items():
        if not np.isfinite(v):
            raise FloatingPointError(f"KPI {k} is {v} in {year}")
