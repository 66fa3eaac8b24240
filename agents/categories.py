"""Named categories shared by agents, config and KPIs.

They are model structure, but the names are Changsha's: the nine industries of its plan and its
zones (only the bonded zone is singled out by a rule). Another city maps its own onto them.
"""

INDUSTRIES = (
    "construction_machinery",
    "autos_and_parts",
    "digital",
    "new_materials",
    "video_and_culture",
    "modern_seed",
    "aerospace",
    "life_and_health",
    "intelligent_equipment",
    "other",
)
"""The nine industries named by the mission brief, plus everything else."""

ZONES = (
    "xiangjiang_science_city",
    "ftz_bonded_zone",
    "ftz_other",
    "malanshan_video_base",
    "kegda_jinxia_base",
    "dazehu_returnee_town",
    "rest_of_city",
)
"""Places: the Free-Trade-Zone is split so bonded R&D applies only in the bonded zone."""

BONDED_ZONE = ZONES.index("ftz_bonded_zone")

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
