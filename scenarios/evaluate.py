"""Evaluate lever settings for experiments: one ensemble per setting, summarised.

Every setting of an experiment runs the same replicate seeds and parameter draws (common random
numbers), so differences between settings are lever effects. Used by sensitivity analysis,
scenario discovery and optimisation; each needs "probability of reaching the chosen targets" and
"public cost" for a vector of factor values.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from sim.compose import load_config
from sim.config import ConfigError, SimConfig, TargetSpec, check
from sim.ensemble import run_ensemble
from sim.posterior import with_params
from sim.targets import reachability


def parse_targets(cfg: SimConfig, specs: list[str]) -> list[TargetSpec]:
    """Targets named ``"<id>@<year>"`` (e.g. ``"talent@2025"``) in the config's targets group.

    Raises:
        ConfigError: for a malformed or unknown target, listing the allowed ones.
    """
    known = {f"{t.id}@{t.year}": t for t in cfg.targets.targets}
    out = []
    for spec in specs:
        if spec not in known:
            raise ConfigError(f"experiment.targets has {spec!r}; allowed: {sorted(known)}")
        out.append(known[spec])
    return out


def experiment_config(overrides: list[str] | tuple[str, ...] = ()) -> SimConfig:
    """The base config of an experiment: run settings taken from ``experiment.*``.

    Experiments compare settings under common random numbers, so none is conditioned on the
    observations (``run.assimilate=false``): only settings equal to the policy timeline could be,
    and the comparison would mix the conditioning with the levers' effects.
    """
    cfg = load_config(list(overrides))
    exp = cfg.experiment
    run = replace(
        cfg.run,
        replicates=exp.replicates,
        people_per_agent=exp.people_per_agent,
        horizon=exp.horizon,
        progress=False,
        plots=False,
        assimilate=False,
    )
    return check(replace(cfg, run=run))


def with_factors(cfg: SimConfig, values: dict[str, float]) -> SimConfig:
    """``cfg`` with the factor values set (validated).

    The factors are also marked as fixed, so a replicate's draw from the calibrated posterior
    does not overwrite a factor that is a calibrated parameter.
    """
    out = with_params(cfg, list(values), list(values.values()))
    fixed = sorted(set(out.run.fixed_parameters) | set(values))
    return check(replace(out, run=replace(out.run, fixed_parameters=fixed)))


@dataclass
class SettingResult:
    """One evaluated setting."""

    values: dict[str, float]
    kpis: pd.DataFrame
    reachability: pd.DataFrame
    joint_probability: float
    yearly_local_cost_yuan: float
    errors: list[str] = field(default_factory=list)


def joint_reach(kpis: pd.DataFrame, targets: list[TargetSpec]) -> np.ndarray:
    """Per replicate: whether every one of ``targets`` is reached (boolean array by replicate)."""
    ok = None
    for t in targets:
        sel = kpis[(kpis.kpi == t.kpi) & (kpis.year == t.year)].set_index("replicate")["value"]
        hit = sel >= t.threshold
        ok = hit if ok is None else ok & hit
    return np.asarray(ok.sort_index()) if ok is not None else np.zeros(0, bool)


def yearly_local_cost(costs: pd.DataFrame, base_year: int) -> float:
    """Mean yearly local public cost (yuan) over the run, averaged over replicates."""
    local = costs[~costs.lever.str.startswith("national_") & (costs.year > base_year)]
    per_rep = local.groupby(["replicate", "year"])["yuan"].sum().groupby("replicate").mean()
    return float(per_rep.mean()) if len(per_rep) else 0.0


def evaluate(cfg: SimConfig, values: dict[str, float] | None = None) -> SettingResult:
    """Run the ensemble of one setting and summarise it.

    Args:
        cfg: Experiment base config (see :func:`experiment_config`).
        values: Factor values to set, by config key.

    Returns:
        KPIs, reachability of every target, the joint probability of the experiment's targets
        and the mean yearly local cost.
    """
    values = dict(values or {})
    run_cfg = with_factors(cfg, values) if values else cfg
    result = run_ensemble(run_cfg, progress=False)
    chosen = parse_targets(cfg, list(cfg.experiment.targets))
    joint = joint_reach(result.kpis, chosen)
    return SettingResult(
        values=values,
        kpis=result.kpis,
        reachability=reachability(result.kpis, cfg.targets.targets),
        joint_probability=float(joint.mean()) if len(joint) else 0.0,
        yearly_local_cost_yuan=yearly_local_cost(result.costs, cfg.region.base_year),
        errors=list(result.errors),
    )
