"""The five types of R&D centre (levers A1-A5): registration, arrivals from outside and awards.

Only centres registered under the programme count (``centre_registered``, the ``rd_centres`` KPI);
the programme opened in August 2023 (lever ``centre_registration_open``), so none count before.

* **Registration** (:func:`register`, year end, while the programme is open): a firm hosting an
  R&D centre that is not registered (one that arrived before the programme), or an existing firm
  with enough real R&D to set one up, registers with a yearly probability that rises with the
  upgrade award an existing firm receives (half the maximum rate at
  ``centre_upgrade_award_half_yuan``). Its type follows the document's order: Fortune-500
  affiliate, leading enterprise HQ (SOE or very large), foreign, bonded (in the bonded zone), else
  an upgraded enterprise centre. Existing firms get the *upgrade* award, whatever their type: the
  settling awards of types A1, A2 and A4 are for centres that are new to the city.
* **Arrivals** (:func:`arrivals`): outside firms' R&D centres arrive each quarter as Poisson
  draws whose base rate scales with the city's attractiveness (:func:`attractiveness`): the
  settling award relative to the centre's investment, the talent stock, bonded duty relief
  (bonded centres only) and IP / international spending (lever H, booked here). While the
  programme is open they register at once and are paid their type's settling award.
* **Awards** (:func:`award_by_code`, :func:`pay_awards`): the one-off award is a share of the
  centre's investment, capped by type; it is booked when a centre registers, and enters the
  firm's award pool (spent on R&D, :func:`agents.firm.spend_awards`); bonded centres also get the
  customs-declaration refund.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.categories import CENTRE_TYPES, OWNERSHIPS, Structure
from agents.firm import CENTRE_CODE, F500, FOREIGN, SOE, FirmState
from agents.params import param
from agents.world import CostLedger, PolicyView

ARRIVING_TYPES = ("fortune500", "leading_hq", "foreign", "bonded")
"""Centre types that arrive from outside (``upgraded`` centres are registered by local firms)."""

OWNER_OF_TYPE = {
    "fortune500": OWNERSHIPS.index("fortune500_affiliate"),
    "leading_hq": OWNERSHIPS.index("soe"),
    "foreign": OWNERSHIPS.index("foreign"),
    "bonded": OWNERSHIPS.index("private"),
}
"""Ownership of an arriving centre's firm, by centre type."""


@dataclass
class CentreParams:
    """Parameters of R&D-centre registration and arrivals (``region.behaviour.rd_centres``)."""

    centre_upgrade_max_rate: float = param(
        0.10,
        low=0.02,
        high=0.3,
        unit="probability per year",
        source="hand-set; no registration data before 2023 (registration began Aug 2023)",
        rule="agents.rd_centres.register",
    )
    centre_upgrade_award_half_yuan: float = param(
        2.0e6,
        low=5.0e5,
        high=1.0e7,
        unit="yuan",
        source="assumption; award at which half the maximum registration rate is reached",
        rule="agents.rd_centres.register",
    )
    centre_upgrade_min_rd_yuan: float = param(
        1.0e7,
        low=5.0e6,
        high=5.0e7,
        unit="yuan per year",
        source="assumption; R&D scale of an independently registered centre",
        rule="agents.rd_centres.eligible_type",
    )
    leading_hq_min_revenue_yuan: float = param(
        5.0e9,
        low=1.0e9,
        high=2.0e10,
        unit="yuan per year",
        source="assumption; revenue of a 'leading enterprise' whose HQ R&D centre counts (A2)",
        rule="agents.rd_centres.eligible_type",
    )
    centre_arrivals_base: dict = param(
        {"fortune500": 1.0, "leading_hq": 3.0, "foreign": 3.0, "bonded": 1.0},
        low=0.0,
        high=10.0,
        unit="arrivals per year without awards",
        source="assumption; outside R&D centres relocating before the 2023 policy",
        rule="agents.rd_centres.arrivals",
    )
    centre_award_elasticity: float = param(
        1.0,
        low=0.3,
        high=2.6,
        unit="elasticity of arrivals to award / investment",
        source="location analogues: in-state R&D to its user cost -2.5, mostly relocation "
        "(Wilson 2009 ReStat); FDI tax semi-elasticities 2.5-3.3 (Feld & Heckemeyer 2011; de "
        "Mooij & Ederveen 2003); 'but-for' shares 2-25 % (Bartik 2018) give 0.3-2.6 at 10 %",
        rule="agents.rd_centres.attractiveness",
    )
    centre_talent_elasticity: float = param(
        1.0,
        low=0.0,
        high=2.0,
        unit="elasticity of arrivals to talent stock",
        source="assumption",
        rule="agents.rd_centres.attractiveness",
    )
    bonded_relief_elasticity: float = param(
        10.0,
        low=0.0,
        high=30.0,
        unit="log arrivals per unit of duty relief rate",
        source="assumption, a wide prior: FDI tax semi-elasticities 2.5-3.3 (de Mooij & Ederveen "
        "2003; Feld & Heckemeyer 2011) times (1 - t) x R&D cost / profit give 2.5 to about 50 "
        "by the profit a location decision weighs",
        rule="agents.rd_centres.attractiveness",
    )
    ip_elasticity: float = param(
        0.2,
        low=0.0,
        high=0.6,
        unit="elasticity to IP / international spending",
        source="assumption; analogues support 0-0.4: IP demonstration cities +5 % FDI (Qian et "
        "al. 2023 MDE), IP reforms raise US affiliates' royalties 30 % (Branstetter, Fisman & "
        "Foley 2006 QJE), no effect on R&D location (Kanwar 2012)",
        rule="agents.rd_centres.attractiveness",
    )
    ip_spend_floor_yuan: float = param(
        1.0e6,
        low=1.0e5,
        high=1.0e7,
        unit="yuan per year",
        source="assumption; keeps the IP-spending ratio finite when a policy spends nothing",
        rule="agents.rd_centres.arrivals",
    )
    centre_investment_yuan: dict = param(
        {
            "fortune500": 5.0e8,
            "leading_hq": 2.0e8,
            "upgraded": 5.0e7,
            "foreign": 5.0e7,
            "bonded": 2.0e7,
        },
        low=1.0e7,
        high=1.0e9,
        unit="yuan",
        source="assumption; typical centre investment",
        rule="agents.rd_centres.award_by_code",
    )
    centre_rd_yuan: dict = param(
        {
            "fortune500": 1.0e8,
            "leading_hq": 5.0e7,
            "upgraded": 2.0e7,
            "foreign": 2.0e7,
            "bonded": 1.0e7,
        },
        low=1.0e6,
        high=5.0e8,
        unit="yuan per year",
        source="assumption; R&D of a new centre",
        rule="agents.rd_centres.arrivals",
    )
    arrival_rd_log_sd: float = param(
        0.5,
        low=0.2,
        high=1.0,
        unit="log yuan",
        source="assumption; spread of an arriving centre's R&D around the typical value",
        rule="agents.rd_centres.arrivals",
    )
    arrival_rd_intensity: float = param(
        0.05,
        low=0.02,
        high=0.15,
        unit="share",
        source="assumption; R&D / revenue of an arriving centre's local firm",
        rule="agents.rd_centres.arrivals",
    )
    arrival_knowledge_years: float = param(
        3.0,
        low=1.0,
        high=6.0,
        unit="years of R&D",
        source="assumption; knowledge an arriving centre brings, in years of its R&D",
        rule="agents.rd_centres.arrivals",
    )
    arrival_age_years: float = param(
        5.0,
        low=0.0,
        high=20.0,
        unit="years",
        source="assumption; arriving centres belong to established firms",
        rule="agents.rd_centres.arrivals",
    )


def award_by_code(levers, scale_a: float, investment: dict) -> np.ndarray:
    """One-off award per R&D-centre code (index 0 = no centre), yuan.

    Args:
        levers: Levers in force (award share of investment and caps by type).
        scale_a: Effort x budget ration of family A.
        investment: Typical investment of a centre by type (``centre_investment_yuan``).
    """
    award = [
        min(
            levers.centre_award_investment_share * investment[c],
            getattr(levers.centre_award_cap_yuan, c),
        )
        for c in CENTRE_TYPES
    ]
    return np.array([0.0, *award]) * scale_a


def pay_awards(
    firms: FirmState,
    rows: np.ndarray,
    p: CentreParams,
    policy: PolicyView,
    ledger: CostLedger,
    new_to_city: bool,
) -> None:
    """One-off awards (and bonded customs refunds) for centres registered now.

    Args:
        firms: The firm population.
        rows: Firms whose centre registered now.
        p: Centre parameters.
        policy: Levers in force.
        ledger: Public cost ledger.
        new_to_city: Centres arriving now get their type's settling award; existing firms
            registering a centre get the upgrade award.
    """
    if len(rows) == 0:
        return
    award = award_by_code(policy.levers, policy.scale("A"), p.centre_investment_yuan)
    codes = firms.centre_type[rows] if new_to_city else CENTRE_CODE["upgraded"]
    paid = np.broadcast_to(award[codes], rows.shape).astype(float)
    paid = paid * ledger.book("centre_awards", float(paid.sum()))  # share granted under a cap
    firms.award_pool[rows] += paid
    bonded = firms.centre_type[rows] == CENTRE_CODE["bonded"]
    refund = policy.levers.bonded_customs_refund_cap_yuan * policy.scale("A")
    ledger.book("bonded_customs_refund", float(bonded.sum()) * refund)


def eligible_type(firms: FirmState, idx: np.ndarray, p: CentreParams) -> np.ndarray:
    """Which centre type each firm could register as (0 = none), in the document's order.

    A firm hosting an unregistered centre registers it as its own type; a firm without one needs
    ``centre_upgrade_min_rd_yuan`` of real R&D and takes the type its ownership, zone and size give.
    """
    f = firms
    hosted = np.where(f.centre_registered[idx], 0, f.centre_type[idx])
    big = (f.rd_real[idx] >= p.centre_upgrade_min_rd_yuan) & (f.centre_type[idx] == 0)
    own = f.ownership[idx]
    kind = np.zeros(len(idx), np.int8)
    kind = np.where(big, CENTRE_CODE["upgraded"], kind)
    kind = np.where(big & f.bonded[idx], CENTRE_CODE["bonded"], kind)
    kind = np.where(big & (own == FOREIGN), CENTRE_CODE["foreign"], kind)
    leading = (own == SOE) | (f.revenue[idx] >= p.leading_hq_min_revenue_yuan)
    kind = np.where(big & leading, CENTRE_CODE["leading_hq"], kind)
    kind = np.where(big & (own == F500), CENTRE_CODE["fortune500"], kind)
    return np.where(hosted > 0, hosted, kind).astype(np.int8)


def register(
    firms: FirmState,
    p: CentreParams,
    rng: np.random.Generator,
    policy: PolicyView,
    ledger: CostLedger,
) -> np.ndarray:
    """Year end: existing firms register R&D centres; the chance rises with the upgrade award.

    Returns:
        The rows that registered a centre (their awards are paid); none while the programme is
        closed.
    """
    f = firms
    if not policy.levers.centre_registration_open:
        return np.empty(0, np.int64)
    idx = f.live()
    kind = eligible_type(f, idx, p)
    award = award_by_code(policy.levers, policy.scale("A"), p.centre_investment_yuan)
    upgrade = award[CENTRE_CODE["upgraded"]]
    prob = p.centre_upgrade_max_rate * -np.expm1(
        -np.log(2) * upgrade / p.centre_upgrade_award_half_yuan
    )
    new = (kind > 0) & (rng.random(len(idx)) < prob)
    rows = idx[new]
    f.centre_type[rows] = kind[new]
    f.centre_registered[rows] = True
    pay_awards(f, rows, p, policy, ledger, new_to_city=False)
    return rows


def attractiveness(
    award: float,
    investment: float,
    talent_ratio: float,
    bonded_relief: float,
    ip_ratio: float,
    p: CentreParams,
    bonded: bool,
) -> float:
    """Multiplier of the base arrival rate of one centre type.

    Args:
        award: One-off award the centre would receive (yuan).
        investment: Typical investment of such a centre (yuan).
        talent_ratio: Talent stock relative to the base year.
        bonded_relief: Duty/VAT relief rate (applies to bonded centres).
        ip_ratio: IP / international spending relative to the base-year policy.
        p: Centre parameters.
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


def arrivals(
    firms: FirmState,
    p: CentreParams,
    rng: np.random.Generator,
    *,
    policy: PolicyView,
    ledger: CostLedger,
    talent_ratio: float,
    year: int,
    places: Structure,
    zone_p: np.ndarray,
    revenue_per_employee: float,
) -> np.ndarray:
    """One quarter of outside R&D centres arriving; books IP / international spending (H).

    Args:
        firms: The firm population (arrivals are appended to it).
        p: Centre parameters.
        rng: The entry random stream.
        policy: Levers in force.
        ledger: Public cost ledger.
        talent_ratio: Talent stock relative to the base year.
        year: Current year (entry year of the new firms).
        places: The region's industries and zones: arriving centres take a non-catch-all
            industry, bonded ones the bonded zone, others ``places.arrival_zone`` (or a zone drawn
            by ``zone_p`` when the region names none).
        zone_p: Zone shares of the region.
        revenue_per_employee: Yuan of revenue per employee.

    Returns:
        Rows of the arrived centres (their awards are paid).
    """
    ip_spend = policy.amount("ip_and_international_yuan_per_year", "H")
    ip_spend *= ledger.book("ip_and_international", ip_spend / 4)  # share granted under a cap
    floor = p.ip_spend_floor_yuan
    ip_ratio = (ip_spend + floor) / (policy.reference.ip_and_international_yuan_per_year + floor)
    awards = award_by_code(policy.levers, policy.scale("A"), p.centre_investment_yuan)
    new_rows = []
    bonded_zone, arrival_zone = places.bonded_zone, places.arrival_zone_code
    for kind in ARRIVING_TYPES:
        code = CENTRE_CODE[kind]
        if kind == "bonded" and bonded_zone < 0:
            continue  # no bonded zone: no bonded centres arrive
        mult = attractiveness(
            awards[code],
            p.centre_investment_yuan[kind],
            talent_ratio,
            policy.levers.bonded_duty_relief_rate,
            ip_ratio,
            p,
            bonded=kind == "bonded",
        )
        n = int(rng.poisson(p.centre_arrivals_base[kind] * mult / 4.0))
        if n == 0:
            continue
        sd = p.arrival_rd_log_sd
        rd = p.centre_rd_yuan[kind] * rng.lognormal(-0.5 * sd**2, sd, n)
        revenue = rd / p.arrival_rd_intensity
        industry = rng.choice(places.candidates, n)
        if kind == "bonded":
            zone = np.full(n, bonded_zone)
        elif arrival_zone >= 0:
            zone = np.full(n, arrival_zone)
        else:
            zone = rng.choice(len(zone_p), n, p=zone_p)
        rows = firms.append(
            n,
            entry_year=year,
            industry=industry,
            zone=zone,
            bonded=kind == "bonded",
            ownership=OWNER_OF_TYPE[kind],
            revenue=revenue,
            employees=revenue / revenue_per_employee,
            rd_intensity_target=rd / revenue,
            rd_real=rd,
            rd_reported=rd,
            rd_last_year=rd,
            knowledge=rd * p.arrival_knowledge_years,
            age=p.arrival_age_years,
            centre_type=code,
            centre_registered=bool(policy.levers.centre_registration_open),
        )
        if policy.levers.centre_registration_open:
            pay_awards(firms, rows, p, policy, ledger, new_to_city=True)
        new_rows.append(rows)
    return np.concatenate(new_rows) if new_rows else np.empty(0, np.int64)


def count(firms: FirmState) -> int:
    """Registered R&D centres of the five types (the ``rd_centres`` KPI)."""
    return firms.count(firms.centre_registered)
