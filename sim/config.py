"""Structured configs (Hydra / OmegaConf schemas) for regions, levers, targets and runs.

The schemas type every field, so Hydra rejects unknown keys and wrong types when it composes a
config; :func:`to_sim_config` then turns the composed config into these dataclasses and checks every
value against its documented bounds (:func:`sim.params.validate`) before any simulation starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from omegaconf import DictConfig, OmegaConf

from agents.categories import INDUSTRIES, OWNERSHIPS, TIERS, ZONES
from sim.params import ConfigError, lever, param, validate

# ---------------------------------------------------------------------------------------------
# Small keyed containers (one field per category so CLI overrides read naturally)


@dataclass
class TierAmounts:
    """One number per talent tier."""

    top: float = 0.0
    leading: float = 0.0
    high_level: float = 0.0
    young: float = 0.0
    graduate: float = 0.0


@dataclass
class CentreAmounts:
    """One number per R&D-centre type (levers A1-A5)."""

    fortune500: float = 0.0
    leading_hq: float = 0.0
    upgraded: float = 0.0
    foreign: float = 0.0
    bonded: float = 0.0


@dataclass
class PlatformAmounts:
    """One number per platform kind."""

    national_key_lab: float = 0.0
    national_innovation_centre: float = 0.0
    national_enterprise_tech_centre: float = 0.0
    other_national: float = 0.0
    provincial_municipal: float = 0.0


@dataclass
class Driver:
    """An exogenous driver: central value and the range replicates draw from (triangular)."""

    value: float = 0.0
    low: float = 0.0
    high: float = 0.0


# ---------------------------------------------------------------------------------------------
# Behaviour (literature priors and calibrated values)


@dataclass
class FirmBehaviour:
    """Parameters of the firm rules (``agents/firm.py``)."""

    rd_elasticity_long_run: float = param(
        -1.0,
        low=-2.0,
        high=-0.14,
        unit="elasticity",
        minimum=-5.0,
        maximum=0.0,
        source="Bloom, Griffith & Van Reenen (2002) LR about -1.0; Chen et al. (2021) real 1.14",
        rule="firm.cost_response",
    )
    rd_adjustment_speed: float = param(
        0.1,
        low=0.05,
        high=0.4,
        unit="share per year",
        source="SR/LR elasticity ratio -0.1/-1.0, Bloom, Griffith & Van Reenen (2002)",
        rule="firm.cost_response",
    )
    subsidy_crowding_out: float = param(
        0.25,
        low=0.0,
        high=0.5,
        unit="share",
        source="Boeing (2016): 0.5 yuan in year of receipt, neutral later; Dimos & Pugh (2016)",
        rule="firm.adjust_rd",
    )
    relabel_share_hte: float = param(
        0.242,
        low=0.10,
        high=0.30,
        unit="share",
        source="Chen, Liu, Suarez Serrato & Xu (2021) AER: relabelling 24.2% of reported R&D",
        rule="firm.reported_rd",
    )
    rd_cost_per_fte_yuan: float = param(
        490_000.0,
        low=350_000.0,
        high=650_000.0,
        unit="yuan per FTE-year",
        source="China 2022: R&D 3.08 trn yuan / about 6.35 m FTE (NBS R&D bulletin)",
        rule="labour_market.post_demand",
    )
    innovation_rate_per_m_yuan: float = param(
        0.08,
        low=0.02,
        high=0.3,
        unit="per million yuan of quarterly real R&D",
        source="hand-set (not yet fitted); prior 0.28 invention grants per m yuan (CNIPA/NBS 2023)",
        rule="firm.innovation_draws",
    )
    innovation_growth_boost: float = param(
        0.02,
        low=0.005,
        high=0.05,
        unit="log revenue per innovation",
        source="calibrated; R&D-TFP elasticity 0.09 (Chen et al. 2021)",
        rule="firm.revenue_growth",
    )
    knowledge_depreciation: float = param(
        0.15,
        low=0.10,
        high=0.25,
        unit="share per year",
        source="Griliches / Hall (2007) conventional 15% R&D capital depreciation",
        rule="firm.knowledge",
    )
    spillover_university_weight: float = param(
        0.3,
        low=0.0,
        high=1.0,
        unit="innovation-rate multiplier at base",
        source="hand-set; local university knowledge flows, Belenzon & Schankerman (2013)",
        rule="spillovers.firm_multiplier",
    )
    spillover_platform_weight: float = param(
        0.2,
        low=0.0,
        high=1.0,
        unit="innovation-rate multiplier at base",
        source="hand-set; assumption that platforms act like local public research",
        rule="spillovers.firm_multiplier",
    )
    spillover_industry_weight: float = param(
        0.3,
        low=0.0,
        high=1.0,
        unit="innovation-rate multiplier at base",
        source="hand-set; Jaffe, Trajtenberg & Henderson (1993) same-area citations",
        rule="spillovers.firm_multiplier",
    )
    growth_laplace_scale: float = param(
        0.12,
        low=0.06,
        high=0.20,
        unit="log growth per year",
        source="Bottazzi & Secchi (2006) Laplace growth rates",
        rule="firm.revenue_growth",
    )
    growth_size_exponent: float = param(
        0.17,
        low=0.14,
        high=0.20,
        unit="exponent",
        source="Riccaboni et al. (2008) PNAS: sigma(S) ~ S^-beta",
        rule="firm.revenue_growth",
    )
    exit_hazard_by_age: list = param(
        [0.016, 0.063, 0.095, 0.09, 0.085, 0.08, 0.08, 0.05],
        low=0.0,
        high=0.1,
        unit="probability per year",
        source="SAIC (2013) survival report, ages 0..7+",
        rule="firm.exit",
    )
    exit_hazard_scale: float = param(
        0.5,
        low=0.2,
        high=1.0,
        unit="multiplier",
        source="hand-set; innovative firms survive longer than all enterprises (SAIC 2013 scaled)",
        rule="firm.exit",
    )
    exit_size_exponent: float = param(
        0.3,
        low=0.0,
        high=0.6,
        unit="exponent",
        source="assumption; larger firms survive more (SAIC 2013)",
        rule="firm.exit",
    )
    hte_rd_intensity_threshold: float = param(
        0.03,
        low=0.03,
        high=0.05,
        unit="share",
        source="HTE certification rules (2016): 3-5% of revenue by size",
        rule="firm.high_tech_status",
    )
    hte_application_rate: float = param(
        0.5,
        low=0.1,
        high=0.6,
        unit="probability per year",
        source="calibrated to HTE growth 2018-2022",
        rule="firm.high_tech_status",
    )
    hte_reach_share: float = param(
        0.8,
        low=0.3,
        high=1.0,
        unit="share of the intensity threshold",
        source="calibrated; bunching at the InnoCom notch (Chen et al. 2021)",
        rule="firm.high_tech_status",
    )
    tech_sme_registration_rate: float = param(
        0.2,
        low=0.01,
        high=0.6,
        unit="probability per year",
        source="calibrated to tech-SME counts 2017-2020",
        rule="firm.high_tech_status",
    )
    hte_loss_rate: float = param(
        0.05,
        low=0.02,
        high=0.2,
        unit="probability per year",
        source="calibrated; 3-year certificate not renewed",
        rule="firm.high_tech_status",
    )
    hte_knowledge_min_m_yuan: float = param(
        0.1,
        low=0.2,
        high=5.0,
        unit="million yuan of knowledge stock",
        source="assumption; proxy for the IP requirement of certification",
        rule="firm.high_tech_status",
    )
    little_giant_city_share: float = param(
        0.012,
        low=0.006,
        high=0.016,
        unit="share",
        source="calibrated; Changsha 141 of about 9,119 national picks in batches 1-4",
        rule="firm.little_giant",
    )
    little_giant_review_loss: float = param(
        0.05,
        low=0.0,
        high=0.2,
        unit="probability per year",
        source="assumption; 3-year review",
        rule="firm.little_giant",
    )
    listing_rate: float = param(
        0.008,
        low=0.004,
        high=0.03,
        unit="probability per year",
        source="calibrated to 6-9 new A-share listings a year 2017-2022",
        rule="firm.listing",
    )
    listing_min_revenue_yuan: float = param(
        2.0e8,
        low=1.0e8,
        high=5.0e8,
        unit="yuan per year",
        source="assumption; main-board / STAR revenue tests",
        rule="firm.listing",
    )
    listing_fund_multiplier: float = param(
        2.0,
        low=1.0,
        high=4.0,
        unit="multiplier",
        source="assumption; VC-backed firms are over-represented among IPOs (rows 23-28)",
        rule="firm.listing",
    )
    delisting_rate: float = param(
        0.005,
        low=0.0,
        high=0.02,
        unit="probability per year",
        source="assumption; A-share delistings are rare",
        rule="firm.listing",
    )
    centre_upgrade_max_rate: float = param(
        0.10,
        low=0.02,
        high=0.3,
        unit="probability per year",
        source="hand-set; no registration data before 2023 (registration began Aug 2023)",
        rule="firm.centre_registration",
    )
    centre_upgrade_award_half_yuan: float = param(
        2.0e6,
        low=5.0e5,
        high=1.0e7,
        unit="yuan",
        source="assumption; award at which half the maximum registration rate is reached",
        rule="firm.centre_registration",
    )
    centre_upgrade_min_rd_yuan: float = param(
        1.0e7,
        low=5.0e6,
        high=5.0e7,
        unit="yuan per year",
        source="assumption; R&D scale of an independently registered centre",
        rule="firm.centre_registration",
    )
    platform_rate_per_100m_rd: float = param(
        0.30,
        low=0.1,
        high=1.0,
        unit="new platforms per 100m yuan real R&D per year",
        source="hand-set; about 2,100 platforms in 2022, no earlier total",
        rule="firm.platforms",
    )
    platform_award_elasticity: float = param(
        0.3,
        low=0.0,
        high=1.0,
        unit="elasticity",
        source="assumption; platform formation responds to awards like R&D to user cost",
        rule="firm.platforms",
    )
    platform_closure_rate: float = param(
        0.02,
        low=0.0,
        high=0.08,
        unit="probability per year",
        source="assumption; provincial/municipal platforms failing evaluation",
        rule="firm.platforms",
    )
    national_platform_share: float = param(
        0.03,
        low=0.01,
        high=0.08,
        unit="share",
        source="hand-set; national share of new firm-hosted platforms",
        rule="firm.platforms",
    )
    cultivation_multiplier: float = param(
        3.0,
        low=1.0,
        high=6.0,
        unit="multiplier",
        source="assumption; candidates in the cultivation pool reach national level faster",
        rule="firm.platforms",
    )
    fund_rd_boost: float = param(
        0.15,
        low=0.0,
        high=0.4,
        unit="share of investment spent on R&D",
        source="assumption; VC-backed firms raise R&D",
        rule="capital_market.invest",
    )


@dataclass
class UniversityBehaviour:
    """Parameters of universities and research institutes (``agents/university.py``)."""

    graduation_rate: dict = param(
        {"bachelor": 0.26, "master": 0.36, "phd": 0.18},
        low=0.1,
        high=0.5,
        unit="share per year",
        source="programme length 4 / 2.8 / 5.5 years",
        rule="university.graduates",
    )
    enrolment_growth: float = param(
        0.03,
        low=0.0,
        high=0.06,
        unit="share per year",
        source="students 69.7 (2020) to 83.2 (2024) 10k: about 4.5% a year",
        rule="university.graduates",
    )
    graduate_stay_share: dict = param(
        {"bachelor": 0.35, "master": 0.40, "phd": 0.45},
        low=0.2,
        high=0.7,
        unit="share",
        source="assumption; central-China graduate retention surveys",
        rule="talent.graduate_inflow",
    )
    output_per_researcher: float = param(
        1.0,
        low=0.5,
        high=2.0,
        unit="output units per researcher-year",
        source="normalisation (research output index)",
        rule="university.research_output",
    )
    transfer_turnover_per_output_yuan: float = param(
        2.0e5,
        low=5.0e4,
        high=1.0e6,
        unit="yuan of contract turnover per output unit",
        source="hand-set; universities about 10 % of 2022 contract turnover",
        rule="university.technology_transfer",
    )
    transfer_support_elasticity: float = param(
        0.2,
        low=0.0,
        high=0.6,
        unit="elasticity",
        source="assumption; effect of transfer support on licensing and spin-offs",
        rule="university.technology_transfer",
    )
    transfer_market_growth: float = param(
        0.15,
        low=0.0,
        high=0.6,
        unit="share per year",
        source="calibrated; deepening technology market (turnover 102.5 to 823.6 over 2017-2022)",
        rule="university.technology_transfer",
    )
    spinoffs_per_1000_output: float = param(
        2.0,
        low=0.5,
        high=6.0,
        unit="spin-offs per 1000 output units per year",
        source="hand-set; no spin-off series found",
        rule="entry.spinoffs",
    )
    platform_rate_per_1000_researchers: float = param(
        2.0,
        low=0.5,
        high=6.0,
        unit="new platforms per 1000 researchers per year",
        source="hand-set; about 45% of platforms hosted by universities and institutes",
        rule="university.platforms",
    )
    national_key_lab_rate: float = param(
        0.25,
        low=0.05,
        high=0.8,
        unit="new national key labs per year (city)",
        source="hand-set; 11 national key labs accumulated by 2017",
        rule="university.platforms",
    )
    big_science_rate_per_bn: float = param(
        0.03,
        low=0.005,
        high=0.1,
        unit="probability per year per bn yuan cumulative",
        source="assumption; national lab / facility approval rises with flagship investment",
        rule="university.big_science",
    )
    big_science_min_investment_yuan: float = param(
        2.0e9,
        low=5.0e8,
        high=5.0e9,
        unit="yuan cumulative",
        source="assumption; threshold before candidacy",
        rule="university.big_science",
    )


@dataclass
class TalentBehaviour:
    """Parameters of the talent stay/leave/arrive rule (``agents/talent.py``)."""

    leave_rate_base: dict = param(
        {"top": 0.02, "leading": 0.03, "high_level": 0.05, "young": 0.07, "graduate": 0.10},
        low=0.01,
        high=0.2,
        unit="probability per year",
        source="hand-set; graduate outflow per Song & Wu (2020)",
        rule="talent.stay_or_leave",
    )
    retirement_rate: float = param(
        0.02,
        low=0.01,
        high=0.03,
        unit="probability per year",
        source="working life of about 40 years",
        rule="talent.stay_or_leave",
    )
    wage_yuan_per_year: dict = param(
        {"top": 1.5e6, "leading": 6.0e5, "high_level": 3.0e5, "young": 1.5e5, "graduate": 9.0e4},
        low=5.0e4,
        high=3.0e6,
        unit="yuan per year",
        source="assumption; Changsha wage levels by tier",
        rule="talent.utility",
    )
    housing_need_m2: dict = param(
        {"top": 200.0, "leading": 150.0, "high_level": 100.0, "young": 90.0, "graduate": 60.0},
        low=30.0,
        high=250.0,
        unit="m2",
        source="policy standards 200/150/100 m2; assumption below",
        rule="talent.utility",
    )
    housing_user_cost_rate: float = param(
        0.05,
        low=0.02,
        high=0.08,
        unit="share of home value per year",
        source="assumption; mortgage interest plus maintenance",
        rule="talent.utility",
    )
    housing_cost_weight: float = param(
        4.0,
        low=1.0,
        high=8.0,
        unit="logit coefficient on housing cost / wage",
        source="derived from Song & Wu (2020): +1000 yuan/m2 -> +3.14 pp graduate outflow",
        rule="talent.utility",
    )
    subsidy_horizon_years: float = param(
        10.0,
        low=5.0,
        high=20.0,
        unit="years",
        source="assumption; one-off subsidies spread over this many years",
        rule="talent.utility",
    )
    wage_weight: float = param(
        2.0,
        low=0.5,
        high=4.0,
        unit="logit coefficient on log wage",
        source="assumption; conditional-logit location choice studies (rows 16-18)",
        rule="talent.utility",
    )
    job_weight: float = param(
        0.5,
        low=0.0,
        high=4.0,
        unit="logit coefficient on vacancy rate",
        source="assumption",
        rule="talent.utility",
    )
    programme_weight: float = param(
        1.0,
        low=0.0,
        high=3.0,
        unit="logit coefficient on talent awards / wage",
        source="Chen & Li (2022): housing and start-up subsidies attract most",
        rule="talent.utility",
    )
    tenure_weight: float = param(
        0.3,
        low=0.0,
        high=1.0,
        unit="logit coefficient on log(1 + years in city)",
        source="assumption; attachment grows with tenure",
        rule="talent.stay_or_leave",
    )
    network_weight: float = param(
        0.5,
        low=0.0,
        high=2.0,
        unit="logit coefficient on return-network index",
        source="assumption; alumni and Hunan-merchant return programmes",
        rule="talent.utility",
    )
    arrival_growth_base: float = param(
        0.06,
        low=0.03,
        high=0.09,
        unit="share per year",
        source="hand-set; talent 280 (2022) vs about 200 (2017 estimate): about 7 %/yr",
        rule="talent.arrivals",
    )
    promotion_rate: dict = param(
        {"top": 0.0, "leading": 0.005, "high_level": 0.01, "young": 0.02, "graduate": 0.08},
        low=0.0,
        high=0.15,
        unit="probability per year",
        source="assumption; careers move talent up one tier",
        rule="talent.promotion",
    )
    home_purchase_rate: float = param(
        0.15,
        low=0.05,
        high=0.3,
        unit="probability per year",
        source="assumption; renters buying once eligible",
        rule="talent.housing",
    )
    subsidy_take_up: float = param(
        0.2,
        low=0.1,
        high=0.6,
        unit="share",
        source="assumption; share of eligible people who claim housing support",
        rule="talent.housing",
    )


@dataclass
class FundBehaviour:
    """Parameters of funds and the capital market (``agents/fund.py``, ``sim/markets.py``)."""

    ticket_yuan: float = param(
        2.0e7,
        low=5.0e6,
        high=5.0e7,
        unit="yuan per deal",
        source="assumption",
        rule="capital_market.invest",
    )
    deploy_share: float = param(
        0.25,
        low=0.1,
        high=0.5,
        unit="share per year",
        source="assumption; funds invest over about 4 years",
        rule="capital_market.invest",
    )
    fail_multiple: float = param(
        0.1,
        low=0.0,
        high=0.3,
        unit="multiple",
        source="Kerr et al. (2014): 55% at a loss",
        rule="fund.exits",
    )
    ipo_multiple_pareto_shape: float = param(
        1.3,
        low=1.1,
        high=2.0,
        unit="Pareto shape",
        source="rows 25-28: top deals return most; IPO book multiple about 4x",
        rule="fund.exits",
    )
    holding_years: float = param(
        7.0, low=5.0, high=10.0, unit="years", source="rows 27-28", rule="fund.exits"
    )
    secondary_multiple: float = param(
        1.2,
        low=0.5,
        high=2.0,
        unit="multiple",
        source="rows 26, 28: transfers and buy-backs",
        rule="fund.exits",
    )
    credit_default_rate: float = param(
        0.03,
        low=0.01,
        high=0.08,
        unit="probability per year",
        source="assumption; SME tech loans",
        rule="fund.knowledge_credit",
    )
    management_fee: float = param(
        0.02, low=0.01, high=0.03, unit="share per year", source="industry norm", rule="fund.cash"
    )


@dataclass
class EntryBehaviour:
    """Parameters of firm entry and R&D-centre arrivals (``agents/entry.py``)."""

    startups_per_10k_talent: float = param(
        6.0,
        low=2.0,
        high=15.0,
        unit="new tech firms per 10k talent per year",
        source="calibrated to HTE and tech-SME growth 2018-2022",
        rule="entry.startups",
    )
    startup_tech_sme_share: float = param(
        0.5,
        low=0.05,
        high=0.9,
        unit="share",
        source="calibrated to tech-SME counts 2017-2020",
        rule="entry.startups",
    )
    centre_arrivals_base: dict = param(
        {"fortune500": 1.0, "leading_hq": 3.0, "foreign": 3.0, "bonded": 1.0},
        low=0.0,
        high=10.0,
        unit="arrivals per year without awards",
        source="assumption; outside R&D centres relocating before the 2023 policy",
        rule="entry.centre_arrivals",
    )
    centre_award_elasticity: float = param(
        1.0,
        low=0.3,
        high=2.6,
        unit="elasticity of arrivals to award / investment",
        source="assumption bounded by SME R&D price elasticity 2.6 (Dechezlepretre et al.)",
        rule="entry.centre_arrivals",
    )
    centre_talent_elasticity: float = param(
        1.0,
        low=0.0,
        high=2.0,
        unit="elasticity of arrivals to talent stock",
        source="assumption",
        rule="entry.centre_arrivals",
    )
    bonded_relief_elasticity: float = param(
        10.0,
        low=0.0,
        high=30.0,
        unit="log arrivals per unit of duty relief rate",
        source="assumption",
        rule="entry.centre_arrivals",
    )
    ip_elasticity: float = param(
        0.2,
        low=0.0,
        high=0.6,
        unit="elasticity to IP / international spending",
        source="assumption",
        rule="entry.centre_arrivals",
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
        rule="levers.centre_award",
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
        rule="entry.centre_arrivals",
    )


@dataclass
class MarketBehaviour:
    """Parameters of the labour market, clusters and the economy."""

    rd_labour_slack: float = param(
        0.10,
        low=0.0,
        high=0.2,
        unit="share",
        source="assumption; unfilled-post buffer of the R&D labour pool at base",
        rule="labour_market.fill",
    )
    rd_participation_response: float = param(
        1.0,
        low=0.0,
        high=2.0,
        unit="share of the vacancy rate closed per year",
        source="assumption; scarce R&D posts draw talent from other jobs over time",
        rule="labour_market.fill",
    )
    house_price_talent_elasticity: float = param(
        0.5,
        low=0.0,
        high=1.0,
        unit="elasticity of house prices to the talent stock",
        source="assumption; talent-settlement policies raise house prices (Zhang et al. 2023)",
        rule="economy.house_price",
    )
    revenue_share_pressure: float = param(
        0.05,
        low=0.0,
        high=0.2,
        unit="log drift per year per log of the firms' revenue / GDP ratio",
        source="assumption; the innovative sector cannot outgrow the city economy indefinitely",
        rule="economy.revenue_drift",
    )
    cluster_win_rate: float = param(
        0.06,
        low=0.01,
        high=0.2,
        unit="probability per candidate industry per round",
        source="calibrated; 2 of 9 industries won in the 2019-2022 rounds",
        rule="markets.cluster_rounds",
    )
    cluster_strength_elasticity: float = param(
        1.0,
        low=0.0,
        high=2.0,
        unit="elasticity to industry R&D share",
        source="assumption",
        rule="markets.cluster_rounds",
    )


@dataclass
class BehaviourConfig:
    """All behavioural parameters of one region."""

    firm: FirmBehaviour = field(default_factory=FirmBehaviour)
    university: UniversityBehaviour = field(default_factory=UniversityBehaviour)
    talent: TalentBehaviour = field(default_factory=TalentBehaviour)
    fund: FundBehaviour = field(default_factory=FundBehaviour)
    entry: EntryBehaviour = field(default_factory=EntryBehaviour)
    market: MarketBehaviour = field(default_factory=MarketBehaviour)


# ---------------------------------------------------------------------------------------------
# Region: base-year state, composition assumptions, exogenous drivers


@dataclass
class PopulationConfig:
    """How the base-year totals are split into agents (assumptions where data is missing)."""

    other_rd_firms: int = param(
        3000,
        low=1500,
        high=6000,
        unit="count",
        source="assumption; R&D-performing firms that are neither HTE nor tech SME",
        rule="region.build_firms",
    )
    tech_sme_hte_overlap: float = param(
        0.5, low=0.2, high=0.8, unit="share", source="assumption", rule="region.build_firms"
    )
    industry_shares: dict = param(
        {
            "construction_machinery": 0.08,
            "autos_and_parts": 0.07,
            "digital": 0.22,
            "new_materials": 0.10,
            "video_and_culture": 0.06,
            "modern_seed": 0.02,
            "aerospace": 0.03,
            "life_and_health": 0.10,
            "intelligent_equipment": 0.10,
            "other": 0.22,
        },
        low=0.0,
        high=1.0,
        unit="share",
        source="assumption from industry chain reports",
        rule="region.build_firms",
    )
    zone_shares: dict = param(
        {
            "xiangjiang_science_city": 0.18,
            "ftz_bonded_zone": 0.02,
            "ftz_other": 0.08,
            "malanshan_video_base": 0.04,
            "kegda_jinxia_base": 0.02,
            "dazehu_returnee_town": 0.01,
            "rest_of_city": 0.65,
        },
        low=0.0,
        high=1.0,
        unit="share",
        source="assumption",
        rule="region.build_firms",
    )
    ownership_shares: dict = param(
        {"private": 0.86, "soe": 0.08, "foreign": 0.045, "fortune500_affiliate": 0.015},
        low=0.0,
        high=1.0,
        unit="share",
        source="assumption",
        rule="region.build_firms",
    )
    revenue_median_yuan: float = param(
        3.0e7,
        low=1.0e7,
        high=1.0e8,
        unit="yuan per year",
        source="assumption",
        rule="region.build_firms",
    )
    revenue_log_sd: float = param(
        1.6,
        low=1.0,
        high=2.2,
        unit="log yuan",
        source="assumption; Zipf-like upper tail",
        rule="region.build_firms",
    )
    rd_intensity_log_sd: float = param(
        0.6, low=0.3, high=1.0, unit="log share", source="assumption", rule="region.build_firms"
    )
    firm_age_mean_years: float = param(
        8.0,
        low=4.0,
        high=12.0,
        unit="years",
        source="SAIC (2013) age structure",
        rule="region.build_firms",
    )
    revenue_per_employee_yuan: float = param(
        1.0e6,
        low=5.0e5,
        high=2.0e6,
        unit="yuan per employee",
        source="assumption",
        rule="region.build_firms",
    )
    research_institutes: int = param(
        97,
        low=80,
        high=120,
        unit="count",
        source="'97 independent research institutes' (2019)",
        rule="region.build_universities",
    )
    new_type_institutions: int = param(
        50, low=20, high=100, unit="count", source="assumption", rule="region.build_universities"
    )
    flagship_labs: int = param(
        4,
        low=2,
        high=8,
        unit="count",
        source="'4+4' flagship labs of Hunan",
        rule="region.build_universities",
    )
    degree_shares: dict = param(
        {"bachelor": 0.86, "master": 0.12, "phd": 0.02},
        low=0.0,
        high=1.0,
        unit="share",
        source="assumption",
        rule="region.build_universities",
    )
    researchers: int = param(
        40000,
        low=25000,
        high=60000,
        unit="persons",
        source="assumption; university and institute researchers",
        rule="region.build_universities",
    )
    tier_shares: dict = param(
        {"top": 0.0002, "leading": 0.002, "high_level": 0.02, "young": 0.30, "graduate": 0.6778},
        low=0.0,
        high=1.0,
        unit="share",
        source="assumption",
        rule="region.build_talent",
    )
    national_innovation_centres: int = param(
        3, low=1, high=6, unit="count", source="assumption", rule="region.build_platforms"
    )
    national_enterprise_tech_centres: int = param(
        40, low=25, high=60, unit="count", source="assumption", rule="region.build_platforms"
    )
    firm_platform_share: float = param(
        0.55,
        low=0.4,
        high=0.7,
        unit="share",
        source="assumption; share of provincial/municipal platforms hosted by firms",
        rule="region.build_platforms",
    )
    guidance_fund_capital_yuan: float = param(
        5.0e9, low=2.0e9, high=1.0e10, unit="yuan", source="assumption", rule="region.build_funds"
    )
    vc_funds: int = param(
        60, low=20, high=150, unit="count", source="assumption", rule="region.build_funds"
    )
    vc_capital_yuan: float = param(
        3.0e10, low=1.0e10, high=6.0e10, unit="yuan", source="assumption", rule="region.build_funds"
    )
    initial_clusters: list = param(
        ["construction_machinery", "digital"],
        low=0,
        high=0,
        unit="industry names",
        source="MIIT rounds 2021, 2022",
        rule="markets.cluster_rounds",
    )


@dataclass
class ExogenousConfig:
    """Drivers outside the city's control, each with a range replicates draw from."""

    gdp_growth: Driver = field(default_factory=lambda: Driver(0.055, 0.04, 0.065))
    gdp_growth_by_year: dict = field(default_factory=dict)
    listing_window: dict = field(
        default_factory=lambda: {2023: 0.73, 2024: 0.25, 2025: 0.35, 2026: 0.5}
    )
    listing_window_later: Driver = field(default_factory=lambda: Driver(0.6, 0.3, 1.0))
    listing_window_spread: float = 0.3
    little_giant_batch: dict = field(default_factory=lambda: {2023: 3671, 2024: 3000})
    little_giant_batch_later: Driver = field(default_factory=lambda: Driver(3000, 2000, 4500))
    cluster_round_years: list = field(default_factory=lambda: [2024, 2027, 2030])
    house_price_growth: Driver = field(default_factory=lambda: Driver(0.0, -0.05, 0.04))
    outside_talent_pool_growth: Driver = field(default_factory=lambda: Driver(0.0, -0.01, 0.02))
    outside_wage_growth: Driver = field(default_factory=lambda: Driver(0.05, 0.03, 0.07))


@dataclass
class RegionConfig:
    """A city: base-year data file, composition, exogenous drivers and behaviour."""

    name: str = "changsha"
    base_year: int = 2022
    data_file: str = "changsha_base_2022.csv"
    base_state: str = "value"
    posterior_file: str = ""
    population: PopulationConfig = field(default_factory=PopulationConfig)
    exogenous: ExogenousConfig = field(default_factory=ExogenousConfig)
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)


# ---------------------------------------------------------------------------------------------
# Levers (real instruments, real units)


@dataclass
class LeverConfig:
    """Every policy lever; the defaults mean no local policy (national instruments aside)."""

    name: str = "none"
    start_year: int = 2023
    start_quarter: int = 3
    # C: national tax instruments
    super_deduction_rate: float = lever(
        1.0,
        unit="share",
        family="C",
        maximum=2.0,
        what="additional deduction of qualifying R&D expense (1.0 = 100%)",
    )
    standard_tax_rate: float = lever(0.25, unit="share", family="C", what="corporate income tax")
    hte_tax_rate: float = lever(0.15, unit="share", family="C", what="CIT rate of high-tech firms")
    # C: local R&D subsidies
    rd_post_subsidy_rate: float = lever(
        0.0,
        unit="share",
        family="C",
        what="post-R&D subsidy: share of reported R&D reimbursed to R&D-active firms",
    )
    rd_post_subsidy_cap_yuan: float = lever(
        1.0e6, unit="yuan per firm per year", family="C", what="cap of the post-R&D subsidy"
    )
    # A1-A5: five R&D-centre types
    centre_incremental_rd_rate: float = lever(
        0.0, unit="share", family="A", what="subsidy on incremental R&D of registered R&D centres"
    )
    centre_incremental_rd_cap_yuan: CentreAmounts = lever(
        CentreAmounts(),
        unit="yuan per centre per year",
        family="A",
        what="cap of the incremental-R&D subsidy by centre type",
    )
    centre_award_investment_share: float = lever(
        0.0, unit="share", family="A", what="one-off award as a share of the centre's investment"
    )
    centre_award_cap_yuan: CentreAmounts = lever(
        CentreAmounts(), unit="yuan", family="A", what="cap of the one-off award by centre type"
    )
    bonded_duty_relief_rate: float = lever(
        0.0,
        unit="share",
        family="A",
        what="duty/VAT relief on imported R&D inputs as a share of R&D cost, bonded zone only",
    )
    bonded_customs_refund_cap_yuan: float = lever(
        0.0,
        unit="yuan per centre",
        family="A",
        what="refund of customs-declaration costs of bonded R&D centres",
    )
    # B: platforms
    platform_award_yuan: PlatformAmounts = lever(
        PlatformAmounts(),
        unit="yuan per new platform",
        family="B",
        what="award for a newly approved platform by kind",
    )
    cultivation_pool_size: int = lever(
        0, unit="count", family="B", what="candidates cultivated for national platforms"
    )
    cultivation_subsidy_rate: float = lever(
        0.0, unit="share", family="B", what="support to candidates as a share of their R&D"
    )
    cultivation_subsidy_cap_yuan: float = lever(
        0.0, unit="yuan per candidate per year", family="B", what="cap of candidate support"
    )
    flagship_investment_yuan_per_year: float = lever(
        0.0,
        unit="yuan per year",
        family="B",
        what="city investment in flagship labs and facility candidacies",
    )
    # D: technology transfer
    tech_transfer_support_yuan_per_year: float = lever(
        0.0,
        unit="yuan per year",
        family="D",
        what="joint labs, pilot bases, technology managers, licence guarantees",
    )
    # E: talent programmes
    top_talent_reward_yuan: float = lever(
        0.0, unit="yuan per person", family="E", what="one-off reward for a recruited top talent"
    )
    leading_team_grants_per_year: float = lever(
        0.0, unit="count per year", family="E", what="industry-leading talent teams funded"
    )
    leading_team_grant_yuan: float = lever(
        0.0, unit="yuan per team", family="E", what="grant per leading team"
    )
    startup_team_grants_per_year: float = lever(
        0.0, unit="count per year", family="E", what="high-level start-up teams funded"
    )
    startup_team_grant_yuan: float = lever(
        0.0, unit="yuan per team", family="E", what="grant per start-up team"
    )
    # F: housing support
    rent_subsidy_yuan_per_year: TierAmounts = lever(
        TierAmounts(),
        unit="yuan per person per year",
        family="F",
        what="rent and living subsidy by tier",
    )
    first_home_subsidy_yuan: TierAmounts = lever(
        TierAmounts(), unit="yuan per person", family="F", what="first-home purchase subsidy"
    )
    purchase_subsidy_m2: TierAmounts = lever(
        TierAmounts(),
        unit="m2 per person",
        family="F",
        what="full purchase subsidy on a home of this standard area",
    )
    housing_support_window_years: float = lever(
        3.0,
        unit="years",
        family="F",
        maximum=50.0,
        what="years after arrival during which purchase support can be claimed",
    )
    rent_subsidy_years: float = lever(
        2.0,
        unit="years",
        family="F",
        maximum=50.0,
        what="years after arrival during which the rent subsidy is paid",
    )
    housing_eligibility_months: float = lever(
        12.0,
        unit="months",
        family="F",
        maximum=60.0,
        what="residence needed before housing support (and purchase) is available",
    )
    # G: science and technology finance
    guidance_fund_yuan_per_year: float = lever(
        0.0, unit="yuan per year", family="G", what="new government capital in the guidance fund"
    )
    subfund_private_ratio: float = lever(
        0.0,
        unit="yuan private per yuan public",
        family="G",
        maximum=10.0,
        what="private co-investment required in sub-funds",
    )
    knowledge_credit_yuan_per_year: float = lever(
        0.0, unit="yuan per year", family="G", what="knowledge-value credit lending"
    )
    credit_risk_compensation_rate: float = lever(
        0.0, unit="share", family="G", what="share of credit losses compensated by government"
    )
    # H: IP protection, international cooperation, offsite incubators
    ip_and_international_yuan_per_year: float = lever(
        0.0,
        unit="yuan per year",
        family="H",
        what="IP protection, international cooperation and offsite incubators",
    )
    # I: budget and evaluation
    budget_cap_yuan_per_year: float = lever(
        0.0,
        unit="yuan per year",
        family="I",
        what="cap on local discretionary spending; 0 means no cap",
    )
    evaluate_and_adjust: bool = False
    adjust_step: float = lever(
        0.2,
        unit="share",
        family="I",
        what="yearly shift of effort towards lagging targets when evaluate_and_adjust is on",
    )


# ---------------------------------------------------------------------------------------------
# Targets and run settings


@dataclass
class TargetSpec:
    """One target: KPI, year and threshold (reached when value >= threshold)."""

    id: str = ""
    kpi: str = ""
    year: int = 2025
    threshold: float = 0.0
    kind: str = "target"
    label: str = ""


@dataclass
class TargetsConfig:
    """The targets of a region's plan."""

    name: str = "none"
    count_from_year: int = 2023
    count_from_quarter: int = 3
    targets: list[TargetSpec] = field(default_factory=list)


@dataclass
class RunConfig:
    """Ensemble settings."""

    replicates: int = 100
    seed: int = 20230801
    horizon: int = 2030
    people_per_agent: int = 200
    workers: int = 0
    exogenous_uncertainty: bool = True
    base_state_uncertainty: bool = False
    parameter_uncertainty: bool = True
    lazy_agents: bool = True
    fixed_parameters: list[str] = field(default_factory=list)
    plots: bool = True
    progress: bool = True


@dataclass
class SeriesSpec:
    """How an observed indicator maps onto a KPI (older observed files without a ``kpi`` column)."""

    indicator: str = ""
    kpi: str = ""
    factor: float = 1.0


@dataclass
class CalibrationConfig:
    """Settings of ``python -m sim.calibrate`` (history matching against observed series).

    ``observed_file``: the region's observed file (``sim.observations``); ``kpis``: the KPIs
    fitted (empty: every KPI of the file).
    """

    free: list[str] = field(default_factory=list)
    base_year: int = 2017
    end_year: int = 2022
    observed_file: str = ""
    kpis: list[str] = field(default_factory=list)
    series: list[SeriesSpec] = field(default_factory=list)
    samples: int = 160
    waves: int = 2
    replicates: int = 3
    people_per_agent: int = 1000
    seed: int = 2017
    implausibility_cut: float = 3.0
    discrepancy_share: float = 0.10
    posterior_size: int = 40
    posterior_min: int = 10
    output_region: str = "changsha_calibrated"
    install: bool = False


@dataclass
class ValidationConfig:
    """Settings of ``python -m scenarios.validate`` (rolling-origin back-tests, scorecard).

    ``exogenous``: ``ex_ante`` removes the observed exogenous values after each origin (GDP
    growth, listing window, little-giant batches), so replicates draw them from their ranges;
    ``ex_post`` keeps them. ``observed_file`` empty means ``calibration.observed_file``.
    """

    origins: list[int] = field(default_factory=lambda: [2019, 2020, 2021, 2022, 2023])
    lead_years: int = 3
    replicates: int = 100
    people_per_agent: int = 200
    exogenous: str = "ex_ante"
    observed_file: str = ""
    pit_seed: int = 14
    plots: bool = True


VALIDATION_EXOGENOUS = ("ex_ante", "ex_post")


@dataclass
class ExecutorConfig:
    """Where scenario x replicate tasks run: ``local`` pool, a ``ray`` cluster or ``slurm``."""

    kind: str = "local"
    address: str = ""
    slurm_partition: str = ""
    slurm_time_min: int = 60
    slurm_cpus_per_task: int = 2
    slurm_folder: str = "slurm_logs"


@dataclass
class Factor:
    """An experiment factor: a config key (Hydra override path) and its range."""

    name: str = ""
    low: float = 0.0
    high: float = 1.0


@dataclass
class ExperimentConfig:
    """Settings shared by sensitivity analysis, scenario discovery and optimisation.

    ``targets`` are ``"<target id>@<year>"`` strings, e.g. ``"talent@2025"``.
    """

    factors: list[Factor] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    min_probability: float = 0.8
    replicates: int = 8
    people_per_agent: int = 2000
    horizon: int = 2030
    samples: int = 16
    seed: int = 7
    method: str = "morris"
    budget_cap_yuan: float = 0.0
    storage: str = ""
    study_name: str = "cheapest_mix"


@dataclass
class SimConfig:
    """The whole configuration of a run."""

    region: RegionConfig = field(default_factory=RegionConfig)
    levers: LeverConfig = field(default_factory=LeverConfig)
    reference_levers: LeverConfig = field(default_factory=LeverConfig)
    targets: TargetsConfig = field(default_factory=TargetsConfig)
    run: RunConfig = field(default_factory=RunConfig)
    calibration: CalibrationConfig = field(default_factory=CalibrationConfig)
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)
    experiment: ExperimentConfig = field(default_factory=ExperimentConfig)
    validation: ValidationConfig = field(default_factory=ValidationConfig)
    mode: str = "project"


MODES = ("project", "backtest")
EXECUTORS = ("local", "ray", "slurm")
"""``project``: targets and reachability; ``backtest``: projections from the base year only."""

KPI_IDS = (
    "rd_expenditure",
    "rd_intensity",
    "rd_growth",
    "platforms",
    "rd_centres",
    "clusters",
    "talent",
    "listed",
    "little_giants",
    "big_science",
    "high_tech_enterprises",
    "tech_smes",
    "tech_contract_turnover",
    "new_national_key_labs",
    "new_national_innovation_centres",
    "new_national_enterprise_tech_centres",
    "cultivation_pool",
    "gdp",
    "public_cost",
)
"""Every KPI the model reports each year (the first eleven are the issue's ids)."""


def _check_shares(shares: dict, names: tuple, where: str) -> None:
    unknown = set(shares) - set(names)
    if unknown:
        raise ConfigError(f"{where} has unknown keys {sorted(unknown)}; allowed: {list(names)}")
    missing = set(names) - set(shares)
    if missing:
        raise ConfigError(f"{where} is missing keys {sorted(missing)}")
    total = sum(shares.values())
    if abs(total - 1.0) > 1e-6:
        raise ConfigError(f"{where} must sum to 1, got {total:.6f}")


TARGET_KINDS = ("target", "tracking", "three_year")


def _check_driver(driver: Driver, where: str, minimum: float) -> None:
    values = (driver.low, driver.value, driver.high)
    if not all(math.isfinite(v) for v in values):
        raise ConfigError(f"{where}={values} must be finite numbers")
    if not driver.low <= driver.value <= driver.high:
        raise ConfigError(
            f"{where}: need low <= value <= high, got low={driver.low}, value={driver.value}, "
            f"high={driver.high}"
        )
    if driver.low < minimum:
        raise ConfigError(f"{where}.low={driver.low} is below the allowed minimum {minimum}")


def _check_exogenous(exo: ExogenousConfig) -> None:
    """Ranges of the exogenous drivers: ordered, finite, growth rates above -100 %."""
    for name in (
        "gdp_growth",
        "house_price_growth",
        "outside_talent_pool_growth",
        "outside_wage_growth",
    ):
        _check_driver(getattr(exo, name), f"region.exogenous.{name}", -0.5)
    _check_driver(exo.listing_window_later, "region.exogenous.listing_window_later", 0.0)
    _check_driver(exo.little_giant_batch_later, "region.exogenous.little_giant_batch_later", 0.0)
    for name in ("listing_window", "little_giant_batch"):
        for year, value in getattr(exo, name).items():
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ConfigError(f"region.exogenous.{name}[{year}]={value!r} must be >= 0")
    for year, value in exo.gdp_growth_by_year.items():
        if not (isinstance(value, int | float) and math.isfinite(value) and value > -0.5):
            raise ConfigError(
                f"region.exogenous.gdp_growth_by_year[{year}]={value!r} must be > -0.5"
            )
    if exo.listing_window_spread < 0:
        raise ConfigError(f"region.exogenous.listing_window_spread={exo.listing_window_spread} < 0")


def _check_calibration(cal: CalibrationConfig) -> None:
    """Sizes and settings of the calibration."""
    for name in (
        "samples",
        "waves",
        "replicates",
        "people_per_agent",
        "posterior_size",
        "posterior_min",
    ):
        if getattr(cal, name) < 1:
            raise ConfigError(f"calibration.{name}={getattr(cal, name)} must be >= 1")
    if cal.end_year <= cal.base_year:
        raise ConfigError(
            f"calibration.end_year={cal.end_year} must be after calibration.base_year="
            f"{cal.base_year}"
        )
    unknown = [k for k in cal.kpis if k not in KPI_IDS]
    if unknown:
        raise ConfigError(f"calibration.kpis has {unknown}; allowed: {list(KPI_IDS)}")
    if cal.implausibility_cut <= 0 or cal.discrepancy_share < 0:
        raise ConfigError(
            "calibration.implausibility_cut must be > 0 and calibration.discrepancy_share >= 0"
        )


def _check_validation(val: ValidationConfig, cal: CalibrationConfig) -> None:
    """Origins, lead, ensemble size and the exogenous mode of the rolling-origin back-tests."""
    if not val.origins:
        raise ConfigError("validation.origins is empty; give at least one origin year")
    early = [o for o in val.origins if o <= cal.base_year]
    if early:
        raise ConfigError(
            f"validation.origins {early} must be after calibration.base_year={cal.base_year}"
        )
    for name in ("lead_years", "replicates", "people_per_agent"):
        if getattr(val, name) < 1:
            raise ConfigError(f"validation.{name}={getattr(val, name)} must be >= 1")
    if val.exogenous not in VALIDATION_EXOGENOUS:
        raise ConfigError(
            f"validation.exogenous={val.exogenous!r}; allowed: {list(VALIDATION_EXOGENOUS)}"
        )


def check(cfg: SimConfig) -> SimConfig:
    """Validate a full config: bounds of every documented field plus cross-field rules.

    Args:
        cfg: The config to check.

    Returns:
        ``cfg`` unchanged, for chaining.

    Raises:
        ConfigError: one line naming the field, the value and what is allowed.
    """
    validate(cfg.region.behaviour, "region.behaviour.")
    validate(cfg.region.population, "region.population.")
    validate(cfg.levers, "levers.")
    validate(cfg.reference_levers, "reference_levers.")
    pop = cfg.region.population
    _check_shares(pop.industry_shares, INDUSTRIES, "region.population.industry_shares")
    _check_shares(pop.zone_shares, ZONES, "region.population.zone_shares")
    _check_shares(pop.ownership_shares, OWNERSHIPS, "region.population.ownership_shares")
    _check_shares(pop.tier_shares, TIERS, "region.population.tier_shares")
    for name in pop.initial_clusters:
        if name not in INDUSTRIES:
            raise ConfigError(
                f"region.population.initial_clusters has {name!r}; allowed: {list(INDUSTRIES)}"
            )
    t = cfg.region.behaviour.talent
    for key in ("leave_rate_base", "wage_yuan_per_year", "housing_need_m2", "promotion_rate"):
        if set(getattr(t, key)) != set(TIERS):
            raise ConfigError(f"region.behaviour.talent.{key} must have keys {list(TIERS)}")
    if cfg.region.base_state not in ("value", "low", "high"):
        raise ConfigError(
            f"region.base_state={cfg.region.base_state!r}; allowed: 'value', 'low', 'high'"
        )
    _check_exogenous(cfg.region.exogenous)
    _check_calibration(cfg.calibration)
    _check_validation(cfg.validation, cfg.calibration)
    run = cfg.run
    if run.seed < 0:
        raise ConfigError(f"run.seed={run.seed} must be >= 0")
    if run.replicates < 1:
        raise ConfigError(f"run.replicates={run.replicates} must be >= 1")
    if run.people_per_agent < 1:
        raise ConfigError(f"run.people_per_agent={run.people_per_agent} must be >= 1")
    if run.workers < 0:
        raise ConfigError(f"run.workers={run.workers} must be >= 0 (0 = all cores)")
    if run.horizon <= cfg.region.base_year:
        raise ConfigError(
            f"run.horizon={run.horizon} must be after region.base_year={cfg.region.base_year}"
        )
    if run.horizon > cfg.region.base_year + 60:
        raise ConfigError(f"run.horizon={run.horizon} is more than 60 years after the base year")
    for lv, where in ((cfg.levers, "levers"), (cfg.reference_levers, "reference_levers")):
        if lv.start_quarter not in (1, 2, 3, 4):
            raise ConfigError(f"{where}.start_quarter={lv.start_quarter}; allowed: 1, 2, 3, 4")
    for t in cfg.targets.targets:
        if t.kpi not in KPI_IDS:
            raise ConfigError(f"targets: {t.id!r} has kpi={t.kpi!r}; allowed: {list(KPI_IDS)}")
        if t.kind not in TARGET_KINDS:
            raise ConfigError(
                f"targets: {t.id!r} has kind={t.kind!r}; allowed: {list(TARGET_KINDS)}"
            )
        if not math.isfinite(t.threshold):
            raise ConfigError(f"targets: {t.id!r} has threshold={t.threshold}; must be a number")
        if t.year <= cfg.region.base_year:
            raise ConfigError(
                f"targets: {t.id!r} has year={t.year}; must be after region.base_year="
                f"{cfg.region.base_year}"
            )
    exp = cfg.experiment
    if exp.replicates < 1:
        raise ConfigError(f"experiment.replicates={exp.replicates} must be >= 1")
    if exp.samples < 1:
        raise ConfigError(f"experiment.samples={exp.samples} must be >= 1")
    if exp.people_per_agent < 1:
        raise ConfigError(f"experiment.people_per_agent={exp.people_per_agent} must be >= 1")
    if not 0.0 <= exp.min_probability <= 1.0:
        raise ConfigError(f"experiment.min_probability={exp.min_probability} must be in [0, 1]")
    if exp.budget_cap_yuan < 0:
        raise ConfigError(f"experiment.budget_cap_yuan={exp.budget_cap_yuan} must be >= 0")
    if cfg.executor.kind not in EXECUTORS:
        raise ConfigError(f"executor.kind={cfg.executor.kind!r}; allowed: {list(EXECUTORS)}")
    if cfg.executor.kind == "ray" and not cfg.executor.address:
        raise ConfigError("executor.address is empty; executor=ray needs a cluster address")
    if cfg.mode not in MODES:
        raise ConfigError(f"mode={cfg.mode!r}; allowed: {list(MODES)}")
    return cfg


def to_sim_config(cfg: DictConfig | SimConfig | dict[str, Any]) -> SimConfig:
    """Turn a composed Hydra config into a validated :class:`SimConfig`.

    Args:
        cfg: A DictConfig composed by Hydra, a plain dict, or a SimConfig.

    Returns:
        The validated dataclass config.

    Raises:
        ConfigError: if any value is out of its allowed range.
    """
    if isinstance(cfg, SimConfig):
        return check(cfg)
    schema = OmegaConf.structured(SimConfig)
    try:
        merged = OmegaConf.merge(schema, cfg)
        obj = OmegaConf.to_object(merged)
    except Exception as err:  # omegaconf errors carry key and type; keep the first line
        raise ConfigError(str(err).splitlines()[0]) from err
    return check(obj)
