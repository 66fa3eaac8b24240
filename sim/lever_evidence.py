"""What each lever's effect rests on: the mechanism, its parameters and their evidence.

Every lever of :class:`sim.levers.LeverConfig` has an entry in :data:`MECHANISMS`: the rule that
turns it into behaviour (``how``), the behavioural parameters the size of that effect rests on
(``rests_on``, paths under ``region.behaviour``), or the reason it is **cost only** (booked, but
no decision responds to it in the model). :func:`evidence` classes the parameters of a lever for
a region:

- ``calibrated``: set and identified by the region's own calibration
  (``region.calibrated_parameters`` and ``region.identified_parameters``: the posterior is at
  most three quarters as wide as the prior);
- ``sourced``: a default from the literature or official rules (source not "assumption" or
  "calibrated");
- ``assumed``: a default marked "assumption" or "hand-set", or calibrated on another city and
  kept;

a parameter calibrated here but not identified (the record left it near its prior) has the
evidence of its prior: ``sourced`` when its declared range comes from the literature,
``assumed`` otherwise;

and the lever by its weakest parameter (one assumed parameter makes the effect assumed). Levers
that are rules of the budget (family I) act mechanically: ``rule``. National tax rates act through
the user cost of R&D (:func:`agents.firm.user_cost`).
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.params import documented_fields, source_city

EVIDENCE = ("calibrated", "sourced", "assumed", "rule", "cost only")
"""Labels, strongest first."""


@dataclass(frozen=True)
class Mechanism:
    """How a lever reaches behaviour."""

    how: str
    rests_on: tuple[str, ...] = ()
    cost_only: str = ""
    """Why no decision responds to the lever (empty: it has an effect)."""
    aims: tuple[str, ...] = ()
    """The lever's own target KPIs: more support should never lower them in expectation."""
    larger_is_less: bool = False
    """A larger value is less support (a waiting period: housing eligibility months)."""


USER_COST = ("firm.rd_elasticity_long_run", "firm.rd_adjustment_speed")
HOUSING = ("talent.housing_cost_weight", "talent.subsidy_take_up", "talent.arrival_growth_base")
PROGRAMMES = ("talent.programme_weight", "talent.subsidy_horizon_years")
SERVICES = ("talent.programme_weight", "talent.service_take_up")
TRANSFER = ("university.transfer_support_elasticity", "university.transfer_support_floor_yuan")
LICENSING = (*TRANSFER, "university.licence_turnover_share")
NEW_TYPE = (
    "university.new_type_founding_rate",
    "university.new_type_award_elasticity",
    "university.new_type_investment_yuan",
)

RD = ("rd_expenditure",)
CENTRES = ("rd_centres",)
PLATFORMS = ("platforms",)
BIG_SCIENCE = ("big_science",)
TURNOVER = ("tech_contract_turnover",)
FIRMS = ("high_tech_enterprises",)
TALENT = ("talent",)
LISTED = ("listed",)
IP = ("rd_centres", "talent")
RECOGNITION = ("high_tech_enterprises", "platforms")
"""Own targets (:attr:`Mechanism.aims`). Spin-offs (pilot bases) are technology firms; the
national tax rates (the CIT and high-tech rates) have none: their direction on R&D depends on
how the deduction and the preferential rate interact, not on a level of support."""

YOUNG_PROGRAMME = Mechanism("programme value of young researchers", PROGRAMMES, aims=TALENT)
LEADING_PROGRAMME = Mechanism("programme value of leading talent", PROGRAMMES, aims=TALENT)
HIGH_LEVEL_PROGRAMME = Mechanism("programme value of high-level talent", PROGRAMMES, aims=TALENT)
"""Talent programmes whose count and amount levers share one mechanism."""

MECHANISMS: dict[str, Mechanism] = {
    "super_deduction_rate": Mechanism(
        "user cost of R&D (agents.firm.user_cost)", USER_COST, aims=RD
    ),
    "standard_tax_rate": Mechanism("user cost of R&D (agents.firm.user_cost)", USER_COST),
    "hte_tax_rate": Mechanism("user cost of R&D of certified firms", USER_COST),
    "rd_post_subsidy_rate": Mechanism(
        "marginal subsidy in the user cost (agents.firm.marginal_support)",
        USER_COST,
        aims=RD,
    ),
    "rd_post_subsidy_cap_yuan": Mechanism("cap of the marginal subsidy", USER_COST, aims=RD),
    "centre_incremental_rd_rate": Mechanism(
        "marginal subsidy of registered centres",
        (*USER_COST, "firm.centre_increment_share"),
        aims=RD,
    ),
    "centre_incremental_rd_cap_yuan": Mechanism(
        "cap of the centres' marginal subsidy",
        (*USER_COST, "firm.centre_increment_share"),
        aims=RD,
    ),
    "centre_award_investment_share": Mechanism(
        "one-off award: arrivals of outside centres and registrations (agents.rd_centres)",
        (
            "rd_centres.centre_award_elasticity",
            "rd_centres.centre_upgrade_award_half_yuan",
            "firm.subsidy_crowding_out",
        ),
        aims=CENTRES,
    ),
    "centre_award_cap_yuan": Mechanism(
        "cap of the one-off award",
        ("rd_centres.centre_award_elasticity", "rd_centres.centre_upgrade_award_half_yuan"),
        aims=CENTRES,
    ),
    "bonded_duty_relief_rate": Mechanism(
        "arrivals of bonded centres and the user cost in the bonded zone",
        ("rd_centres.bonded_relief_elasticity", *USER_COST),
        aims=CENTRES,
    ),
    "centre_registration_open": Mechanism(
        "registration of the five centre types (agents.rd_centres.register)",
        ("rd_centres.centre_upgrade_max_rate",),
        aims=CENTRES,
    ),
    "bonded_customs_refund_cap_yuan": Mechanism(
        "refund of bonded centres' customs-declaration costs",
        cost_only="a refund of declaration costs is a service, not a location subsidy: no "
        "evidence that it moves where a centre settles, so arrivals ignore it",
        aims=CENTRES,
    ),
    "platform_award_yuan": Mechanism(
        "formation of platforms (agents.platforms.form)",
        ("platforms.platform_award_elasticity",),
        aims=PLATFORMS,
    ),
    "cultivation_pool_size": Mechanism(
        "national approvals of candidates",
        ("platforms.cultivation_multiplier", "platforms.cultivation_key_lab_boost"),
        aims=PLATFORMS,
    ),
    "cultivation_subsidy_rate": Mechanism(
        "marginal subsidy of candidates",
        (*USER_COST, "platforms.cultivation_multiplier"),
        aims=RD,
    ),
    "cultivation_subsidy_cap_yuan": Mechanism("cap of the candidates' subsidy", USER_COST, aims=RD),
    "flagship_investment_yuan_per_year": Mechanism(
        "researchers of flagship labs and big-science candidacy (agents.university)",
        ("university.flagship_researcher_share", "university.big_science_rate_per_bn"),
        aims=BIG_SCIENCE,
    ),
    "joint_lab_support_yuan_per_year": Mechanism(
        "contract turnover and licences (agents.university.transfer_multipliers)",
        LICENSING,
        aims=TURNOVER,
    ),
    "pilot_base_support_yuan_per_year": Mechanism(
        "spin-off firms (agents.university.transfer_multipliers)",
        TRANSFER,
        aims=FIRMS,
    ),
    "tech_manager_support_yuan_per_year": Mechanism(
        "contract turnover, licences and spin-offs (agents.university.transfer_multipliers)",
        LICENSING,
        aims=TURNOVER,
    ),
    "licence_guarantee_yuan_per_year": Mechanism(
        "licences and the licensing contracts in turnover (agents.university.step_year)",
        LICENSING,
        aims=TURNOVER,
    ),
    "new_type_award_investment_share": Mechanism(
        "foundings of new-type R&D institutions (agents.university.found_new_type_institutions)",
        NEW_TYPE,
        aims=RD,
    ),
    "new_type_award_cap_yuan": Mechanism(
        "cap of the new-type institution award", NEW_TYPE, aims=RD
    ),
    "basic_research_deduction_rate": Mechanism(
        "user cost of the basic-research share of firm R&D (agents.firm.deduction_rate)",
        (*USER_COST, "firm.basic_research_share"),
        aims=RD,
    ),
    "young_talent_grants_per_year": YOUNG_PROGRAMME,
    "young_talent_grant_yuan": YOUNG_PROGRAMME,
    "overseas_posts_per_year": HIGH_LEVEL_PROGRAMME,
    "overseas_post_grant_yuan": HIGH_LEVEL_PROGRAMME,
    "return_programme_yuan_per_year": Mechanism(
        "arrivals' utility (agents.talent.TalentConditions.outreach)",
        ("talent.return_programme_elasticity", "talent.outreach_floor_yuan"),
        aims=TALENT,
    ),
    "green_card": Mechanism(
        "family services from arrival for top to high-level talent (TalentConditions.services)",
        SERVICES,
        aims=TALENT,
    ),
    "family_services_yuan_per_year": Mechanism(
        "value of schooling, medical care and spouse jobs in location choice",
        SERVICES,
        aims=TALENT,
    ),
    "platform_housing_yuan_per_year": Mechanism(
        "net housing cost of R&D-capable talent (TalentConditions.platform_housing)",
        (
            "talent.housing_cost_weight",
            "talent.platform_housing_coverage",
            "talent.arrival_growth_base",
        ),
        aims=TALENT,
    ),
    "vc_investment_reward_rate": Mechanism(
        "VC/angel deployment in local young firms (agents.fund.vc_deploy_multiplier)",
        ("fund.vc_reward_elasticity", "fund.fund_rd_boost", "statuses.listing_fund_multiplier"),
        aims=LISTED,
    ),
    "top_talent_reward_yuan": Mechanism(
        "programme value in talent's location choice", PROGRAMMES, aims=TALENT
    ),
    "leading_team_grants_per_year": LEADING_PROGRAMME,
    "leading_team_grant_yuan": LEADING_PROGRAMME,
    "startup_team_grants_per_year": HIGH_LEVEL_PROGRAMME,
    "startup_team_grant_yuan": HIGH_LEVEL_PROGRAMME,
    "rent_subsidy_yuan_per_year": Mechanism(
        "net housing cost in location choice", HOUSING, aims=TALENT
    ),
    "first_home_subsidy_yuan": Mechanism(
        "net housing cost in location choice", HOUSING, aims=TALENT
    ),
    "purchase_subsidy_m2": Mechanism("net housing cost in location choice", HOUSING, aims=TALENT),
    "housing_support_window_years": Mechanism(
        "years housing support is claimable", HOUSING, aims=TALENT
    ),
    "rent_subsidy_years": Mechanism("years the rent subsidy is paid", HOUSING, aims=TALENT),
    "housing_eligibility_months": Mechanism(
        "who is eligible for housing support", HOUSING, aims=TALENT, larger_is_less=True
    ),
    "guidance_fund_yuan_per_year": Mechanism(
        "sub-fund deals: R&D of investees and listings (agents.fund)",
        ("fund.fund_rd_boost", "fund.deploy_share", "statuses.listing_fund_multiplier"),
        aims=LISTED,
    ),
    "subfund_private_ratio": Mechanism(
        "private money per public yuan in sub-funds",
        ("fund.fund_rd_boost", "fund.deploy_share"),
        aims=LISTED,
    ),
    "knowledge_credit_yuan_per_year": Mechanism(
        "knowledge-value loans spent on R&D",
        ("fund.loan_size_yuan", "fund.fund_rd_boost"),
        aims=RD,
    ),
    "credit_risk_compensation_rate": Mechanism(
        "government share of credit losses",
        cost_only="lending volume is set by knowledge_credit_yuan_per_year; no bank lending "
        "response to the compensation rate is modelled (no source for one)",
        aims=RD,
    ),
    "ip_and_international_yuan_per_year": Mechanism(
        "attractiveness to outside centres (agents.rd_centres.attractiveness) and to arriving "
        "talent (agents.talent.TalentConditions.outreach)",
        ("rd_centres.ip_elasticity", "talent.ip_talent_elasticity"),
        aims=IP,
    ),
    "recognition_campaign": Mechanism(
        "work targets of the recognition drive (statuses, platforms)",
        (
            "statuses.hte_campaign_effect",
            "statuses.tech_sme_campaign_effect",
            "platforms.platform_campaign_effect",
        ),
        aims=RECOGNITION,
    ),
    "budget_cap_yuan_per_year": Mechanism("share of claims granted under the cap (sim.ledger)"),
    "adjust_step": Mechanism("shift of effort towards lagging targets (evaluate and adjust)"),
}


def parameter_evidence(name: str, region) -> str:
    """``calibrated``, ``sourced`` or ``assumed`` for a ``region.behaviour`` parameter path."""
    full = f"region.behaviour.{name}"
    own = region.calibrated_for == region.name and full in region.calibrated_parameters
    pinned = region.identified_parameters
    if own and (pinned is None or full in pinned):
        return "calibrated"
    # Calibrated but left near its prior by the record: the prior's own evidence (below).
    meta = {n: m for n, _, m in documented_fields(region.behaviour, "region.behaviour.")}[full]
    source = str(meta["source"])
    if source.startswith(("assumption", "hand-set")) or source_city(meta) not in ("", region.name):
        return "assumed"
    if source.startswith("calibrated"):
        return "assumed"  # calibrated once, not by this region's calibration
    return "sourced"


def evidence(lever: str, region) -> tuple[str, dict[str, str]]:
    """The evidence label of a lever for a region and that of each parameter it rests on."""
    mech = MECHANISMS[lever]
    if mech.cost_only:
        return "cost only", {}
    if not mech.rests_on:
        return "rule", {}
    per = {p: parameter_evidence(p, region) for p in mech.rests_on}
    order = ("assumed", "sourced", "calibrated")
    weakest = min(per.values(), key=order.index)
    return weakest, per


def lever_names() -> list[str]:
    """Every lever of the schema (documented fields of :class:`sim.levers.LeverConfig`)."""
    from sim.levers import LeverConfig

    return [name for name, _, _ in documented_fields(LeverConfig)]
