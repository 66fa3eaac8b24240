"""Global sensitivity analysis (SALib) of reachability and KPI levels over experiment factors.

``python -m scenarios.sensitivity [overrides]`` samples ``experiment.factors`` (any numeric config
key: levers or behavioural parameters) with Morris trajectories or Sobol' (Saltelli) points,
evaluates every point as one ensemble with common random numbers (:func:`evaluate`), and analyses
these outputs per point:

* ``p_joint``: share of replicates reaching every one of ``experiment.targets``;
* ``p_<target>_<year>``: P(reached) of each chosen target;
* ``level_<target>_<year>``: the target's KPI, mean over replicates in the target year;
* ``local_cost_yuan``: mean yearly local public cost.

Examples:
    python -m scenarios.sensitivity                                  # Morris, default factors
    python -m scenarios.sensitivity experiment=quick                 # a small preview
    python -m scenarios.sensitivity experiment.method=sobol experiment.samples=64

Writes ``sensitivity_samples.csv`` (factor values and outputs per point), ``sensitivity.csv``
(output, factor, index, value, conf), one ``sensitivity_<output>.png`` per output and
``config.yaml`` into the run directory, and prints a ranking per output.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import hydra
import numpy as np
import pandas as pd
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from tqdm.auto import tqdm

from scenarios.evaluate import (
    SettingResult,
    evaluate,
    experiment_config,
    parse_targets,
    with_factors,
)
from sim.compose import register_schema, to_yaml
from sim.config import ConfigError, SimConfig, TargetSpec
from sim.rundir import atomic_write, model_version

log = logging.getLogger("scenarios.sensitivity")
METHODS = ("morris", "sobol")
MORRIS_LEVELS = 4
MAIN_INDEX = {"morris": "mu_star", "sobol": "ST"}
register_schema()


# --------------------------------------------------------------------------------------------
# Experiment checks and per-point outputs (shared with scenarios.discovery)
# --------------------------------------------------------------------------------------------


def check_experiment(cfg: SimConfig) -> list[TargetSpec]:
    """Validate ``experiment.*`` before anything runs.

    Args:
        cfg: Experiment base config (see :func:`scenarios.evaluate.experiment_config`).

    Returns:
        The chosen targets.

    Raises:
        ConfigError: one line naming the offending field.
    """
    exp = cfg.experiment
    if exp.method not in METHODS:
        raise ConfigError(f"experiment.method={exp.method!r}; allowed: {list(METHODS)}")
    if exp.samples < 2:
        raise ConfigError(f"experiment.samples={exp.samples} must be >= 2")
    if not 0.0 <= exp.min_probability <= 1.0:
        raise ConfigError(f"experiment.min_probability={exp.min_probability} must be in [0, 1]")
    check_factors(cfg)
    if not exp.targets:
        raise ConfigError("experiment.targets is empty; name at least one '<id>@<year>'")
    targets = parse_targets(cfg, list(exp.targets))
    late = [f"{t.id}@{t.year}" for t in targets if t.year > cfg.run.horizon]
    if late:
        raise ConfigError(
            f"experiment.targets {late} lie after experiment.horizon={cfg.run.horizon}"
        )
    return targets


def check_factors(cfg: SimConfig) -> None:
    """Factors must be distinct numeric config keys with ``low < high`` inside their bounds.

    A factor that is a calibrated parameter keeps its experiment value in every replicate (the
    other calibrated parameters are still drawn from the posterior).

    Raises:
        ConfigError: empty list, duplicate or unknown name, empty range or an out-of-range end.
    """
    factors = cfg.experiment.factors
    if not factors:
        raise ConfigError("experiment.factors is empty; give at least one {name, low, high}")
    names = [f.name for f in factors]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"experiment.factors names {dupes} more than once")
    for f in factors:
        if not f.low < f.high:
            raise ConfigError(f"experiment.factors {f.name}: low={f.low} must be < high={f.high}")
        try:
            for end in (f.low, f.high):
                with_factors(cfg, {f.name: end})
        except ConfigError as err:
            raise ConfigError(f"experiment.factors {f.name!r}: {err}") from err


def output_names(targets: list[TargetSpec]) -> list[str]:
    """Names of the analysed outputs, in order (see the module docstring)."""
    keys = [f"{t.id}_{t.year}" for t in targets]
    return ["p_joint", *(f"p_{k}" for k in keys), *(f"level_{k}" for k in keys), "local_cost_yuan"]


def point_outputs(res: SettingResult, targets: list[TargetSpec]) -> dict[str, float]:
    """The analysed outputs of one evaluated setting, by name (NaN if a target has no data)."""
    out = {"p_joint": res.joint_probability}
    reach = res.reachability
    for t in targets:
        row = reach[(reach["target"] == t.id) & (reach["year"] == t.year)] if len(reach) else reach
        out[f"p_{t.id}_{t.year}"] = float(row["probability"].iloc[0]) if len(row) else math.nan
    kpis = res.kpis
    for t in targets:
        vals = kpis[(kpis["kpi"] == t.kpi) & (kpis["year"] == t.year)]["value"]
        out[f"level_{t.id}_{t.year}"] = float(vals.mean()) if len(vals) else math.nan
    out["local_cost_yuan"] = res.yearly_local_cost_yuan
    return out


def evaluate_points(
    cfg: SimConfig, points: pd.DataFrame, targets: list[TargetSpec], desc: str
) -> pd.DataFrame:
    """Evaluate every row of ``points`` (factor values by column) with common random numbers.

    Returns:
        ``points`` with one column per output (see :func:`output_names`) appended.
    """
    rows = []
    for values in tqdm(points.to_dict("records"), desc=desc, unit="point"):
        rows.append(point_outputs(evaluate(cfg, values), targets))
    outputs = pd.DataFrame(rows, columns=output_names(targets), index=points.index)
    return pd.concat([points, outputs], axis=1)


def load_experiment() -> tuple[SimConfig, list[TargetSpec]]:
    """Inside a Hydra job: the experiment base config of this job's overrides, checked."""
    overrides = list(HydraConfig.get().overrides.task)
    cfg = experiment_config(overrides)
    return cfg, check_experiment(cfg)


def write_config(out_dir: Path, cfg: SimConfig) -> None:
    """The resolved config with the model version (what the experiment can be re-run from)."""
    header = f"# model_version: {model_version()}\n"
    atomic_write(out_dir / "config.yaml", lambda p: p.write_text(header + to_yaml(cfg)))


def run_timed(run: Callable[[SimConfig, list[TargetSpec], Path], object]) -> None:
    """Load the experiment, run it into the Hydra run directory and say how long it took."""
    cfg, targets = load_experiment()
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    start = time.perf_counter()
    run(cfg, targets, out_dir)
    print(f"done in {time.perf_counter() - start:.1f} s; results in {out_dir}")


def run_or_exit(body: Callable[[], None]) -> None:
    """Run ``body``; a ConfigError becomes one line on stderr and exit code 2."""
    logging.getLogger("MESA").setLevel(logging.WARNING)
    try:
        body()
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


# --------------------------------------------------------------------------------------------
# Sampling and analysis (pure functions of the problem, the sample and the outputs)
# --------------------------------------------------------------------------------------------


def make_problem(names: list[str], bounds: list[tuple[float, float]]) -> dict:
    """A SALib problem dict."""
    return {"num_vars": len(names), "names": list(names), "bounds": [list(b) for b in bounds]}


def sobol_base_samples(samples: int) -> int:
    """The power of two at or above ``samples`` (Sobol' sequences balance at powers of two)."""
    n = 1 << max(samples - 1, 1).bit_length()
    if n != samples:
        log.warning("experiment.samples=%d is not a power of 2; using %d base samples", samples, n)
    return n


def sample(problem: dict, method: str, samples: int, seed: int) -> np.ndarray:
    """The SALib design: ``samples`` Morris trajectories or Sobol' base samples.

    Morris gives ``samples * (k + 1)`` points, Sobol' (first and total order) gives
    ``N * (k + 2)`` with ``N`` the power of two at or above ``samples``.
    """
    if method == "morris":
        return morris_sample.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed)
    n = sobol_base_samples(samples)
    return sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)


INDICES = {
    "morris": (("mu_star", "mu_star_conf"), ("sigma", None), ("mu", None)),
    "sobol": (("S1", "S1_conf"), ("ST", "ST_conf")),
}
"""Per method: the indices reported and the key of their confidence interval (None: none)."""


def analyse(problem: dict, X: np.ndarray, Y: np.ndarray, method: str, seed: int) -> pd.DataFrame:
    """Sensitivity indices of one output.

    Morris elementary effects are changes of the output per full range of a factor (SALib scales
    factors to [0, 1]). An output that is the same at every point gets zero indices; one with a
    missing value gets NaN.

    Args:
        problem: SALib problem (names, bounds).
        X: The design from :func:`sample` (one row per point).
        Y: The output at every point.
        method: ``"morris"`` (mu_star with its confidence, sigma, mu) or ``"sobol"`` (S1, ST with
            their confidences).
        seed: Seed of the bootstrap confidence intervals.

    Returns:
        Tidy rows: factor, index, value, conf (NaN where SALib gives no interval).
    """
    Y = np.asarray(Y, dtype=float)
    k = problem["num_vars"]
    if not np.isfinite(Y).all() or np.ptp(Y) == 0:
        fill = math.nan if not np.isfinite(Y).all() else 0.0
        res = {key: np.full(k, fill) for pair in INDICES[method] for key in pair if key}
    elif method == "morris":
        res = morris_analyze.analyze(problem, X, Y, num_levels=MORRIS_LEVELS, seed=seed)
    else:
        res = sobol_analyze.analyze(problem, Y, calc_second_order=False, seed=seed)
    rows = []
    for index, conf in INDICES[method]:
        values = np.asarray(res[index], dtype=float)
        confs = np.asarray(res[conf], dtype=float) if conf else np.full(k, math.nan)
        for name, v, c in zip(problem["names"], values, confs, strict=True):
            rows.append({"factor": name, "index": index, "value": float(v), "conf": float(c)})
    return pd.DataFrame(rows)


def analyse_outputs(
    problem: dict, X: np.ndarray, outputs: pd.DataFrame, method: str, seed: int
) -> pd.DataFrame:
    """:func:`analyse` for every output column; tidy output, factor, index, value, conf."""
    frames = []
    for name in outputs.columns:
        y = outputs[name].to_numpy(dtype=float)
        if not np.isfinite(y).all():
            log.warning("output %s is missing at some points; its indices are NaN", name)
        part = analyse(problem, X, y, method, seed)
        part.insert(0, "output", name)
        frames.append(part)
    return pd.concat(frames, ignore_index=True)


def ranking(tidy: pd.DataFrame, method: str) -> pd.DataFrame:
    """Factors ranked by the main index (mu_star or ST) within each output.

    Returns:
        output, rank, factor and the indices side by side (conf of the main index as ``conf``).
    """
    main = MAIN_INDEX[method]
    wide = tidy.pivot(index=["output", "factor"], columns="index", values="value")
    conf = tidy[tidy["index"] == main].set_index(["output", "factor"])["conf"]
    wide = wide.join(conf.rename("conf")).reset_index()
    order = {name: i for i, name in enumerate(dict.fromkeys(tidy["output"]))}
    wide["_order"] = wide["output"].map(order)
    wide = wide.sort_values(["_order", main], ascending=[True, False]).drop(columns="_order")
    wide.insert(1, "rank", wide.groupby("output").cumcount() + 1)
    cols = ["output", "rank", "factor", main, "conf"]
    return wide[cols + [c for c in wide.columns if c not in cols]].reset_index(drop=True)


def format_ranking(table: pd.DataFrame, outputs: pd.DataFrame) -> str:
    """The ranking as text, one block per output (constant outputs flagged)."""
    blocks = []
    for name, part in table.groupby("output", sort=False):
        y = outputs[name]
        note = "  (constant over all points: no factor moves it)" if y.nunique() <= 1 else ""
        body = part.drop(columns="output").to_string(index=False, float_format=_fmt)
        blocks.append(f"{name}{note}\n{body}")
    return "\n\n".join(blocks)


def _fmt(v: float) -> str:
    return f"{v:.4g}"


# --------------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------------


def bar_chart(tidy: pd.DataFrame, output: str, method: str, path: Path) -> Path:
    """Tornado-style horizontal bars of one output's indices, largest at the top.

    Morris: mu_star with its confidence interval, sigma as markers. Sobol': ST with its
    confidence interval, S1 as a narrower inner bar.

    Args:
        tidy: Indices from :func:`analyse_outputs`.
        output: The output to draw.
        method: ``"morris"`` or ``"sobol"``.
        path: PNG file to write.

    Returns:
        The path written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = tidy[tidy["output"] == output].pivot(
        index="factor", columns="index", values=["value", "conf"]
    )
    main = MAIN_INDEX[method]
    data = data.sort_values(("value", main), na_position="first")
    ypos = np.arange(len(data))
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.45 * len(data)), dpi=110)
    ax.barh(
        ypos,
        data[("value", main)].fillna(0),
        xerr=data[("conf", main)].fillna(0),
        color="tab:blue",
        alpha=0.8,
        label=main,
        capsize=3,
    )
    if method == "morris":
        ax.scatter(data[("value", "sigma")], ypos, color="tab:orange", zorder=5, label="sigma")
    else:
        ax.barh(ypos, data[("value", "S1")].fillna(0), height=0.35, color="tab:orange", label="S1")
    ax.set_yticks(ypos, data.index, fontsize=8)
    ax.set_title(f"{output}: {method} sensitivity", fontsize=10)
    ax.set_xlabel(main)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda p: fig.savefig(p, format="png"))
    plt.close(fig)
    return path


# --------------------------------------------------------------------------------------------
# The Hydra entry point
# --------------------------------------------------------------------------------------------


def run_sensitivity(cfg: SimConfig, targets: list[TargetSpec], out_dir: Path) -> pd.DataFrame:
    """Sample, evaluate, analyse and write every result file of a sensitivity analysis.

    Returns:
        The tidy indices (as written to ``sensitivity.csv``).
    """
    exp = cfg.experiment
    names = [f.name for f in exp.factors]
    problem = make_problem(names, [(f.low, f.high) for f in exp.factors])
    X = sample(problem, exp.method, exp.samples, exp.seed)
    print(
        f"sensitivity method={exp.method} factors={len(names)} points={len(X)} "
        f"replicates={cfg.run.replicates} -> {out_dir}"
    )
    points = evaluate_points(cfg, pd.DataFrame(X, columns=names), targets, "sensitivity")
    outputs = points[output_names(targets)]
    samples_csv = out_dir / "sensitivity_samples.csv"
    atomic_write(samples_csv, lambda p: points.to_csv(p, index_label="point"))
    tidy = analyse_outputs(problem, X, outputs, exp.method, exp.seed)
    atomic_write(out_dir / "sensitivity.csv", lambda p: tidy.to_csv(p, index=False))
    for name in outputs.columns:
        bar_chart(tidy, name, exp.method, out_dir / f"sensitivity_{name}.png")
    write_config(out_dir, cfg)
    print(format_ranking(ranking(tidy, exp.method), outputs))
    return tidy


@hydra.main(config_path="pkg://conf", config_name="config", version_base="1.3")
def main(dcfg: DictConfig) -> None:
    """Check the experiment, run the sensitivity analysis and print the ranking."""
    run_or_exit(lambda: run_timed(run_sensitivity))


if __name__ == "__main__":
    main()
