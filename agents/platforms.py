"""Innovation platforms: creation by firms and universities, closure, awards, cultivation, count.

Platforms of every kind count towards the ``platforms`` target: provincial / municipal platforms,
national enterprise technology centres, national innovation centres, other national platforms
(hosted by firms or institutions) and national key laboratories (hosted by universities and
institutes).

* **Firms** (:func:`create_at_firms`, quarterly): a firm can host platforms in proportion to its
  real R&D; unused potential becomes provincial / municipal platforms at a yearly rate (a pool that
  drains when formation is fast and refills as R&D grows), faster under awards and the city's
  recognition drive; national approvals among firm hosts are Poisson in real R&D (faster for
  candidates in the cultivation pool); each platform closes with a yearly probability.
* **Universities and institutes** (:func:`create_at_universities`, quarterly): the same pool in
  researchers; national key labs (:func:`national_key_labs`, yearly) arrive at a rate plus
  national reorganisation rounds, hosted in proportion to researchers.
* **Awards** (lever B): every approval is paid the award of its kind (:func:`award`); awards
  raise formation with a constant elasticity against the base-year award
  (:func:`award_multiplier`). :class:`Approvals` books them and counts approvals since the
  three-year window opened (the three-year platform targets).
* **Cultivation pool** (:func:`refresh_cultivation_pool`): the top R&D performers hosting
  platforms but no national one, kept at the lever's pool size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.categories import PLATFORM_KINDS
from agents.firm import FirmState
from agents.params import param
from agents.university import UniversityState
from agents.world import CostLedger, PolicyView

FIRM_NATIONAL_KINDS = (
    "national_enterprise_tech_centre",
    "national_innovation_centre",
    "other_national",
)
"""National platform kinds hosted by firms (columns of :class:`~agents.firm.FirmState`)."""


@dataclass
class PlatformParams:
    """Parameters of platform creation and closure (``region.behaviour.platforms``)."""

    platform_formation_rate: float = param(
        0.2,
        low=0.02,
        high=0.8,
        unit="probability per year per unit of unused hosting potential",
        source="calibrated; prior wide enough for 1,200 (2017 estimate) to 2,100 (2022 estimate)",
        rule="agents.platforms.create_at_firms",
    )
    platform_rd_per_unit_yuan: float = param(
        2.0e7,
        low=3.0e6,
        high=1.0e8,
        unit="yuan of real R&D per platform a firm can host",
        source="calibrated; hosting potential rises with R&D (platforms need R&D staff and money)",
        rule="agents.platforms.create_at_firms",
    )
    researchers_per_platform: float = param(
        20.0,
        low=5.0,
        high=100.0,
        unit="researchers per platform an institution can host",
        source="calibrated; about 45 % of platforms hosted by universities and institutes",
        rule="agents.platforms.create_at_universities",
    )
    platform_campaign_effect: float = param(
        1.0,
        low=0.0,
        high=2.5,
        unit="log multiplier per unit of recognition_campaign",
        source="calibrated; +604 (2023) and +699 (2024) new platforms against about +200 a "
        "year before the drive; prior from x1 to x12",
        rule="agents.platforms.campaign_multiplier",
    )
    national_platform_rate_per_100m_rd: float = param(
        0.01,
        low=0.002,
        high=0.06,
        unit="national approvals per 100m yuan of a host's real R&D per year",
        source="calibrated; 120+ national platforms in 2021, 152 in 2025 (+55 in 2021-2025)",
        rule="agents.platforms.create_at_firms",
    )
    national_kind_shares: dict = param(
        {
            "national_enterprise_tech_centre": 0.6,
            "national_innovation_centre": 0.1,
            "other_national": 0.3,
        },
        low=0.0,
        high=1.0,
        unit="share",
        source="hand-set; split of national approvals among firm hosts",
        rule="agents.platforms.create_at_firms",
    )
    cultivation_multiplier: float = param(
        3.0,
        low=1.0,
        high=6.0,
        unit="multiplier",
        source="assumption; candidates in the cultivation pool reach national level faster",
        rule="agents.platforms.create_at_firms",
    )
    national_key_lab_rate: float = param(
        0.25,
        low=0.0,
        high=1.0,
        unit="new national key labs per year (city), outside national rounds",
        source="hand-set; 11 national key labs accumulated by 2017",
        rule="agents.platforms.national_key_labs",
    )
    national_key_lab_round_labs: float = param(
        5.0,
        low=0.0,
        high=15.0,
        unit="national key labs the city gains in a full national round",
        source="calibrated; 7 newly listed in the 2023 reorganisation round",
        rule="agents.platforms.national_key_labs",
    )
    cultivation_key_lab_boost: float = param(
        0.5,
        low=0.0,
        high=1.0,
        unit="share",
        source="assumption; extra national key labs while the cultivation programme runs",
        rule="agents.platforms.national_key_labs",
    )
    platform_closure_rate: float = param(
        0.02,
        low=0.0,
        high=0.08,
        unit="probability per year",
        source="assumption; provincial/municipal platforms failing evaluation",
        rule="agents.platforms.closures",
    )
    platform_award_elasticity: float = param(
        0.3,
        low=0.0,
        high=1.0,
        unit="elasticity",
        source="assumption; platform formation responds to awards like R&D to user cost",
        rule="agents.platforms.award_multiplier",
    )
    award_floor_yuan: float = param(
        1.0e5,
        low=1.0e4,
        high=1.0e6,
        unit="yuan",
        source="assumption; keeps the award ratio finite when the base-year award is zero",
        rule="agents.platforms.award_multiplier",
    )


def award(levers, kind: str, scale_b: float = 1.0) -> float:
    """Award per newly approved platform of ``kind`` (yuan)."""
    return float(getattr(levers.platform_award_yuan, kind)) * scale_b


def award_multiplier(policy: PolicyView, kind: str, p: PlatformParams) -> float:
    """Effect of the award in force on formation, relative to the base-year award."""
    now = award(policy.levers, kind, policy.scale("B")) + p.award_floor_yuan
    ref = award(policy.reference, kind) + p.award_floor_yuan
    return (now / ref) ** p.platform_award_elasticity


def campaign_multiplier(policy: PolicyView, p: PlatformParams) -> float:
    """Effect of the city's recognition drive on platform formation (1 without a drive)."""
    return float(np.exp(p.platform_campaign_effect * policy.levers.recognition_campaign))


class Approvals:
    """Books platform awards and counts approvals: this year's, and since the window opened.

    Args:
        window_start: ``(year, quarter)`` from which approvals count (the plan's issue date).
    """

    def __init__(self, window_start: tuple[int, int]) -> None:
        self.window_start = window_start
        self.approved: dict[str, int] = dict.fromkeys(PLATFORM_KINDS, 0)
        self.this_year: dict[str, int] = dict.fromkeys(PLATFORM_KINDS, 0)

    def approve(
        self, kind: str, n: int, now: tuple[int, int], policy: PolicyView, ledger: CostLedger
    ) -> None:
        """Record ``n`` newly approved platforms of ``kind`` and pay their awards."""
        if n <= 0:
            return
        ledger.book("platform_awards", n * award(policy.levers, kind, policy.scale("B")))
        self.this_year[kind] += n
        if now >= self.window_start:
            self.approved[kind] += n

    def close_year(self) -> dict[str, int]:
        """This year's approvals by kind; the yearly counts start again."""
        out = dict(self.this_year)
        self.this_year = dict.fromkeys(PLATFORM_KINDS, 0)
        return out


def per_quarter(p_year: float) -> float:
    """Probability per quarter equivalent to a yearly probability."""
    return float(-np.expm1(np.log1p(-min(p_year, 0.999)) / 4.0))


def closures(rng: np.random.Generator, hosted: np.ndarray, p: PlatformParams) -> np.ndarray:
    """Platforms closed after evaluation this quarter, per host."""
    return rng.binomial(hosted, per_quarter(p.platform_closure_rate))


def formation(
    rng: np.random.Generator, potential: np.ndarray, hosted: np.ndarray, rate_year: float
) -> np.ndarray:
    """New platforms this quarter: Poisson in the unused hosting potential of each host."""
    gap = np.maximum(potential - hosted, 0.0)
    return rng.poisson(rate_year / 4.0 * gap)


def create_at_firms(
    firms: FirmState,
    p: PlatformParams,
    rng: np.random.Generator,
    *,
    policy: PolicyView,
    ledger: CostLedger,
    approvals: Approvals,
    now: tuple[int, int],
) -> None:
    """One quarter: firms host new platforms within their R&D's potential; some close.

    A firm can host ``rd_real / platform_rd_per_unit_yuan`` platforms; each unit of unused
    potential becomes a platform at ``platform_formation_rate`` a year, times the award and the
    recognition-drive multipliers. National approvals (enterprise tech centres, innovation
    centres, others) among firm hosts are Poisson in real R&D, faster for cultivation candidates.
    """
    f = firms
    idx = f.live()
    rate = (
        p.platform_formation_rate
        * award_multiplier(policy, "provincial_municipal", p)
        * campaign_multiplier(policy, p)
    )
    potential = f.rd_real[idx] / p.platform_rd_per_unit_yuan
    new = formation(rng, potential, f.platforms[idx], rate)
    closed = closures(rng, f.platforms[idx], p)
    f.platforms[idx] += (new - closed).astype(f.platforms.dtype)
    approvals.approve("provincial_municipal", int(new.sum()), now, policy, ledger)
    cult = np.where(f.cultivation[idx], p.cultivation_multiplier, 1.0)
    lam = p.national_platform_rate_per_100m_rd * f.rd_real[idx] / 1e8 / 4.0 * cult
    for kind in FIRM_NATIONAL_KINDS:
        mult = award_multiplier(policy, kind, p)
        got = rng.poisson(lam * p.national_kind_shares[kind] * mult)
        col = getattr(f, kind)
        col[idx] += got.astype(col.dtype)
        approvals.approve(kind, int(got.sum()), now, policy, ledger)


def create_at_universities(
    universities: UniversityState,
    p: PlatformParams,
    rng: np.random.Generator,
    *,
    policy: PolicyView,
    ledger: CostLedger,
    approvals: Approvals,
    now: tuple[int, int],
) -> None:
    """One quarter: institutions host new platforms within their researchers' potential."""
    u = universities
    idx = u.live()
    rate = (
        p.platform_formation_rate
        * award_multiplier(policy, "provincial_municipal", p)
        * campaign_multiplier(policy, p)
    )
    potential = u.researchers[idx] / p.researchers_per_platform
    new = formation(rng, potential, u.platforms[idx], rate)
    closed = closures(rng, u.platforms[idx], p)
    u.platforms[idx] += (new - closed).astype(u.platforms.dtype)
    approvals.approve("provincial_municipal", int(new.sum()), now, policy, ledger)


def national_key_labs(
    universities: UniversityState,
    p: PlatformParams,
    rng: np.random.Generator,
    round_intensity: float,
    *,
    policy: PolicyView,
    ledger: CostLedger,
    approvals: Approvals,
    now: tuple[int, int],
) -> None:
    """Once a year: national key labs approved for the city's institutions.

    The city gains ``national_key_lab_rate`` labs a year plus ``national_key_lab_round_labs`` x
    the year's national round intensity (``region.exogenous.national_key_lab_rounds``), times the
    award effect and ``1 + cultivation_key_lab_boost`` while a cultivation pool is funded; hosts
    are drawn in proportion to researchers.
    """
    u = universities
    idx = u.live()
    mult = award_multiplier(policy, "national_key_lab", p)
    pool = 1.0 + p.cultivation_key_lab_boost * (policy.levers.cultivation_pool_size > 0)
    lam = (p.national_key_lab_rate + p.national_key_lab_round_labs * round_intensity) * mult * pool
    n_new = int(rng.poisson(lam))
    if n_new:
        w = u.researchers[idx] / u.researchers[idx].sum()
        hosts = rng.choice(idx, size=n_new, p=w)
        np.add.at(u.national_key_labs, hosts, 1)
        approvals.approve("national_key_lab", n_new, now, policy, ledger)


def national_counts(firms: FirmState, idx: np.ndarray) -> np.ndarray:
    """National platforms hosted per firm."""
    return (
        firms.national_enterprise_tech_centre[idx]
        + firms.national_innovation_centre[idx]
        + firms.other_national[idx]
    )


def refresh_cultivation_pool(firms: FirmState, size: int) -> None:
    """Keep ``size`` candidates: the top R&D performers hosting platforms but no national one.

    Candidates that won a national platform leave the pool; the places are filled with the
    largest R&D performers among the other platform hosts. ``size`` 0 empties the pool.
    """
    f = firms
    idx = f.live()
    national = national_counts(f, idx)
    keep = idx[f.cultivation[idx] & (national == 0)]
    f.cultivation[idx] = False
    if size <= 0:
        return
    f.cultivation[keep[:size]] = True
    need = size - min(len(keep), size)
    if need > 0:
        pool = idx[~f.cultivation[idx] & (f.platforms[idx] > 0) & (national == 0)]
        best = pool[np.argsort(-f.rd_real[pool], kind="stable")[:need]]
        f.cultivation[best] = True


def count(firms: FirmState, universities: UniversityState) -> int:
    """All innovation platforms hosted by live firms and institutions (the ``platforms`` KPI)."""
    f, u = firms, universities
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


def count_national(firms: FirmState, universities: UniversityState) -> int:
    """National-level platforms hosted by live firms and institutions (national key labs incl.)."""
    f, u = firms, universities
    fi, ui = f.live(), u.live()
    firm_total = national_counts(f, fi).sum()
    univ_total = u.national_key_labs[ui].sum() + u.national_platforms[ui].sum()
    return int(firm_total + univ_total)


def count_national_key_labs(universities: UniversityState) -> int:
    """National key laboratories hosted (stock)."""
    u = universities
    return int(u.national_key_labs[u.live()].sum())


def count_cultivation(firms: FirmState) -> int:
    """Candidates in the cultivation pool (the ``cultivation_pool`` KPI)."""
    return firms.count(firms.cultivation)
