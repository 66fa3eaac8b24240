"""Calibration by history matching: ``python -m scenarios.calibrate [overrides]``.

The model starts at ``calibration.base_year`` (2017 for Changsha) under the base-year policy and
is compared with the region's observed series up to ``calibration.end_year``. Free parameters are
sampled in waves (Latin hypercube over the prior box = each parameter's plausible range); a
point is *implausible* when, for some observation,

    I = |mean_sim - obs| / sqrt(sd_obs^2 + var_sim + (discrepancy_share * obs)^2) > cut

(history matching, Craig et al. 1997; Andrianakis et al. 2015). Each later wave re-samples the box
of the non-implausible points found so far (widened by 10 %). The non-implausible points, ranked
by their standardised distance, form the plausible set that ensembles draw from (parameter
uncertainty); the closest one is the point estimate. Results go to the Hydra run directory;
``calibration.install=true`` also writes the calibrated region
(``conf/region/<output_region>.yaml`` and its posterior CSV).

Scripts that call these functions must guard their entry point with
``if __name__ == "__main__":`` because worker processes are started by a fork server.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import date
from pathlib import Path

import hydra
import numpy as np
import pandas as pd
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig
from scipy.stats import qmc

from agents.params import documented_fields
from sim.compose import register_schema
from sim.config import CalibrationConfig, ConfigError, SimConfig, to_sim_config
from sim.model import InnovationModel
from sim.observations import load_observed, observed_path
from sim.posterior import with_params
from sim.region import CONF_DIR
from sim.rundir import atomic_write, model_version

log = logging.getLogger("scenarios.calibrate")
SD_BY_CONFIDENCE = {"high": 0.05, "medium": 0.10, "low": 0.20}
"""Observation error (share of the value) by the confidence column of the observed file."""


# ---------------------------------------------------------------------------------------------
# Inputs


def load_observations(
    cal: CalibrationConfig, path: Path | None = None, observed: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Observed points used for calibration: kpi, year, value, sd (plus low, high, kind).

    Reads the region's observed file with the one loader (:func:`sim.observations.load_observed`)
    and keeps the KPIs of ``calibration.kpis`` (all when empty) in ``(base_year, end_year]``.
    Exact values and ranges are fitted (a range at its midpoint, its sd at least a quarter of
    its width); one-sided bounds are not used by history matching.

    Args:
        cal: Calibration settings (KPIs, years, observed file).
        path: Observed file (default: ``conf/region/<cal.observed_file>`` or its absolute path).
        observed: Already loaded observations (tidy frame of ``load_observed``); overrides path.

    Returns:
        One row per observation after the base year, in KPI units.

    Raises:
        ConfigError: if the file is missing or has no usable observation in the years.
    """
    if observed is None:
        if path is None and not cal.observed_file:
            raise ConfigError("calibration.observed_file is empty; name the region's observed file")
        path = path or observed_path(cal.observed_file)
        if not path.exists():
            raise ConfigError(
                f"calibration.observed_file={cal.observed_file!r} not found in {path.parent}"
            )
        observed = load_observed(path, series=cal.series)
    sel = observed[
        (observed.year > cal.base_year)
        & (observed.year <= cal.end_year)
        & observed.kind.isin(["exact", "range"])
    ]
    if cal.kpis:
        sel = sel[sel.kpi.isin(list(cal.kpis))]
    share = sel.confidence.map(lambda c: SD_BY_CONFIDENCE.get(str(c).strip(), 0.2))
    width = (sel.high - sel.low).where(sel.kind == "range", 0.0)
    sd = np.maximum(np.maximum(share * sel.value.abs(), width / 4), 0.5)
    obs = sel[["kpi", "year", "value", "low", "high", "kind"]].assign(sd=sd.to_numpy())
    obs = obs[["kpi", "year", "value", "sd", "low", "high", "kind"]].reset_index(drop=True)
    if obs.empty:
        raise ConfigError(f"no observations between {cal.base_year} and {cal.end_year}")
    return obs


def prior_box(cfg: SimConfig, free: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper ends of each free parameter's plausible range (its declared low/high)."""
    meta = {name: m for name, _, m in documented_fields(cfg.region, "region.")}
    unknown = [n for n in free if n not in meta]
    if unknown:
        raise ConfigError(f"calibration.free has unknown parameters {unknown}")
    return np.array([meta[n]["low"] for n in free]), np.array([meta[n]["high"] for n in free])


def history_config(cfg: SimConfig) -> SimConfig:
    """The config that replays history from the calibration's base year to its end year.

    The policy is the region's policy timeline throughout (``run.policy=timeline``), so the policy
    changes in the record (super-deduction rates, the 2023 measures) are what the data see.
    """
    cal = cfg.calibration
    region = replace(cfg.region, base_year=cal.base_year, data_file=_data_file(cfg, cal.base_year))
    run = replace(
        cfg.run,
        horizon=cal.end_year,
        people_per_agent=cal.people_per_agent,
        parameter_uncertainty=False,
        progress=False,
        plots=False,
        policy="timeline",
    )
    return replace(cfg, region=region, run=run)


def _data_file(cfg: SimConfig, year: int) -> str:
    return cfg.region.data_file.replace(str(cfg.region.base_year), str(year))


# ---------------------------------------------------------------------------------------------
# Simulation of many points


def _simulate_one(args: tuple[SimConfig, int, pd.DataFrame]) -> np.ndarray:
    cfg, seed, obs = args
    model = InnovationModel(cfg, rng=np.random.default_rng(seed))
    while model.running:
        model.step()
    frame = model.kpi_frame()
    return np.array([frame.at[y, k] for k, y in zip(obs["kpi"], obs["year"], strict=True)])


def simulate(
    cfg: SimConfig,
    names: list[str],
    points: np.ndarray,
    obs: pd.DataFrame,
    workers: int = 0,
) -> np.ndarray:
    """Simulated observations for every point and replicate: shape (points, replicates, obs).

    Replicate ``r`` of every point uses the same seed (common random numbers across points).
    """
    cal = cfg.calibration
    seeds = [
        int(s.generate_state(1)[0]) for s in np.random.SeedSequence(cal.seed).spawn(cal.replicates)
    ]
    tasks = [(with_params(cfg, names, p), s, obs) for p in points for s in seeds]
    n_workers = workers or multiprocessing.cpu_count()
    if n_workers == 1 or len(tasks) == 1:
        results = [_simulate_one(t) for t in tasks]
    else:
        ctx = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(n_workers, mp_context=ctx) as pool:
            results = list(
                pool.map(_simulate_one, tasks, chunksize=max(1, len(tasks) // (8 * n_workers)))
            )
    return np.array(results).reshape(len(points), len(seeds), len(obs))


def implausibility(sims: np.ndarray, obs: pd.DataFrame, discrepancy_share: float) -> np.ndarray:
    """Implausibility of each point for each observation, shape (points, obs)."""
    mean = sims.mean(axis=1)
    var_sim = sims.var(axis=1, ddof=1) if sims.shape[1] > 1 else np.zeros_like(mean)
    value, sd = obs["value"].to_numpy(), obs["sd"].to_numpy()
    scale = np.sqrt(sd**2 + var_sim + (discrepancy_share * value) ** 2)
    return np.abs(mean - value) / scale


def history_match(cfg: SimConfig, obs: pd.DataFrame, workers: int = 0) -> pd.DataFrame:
    """Run the waves; returns every point with its wave, max implausibility and distance."""
    cal = cfg.calibration
    names = list(cal.free)
    low, high = prior_box(cfg, names)
    base = history_config(cfg)
    frames = []
    lo, hi = low.copy(), high.copy()
    for wave in range(1, cal.waves + 1):
        sampler = qmc.LatinHypercube(d=len(names), seed=cal.seed + wave)
        points = qmc.scale(sampler.random(cal.samples), lo, hi)
        sims = simulate(base, names, points, obs, workers)
        imp = implausibility(sims, obs, cal.discrepancy_share)
        frame = pd.DataFrame(points, columns=names)
        frame["wave"] = wave
        frame["max_implausibility"] = imp.max(axis=1)
        frame["distance"] = np.sqrt((imp**2).mean(axis=1))
        frames.append(frame)
        log.info(
            "wave %d: %d of %d points not implausible",
            wave,
            int((frame.max_implausibility <= cal.implausibility_cut).sum()),
            len(frame),
        )
        seen = pd.concat(frames, ignore_index=True)
        keep = seen[seen.max_implausibility <= cal.implausibility_cut]
        if len(keep) < 2:
            keep = seen.nsmallest(max(2, len(seen) // 10), "distance")
        span = keep[names].max() - keep[names].min()
        lo = np.maximum(low, (keep[names].min() - 0.1 * span).to_numpy())
        hi = np.minimum(high, (keep[names].max() + 0.1 * span).to_numpy())
    out = pd.concat(frames, ignore_index=True)
    out["not_implausible"] = out.max_implausibility <= cal.implausibility_cut
    return out.sort_values(
        ["not_implausible", "distance"], ascending=[False, True], ignore_index=True
    )


def plausible_set(points: pd.DataFrame, names: list[str], size: int, minimum: int) -> pd.DataFrame:
    """The parameter sets kept for ensembles.

    The non-implausible points, closest first, up to ``size``; when there are fewer than
    ``minimum`` of them, the next-closest points fill the set up to ``minimum``.
    """
    ranked = points.sort_values(["not_implausible", "distance"], ascending=[False, True])
    n = max(min(int(points.not_implausible.sum()), size), min(minimum, len(points)))
    return ranked.head(n)[names].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Fit report


def fit_table(
    cfg: SimConfig, names: list[str], posterior: pd.DataFrame, obs: pd.DataFrame, workers: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replay history once with every plausible set: yearly bands, and the error per observation.

    Returns:
        ``(errors, bands)``: per observation the simulated 5/50/95 % quantiles, the error of the
        median in percent and whether the observation's 2-sd interval overlaps the band; and the
        yearly quantiles of every calibrated series (for the fit chart).
    """
    base = history_config(cfg)
    cal = cfg.calibration
    years = range(cal.base_year, cal.end_year + 1)
    grid = pd.DataFrame(
        [(k, y) for k in dict.fromkeys(obs.kpi) for y in years], columns=["kpi", "year"]
    )
    one_seed = replace(base, calibration=replace(cal, replicates=1))
    sims = simulate(one_seed, names, posterior.to_numpy(), grid, workers).reshape(-1, len(grid))
    bands = grid.copy()
    bands["p05"], bands["p50"], bands["p95"] = np.quantile(sims, [0.05, 0.5, 0.95], axis=0)
    errors = obs.merge(bands, on=["kpi", "year"], how="left")
    errors["error_pct"] = (
        100 * (errors.p50 - errors.value) / errors.value.where(errors.value != 0, 1)
    )
    # Covered: the observation's 2-sd interval overlaps the simulated 5-95 % band.
    errors["in_band"] = (errors.value + 2 * errors.sd >= errors.p05) & (
        errors.value - 2 * errors.sd <= errors.p95
    )
    return errors, bands


def series_errors(errors: pd.DataFrame) -> pd.DataFrame:
    """Per series: points, mean absolute % error of the median, and the share inside the band."""
    g = errors.groupby("kpi")
    return pd.DataFrame(
        {
            "points": g.size(),
            "mape_pct": g["error_pct"].apply(lambda s: s.abs().mean()),
            "in_band_share": g["in_band"].mean(),
        }
    ).reset_index()


def plot_fit(errors: pd.DataFrame, bands: pd.DataFrame, path: Path) -> None:
    """Observed points (2 sd) against the simulated yearly 5-95 % band and median, per series."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kpis = list(dict.fromkeys(errors.kpi))
    cols = 3
    rows = -(-len(kpis) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), dpi=90, squeeze=False)
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        b = bands[bands.kpi == kpi].sort_values("year")
        e = errors[errors.kpi == kpi].sort_values("year")
        ax.fill_between(
            b.year, b.p05, b.p95, color="tab:blue", alpha=0.25, lw=0, label="simulated 5-95 %"
        )
        ax.plot(b.year, b.p50, color="tab:blue", lw=1.5, label="simulated median")
        ax.errorbar(
            e.year, e.value, yerr=2 * e.sd, fmt="o", color="tab:red", ms=4, label="observed (2 sd)"
        )
        ax.set_title(kpi, fontsize=9)
        ax.set_xticks(list(b.year))
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(kpis) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(
        "History matching fit: base 2017, plausible parameter sets, one seed each", fontsize=10
    )
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, format="png"))
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# Outputs


def region_yaml(cfg: SimConfig, names: list[str], best: pd.Series, posterior_name: str) -> str:
    """A region config that selects the base region and overrides the calibrated parameters."""
    lines = [
        f"# Written by `python -m scenarios.calibrate` on {date.today()}"
        f" (model {model_version()[:12]}).",
        "# History matching against the observed 2017-2022 series; see docs/calibration/.",
        "# Do not edit by hand: re-run the calibration with calibration.install=true.",
        "defaults:",
        f"  - {cfg.region.name}",
        "  - _self_",
        f"posterior_file: {posterior_name}",
    ]
    tree: dict = {}
    for name in names:
        *path, leaf = name.split(".")[1:]  # drop the leading "region"
        node = tree
        for part in path:
            node = node.setdefault(part, {})
        node[leaf] = float(best[name])
    lines.extend(_yaml_tree(tree, 0))
    return "\n".join(lines) + "\n"


def _yaml_tree(tree: dict, indent: int) -> list[str]:
    out = []
    for key, value in tree.items():
        if isinstance(value, dict):
            out.append(" " * indent + f"{key}:")
            out.extend(_yaml_tree(value, indent + 2))
        else:
            out.append(" " * indent + f"{key}: {value:.6g}")
    return out


def calibrate(
    cfg: SimConfig, out_dir: Path, workers: int = 0, obs: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """Run the history matching and write samples, posterior, fit errors, report and region.

    ``obs`` (from :func:`load_observations`) replaces the observed file, e.g. the observations
    up to a back-test origin; years after ``calibration.end_year`` are never simulated.
    """
    cal = cfg.calibration
    names = list(cal.free)
    obs = load_observations(cal) if obs is None else obs
    points = history_match(cfg, obs, workers)
    posterior = plausible_set(points, names, cal.posterior_size, cal.posterior_min)
    errors, bands = fit_table(cfg, names, posterior, obs, workers)
    summary = series_errors(errors)
    best = points.iloc[0]
    posterior_name = f"{cal.output_region}_posterior.csv"
    text = region_yaml(cfg, names, best, posterior_name)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(out_dir / "samples.csv", lambda p: points.to_csv(p, index=False))
    atomic_write(out_dir / posterior_name, lambda p: posterior.to_csv(p, index=False))
    atomic_write(out_dir / "fit_errors.csv", lambda p: errors.to_csv(p, index=False))
    atomic_write(out_dir / "fit_summary.csv", lambda p: summary.to_csv(p, index=False))
    atomic_write(out_dir / f"{cal.output_region}.yaml", lambda p: p.write_text(text))
    atomic_write(out_dir / "fit_bands.csv", lambda p: bands.to_csv(p, index=False))
    plot_fit(errors, bands, out_dir / "fit_report.png")
    if cal.install:
        region_dir = CONF_DIR / "region"
        atomic_write(region_dir / f"{cal.output_region}.yaml", lambda p: p.write_text(text))
        atomic_write(region_dir / posterior_name, lambda p: posterior.to_csv(p, index=False))
    return {
        "points": points,
        "posterior": posterior,
        "errors": errors,
        "summary": summary,
        "bands": bands,
    }


@hydra.main(config_path="pkg://conf", config_name="config", version_base="1.3")
def main(dcfg: DictConfig) -> None:
    """Calibrate the free parameters of ``calibration.free`` and report the fit."""
    logging.getLogger("MESA").setLevel(logging.WARNING)
    try:
        cfg = to_sim_config(dcfg)
        obs = load_observations(cfg.calibration)
        prior_box(cfg, list(cfg.calibration.free))
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    cal = cfg.calibration
    print(
        f"calibrating {len(cal.free)} parameters on {len(obs)} observations, "
        f"{cal.waves} waves x {cal.samples} points x {cal.replicates} seeds -> {out_dir}"
    )
    res = calibrate(cfg, out_dir)
    print(res["summary"].to_string(index=False))
    print(f"best point:\n{res['points'].iloc[0][list(cal.free)].to_string()}")
    if cal.install:
        print(f"installed conf/region/{cal.output_region}.yaml")


register_schema()

if __name__ == "__main__":
    main()
