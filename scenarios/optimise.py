"""The cheapest lever mix that reaches the chosen targets: a multi-objective Optuna study.

``python -m scenarios.optimise [overrides]`` searches the ranges of ``experiment.factors`` for
settings that are cheap (mean yearly LOCAL public cost, minimised) and likely to reach every one of
``experiment.targets`` (joint probability over replicates, maximised). Every trial runs one ensemble
through :func:`scenarios.evaluate.evaluate`, with common random numbers.

Feasibility: a trial is *feasible* when its mean yearly local cost is within
``experiment.budget_cap_yuan`` (0 = no cap). The cap is an Optuna constraint (each trial calls
``trial.set_constraint``; the TPE sampler and ``study.best_trials`` honour it), not a penalty, so
costs and probabilities stay as simulated. The *best* trial
is the cheapest feasible one with P(all targets) >= ``experiment.min_probability``. The Pareto
front (``pareto.csv``) is the set of non-dominated feasible trials, above and below the threshold,
so it shows what probability each cost buys.

The study lives in an Optuna storage (default: ``sqlite:///<run dir>/optuna.db``). With
``experiment.storage=sqlite:////abs/path.db`` and the same ``experiment.study_name`` a second
invocation continues the study: ``experiment.samples`` new trials are added to those stored, and
every output covers all trials. ``experiment.samples=0`` only re-exports the outputs. A study
remembers the settings that give its probabilities a meaning (targets, replicates, talent scale,
horizon, seed, model config); resuming it with different ones is refused.

A model error in one trial is caught and logged, the trial returns NaN and Optuna marks it FAIL;
the study goes on.

Examples:
    python -m scenarios.optimise
    python -m scenarios.optimise experiment=optimise_small
    python -m scenarios.optimise experiment.samples=40 experiment.budget_cap_yuan=5e9 \
        experiment.storage=sqlite:////data/studies.db experiment.study_name=talent_2025
"""

from __future__ import annotations

import hashlib
import logging
import math
import shlex
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from operator import attrgetter
from pathlib import Path

import hydra
import numpy as np
import optuna
import pandas as pd
import yaml
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from scenarios.evaluate import evaluate, experiment_config, parse_targets, with_factors
from sim.compose import register_schema, to_yaml
from sim.config import ConfigError, ExecutorConfig, ExperimentConfig, Factor, SimConfig
from sim.region import load_base_state
from sim.rundir import atomic_write

log = logging.getLogger("scenarios.optimise")
register_schema()

COST_UNIT = 1e8
"""Objective and plot unit of cost: 100 million yuan (yi yuan) per year."""
DIRECTIONS = ("minimize", "maximize")
"""Objectives: yearly local cost (100m yuan), joint probability of the targets."""
COST = "cost_yuan_per_year"
PROB = "joint_probability"
OUTPUT_FILES = ("trials.csv", "pareto.csv", "best.yaml", "pareto.png")
TRIAL_STYLE = {"s": 18, "color": "0.55", "label": "trials", "zorder": 2}
OVER_STYLE = {
    "s": 30,
    "marker": "x",
    "color": "tab:orange",
    "label": "over budget cap",
    "zorder": 3,
}
TRIAL_FIELDS = ("number", "state", COST, PROB, "origin", "error")

# ---------------------------------------------------------------------------------------------
# Validation and study settings


def check_experiment(cfg: SimConfig) -> list[Factor]:
    """Check the optimisation settings before any trial runs.

    Every factor must be a numeric config field whose low and high values pass validation.

    Args:
        cfg: Experiment base config.

    Returns:
        The factors.

    Raises:
        ConfigError: one line naming the setting and what is allowed.
    """
    exp = cfg.experiment
    if not exp.factors:
        raise ConfigError("experiment.factors is empty; give at least one {name, low, high}")
    names = [f.name for f in exp.factors]
    if len(set(names)) != len(names):
        raise ConfigError(f"experiment.factors has duplicate names: {names}")
    for f in exp.factors:
        _check_factor(cfg, f)
    if not exp.targets:
        raise ConfigError("experiment.targets is empty; give at least one '<target id>@<year>'")
    parse_targets(cfg, list(exp.targets))
    if not 0.0 < exp.min_probability <= 1.0:
        raise ConfigError(f"experiment.min_probability={exp.min_probability} must be in (0, 1]")
    if exp.samples < 0:
        raise ConfigError(f"experiment.samples={exp.samples} must be >= 0 (new trials)")
    if exp.budget_cap_yuan < 0:
        raise ConfigError(f"experiment.budget_cap_yuan={exp.budget_cap_yuan} must be >= 0")
    if not exp.study_name:
        raise ConfigError("experiment.study_name is empty")
    return list(exp.factors)


def _check_factor(cfg: SimConfig, factor: Factor) -> None:
    if not factor.low < factor.high:
        raise ConfigError(
            f"experiment.factors: {factor.name} has low={factor.low} >= high={factor.high}"
        )
    try:
        for value in (factor.low, factor.high):
            with_factors(cfg, {factor.name: value})
    except ConfigError as err:
        raise ConfigError(f"experiment.factors: {err}") from err


def study_settings(cfg: SimConfig) -> dict:
    """What gives a study's probabilities and costs their meaning (checked when resuming)."""
    exp = cfg.experiment
    model = replace(
        cfg,
        experiment=ExperimentConfig(),
        executor=ExecutorConfig(),
        run=replace(cfg.run, workers=0, progress=False, plots=False),
    )
    return {
        "targets": list(exp.targets),
        "replicates": cfg.run.replicates,
        "people_per_agent": cfg.run.people_per_agent,
        "horizon": cfg.run.horizon,
        "seed": cfg.run.seed,
        "config_sha": hashlib.sha256(to_yaml(model).encode()).hexdigest()[:12],
    }


def storage_url(storage: str, out_dir: Path) -> str:
    """The Optuna storage URL: ``storage`` or an SQLite file ``optuna.db`` in the run dir."""
    url = storage or f"sqlite:///{Path(out_dir).resolve() / 'optuna.db'}"
    if url.startswith("sqlite:///") and ":memory:" not in url:
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return url


# ---------------------------------------------------------------------------------------------
# The study


def make_sampler(exp: ExperimentConfig, n_done: int) -> optuna.samplers.TPESampler:
    """Multi-objective TPE; it reads the budget constraint each trial sets (``set_constraint``).

    The seed depends on ``experiment.seed`` and the trials already stored, so a resumed study
    does not replay the random start-up points of the first invocation.
    """
    seed = int(np.random.SeedSequence([exp.seed, n_done]).generate_state(1)[0])
    return optuna.samplers.TPESampler(
        seed=seed,
        n_startup_trials=min(10, max(4, 2 * len(exp.factors))),
    )


def open_study(url: str, name: str, settings: dict) -> optuna.Study:
    """Create the study or load it to continue; refuse one run with other settings.

    Raises:
        ConfigError: unusable storage, or a stored study with other directions or settings.
    """
    try:
        study = optuna.create_study(
            storage=url, study_name=name, directions=list(DIRECTIONS), load_if_exists=True
        )
    except Exception as err:  # storage URL errors come from SQLAlchemy and Optuna alike
        raise ConfigError(f"experiment.storage={url!r}: {str(err).splitlines()[0]}") from err
    directions = tuple(d.name.lower() for d in study.directions)
    if directions != DIRECTIONS:
        raise ConfigError(f"study {name!r} in {url} has directions {directions}, not {DIRECTIONS}")
    stored = study.user_attrs.get("settings")
    if stored is None:
        study.set_user_attr("settings", settings)
    elif stored != settings:
        diff = {k: (stored.get(k), v) for k, v in settings.items() if stored.get(k) != v}
        raise ConfigError(
            f"study {name!r} in {url} was run with other settings (stored, now): {diff}; "
            "use the same settings or another experiment.study_name"
        )
    return study


def make_objective(
    cfg: SimConfig, factors: list[Factor]
) -> Callable[[optuna.Trial], tuple[float, float]]:
    """The objective: (yearly local cost in 100m yuan, joint probability); NaN on model error.

    The budget cap is an Optuna constraint, ``(cost - cap) / 1e8 <= 0``; Optuna's samplers and
    ``study.best_trials`` treat a trial over the cap as infeasible.
    """
    wanted, cap = cfg.run.replicates, cfg.experiment.budget_cap_yuan

    def objective(trial: optuna.Trial) -> tuple[float, float]:
        values = {f.name: trial.suggest_float(f.name, f.low, f.high) for f in factors}
        try:
            result = evaluate(cfg, values)
        except Exception as err:  # one failing setting must not stop the study
            message = f"{type(err).__name__}: {err}".splitlines()[0]
            trial.set_user_attr("error", message)
            trial.set_user_attr("traceback", traceback.format_exc()[-4000:])
            log.warning("trial %d failed (%s); the study goes on", trial.number, message)
            return math.nan, math.nan
        cost, prob = result.yearly_local_cost_yuan, result.joint_probability
        done = int(result.kpis["replicate"].nunique())
        if done < wanted:
            log.warning("trial %d: only %d of %d replicates ran", trial.number, done, wanted)
        trial.set_user_attr(COST, cost)
        trial.set_user_attr(PROB, prob)
        trial.set_user_attr("replicates_ok", done)
        trial.set_user_attr("feasible", within_cap(cost, cap))
        trial.set_constraint("budget_cap", (cost - cap) / COST_UNIT if cap > 0 else 0.0)
        return cost / COST_UNIT, prob

    return objective


def within_cap(cost_yuan: float, cap_yuan: float) -> bool:
    """Whether a yearly cost is within the budget cap (a cap <= 0 means none)."""
    return bool(cap_yuan <= 0 or cost_yuan <= cap_yuan)


def enqueue_base(study: optuna.Study, cfg: SimConfig, factors: list[Factor]) -> bool:
    """Queue the base config's own factor values as the first trial when all lie in range."""
    base = {f.name: float(attrgetter(f.name)(cfg)) for f in factors}
    if not all(f.low <= base[f.name] <= f.high for f in factors):
        return False
    study.enqueue_trial(base, user_attrs={"origin": "base config"})
    return True


# ---------------------------------------------------------------------------------------------
# Pure helpers on the trials table


def trials_table(study: optuna.Study, factors: list[Factor], exp: ExperimentConfig) -> pd.DataFrame:
    """One row per trial: factor values, cost, probability, feasibility, state, error."""
    trials = study.get_trials(deepcopy=False)
    names = [f.name for f in factors]
    params = pd.DataFrame([t.params for t in trials], index=range(len(trials)))
    params = params.reindex(columns=names + [c for c in params.columns if c not in names])
    info = pd.DataFrame([_trial_row(t) for t in trials], columns=list(TRIAL_FIELDS))
    table = pd.concat([info[["number", "state"]], params, info.iloc[:, 2:]], axis=1)
    return mark_feasible(table, exp.budget_cap_yuan, exp.min_probability)


def _trial_row(trial: optuna.trial.FrozenTrial) -> dict:
    attrs = trial.user_attrs
    return {
        "number": trial.number,
        "state": trial.state.name,
        COST: attrs.get(COST, math.nan),
        PROB: attrs.get(PROB, math.nan),
        "origin": attrs.get("origin", "sampler"),
        "error": attrs.get("error", ""),
    }


def mark_feasible(table: pd.DataFrame, cap_yuan: float, min_probability: float) -> pd.DataFrame:
    """Add ``cost_100m_yuan_per_year``, ``feasible`` (complete, within the cap) and ``reaches``.

    Args:
        table: Trials with ``state``, ``cost_yuan_per_year`` and ``joint_probability``.
        cap_yuan: Budget cap on the mean yearly local cost; <= 0 means none.
        min_probability: Threshold on the joint probability.

    Returns:
        A copy with the three columns (re)computed for the current cap and threshold.
    """
    out = table.copy()
    done = (out["state"] == "COMPLETE") & out[COST].notna() & out[PROB].notna()
    cost = out[COST].astype(float)
    out["cost_100m_yuan_per_year"] = cost / COST_UNIT
    out["feasible"] = done & ((cap_yuan <= 0) | (cost <= cap_yuan))
    out["reaches"] = out["feasible"] & (out[PROB].astype(float) >= min_probability)
    return out


def pareto_front(table: pd.DataFrame) -> pd.DataFrame:
    """Non-dominated feasible trials (lower cost, higher probability), cheapest first.

    A trial is dominated when another feasible trial costs no more and reaches at least the same
    probability, and is strictly better in one of them. Exact ties all stay on the front.
    """
    feas = table[table["feasible"]]
    cost = feas[COST].to_numpy(float)
    prob = feas[PROB].to_numpy(float)
    keep = [
        not np.any((cost <= c) & (prob >= p) & ((cost < c) | (prob > p)))
        for c, p in zip(cost, prob, strict=True)
    ]
    return feas[np.asarray(keep, dtype=bool)].sort_values(
        [COST, PROB, "number"], ascending=[True, False, True]
    )


def select_best(table: pd.DataFrame, min_probability: float) -> pd.Series | None:
    """The cheapest feasible trial with joint probability >= ``min_probability``, or None.

    Ties in cost go to the higher probability, then to the earlier trial.
    """
    ok = table[table["feasible"] & (table[PROB] >= min_probability)]
    if ok.empty:
        return None
    return ok.sort_values([COST, PROB, "number"], ascending=[True, False, True]).iloc[0]


def closest(table: pd.DataFrame) -> pd.Series | None:
    """The feasible trial with the highest probability (cheapest among equals), or None."""
    feas = table[table["feasible"]]
    if feas.empty:
        return None
    return feas.sort_values([PROB, COST, "number"], ascending=[False, True, True]).iloc[0]


# ---------------------------------------------------------------------------------------------
# Outputs


def factor_overrides(row: pd.Series, factors: list[Factor]) -> list[str]:
    """Hydra overrides setting the factors to a trial's values."""
    return [f"{f.name}={float(row[f.name])!r}" for f in factors if pd.notna(row.get(f.name))]


def run_overrides(overrides: Sequence[str]) -> list[str]:
    """The invocation's overrides that shape the model (experiment settings dropped)."""
    return [o for o in overrides if not o.lstrip("+~").startswith("experiment")]


def best_document(
    table: pd.DataFrame, factors: list[Factor], cfg: SimConfig, overrides: Sequence[str], url: str
) -> dict:
    """The content of ``best.yaml``: the cheapest setting reaching the threshold, or a message."""
    exp = cfg.experiment
    best = select_best(table, exp.min_probability)
    doc = {
        "study": {"name": exp.study_name, "storage": url, "trials": int(len(table))},
        "targets": list(exp.targets),
        "min_probability": exp.min_probability,
        "budget_cap_yuan_per_year": exp.budget_cap_yuan or None,
        "evaluated_with": {
            "replicates": cfg.run.replicates,
            "people_per_agent": cfg.run.people_per_agent,
            "horizon": cfg.run.horizon,
            "seed": cfg.run.seed,
        },
    }
    if best is None:
        doc["found"] = False
        doc["message"] = _none_message(table, exp)
        near = closest(table)
        if near is not None:
            doc["closest"] = _setting(near, factors, overrides)
        return doc
    doc["found"] = True
    doc["best"] = _setting(best, factors, overrides)
    return doc


def _setting(row: pd.Series, factors: list[Factor], overrides: Sequence[str]) -> dict:
    sets = factor_overrides(row, factors)
    full = run_overrides(overrides) + sets
    return {
        "trial": int(row["number"]),
        "joint_probability": float(row[PROB]),
        "cost_yuan_per_year": float(row[COST]),
        "cost_100m_yuan_per_year": round(float(row[COST]) / COST_UNIT, 4),
        "factors": {f.name: float(row[f.name]) for f in factors if pd.notna(row.get(f.name))},
        "overrides": full,
        "command": shlex.join(["python", "-m", "sim", *full]),
    }


def _none_message(table: pd.DataFrame, exp: ExperimentConfig) -> str:
    cap = exp.budget_cap_yuan
    within = f" within the budget cap of {cap:.4g} yuan/yr" if cap else ""
    done = table[table["state"] == "COMPLETE"]
    text = (
        f"no feasible trial yet reaches P(all targets) >= {exp.min_probability:g}{within} "
        f"({len(done)} of {len(table)} trials complete); run more trials (experiment.samples, "
        "same experiment.storage and study_name), widen the factor ranges or add factors"
    )
    if cap and len(done) and not table["feasible"].any():
        text += (
            f"; no trial is within the cap (cheapest {done[COST].min():.4g} yuan/yr; levers "
            "that are not factors cost money too)"
        )
    return text


def write_outputs(
    out_dir: Path, table: pd.DataFrame, front: pd.DataFrame, doc: dict, cfg: SimConfig
) -> dict[str, Path]:
    """Write trials.csv, pareto.csv, best.yaml and pareto.png; return their paths by name."""
    out_dir = Path(out_dir)
    paths = {name: out_dir / name for name in OUTPUT_FILES}
    atomic_write(paths["trials.csv"], lambda p: table.to_csv(p, index=False))
    atomic_write(paths["pareto.csv"], lambda p: front.to_csv(p, index=False))
    header = "# Cheapest lever mix found by python -m scenarios.optimise; re-run with `command`.\n"
    text = header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    atomic_write(paths["best.yaml"], lambda p: p.write_text(text))
    best = select_best(table, cfg.experiment.min_probability)
    atomic_write(paths["pareto.png"], lambda p: plot_front(table, front, best, cfg.experiment, p))
    return paths


def plot_front(
    table: pd.DataFrame,
    front: pd.DataFrame,
    best: pd.Series | None,
    exp: ExperimentConfig,
    path: Path,
) -> None:
    """Cost (100m yuan/yr) against P(all targets): all trials, the front, threshold and cap."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=110)
    done = table[table["state"] == "COMPLETE"]
    for rows, style in (
        (done[done["feasible"]], TRIAL_STYLE),
        (done[~done["feasible"]], OVER_STYLE),
    ):
        if len(rows):
            ax.scatter(rows[COST] / COST_UNIT, rows[PROB], **style)
    if len(front):
        ax.step(
            front[COST] / COST_UNIT,
            front[PROB],
            where="post",
            color="tab:blue",
            lw=1.2,
            marker="o",
            ms=5,
            label="Pareto front",
            zorder=4,
        )
    if best is not None:
        ax.scatter(
            [best[COST] / COST_UNIT],
            [best[PROB]],
            s=160,
            marker="*",
            color="tab:red",
            label=f"cheapest with P >= {exp.min_probability:g}",
            zorder=5,
        )
    ax.axhline(exp.min_probability, color="tab:red", ls="--", lw=0.8, label="threshold")
    if exp.budget_cap_yuan > 0:
        ax.axvline(
            exp.budget_cap_yuan / COST_UNIT, color="tab:orange", ls=":", lw=1.0, label="budget cap"
        )
    ax.set_xlabel("mean yearly local public cost (100m yuan per year)")
    ax.set_ylabel("P(all targets)")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(", ".join(exp.targets), fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# Running


@dataclass
class StudyOutcome:
    """What one invocation leaves: the study, its trials, the front, the best trial, the files."""

    study: optuna.Study
    storage: str
    trials: pd.DataFrame
    front: pd.DataFrame
    best: pd.Series | None
    document: dict
    paths: dict[str, Path] = field(default_factory=dict)
    new_trials: int = 0


def optimise(
    study: optuna.Study, cfg: SimConfig, factors: list[Factor], progress: bool = True
) -> int:
    """Run ``experiment.samples`` new trials; Ctrl-C stops early and keeps the finished ones.

    Returns:
        The number of trials added.
    """
    before = _finished(study)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        try:
            study.optimize(
                make_objective(cfg, factors),
                n_trials=cfg.experiment.samples,
                catch=(Exception,),
                show_progress_bar=progress,
                gc_after_trial=False,
            )
        except KeyboardInterrupt:
            log.warning("interrupted; writing the outputs of the trials so far")
    return _finished(study) - before


def _finished(study: optuna.Study) -> int:
    return sum(t.state.is_finished() for t in study.get_trials(deepcopy=False))


def run_study(
    cfg: SimConfig, out_dir: Path, overrides: Sequence[str] = (), progress: bool = True
) -> StudyOutcome:
    """Create or continue the study, run the new trials and write every output.

    Args:
        cfg: Experiment base config (see :func:`scenarios.evaluate.experiment_config`).
        out_dir: Run directory for the outputs (and the default SQLite storage).
        overrides: Hydra overrides of the invocation (kept in the re-run command of best.yaml).
        progress: Show Optuna's progress bar.

    Returns:
        The study, the trials table, the front, the best trial and the files written.

    Raises:
        ConfigError: bad factors, targets, thresholds or storage.
    """
    factors = check_experiment(cfg)
    url = storage_url(cfg.experiment.storage, Path(out_dir))
    study = open_study(url, cfg.experiment.study_name, study_settings(cfg))
    study.sampler = make_sampler(cfg.experiment, len(study.trials))
    if not study.trials and cfg.experiment.samples > 0:
        enqueue_base(study, cfg, factors)
    added = optimise(study, cfg, factors, progress)
    table = trials_table(study, factors, cfg.experiment)
    front = pareto_front(table)
    doc = best_document(table, factors, cfg, overrides, url)
    paths = write_outputs(Path(out_dir), table, front, doc, cfg)
    best = select_best(table, cfg.experiment.min_probability)
    return StudyOutcome(study, url, table, front, best, doc, paths, added)


def summary_lines(outcome: StudyOutcome, out_dir: Path) -> list[str]:
    """What the CLI prints after the study: the best setting (or why none) and the files."""
    table, doc = outcome.trials, outcome.document
    states = table["state"].value_counts().to_dict()
    counts = ", ".join(f"{n} {s.lower()}" for s, n in sorted(states.items()))
    lines = [f"{len(table)} trials in study ({outcome.new_trials} new): {counts or 'none'}"]
    if doc["found"]:
        b = doc["best"]
        lines.append(
            f"best: trial {b['trial']}: P(all targets) = {b['joint_probability']:.3f}, "
            f"cost {b['cost_100m_yuan_per_year']:.2f} x 100m yuan/yr"
        )
        lines += [f"  {o}" for o in b["overrides"]]
        lines.append(f"re-run: {b['command']}")
    else:
        lines.append(doc["message"])
    lines.append(f"study: {outcome.storage} ({doc['study']['name']})")
    lines.append(f"files: {', '.join(OUTPUT_FILES)} in {out_dir}")
    return lines


@hydra.main(config_path="pkg://conf", config_name="config", version_base="1.3")
def main(_dcfg: DictConfig) -> None:
    """Run or continue the study of the composed experiment and print the best setting."""
    logging.getLogger("MESA").setLevel(logging.WARNING)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    hc = HydraConfig.get()
    out_dir = Path(hc.runtime.output_dir)
    overrides = list(hc.overrides.task)
    try:
        cfg = experiment_config(overrides)
        load_base_state(cfg.region)
        check_experiment(cfg)
        print(header_line(cfg, out_dir))
        outcome = run_study(cfg, out_dir, overrides, progress=True)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    print("\n".join(summary_lines(outcome, out_dir)))


def header_line(cfg: SimConfig, out_dir: Path) -> str:
    """What the CLI prints before the study runs."""
    exp = cfg.experiment
    cap = f"{exp.budget_cap_yuan:.4g} yuan/yr" if exp.budget_cap_yuan else "none"
    return (
        f"optimise: {len(exp.factors)} factors, targets {list(exp.targets)}, "
        f"P >= {exp.min_probability:g}, budget cap {cap}; {exp.samples} new trials "
        f"x {cfg.run.replicates} replicates -> {out_dir}"
    )


if __name__ == "__main__":
    main()
