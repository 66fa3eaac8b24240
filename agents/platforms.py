"""Innovation platforms: creation by firms and universities, closure, awards, cultivation, count.

Platforms of every kind count towards the ``platforms`` target: provincial / municipal platforms,
national enterprise technology centres, national innovation centres, other national platforms
(hosted by firms or institutions) and national key laboratories (hosted by universities and
institutes).

* **Firms** (:func:`create_at_firms`, year end): new provincial / municipal platforms are Poisson
  in real R&D; a share of them are national approvals split by kind, faster for candidates in
  the cultivation pool; each platform closes with a yearly probability after evaluation.
* **Universities and institutes** (:func:`create_at_universities`, once a year): new platforms
  Poisson in researchers, with the same closure; the city gains national key labs at a yearly
  rate (higher while the cultivation programme runs), hosted in proportion to researchers.
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

    platform_rate_per_100m_rd: float = param(
        0.30,
        low=0.1,
        high=1.0,
        unit="new platforms per 100m yuan real R&D per year",
        source="hand-set; about 2,100 platforms in 2022, no earlier total",
        rule="agents.platforms.create_at_firms",
    )
    national_platform_share: float = param(
        0.03,
        low=0.01,
        high=0.08,
        unit="share",
        source="hand-set; national share of new firm-hosted platforms",
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
    platform_rate_per_1000_researchers: float = param(
        2.0,
        low=0.5,
        high=6.0,
        unit="new platforms per 1000 researchers per year",
        source="hand-set; about 45% of platforms hosted by universities and institutes",
        rule="agents.platforms.create_at_universities",
    )
    national_key_lab_rate: float = param(
        0.25,
        low=0.05,
        high=0.8,
        unit="new national key labs per year (city)",
        source="hand-set; 11 national key labs accumulated by 2017",
        rule="agents.platforms.create_at_universities",
    )
    cultivation_key_lab_boost: float = param(
        0.5,
        low=0.0,
        high=1.0,
        unit="share",
        source="assumption; extra national key labs while the cultivation programme runs",
        rule="agents.platforms.create_at_universities",
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


class Approvals:
    """Books platform awards and counts approvals since the three-year window opened.

    Args:
        window_start: ``(year, quarter)`` from which approvals count (the plan's issue date).
    """

    def __init__(self, window_start: tuple[int, int]) -> None:
        self.window_start = window_start
        self.approved: dict[str, int] = dict.fromkeys(PLATFORM_KINDS, 0)

    def approve(
        self, kind: str, n: int, now: tuple[int, int], policy: PolicyView, ledger: CostLedger
    ) -> None:
        """Record ``n`` newly approved platforms of ``kind`` and pay their awards."""
        if n <= 0:
            return
        ledger.book("platform_awards", n * award(policy.levers, kind, policy.scale("B")))
        if now >= self.window_start:
            self.approved[kind] += n


def closures(rng: np.random.Generator, hosted: np.ndarray, p: PlatformParams) -> np.ndarray:
    """Platforms closed after evaluation this year, per host."""
    return rng.binomial(hosted, p.platform_closure_rate)


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
    """Year end: firms host new platforms in proportion to real R&D; some close."""
    f = firms
    idx = f.live()
    award_mult = award_multiplier(policy, "provincial_municipal", p)
    cult = np.where(f.cultivation[idx], p.cultivation_multiplier, 1.0)
    lam = p.platform_rate_per_100m_rd * f.rd_real[idx] / 1e8 * award_mult
    new = rng.poisson(lam)
    closed = closures(rng, f.platforms[idx], p)
    f.platforms[idx] += (new - closed).astype(np.int64)
    approvals.approve("provincial_municipal", int(new.sum()), now, policy, ledger)
    # National approvals among firm hosts (enterprise tech centres, innovation centres, others).
    for kind in FIRM_NATIONAL_KINDS:
        mult = award_multiplier(policy, kind, p)
        share = p.national_kind_shares[kind]
        lam_n = lam * p.national_platform_share * share * cult * mult
        got = rng.poisson(lam_n)
        col = getattr(f, kind)
        col[idx] += got.astype(np.int64)
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
    """Once a year: institutions host new platforms in proportion to researchers; national key labs.

    National key labs arrive at ``national_key_lab_rate`` a year for the city (x the award effect,
    x ``1 + cultivation_key_lab_boost`` while a cultivation pool is funded), hosted in proportion
    to researchers.
    """
    u = universities
    idx = u.live()
    award_mult = award_multiplier(policy, "provincial_municipal", p)
    new = rng.poisson(p.platform_rate_per_1000_researchers * u.researchers[idx] / 1000 * award_mult)
    closed = closures(rng, u.platforms[idx], p)
    u.platforms[idx] += (new - closed).astype(np.int64)
    approvals.approve("provincial_municipal", int(new.sum()), now, policy, ledger)
    nkl_mult = award_multiplier(policy, "national_key_lab", p)
    pool = 1.0 + p.cultivation_key_lab_boost * (policy.levers.cultivation_pool_size > 0)
    n_new = rng.poisson(p.national_key_lab_rate * nkl_mult * pool)
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


def count_cultivation(firms: FirmState) -> int:
    """Candidates in the cultivation pool (the ``cultivation_pool`` KPI)."""
    return firms.count(firms.cultivation)
