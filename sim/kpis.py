"""KPIs computed from the agents each year (Mesa DataCollector reporters read them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.config import KPI_IDS

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
    "public_cost": "100m yuan (local levers, this year)",
}
assert set(KPI_UNITS) == set(KPI_IDS)


def platform_count(model: InnovationModel) -> int:
    """All innovation platforms hosted by live firms and institutions."""
    f, u = model.firms, model.universities
    fi, ui = f.live(), u.live()
    firm_total = (
        f.platforms[fi].sum()
        + f.national_enterprise_tech_centre[fi].sum()
        + f.national_innovation_centre[fi].sum()
        + f.other_national[fi].sum()
    )
    univ_total = (
        u.platforms[ui].sum() + u.national_key_labs[ui].sum() + u.national_platforms[ui].sum()
    )
    return int(firm_total + univ_total)


def tech_contract_turnover(model: InnovationModel) -> float:
    """City turnover: universities' contracts plus firms' (scaling with firm knowledge), yuan.

    Both grow with the depth of the technology market (``transfer_market_growth`` a year).
    """
    f, u = model.firms, model.universities
    univ = float(u.contract_turnover[u.live()].sum())
    knowledge = float(f.knowledge[f.live()].sum())
    return univ + model.firm_turnover_per_knowledge * knowledge * model.transfer_market_depth()


def compute(
    model: InnovationModel, rd_expenditure_yuan: float, public_cost_yuan: float
) -> dict[str, float]:
    """All KPIs of the current year.

    Args:
        model: The model at the end of a year (or at initialisation).
        rd_expenditure_yuan: Reported R&D of the year (firms plus institutions).
        public_cost_yuan: Local public cost of the year.

    Returns:
        KPI id -> value in the units of ``KPI_UNITS``.
    """
    f, u = model.firms, model.universities
    fi, ui = f.live(), u.live()
    years = model.year - model.base_year
    rd = rd_expenditure_yuan
    growth = ((rd / model.rd_expenditure_base) ** (1.0 / years) - 1.0) * 100 if years > 0 else 0.0
    approved = model.platform_ledger.approved
    return {
        "rd_expenditure": rd / 1e8,
        "rd_intensity": rd / model.economy.gdp_year * 100,
        "rd_growth": float(growth),
        "platforms": float(platform_count(model)),
        "rd_centres": float((f.centre_type[fi] > 0).sum()),
        "clusters": float(len(model.clusters)),
        "talent": float(model.talent_stock()),
        "listed": float(f.listed[fi].sum()),
        "little_giants": float(f.little_giant[fi].sum()),
        "big_science": float(u.big_science[ui].sum()),
        "high_tech_enterprises": float(f.high_tech[fi].sum()),
        "tech_smes": float(f.tech_sme[fi].sum()),
        "tech_contract_turnover": tech_contract_turnover(model) / 1e8,
        "new_national_key_labs": float(approved["national_key_lab"]),
        "new_national_innovation_centres": float(approved["national_innovation_centre"]),
        "new_national_enterprise_tech_centres": float(approved["national_enterprise_tech_centre"]),
        "cultivation_pool": float(f.cultivation[fi].sum()),
        "gdp": model.economy.gdp_year / 1e8,
        "public_cost": public_cost_yuan / 1e8,
    }


def check_finite(values: dict[str, float], year: int) -> None:
    """Fail loudly if a KPI is NaN, infinite or a stock is negative."""
    for k, v in values.items():
        if not np.isfinite(v):
            raise FloatingPointError(f"KPI {k} is {v} in {year}")
