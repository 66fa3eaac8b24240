"""Named categories shared by agents, config and KPIs.

Ownerships, R&D-centre types, platform kinds, talent tiers, degrees, university and fund kinds are
the national policy framework's categories (the same in every city). A region's industries and
zones are its own: they come from its config (:class:`Structure`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Structure:
    """A region's own industries and zones (``region.population``), as codes the rules use.

    Industries and zones are the city's (the keys of ``industry_shares`` and ``zone_shares``, in
    that order); code holds no city's names. Two roles are singled out by rules:

    - ``catch_all``: the industry that collects everything else (never a cluster candidate and
      never the industry of an arriving R&D centre); empty when every industry is a candidate;
    - ``bonded``: the zone where bonded R&D (lever A5) applies; empty when the city has none, in
      which case no firm is bonded and bonded levers act on nothing.

    ``arrival_zone`` is where arriving outside R&D centres settle; empty means they are spread
    over the zones by ``zone_shares`` (bonded centres always settle in the bonded zone).
    """

    industries: tuple[str, ...]
    zones: tuple[str, ...]
    catch_all: str = ""
    bonded: str = ""
    arrival_zone: str = ""

    @classmethod
    def of(cls, population) -> Structure:
        """The structure declared by a ``region.population`` config."""
        return cls(
            tuple(population.industry_shares),
            tuple(population.zone_shares),
            population.catch_all_industry,
            population.special_zones.get("bonded", ""),
            population.centre_arrival_zone,
        )

    @property
    def bonded_zone(self) -> int:
        """Zone code of the bonded zone, or -1 when the city has none."""
        return self.zones.index(self.bonded) if self.bonded else -1

    @property
    def arrival_zone_code(self) -> int:
        """Zone code where arriving centres settle, or -1 to spread them by zone shares."""
        return self.zones.index(self.arrival_zone) if self.arrival_zone else -1

    @property
    def candidates(self) -> np.ndarray:
        """Codes of the industries that can become national clusters (all but the catch-all)."""
        return np.array([k for k, n in enumerate(self.industries) if n != self.catch_all], np.int64)


SPECIAL_ZONES = ("bonded",)
"""Roles a region may give to one of its zones (``region.population.special_zones``)."""

OWNERSHIPS = ("private", "soe", "foreign", "fortune500_affiliate")

CENTRE_TYPES = ("fortune500", "leading_hq", "upgraded", "foreign", "bonded")
"""The document's five types of R&D enterprise / centre (levers A1-A5). Code 0 means none."""

PLATFORM_KINDS = (
    "national_key_lab",
    "national_innovation_centre",
    "national_enterprise_tech_centre",
    "other_national",
    "provincial_municipal",
)
"""Innovation platforms; the first four are national-level."""

TIERS = ("top", "leading", "high_level", "young", "graduate")
"""Talent tiers of the document, from academicians down to new graduates."""

DEGREES = ("bachelor", "master", "phd")

UNIVERSITY_KINDS = ("university", "research_institute", "new_type_institution", "flagship_lab")

FUND_KINDS = ("guidance", "sub_fund", "vc", "knowledge_credit")
