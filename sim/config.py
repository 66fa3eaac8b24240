"""Structured configs (Hydra / OmegaConf schemas) for regions, levers, targets and runs.

The schemas type every field, so Hydra rejects unknown keys of config files and wrong types when
it composes a config; :func:`to_sim_config` refuses keys added with Hydra's ``+`` that the schema
does not have (:func:`check_keys`), turns the composed config into these dataclasses and checks
every value against its documented bounds (:func:`agents.params.validate`) and the cross-field
rules of :func:`check` (timing, undefined formulas, money levers against the region's GDP) before
any simulation starts.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import typing
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from agents.categories import OWNERSHIPS, SPECIAL_ZONES, TIERS
from agents.clusters import ClusterParams
from agents.economy import Driver, EconomyParams, ExogenousConfig
from agents.entry import EntryParams
from agents.firm import FirmParams
from agents.fund import FundParams
from agents.labour_market import LabourParams
from agents.params import ConfigError, _numbers, documented_fields, validate
from agents.platforms import PlatformParams
from agents.rd_centres import CentreParams
from agents.spillovers import SpilloverParams
from agents.statuses import StatusParams
from agents.talent import TalentParams
from agents.university import UniversityParams
from sim.build import PopulationConfig
from sim.kpis import KPI_IDS
from sim.levers import LeverConfig, PolicyPeriod, resolve_timeline, state_at

# ---------------------------------------------------------------------------------------------
# Region: base-year state, composition, exogenous drivers and the behaviour of each agent type


@dataclass
class BehaviourConfig:
    """All behavioural parameters of one region, one group per rule module of ``agents/``."""

    firm: FirmParams = field(default_factory=FirmParams)
    statuses: StatusParams = field(default_factory=StatusParams)
    rd_centres: CentreParams = field(default_factory=CentreParams)
    platforms: PlatformParams = field(default_factory=PlatformParams)
    university: UniversityParams = field(default_factory=UniversityParams)
    talent: TalentParams = field(default_factory=TalentParams)
    labour: LabourParams = field(default_factory=LabourParams)
    spillovers: SpilloverParams = field(default_factory=SpilloverParams)
    fund: FundParams = field(default_factory=FundParams)
    entry: EntryParams = field(default_factory=EntryParams)
    clusters: ClusterParams = field(default_factory=ClusterParams)
    economy: EconomyParams = field(default_factory=EconomyParams)


@dataclass
class EstimateConfig:
    """Base-year indicators a region has not published, estimated from a named reference city.

    ``by`` maps each estimated indicator to the indicator it is scaled by (``gdp``,
    ``resident_population``, ``gdp_per_capita``, or ``none`` to copy it); the rule is
    :func:`sim.region.estimate_indicators`. Every estimate is marked in the run record.
    """

    reference_region: str = ""
    """Name of the reference city (e.g. ``changsha``)."""
    reference_data_file: str = ""
    """Its base-year data file (same base year), resolved like every region file (sim.paths)."""
    by: dict[str, str] = field(default_factory=dict)
    widen: float = 0.3
    """Relative half-width added to an estimate's range (scaling is a rough rule)."""


@dataclass
class RegionConfig:
    """A city: base-year data file, composition, exogenous drivers and behaviour."""

    name: str = ""
    base_year: int = 2022
    data_file: str = ""
    base_state: str = "value"
    config_dirs: list[str] = field(default_factory=list)
    """The user's config directories that relative file names are looked up in before the
    project's ``conf/region/`` (:mod:`sim.paths`); filled in from ``hydra.searchpath`` when the
    config is composed, so a saved ``config.yaml`` finds the same files."""
    estimates: EstimateConfig = field(default_factory=EstimateConfig)
    estimates_by_year: dict[int, EstimateConfig] = field(default_factory=dict)
    """Estimates of the data files of other base years (a calibration from an earlier year:
    ``data_file`` with that year; :func:`scenarios.calibrate.estimates_for`)."""
    calibrated_for: str = ""
    """The region whose record the behaviour values and ``posterior_file`` were calibrated on
    (written by ``python -m scenarios.calibrate`` with ``calibration.install``); a posterior is
    used only by that region."""
    calibrated_parameters: list[str] = field(default_factory=list)
    """The parameters that calibration set (the posterior's columns)."""
    identified_parameters: list[str] | None = None
    """The calibrated parameters the record pinned down: posterior sd at most
    ``1 - IDENTIFIED_SHRINKAGE`` of the prior's (:data:`scenarios.calibrate.IDENTIFIED_SHRINKAGE`).
    The others kept nearly their prior: a lever effect resting on one is **assumed**, not
    calibrated (:func:`sim.lever_evidence.parameter_evidence`). ``None``: not recorded (older
    calibrations), every calibrated parameter counts as identified."""
    inherited_parameters: list[str] = field(default_factory=list)
    """Derived, not set: parameters whose value rests on another city's figures or calibration
    (listed in every run's ``config.yaml`` and printed once by the commands)."""
    posterior_file: str = ""
    observed_file: str = ""
    track_record_file: str = ""
    """Back-test probabilities (``origin, target, year, probability, ci_low, ci_high,
    replicates``; written by ``python -m scenarios.validate``), shown beside reported outcomes."""
    policy_timeline: list[PolicyPeriod] = field(default_factory=list)
    population: PopulationConfig = field(default_factory=PopulationConfig)
    exogenous: ExogenousConfig = field(default_factory=ExogenousConfig)
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)


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
    assumed_lever_draws: bool = False
    """Draw every parameter a lever's effect rests on whose value is an assumption for the
    region (not sourced, not calibrated here, not in the posterior) per replicate from a
    triangular distribution over its plausible range, the default as mode
    (:func:`sim.posterior.assumed_draws`); the lever table does, so its intervals carry the
    assumptions' ranges."""
    lazy_agents: bool = True
    fixed_parameters: list[str] = field(default_factory=list)
    plots: bool = True
    progress: bool = True
    policy: str = "scenario"
    """``scenario``: the region's policy timeline until ``levers.start_year``/``start_quarter``,
    then ``levers``; ``timeline``: the timeline throughout (history replays and back-tests)."""
    assimilate: bool = False
    """Condition the ensemble on the region's observations after the base year (particle filter,
    :mod:`sim.assimilation`)."""
    assimilate_until: int = 9999
    """Last year of observations assimilated (also never past the scenario's divergence)."""
    assimilation_paths: int = 4
    """Candidate paths per replicate run to the assimilation year: each replicate keeps its
    posterior parameter set and continues from one of its paths chosen by the likelihood of the
    observations (:mod:`sim.assimilation`)."""
    tolerate_failures: bool = False


POLICY_SOURCES = ("scenario", "timeline")


@dataclass
class SeriesSpec:
    """How an observed indicator maps onto a KPI (older observed files without a ``kpi`` column)."""

    indicator: str = ""
    kpi: str = ""
    factor: float = 1.0


@dataclass
class CalibrationConfig:
    """Settings of ``python -m scenarios.calibrate`` (calibration against observed series).

    ``observed_file``: the region's observed file (``sim.observations``); ``kpis``: the KPIs
    fitted (empty: every simulated KPI of the file but GDP). ``samples`` points in wave 1 (a Latin
    hypercube over the prior box), ``wave_size`` in each later wave; ``posterior_size`` sets are
    resampled; ``check_sets`` of them are replayed with the real model for the fit report.
    """

    free: list[str] = field(default_factory=list)
    base_year: int = 2017
    end_year: int = 2022
    observed_file: str = ""
    kpis: list[str] = field(default_factory=list)
    series: list[SeriesSpec] = field(default_factory=list)
    samples: int = 200
    wave_size: int = 100
    waves: int = 4
    replicates: int = 1
    people_per_agent: int = 4000
    base_state_uncertainty: bool = True
    seed: int = 2017
    implausibility_cut: float = 3.0
    implausibility_rank: int = 1
    discrepancy: dict = field(default_factory=lambda: {"default": 0.1})
    """Model discrepancy per KPI (share of the value; units for raw-scale KPIs; ``default``)."""
    posterior_size: int = 100
    check_sets: int = 40
    output_region: str = "${region.name}_calibrated"
    install: bool = False
    install_dir: str = ""
    """Where ``install`` writes (empty: the user's first config dir's ``region/``, else the
    project's ``conf/region/``; see :func:`scenarios.calibrate.install_dir`)."""


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
    install: bool = False
    """Also write ``target_probabilities.csv`` as the region's ``track_record_file`` (the
    P(reached) from each origin that ``make run`` prints beside the reported outcomes), in
    ``calibration.install_dir`` or where :func:`scenarios.calibrate.install_dir` says."""


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
    ray_connect_timeout_s: float = 30.0


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


MAX_CATEGORIES = 127
"""Most industries or zones of a region (codes are stored as int8)."""


def _check_structure(pop: PopulationConfig) -> None:
    """The region's own industries and zones: named, shares summing to 1, roles that exist."""
    where = "region.population"
    for key, what in (("industry_shares", "industries"), ("zone_shares", "zones")):
        shares = getattr(pop, key)
        if not shares:
            raise ConfigError(
                f"{where}.{key} is empty: a region names its own {what} with their shares "
                "(see docs/your_city.md)"
            )
        if len(shares) > MAX_CATEGORIES:
            raise ConfigError(f"{where}.{key} has {len(shares)} {what}; at most {MAX_CATEGORIES}")
        _check_shares(shares, tuple(shares), f"{where}.{key}")
    industries, zones = list(pop.industry_shares), list(pop.zone_shares)
    if pop.catch_all_industry and pop.catch_all_industry not in industries:
        raise ConfigError(
            f"{where}.catch_all_industry={pop.catch_all_industry!r} is not an industry; allowed: "
            f"{industries} or '' (none)"
        )
    if len([i for i in industries if i != pop.catch_all_industry]) == 0:
        raise ConfigError(f"{where}.industry_shares has no industry besides the catch-all one")
    for role, zone in pop.special_zones.items():
        if role not in SPECIAL_ZONES:
            raise ConfigError(
                f"{where}.special_zones has role {role!r}; allowed: {list(SPECIAL_ZONES)}"
            )
        if zone not in zones:
            raise ConfigError(
                f"{where}.special_zones.{role}={zone!r} is not a zone; allowed: {zones}"
            )
    if pop.centre_arrival_zone and pop.centre_arrival_zone not in zones:
        raise ConfigError(
            f"{where}.centre_arrival_zone={pop.centre_arrival_zone!r} is not a zone; allowed: "
            f"{zones} or '' (spread by zone_shares)"
        )
    for name in pop.initial_clusters:
        if name not in industries or name == pop.catch_all_industry:
            allowed = [i for i in industries if i != pop.catch_all_industry]
            raise ConfigError(f"{where}.initial_clusters has {name!r}; allowed: {allowed}")


def _check_posterior_owner(region: RegionConfig) -> None:
    """A posterior is used only by the region it was calibrated for."""
    if region.posterior_file and region.calibrated_for != region.name:
        owner = region.calibrated_for or "an unnamed region"
        raise ConfigError(
            f"region.posterior_file={region.posterior_file!r} was calibrated for {owner}, not for "
            f"region {region.name!r}; set region.posterior_file='' (and say so) or calibrate "
            f"{region.name} (python -m scenarios.calibrate region={region.name} "
            "calibration.install=true)"
        )


def inherited_parameters(region: RegionConfig) -> list[str]:
    """Parameters whose value rests on another city: its figures or its calibration.

    A parameter is inherited when (a) the region keeps a default whose source is another city's
    figure or calibration (:func:`agents.params.source_city`) and its own calibration did not set
    it, or (b) its values come from another region's calibration (``calibrated_for``).

    Returns:
        ``"<dotted name> (<city>: <source>)"`` lines, sorted.
    """
    from agents.params import source_city

    own = set(region.calibrated_parameters) if region.calibrated_for == region.name else set()
    out = []
    if region.calibrated_for and region.calibrated_for != region.name:
        out += [f"{n} ({region.calibrated_for}: calibrated)" for n in region.calibrated_parameters]
    defaults = {name: value for name, value, _ in documented_fields(RegionConfig(), "region.")}
    for name, value, meta in documented_fields(region, "region."):
        city = source_city(meta)
        if not city or city == region.name or name in own or name in region.calibrated_parameters:
            continue
        if value == defaults.get(name):
            out.append(f"{name} ({city}: {meta['source']})")
    return sorted(set(out))


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
        "wave_size",
        "posterior_size",
        "check_sets",
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
    if cal.implausibility_cut <= 0:
        raise ConfigError(f"calibration.implausibility_cut={cal.implausibility_cut} must be > 0")
    if cal.implausibility_rank not in (1, 2):
        rank = cal.implausibility_rank
        raise ConfigError(f"calibration.implausibility_rank={rank}; allowed: 1, 2")
    bad = {k: v for k, v in cal.discrepancy.items() if not (isinstance(v, int | float) and v >= 0)}
    if bad or "default" not in cal.discrepancy:
        raise ConfigError(
            "calibration.discrepancy needs a 'default' and values >= 0; got "
            f"{dict(cal.discrepancy)}"
        )
    unknown_disc = [k for k in cal.discrepancy if k != "default" and k not in KPI_IDS]
    if unknown_disc:
        raise ConfigError(f"calibration.discrepancy has {unknown_disc}; allowed: {list(KPI_IDS)}")


def reference_policy(cfg: SimConfig) -> LeverConfig:
    """The policy in force at the end of the base year, from ``region.policy_timeline``.

    Behaviour responds to lever changes relative to this policy (the one it was observed under).

    Raises:
        ConfigError: the timeline is empty, invalid or starts after the base year.
    """
    reg = cfg.region
    if not reg.policy_timeline:
        raise ConfigError(
            "region.policy_timeline is empty: a region must state the policy in force from its "
            "base year on (see conf/region/changsha.yaml)"
        )
    timeline = resolve_timeline(reg.policy_timeline, tuple(reg.config_dirs))
    reference = state_at(timeline, reg.base_year, 4)
    if reference is None:
        first = reg.policy_timeline[0]
        raise ConfigError(
            f"region.policy_timeline starts in {first.start_year} Q{first.start_quarter}, after "
            f"region.base_year={reg.base_year}; it must cover the base year"
        )
    return reference


def check_origins(val: ValidationConfig, cal: CalibrationConfig) -> None:
    """Back-test origins lie after the calibration's base year.

    Checked by the validate command, so a run or a calibration with another base year is not
    refused for them.

    Raises:
        ConfigError: an origin at or before ``calibration.base_year``.
    """
    early = [o for o in val.origins if o <= cal.base_year]
    if early:
        raise ConfigError(
            f"validation.origins {early} must be after calibration.base_year={cal.base_year}"
        )


def _check_validation(val: ValidationConfig, cal: CalibrationConfig) -> None:
    """Origins, lead, ensemble size and the exogenous mode of the rolling-origin back-tests."""
    if not val.origins:
        raise ConfigError("validation.origins is empty; give at least one origin year")
    for name in ("lead_years", "replicates", "people_per_agent"):
        if getattr(val, name) < 1:
            raise ConfigError(f"validation.{name}={getattr(val, name)} must be >= 1")
    if val.exogenous not in VALIDATION_EXOGENOUS:
        raise ConfigError(
            f"validation.exogenous={val.exogenous!r}; allowed: {list(VALIDATION_EXOGENOUS)}"
        )


# ---------------------------------------------------------------------------------------------
# Keys: every key of a config is a field of its schema (with or without Hydra's ``+``)


def _children_type(tp: Any, key: str) -> tuple[bool, Any]:
    """Whether ``key`` may appear under a node of type ``tp``, and the type of its value."""
    if tp is Any or tp is None:
        return True, Any
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return key in hints and key in {f.name for f in dataclasses.fields(tp)}, hints.get(key)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp in (list, tuple) or origin in (list, tuple):
        return str(key).lstrip("-").isdigit(), args[0] if args else Any
    if tp is dict or origin is dict:
        return True, args[1] if len(args) == 2 else Any
    return False, None


def _unknown_key(path: list[str], key: str, tp: Any, given: str = "") -> str:
    """One line: the unknown key, the closest allowed one and every allowed key of its group.

    ``given`` is the whole key the user wrote when the unknown part is above its leaf (it is
    named too); under ``region.behaviour`` the line points to the table of moved parameters.
    """
    where = ".".join(path) or "the config"
    full = ".".join([*path, str(key)])
    if given and given != full:
        full = f"{full} (in {given})"
    moved = path[:2] == ["region", "behaviour"]
    tail = "; parameter paths that moved are listed in docs/model.md section 10" if moved else ""
    if not dataclasses.is_dataclass(tp):
        kind = "a list" if tp in (list, tuple) or typing.get_origin(tp) in (list, tuple) else ""
        return f"unknown key {full}: {where} is {kind or 'a single value'}; it has no key {key!r}"
    allowed = [f.name for f in dataclasses.fields(tp)]
    close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
    hint = f" (did you mean {'.'.join([*path, close[0]])}?)" if close else ""
    return f"unknown key {full}{hint}; allowed keys of {where}: {', '.join(allowed)}{tail}"


def key_error(dotted: str, schema: type | None = None) -> str | None:
    """Why a dotted config key (a Hydra override's key) is not in the schema, or None if it is.

    Args:
        dotted: e.g. ``"levers.rd_post_subsidy_rate"`` or ``"targets.targets.0.year"``.
        schema: The dataclass the key starts from (default :class:`SimConfig`).

    Returns:
        One line naming the key, the closest allowed key and the allowed keys of its group.
    """
    tp: Any = SimConfig if schema is None else schema
    path: list[str] = []
    for part in dotted.split("."):
        ok, child = _children_type(tp, part)
        if not ok:
            return _unknown_key(path, part, tp, dotted)
        path.append(part)
        tp = child
    return None


def _first_leaf(node: Any, path: tuple[str, ...]) -> tuple[str, ...]:
    """The dotted path of the first value under ``node`` (the key a user actually wrote)."""
    while isinstance(node, dict | DictConfig) and len(node):
        key = next(iter(node.keys()))
        path = (*path, str(key))
        node = node._get_node(key) if isinstance(node, DictConfig) else node[key]
    return path


def check_keys(node: Any, tp: Any = None, path: tuple[str, ...] = ()) -> None:
    """Refuse any key of a composed config that its schema does not declare.

    Hydra's ``+key=value`` adds keys to a structured config; without this check OmegaConf would
    merge them and :func:`OmegaConf.to_object` drop them, so the run would go on without them.

    Raises:
        ConfigError: one line naming the key, the closest match and the allowed keys.
    """
    tp = SimConfig if tp is None and not path else tp
    if isinstance(node, dict | DictConfig):
        keys = list(node.keys())
        for key in keys:
            if not path and key == "hydra":
                continue
            ok, child = _children_type(tp, str(key))
            value = node._get_node(key) if isinstance(node, DictConfig) else node[key]
            if not ok:
                given = ".".join(_first_leaf(value, (*path, str(key))))
                raise ConfigError(_unknown_key(list(path), str(key), tp, given))
            check_keys(value, child, (*path, str(key)))
    elif isinstance(node, list | tuple | ListConfig):
        _, child = _children_type(tp if tp not in (None, Any) else list, "0")
        for i in range(len(node)):
            value = node._get_node(i) if isinstance(node, ListConfig) else node[i]
            check_keys(value, child, (*path, str(i)))


# ---------------------------------------------------------------------------------------------
# Bounds that depend on the region or combine fields

MAX_REPLICATES = 10_000
"""Largest ensemble of one run: every replicate's tables are held in memory until written (about
50 kB each); larger ensembles are several runs with different ``run.seed``."""
MAX_ASSIMILATION_PATHS = 64
"""Most candidate paths per replicate (``run.assimilation_paths``)."""
WORKERS_PER_CORE = 8
"""``run.workers`` may be at most this many local processes per core (each holds a population)."""
POSITIVE = (
    "firm.rd_cost_per_fte_yuan",
    "fund.ticket_yuan",
    "fund.sub_fund_size_yuan",
    "fund.loan_size_yuan",
    "rd_centres.centre_upgrade_award_half_yuan",
    "rd_centres.arrival_rd_intensity",
    "talent.subsidy_horizon_years",
)
"""Behavioural parameters that rules divide by: they must be > 0, not just >= 0."""
BELOW_ONE = ("firm.relabel_share_hte",)
"""Shares that rules divide by ``1 - share``: they must be < 1."""


@lru_cache(maxsize=16)
def _gdp_from_file(
    path: str,
    mtime_ns: int,
    column: str,
    config_dirs: tuple[str, ...] = (),
    estimates: tuple = (),
) -> float:
    """GDP (yuan) of the data file at the resolved ``path``; cached by path and modification time.

    ``estimates`` is ``(reference_region, reference_data_file, sorted by items, widen)``: the
    file must load as the run will load it (GDP itself is never estimated).
    """
    from sim.region import load_base_state

    ref_region, ref_file, by, widen = estimates or ("", "", (), EstimateConfig().widen)
    region = RegionConfig(
        data_file=path,
        base_state=column,
        config_dirs=list(config_dirs),
        estimates=EstimateConfig(ref_region, ref_file, dict(by), widen),
    )
    return load_base_state(region)["gdp"]


def base_year_gdp(region: RegionConfig) -> float | None:
    """Base-year GDP of the region in yuan, or None when its data file cannot be read yet.

    A missing or broken data file is reported by :func:`sim.region.load_base_state` itself.
    """
    from sim.region import data_path

    try:
        path = data_path(region).resolve()
        stat = path.stat()
        est = region.estimates
        estimates = (
            est.reference_region,
            est.reference_data_file,
            tuple(sorted(dict(est.by or {}).items())),
            float(est.widen),
        )
        dirs = tuple(str(d) for d in region.config_dirs)
        return _gdp_from_file(str(path), stat.st_mtime_ns, region.base_state, dirs, estimates)
    except (OSError, ConfigError):
        return None


def _check_money(levers: LeverConfig, where: str, gdp: float, region: RegionConfig) -> None:
    """Money levers against their bound: ``gdp_multiple`` x the region's base-year GDP."""
    for name, value, meta in documented_fields(levers, f"{where}."):
        multiple = meta.get("gdp_multiple")
        if multiple is None:
            continue
        bound = multiple * gdp
        for suffix, v in _numbers(value):
            if isinstance(v, int | float) and not isinstance(v, bool) and v > bound:
                raise ConfigError(
                    f"{name}{suffix}={v:.6g} is above the allowed maximum {bound:.3g} "
                    f"{meta['unit']} ({multiple:g} x base-year GDP {gdp:.3g} yuan of "
                    f"{region.name} {region.base_year})"
                )


def _check_timing(cfg: SimConfig) -> None:
    """The scenario's start lies within the simulated years (unless it is not what runs).

    Skipped when the base-year policy is the scenario or the policy timeline runs throughout
    (``run.policy=timeline``, e.g. calibration and back-tests): the scenario's levers never apply.
    """
    first, last = cfg.region.base_year + 1, cfg.run.horizon
    lv = cfg.levers
    if lv == cfg.reference_levers or cfg.run.policy == "timeline":
        return  # the scenario is not what runs: its start changes nothing
    if not first <= lv.start_year <= last:
        raise ConfigError(
            f"levers.start_year={lv.start_year} must be within the simulated years {first}-{last} "
            f"(region.base_year + 1 to run.horizon); otherwise the levers never take effect"
        )


def _check_formulas(cfg: SimConfig) -> None:
    """Combinations that make a rule's formula undefined (a division by zero)."""
    for lv, where in ((cfg.levers, "levers"), (cfg.reference_levers, "reference_levers")):
        for name in ("standard_tax_rate", "hte_tax_rate"):
            rate = getattr(lv, name)
            if rate >= 1.0:
                raise ConfigError(
                    f"{where}.{name}={rate} makes the user cost of R&D undefined (it divides by "
                    f"1 - tax rate; super_deduction_rate={lv.super_deduction_rate}); allowed: "
                    "0 <= rate < 1"
                )
    b = cfg.region.behaviour
    for dotted in POSITIVE:
        group, name = dotted.split(".")
        if getattr(getattr(b, group), name) <= 0:
            raise ConfigError(
                f"region.behaviour.{dotted}={getattr(getattr(b, group), name)} must be > 0 "
                "(a rule divides by it)"
            )
    for dotted in BELOW_ONE:
        group, name = dotted.split(".")
        if getattr(getattr(b, group), name) >= 1:
            raise ConfigError(
                f"region.behaviour.{dotted}={getattr(getattr(b, group), name)} must be < 1 "
                "(a rule divides by 1 - share)"
            )


def _check_run(cfg: SimConfig) -> None:
    run = cfg.run
    if run.replicates > MAX_REPLICATES:
        raise ConfigError(
            f"run.replicates={run.replicates} is above the allowed maximum {MAX_REPLICATES} (every "
            "replicate's results are held in memory); split it into runs with different run.seed"
        )
    cores = os.cpu_count() or 1
    if cfg.executor.kind == "local" and run.workers > WORKERS_PER_CORE * cores:
        raise ConfigError(
            f"run.workers={run.workers} is more than {WORKERS_PER_CORE} processes per core "
            f"({cores} cores here); allowed: 0 (all cores) to {WORKERS_PER_CORE * cores}"
        )
    if not 1 <= run.assimilation_paths <= MAX_ASSIMILATION_PATHS:
        raise ConfigError(
            f"run.assimilation_paths={run.assimilation_paths} must be in "
            f"[1, {MAX_ASSIMILATION_PATHS}] (candidate paths per replicate)"
        )
    if run.assimilate and run.assimilation_paths * run.replicates > MAX_REPLICATES:
        raise ConfigError(
            f"run.assimilation_paths x run.replicates = "
            f"{run.assimilation_paths * run.replicates} is above {MAX_REPLICATES} pool particles; "
            "lower one of them or set run.assimilate=false"
        )
    if cfg.executor.ray_connect_timeout_s <= 0:
        raise ConfigError(
            f"executor.ray_connect_timeout_s={cfg.executor.ray_connect_timeout_s} must be > 0"
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
    cfg.reference_levers = reference_policy(cfg)
    validate(cfg.reference_levers, "reference_levers.")
    pop = cfg.region.population
    _check_structure(pop)
    _check_shares(pop.ownership_shares, OWNERSHIPS, "region.population.ownership_shares")
    _check_shares(pop.tier_shares, TIERS, "region.population.tier_shares")
    t = cfg.region.behaviour.talent
    for key in ("leave_rate_base", "wage_yuan_per_year", "housing_need_m2", "promotion_rate"):
        if set(getattr(t, key)) != set(TIERS):
            raise ConfigError(f"region.behaviour.talent.{key} must have keys {list(TIERS)}")
    if cfg.region.base_state not in ("value", "low", "high"):
        raise ConfigError(
            f"region.base_state={cfg.region.base_state!r}; allowed: 'value', 'low', 'high'"
        )
    _check_exogenous(cfg.region.exogenous)
    _check_posterior_owner(cfg.region)
    cfg.region.inherited_parameters = inherited_parameters(cfg.region)
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
    if run.policy not in POLICY_SOURCES:
        raise ConfigError(f"run.policy={run.policy!r}; allowed: {list(POLICY_SOURCES)}")
    if cfg.mode not in MODES:
        raise ConfigError(f"mode={cfg.mode!r}; allowed: {list(MODES)}")
    _check_run(cfg)
    _check_timing(cfg)
    _check_formulas(cfg)
    gdp = base_year_gdp(cfg.region)
    if gdp is not None:
        for lv, where in ((cfg.levers, "levers"), (cfg.reference_levers, "reference_levers")):
            _check_money(lv, where, gdp, cfg.region)
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
    check_keys(cfg)
    schema = OmegaConf.structured(SimConfig)
    try:
        merged = OmegaConf.merge(schema, cfg)
        _fill_config_dirs(merged)
        obj = OmegaConf.to_object(merged)
    except ConfigError:
        raise
    except Exception as err:  # omegaconf errors carry key and type; keep the first line
        raise ConfigError(str(err).splitlines()[0]) from err
    _refuse_reference_overrides(obj)
    _refuse_foreign_targets(obj)
    return check(obj)


def _fill_config_dirs(cfg: DictConfig) -> None:
    """``region.config_dirs`` from the running Hydra app's search path, unless given."""
    from sim.paths import hydra_config_dirs

    if not cfg.region.config_dirs:
        cfg.region.config_dirs = hydra_config_dirs()


def _refuse_foreign_targets(cfg: SimConfig) -> None:
    """A region is scored only against its own targets, and brings them.

    A region config selects its targets file in its defaults list
    (``- /targets@_global_.targets: <region>``); a ``targets=<name>`` override must name a file
    of the same region (``name: <region>``).
    """
    name, region = cfg.targets.name, cfg.region.name
    if name == TargetsConfig.name:
        raise ConfigError(
            f"region {region!r} brings no targets: add '- /targets@_global_.targets: {region}' to "
            f"the defaults of its region config and write targets/{region}.yaml (name: {region})"
        )
    if name != region:
        raise ConfigError(
            f"targets={name} are the targets of {name!r}, not of region {region!r}; choose "
            f"targets={region} (a targets file with name: {region})"
        )


def _refuse_reference_overrides(cfg: SimConfig) -> None:
    """``reference_levers`` is derived from the policy timeline: a value set by hand is refused.

    The derived policy itself (a run's saved ``config.yaml`` read back) and the schema default
    (nothing given) are accepted.
    """
    given = dataclasses.asdict(cfg.reference_levers)
    derived = dataclasses.asdict(reference_policy(cfg))
    if given in (dataclasses.asdict(LeverConfig()), derived):
        return
    default = dataclasses.asdict(LeverConfig())
    changed = [k for k in given if k != "name" and given[k] not in (default[k], derived[k])]
    field_name = changed[0] if changed else "name"
    raise ConfigError(
        f"reference_levers.{field_name}={given[field_name]!r} cannot be set: the reference policy "
        "is derived from region.policy_timeline (the policy in force at the end of "
        "region.base_year); change the timeline instead"
    )
