"""Calibration: ``python -m scenarios.calibrate [overrides]``.

The model replays history from ``calibration.base_year`` (2017 for Changsha, with the base-state
uncertainty of that year's data file) under the region's policy timeline to
``calibration.end_year`` and is compared with everything the region reported in between
(``region.observed_file``: exact figures, ranges and bounds), through the observation model of
:mod:`sim.likelihood` (observation error by source confidence plus a model discrepancy per series,
``calibration.discrepancy``).

The method (chosen by the twin experiment of ``docs/calibration/twin_experiment.md``) is Bayesian
emulator-based history matching (:mod:`scenarios.emulation`): waves of simulations over the free
parameters' prior box (their declared plausible ranges), Gaussian-process emulators of every
observation, implausibility to rule out space, a discrepancy scale estimated from the best run,
then a posterior sampled on the emulators (tempered SMC) with their censored-Gaussian likelihood.
``calibration.posterior_size`` sets form the posterior that every ensemble draws from (one set per
replicate); the posterior median is the point estimate.

The report checks the posterior with the real model (each posterior set replayed once): bands and
errors per series, the prior-predictive band of wave 1 against every observation, prior vs
posterior marginals, a pairs plot and parameters piled against a bound. Results go to the Hydra
run directory; ``calibration.install=true`` also writes the calibrated region
(``conf/region/<output_region>.yaml`` and its posterior CSV).

Scripts that call these functions must guard their entry point with
``if __name__ == "__main__":`` because worker processes are started by a fork server.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import date
from pathlib import Path

import hydra
import numpy as np
import pandas as pd
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from agents.params import documented_fields
from scenarios import emulation
from sim.compose import register_schema
from sim.config import (
    KPI_IDS,
    CalibrationConfig,
    ConfigError,
    EstimateConfig,
    SimConfig,
    to_sim_config,
)
from sim.likelihood import observation_table
from sim.model import InnovationModel
from sim.observations import load_observed, observed_path
from sim.posterior import with_params
from sim.provenance import announce
from sim.region import CONF_DIR, load_base_state
from sim.rundir import atomic_write, model_version

log = logging.getLogger("scenarios.calibrate")
SD_BY_CONFIDENCE = {"high": 0.05, "medium": 0.10, "low": 0.20}
"""Observation error (share of the value) by the confidence column of the observed file."""


# ---------------------------------------------------------------------------------------------
# Inputs


def load_observations(
    cal: CalibrationConfig,
    path: Path | None = None,
    observed: pd.DataFrame | None = None,
    config_dirs: list[str] | tuple[str, ...] = (),
) -> pd.DataFrame:
    """Observed points used for calibration: kpi, year, value, low, high, kind, confidence.

    Reads the region's observed file with the one loader (:func:`sim.observations.load_observed`)
    and keeps the KPIs of ``calibration.kpis`` (every simulated KPI when empty; GDP, an input, is
    never fitted) in ``(base_year, end_year]``. Exact figures, ranges and one-sided bounds all
    enter the likelihood (censored observations).

    Args:
        cal: Calibration settings (KPIs, years, observed file).
        path: Observed file (default: ``cal.observed_file``, found by :mod:`sim.paths`).
        config_dirs: The user's config dirs the file is looked up in (``region.config_dirs``).
        observed: Already loaded observations (tidy frame of ``load_observed``); overrides path.

    Returns:
        One row per observation after the base year, in KPI units.

    Raises:
        ConfigError: if the file is missing or has no usable observation in the years.
    """
    if observed is None:
        if path is None and not cal.observed_file:
            raise ConfigError("calibration.observed_file is empty; name the region's observed file")
        path = path or observed_path(cal.observed_file, config_dirs, "calibration.observed_file")
        if not path.exists():
            raise ConfigError(
                f"calibration.observed_file={cal.observed_file!r} not found in {path.parent}"
            )
        observed = load_observed(path, series=cal.series)
    wanted = list(cal.kpis) if cal.kpis else [k for k in KPI_IDS if k not in NOT_FITTED]
    sel = observed[
        (observed.year > cal.base_year)
        & (observed.year <= cal.end_year)
        & observed.kpi.isin(wanted)
    ]
    columns = ["kpi", "year", "value", "low", "high", "kind", "confidence"]
    obs = sel[columns].reset_index(drop=True)
    if obs.empty:
        raise ConfigError(f"no observations between {cal.base_year} and {cal.end_year}")
    return obs


NOT_FITTED = ("gdp", "public_cost")
"""KPIs never fitted: GDP is an input (observed growth by year), public cost has no record."""


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
    region = replace(
        cfg.region,
        base_year=cal.base_year,
        data_file=_data_file(cfg, cal.base_year),
        estimates=estimates_for(cfg.region, cal.base_year),
    )
    run = replace(
        cfg.run,
        horizon=cal.end_year,
        people_per_agent=cal.people_per_agent,
        parameter_uncertainty=False,
        progress=False,
        plots=False,
        policy="timeline",
        assimilate=False,
        base_state_uncertainty=cal.base_state_uncertainty,
    )
    return replace(cfg, region=region, run=run)


def estimates_for(region, year: int):
    """The estimates of the region's data file for ``year``.

    ``region.estimates`` at the region's base year, ``region.estimates_by_year[year]`` for an
    earlier calibration base year, else none.
    """
    if year == region.base_year:
        return region.estimates
    return region.estimates_by_year.get(year, EstimateConfig())


def _data_file(cfg: SimConfig, year: int) -> str:
    """The region's data file of another base year: its name with that year.

    Refused when the name has no year to replace, so no other year's file is used silently.
    """
    name = cfg.region.data_file
    if year != cfg.region.base_year and str(cfg.region.base_year) not in name:
        raise ConfigError(
            f"region.data_file={name!r} has no year in its name, so the base-year file of "
            f"calibration.base_year={year} cannot be found; name the files "
            f"<name>_{cfg.region.base_year}.csv and <name>_{year}.csv"
        )
    return name.replace(str(cfg.region.base_year), str(year))


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


def emulator_settings(cal: CalibrationConfig) -> emulation.Settings:
    """The emulator engine's settings from ``calibration.*``."""
    return emulation.Settings(
        waves=cal.waves,
        first_wave=cal.samples,
        wave_size=cal.wave_size,
        cut=cal.implausibility_cut,
        rank=cal.implausibility_rank,
        posterior_size=cal.posterior_size,
        seed=cal.seed,
    )


def emulate(
    cfg: SimConfig, obs: pd.DataFrame, table: pd.DataFrame, workers: int = 0
) -> emulation.Result:
    """Waves of replays, emulators and the posterior sampled on them (the engine's run)."""
    cal = cfg.calibration
    names = list(cal.free)
    low, high = prior_box(cfg, names)
    base = history_config(cfg)

    def run(points: np.ndarray) -> np.ndarray:
        return simulate(base, names, points, obs, workers)

    prior = emulation.Prior(names, low, high)
    observations = emulation.Observations.from_frame(table)
    return emulation.history_match(prior, run, observations, emulator_settings(cal))


# ---------------------------------------------------------------------------------------------
# Fit report


def fit_table(
    cfg: SimConfig, names: list[str], posterior: pd.DataFrame, table: pd.DataFrame, workers: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replay history once with posterior sets: yearly bands, and the fit per observation.

    Returns:
        ``(errors, bands)``: per observation the simulated 5/50/95 % quantiles, the error of the
        median in percent (against the observed value, the midpoint of a range, the bound of a
        one-sided observation) and ``in_band`` (the observed interval widened by two noise sd
        overlaps the simulated 5-95 % band); and the yearly quantiles of every fitted series.
    """
    base = history_config(cfg)
    cal = cfg.calibration
    years = range(cal.base_year, cal.end_year + 1)
    grid = pd.DataFrame(
        [(k, y) for k in dict.fromkeys(table.kpi) for y in years], columns=["kpi", "year"]
    )
    one_seed = replace(base, calibration=replace(cal, replicates=1))
    sims = simulate(one_seed, names, posterior.to_numpy(), grid, workers).reshape(-1, len(grid))
    bands = grid.copy()
    bands["p05"], bands["p50"], bands["p95"] = np.quantile(sims, [0.05, 0.5, 0.95], axis=0)
    errors = table.merge(bands, on=["kpi", "year"], how="left")
    errors["error_pct"] = (
        100 * (errors.p50 - errors.value) / errors.value.where(errors.value != 0, 1)
    )
    errors["in_band"] = _overlaps(errors, "p05", "p95")
    return errors, bands


def _overlaps(frame: pd.DataFrame, low_col: str, high_col: str) -> pd.Series:
    """Whether each observed interval, widened by two noise sd, overlaps a simulated band."""
    sd = np.sqrt(frame.obs_sd**2 + frame.disc_sd**2)
    log = frame["transform"] == "log"
    low = np.where(log, frame.low * np.exp(-2 * sd), frame.low - 2 * sd)
    high = np.where(log, frame.high * np.exp(2 * sd), frame.high + 2 * sd)
    return pd.Series((high >= frame[low_col]) & (low <= frame[high_col]), index=frame.index)


def prior_predictive(result: emulation.Result, table: pd.DataFrame) -> pd.DataFrame:
    """The wave-1 (prior) runs at each observation: 5/50/95 % and whether they reach it."""
    runs = result.runs[result.runs.wave == 1]
    rows = []
    for i, name in enumerate(table.name):
        values = runs[f"sim:{name}"].to_numpy()
        if table["transform"].iloc[i] == "log":
            values = np.exp(values)
        rows.append(np.quantile(values, [0.05, 0.5, 0.95]))
    out = table[["kpi", "year", "value", "low", "high", "kind"]].copy()
    out[["prior_p05", "prior_p50", "prior_p95"]] = np.array(rows)
    full = pd.concat([out, table[["obs_sd", "disc_sd", "transform"]]], axis=1)
    out["in_prior_band"] = _overlaps(full, "prior_p05", "prior_p95").to_numpy()
    return out


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


def _series_grid(frame: pd.DataFrame, draw, path: Path, title: str, legend: bool) -> None:
    """One small panel per KPI of ``frame`` (four to a row), drawn by ``draw(ax, kpi)``."""
    from matplotlib.figure import Figure

    kpis = list(dict.fromkeys(frame.kpi))
    cols = 4
    rows = -(-len(kpis) // cols)
    fig = Figure(figsize=(3.6 * cols, 2.7 * rows), dpi=80)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        draw(ax, kpi)
        ax.set_title(kpi, fontsize=8)
        ax.tick_params(labelsize=6)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(kpis) :]:
        ax.axis("off")
    if legend:
        axes.flat[0].legend(fontsize=6)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, format="png"))


def plot_fit(errors: pd.DataFrame, bands: pd.DataFrame, path: Path, title: str) -> None:
    """Observed points and intervals against the simulated yearly 5-95 % band, per series."""

    def draw(ax, kpi: str) -> None:
        b = bands[bands.kpi == kpi].sort_values("year")
        ax.fill_between(b.year, b.p05, b.p95, color="tab:blue", alpha=0.25, lw=0, label="5-95 %")
        ax.plot(b.year, b.p50, color="tab:blue", lw=1.3, label="median")
        _draw_observations(ax, errors[errors.kpi == kpi].sort_values("year"))

    _series_grid(errors, draw, path, title, legend=True)


def _draw_observations(ax, e: pd.DataFrame) -> None:
    """Exact figures as dots, ranges as bars, bounds as arrows."""
    exact = e[e.kind == "exact"]
    ax.plot(exact.year, exact.value, "o", color="tab:red", ms=3.5, label="observed")
    for r in e[e.kind != "exact"].itertuples():
        lo = r.low if np.isfinite(r.low) else r.high * 0.9
        hi = r.high if np.isfinite(r.high) else r.low * 1.1
        marker = {"lower": "^", "upper": "v"}.get(r.kind, "_")
        ax.plot([r.year, r.year], [lo, hi], color="tab:red", lw=1.2)
        ax.plot([r.year], [r.low if r.kind == "lower" else r.high], marker, color="tab:red", ms=4)


def plot_prior_predictive(prior: pd.DataFrame, path: Path) -> None:
    """The prior-predictive 5-95 % range at every observation, with the observation."""

    def draw(ax, kpi: str) -> None:
        e = prior[prior.kpi == kpi].sort_values("year")
        ax.vlines(e.year, e.prior_p05, e.prior_p95, color="tab:grey", lw=6, alpha=0.5)
        ax.plot(e.year, e.prior_p50, "_", color="black", ms=8)
        _draw_observations(ax, e)

    title = "Prior predictive (wave 1 of the calibration, 5-95 %) and observations"
    _series_grid(prior, draw, path, title, legend=False)


# ---------------------------------------------------------------------------------------------
# Outputs


def install_dir(cfg: SimConfig) -> Path:
    """Where ``calibration.install`` writes the calibrated region and its posterior.

    ``calibration.install_dir`` when given (absolute, or relative to the working directory);
    else the ``region/`` folder of the user's first config dir (``region.config_dirs``); else the
    project's ``conf/region/`` (the shipped regions).
    """
    if cfg.calibration.install_dir:
        return Path(cfg.calibration.install_dir).expanduser().resolve()
    if cfg.region.config_dirs:
        return Path(cfg.region.config_dirs[0]) / "region"
    return CONF_DIR / "region"


IDENTIFIED_SHRINKAGE = 0.25
"""Shrinkage (``1 - posterior sd / prior sd``) from which a calibrated parameter counts as
identified by the record: its posterior is at most three quarters as wide as its prior."""


def identified(diagnostics: pd.DataFrame) -> list[str]:
    """The parameters whose shrinkage reaches :data:`IDENTIFIED_SHRINKAGE`, in their order."""
    keep = diagnostics.shrinkage >= IDENTIFIED_SHRINKAGE
    return [str(n) for n in diagnostics.parameter[keep]]


def region_yaml(
    cfg: SimConfig,
    names: list[str],
    best: pd.Series,
    posterior_name: str,
    identified_names: list[str] | None = None,
) -> str:
    """A region config that selects the base region and overrides the calibrated parameters.

    ``identified_names`` (default: all of ``names``) are written as ``identified_parameters``.
    """
    pinned = names if identified_names is None else identified_names
    lines = [
        f"# Written by `python -m scenarios.calibrate` on {date.today()}"
        f" (model {model_version()[:12]}).",
        f"# Emulator-based calibration against the observed {cfg.calibration.base_year}-"
        f"{cfg.calibration.end_year} series; see docs/calibration/.",
        "# Do not edit by hand: re-run the calibration with calibration.install=true.",
        "defaults:",
        f"  - {cfg.region.name}",
        "  - _self_",
        f"posterior_file: {posterior_name}",
        f"calibrated_for: {cfg.region.name}",
        "calibrated_parameters:",
        *[f"  - {name}" for name in names],
        f"# identified: shrinkage >= {IDENTIFIED_SHRINKAGE} (docs/calibration/diagnostics.csv)",
        "identified_parameters:" + ("" if pinned else " []"),
        *[f"  - {name}" for name in pinned],
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


def _md_table(frame: pd.DataFrame) -> str:
    """A frame as a Markdown table (values already formatted)."""
    head = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def _g(x: float) -> str:
    return f"{x:.4g}" if np.isfinite(x) else ("+inf" if x > 0 else "-inf")


def report_markdown(
    cfg: SimConfig,
    result: emulation.Result,
    errors: pd.DataFrame,
    summary: pd.DataFrame,
    seconds: float,
    workers: int,
) -> str:
    """The calibration report (``report.md``; ``docs/calibration/report.md`` is a copy of one).

    Settings, waves, the discrepancy scale, the posterior's size, the fit per series and per
    observation, and the prior vs posterior of every free parameter with bound flags.
    """
    cal = cfg.calibration
    diag = result.diagnostics()
    waves = result.waves
    flagged = diag[diag["at_bound"].astype(str) != ""]
    lines = [
        f"# Calibration report ({cfg.region.name}, {cal.base_year}-{cal.end_year})",
        "",
        f"Written by `python -m scenarios.calibrate` on {date.today()} (model "
        f"{model_version()[:12]}): {len(cal.free)} free parameters, {len(errors)} observations, "
        f"{cal.waves} waves ({cal.samples} + {cal.wave_size} x {cal.waves - 1} points x "
        f"{cal.replicates} seed), {result.simulations} replays from {cal.base_year} at "
        f"{cal.people_per_agent} people per talent agent, plus {errors.attrs.get('sets', '')} "
        f"posterior replays for the fit; {seconds / 60:.1f} min with {workers or 'all'} "
        f"worker(s) on {multiprocessing.cpu_count()} cores.",
        "",
        "## Waves",
        "",
        "Share of the candidates that are not implausible, within the search box of the wave and "
        "as a share of the prior volume; the last row is the final screening for the posterior.",
        "",
        _md_table(
            waves.assign(
                nroy_share_box=waves.nroy_share_box.map(lambda x: f"{x:.3g}"),
                nroy_share_prior=waves.nroy_share_prior.map(lambda x: f"{x:.3g}"),
            )
        ),
        "",
        f"Discrepancy scale: {result.discrepancy_scale:.3g} (1 = the stated discrepancies already "
        "cover the best run's misfit). Posterior: "
        f"{len(result.posterior)} sets resampled from {result.ess:.0f} distinct SMC particles.",
        "",
        "## Fit per series",
        "",
        "Posterior replays with the real model: mean absolute error of the median, and the "
        "share of observations whose interval, widened by two noise sd (observation and "
        "discrepancy), overlaps the simulated 5-95 % band.",
        "",
        _md_table(
            summary.assign(
                mape_pct=summary.mape_pct.map(lambda x: f"{x:.1f} %"),
                in_band_share=summary.in_band_share.map(lambda x: f"{x:.0%}"),
            )
        ),
        "",
        "## Per observation",
        "",
        _md_table(
            pd.DataFrame(
                {
                    "series": errors.kpi,
                    "year": errors.year,
                    "kind": errors.kind,
                    "observed": [
                        _g(v) if k == "exact" else f"{_g(lo)} to {_g(hi)}"
                        for v, lo, hi, k in zip(
                            errors.value, errors.low, errors.high, errors.kind, strict=True
                        )
                    ],
                    "p05": errors.p05.map(_g),
                    "p50": errors.p50.map(_g),
                    "p95": errors.p95.map(_g),
                    "error of median": errors.error_pct.map(lambda x: f"{x:+.1f} %"),
                    "in band": errors.in_band.map({True: "yes", False: "no"}),
                }
            )
        ),
        "",
        "## Parameters: prior and posterior",
        "",
        "Shrinkage is 1 - posterior sd / prior sd; `at bound` flags more than 20 % of the "
        "posterior within 2 % of the range from a bound.",
        "",
        _md_table(
            pd.DataFrame(
                {
                    "parameter": diag.parameter.map(lambda n: f"`{n}`"),
                    "prior": [
                        f"{_g(lo)} to {_g(hi)}"
                        for lo, hi in zip(diag.prior_low, diag.prior_high, strict=True)
                    ],
                    "posterior median": diag.q50.map(_g),
                    "5-95 %": [
                        f"{_g(lo)} to {_g(hi)}" for lo, hi in zip(diag.q05, diag.q95, strict=True)
                    ],
                    "shrinkage": diag.shrinkage.map(lambda x: f"{x:.2f}"),
                    "at bound": diag.at_bound.astype(str),
                }
            )
        ),
        "",
        "Parameters piled against a bound: "
        + (", ".join(f"`{r.parameter}` ({r.at_bound})" for r in flagged.itertuples()) or "none")
        + ".",
        "",
        *borrowed_evidence(cfg),
    ]
    return "\n".join(lines)


def borrowed_evidence(cfg: SimConfig) -> list[str]:
    """Report lines: base-year indicators estimated, not published, and inherited parameters."""
    base = load_base_state(history_config(cfg).region)
    lines = ["## What the calibration rests on besides the region's record", ""]
    if base.estimated:
        lines += [
            f"Base-year indicators of the {cfg.calibration.base_year} file estimated, not "
            "published (`region.estimates`, rule of `sim/region.py`):",
            "",
            *[f"- `{k}`: {rule}" for k, rule in sorted(base.estimated.items())],
            "",
        ]
    else:
        lines += [
            f"No base-year indicator of the {cfg.calibration.base_year} file is estimated.",
            "",
        ]
    inherited = [
        p for p in cfg.region.inherited_parameters if p.split(" (")[0] not in cfg.calibration.free
    ]
    if inherited:
        lines += [
            "Parameters not fitted here whose value rests on another city's figures or calibration "
            "(`region.inherited_parameters`):",
            "",
            *[f"- `{line.split(' (')[0]}` ({line.split(' (', 1)[1]}" for line in inherited],
            "",
        ]
    return lines


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
) -> dict:
    """Calibrate and write the posterior, diagnostics, fit report and the calibrated region.

    ``obs`` (from :func:`load_observations`) replaces the observed file, e.g. the observations
    up to a back-test origin; years after ``calibration.end_year`` are never simulated.

    Returns:
        Tables by name (``posterior``, ``diagnostics``, ``errors``, ``summary``, ``bands``,
        ``prior_predictive``, ``runs``, ``waves``) and ``best`` (the posterior median).
    """
    start = time.perf_counter()
    cal = cfg.calibration
    names = list(cal.free)
    obs = load_observations(cal, config_dirs=cfg.region.config_dirs) if obs is None else obs
    table = observation_table(obs, cal.discrepancy)
    result = emulate(cfg, obs, table, workers)
    posterior = result.posterior[names].reset_index(drop=True)
    best = posterior.median()
    check = posterior.drop_duplicates().head(cal.check_sets)
    errors, bands = fit_table(cfg, names, check, table, workers)
    errors.attrs["sets"] = len(check)
    summary = series_errors(errors)
    prior = prior_predictive(result, table)
    posterior_name = f"{cal.output_region}_posterior.csv"
    text = region_yaml(cfg, names, best, posterior_name, identified(result.diagnostics()))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    result.write(out_dir)
    atomic_write(out_dir / posterior_name, lambda p: posterior.to_csv(p, index=False))
    atomic_write(out_dir / "observations.csv", lambda p: table.to_csv(p, index=False))
    atomic_write(out_dir / "fit_errors.csv", lambda p: errors.to_csv(p, index=False))
    atomic_write(out_dir / "fit_summary.csv", lambda p: summary.to_csv(p, index=False))
    atomic_write(out_dir / "fit_bands.csv", lambda p: bands.to_csv(p, index=False))
    atomic_write(out_dir / "prior_predictive.csv", lambda p: prior.to_csv(p, index=False))
    atomic_write(out_dir / f"{cal.output_region}.yaml", lambda p: p.write_text(text))
    years = f"{cal.base_year}-{cal.end_year}"
    plot_fit(
        errors, bands, out_dir / "fit_report.png", f"Posterior fit {years} ({len(check)} sets)"
    )
    plot_prior_predictive(prior, out_dir / "prior_predictive.png")
    seconds = time.perf_counter() - start
    report = report_markdown(cfg, result, errors, summary, seconds, workers)
    atomic_write(out_dir / "report.md", lambda p: p.write_text(report))
    if cal.install:
        region_dir = install_dir(cfg)
        region_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(region_dir / f"{cal.output_region}.yaml", lambda p: p.write_text(text))
        atomic_write(region_dir / posterior_name, lambda p: posterior.to_csv(p, index=False))
    return {
        "posterior": posterior,
        "best": best,
        "diagnostics": result.diagnostics(),
        "errors": errors,
        "summary": summary,
        "bands": bands,
        "prior_predictive": prior,
        "runs": result.runs,
        "waves": result.waves,
        "ess": result.ess,
        "simulations": result.simulations,
        "seconds": seconds,
    }


@hydra.main(config_path="pkg://conf", config_name="config", version_base="1.3")
def main(dcfg: DictConfig) -> None:
    """Calibrate the free parameters of ``calibration.free`` and report the fit."""
    logging.getLogger("MESA").setLevel(logging.WARNING)
    try:
        cfg = to_sim_config(dcfg)
        obs = load_observations(cfg.calibration, config_dirs=cfg.region.config_dirs)
        prior_box(cfg, list(cfg.calibration.free))
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    cal = cfg.calibration
    announce(cfg, load_base_state(history_config(cfg).region))
    print(
        f"calibrating {len(cal.free)} parameters on {len(obs)} observations "
        f"({cal.base_year}-{cal.end_year}), {cal.waves} waves ({cal.samples} + "
        f"{cal.wave_size} x {cal.waves - 1} points x {cal.replicates} seeds) -> {out_dir}"
    )
    res = calibrate(cfg, out_dir, cfg.run.workers)
    print(res["summary"].to_string(index=False))
    diag = res["diagnostics"]
    print(diag.to_string(index=False))
    flagged = diag[diag["at_bound"].astype(str) != ""]
    if len(flagged):
        sides = ", ".join(f"{r.parameter} ({r.at_bound})" for r in flagged.itertuples())
        print(f"piled against a bound of the prior range: {sides}")
    print(f"{res['simulations']} simulations; posterior ESS {res['ess']:.0f}")
    if cal.install:
        print(f"installed {install_dir(cfg) / (cal.output_region + '.yaml')}")


register_schema()

if __name__ == "__main__":
    main()
