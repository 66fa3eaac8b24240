"""Track record: rolling-origin back-tests scored against what the region reported.

``python -m scenarios.validate [overrides]`` (``validation=quick`` for a small run). For each
origin year ``o`` of ``validation.origins``:

1. **Calibrate** with the project's calibration (:func:`scenarios.calibrate.calibrate`, the
   settings of ``calibration.*``) on the observations with ``year <= o`` only,
   ``calibration.end_year = o``. No later observation reaches this step (:func:`observations_at`
   is the only path; the test ``tests/scenarios/test_validate.py`` perturbs a later observation
   and finds the posterior unchanged).
2. **Project** the policy in force from the latest base-year file at or before ``o`` (files found
   by the region's ``data_file`` pattern, e.g. ``<region>_base_2017.csv``, ``..._2022.csv``) to
   ``o + validation.lead_years``, ``validation.replicates`` replicates, each drawing its
   parameter set from the origin's posterior (written to the run directory and passed as an
   absolute ``region.posterior_file``). The policy in force is the region's policy timeline
   (``run.policy=timeline``: ``region.policy_timeline``, e.g. the super-deduction steps and the
   2023 measures from 2023 Q3), the same history the calibration replays; no observation is
   assimilated (``run.assimilate=false``). Years between the base year and the origin are
   simulated, not scored. Exogenous drivers: ``validation.exogenous=ex_ante`` (default) removes
   the observed values after the origin (``region.exogenous.gdp_growth_by_year``,
   ``listing_window``, ``little_giant_batch``, ``national_key_lab_rounds``), so replicates draw
   them from their ranges as a forecaster at the origin would have; ``ex_post`` keeps them (how
   much of the error the drivers explain).
3. **Score** every observation in ``(o, o + lead_years]`` (:mod:`scenarios.scoring`): inside the
   50 % / 90 % bands, CRPS, interval scores, randomised PIT, and the CRPS of two naive
   forecasters built from the observations up to ``o`` (trend of the last two; persistence).

Writes into the Hydra run directory (atomically): ``scorecard.csv`` (one row per origin and
observation), ``scorecard_summary.csv`` (per KPI and pooled), ``fans.csv`` (kpi, origin, year,
p05-p95 for every projected year from the origin), ``target_probabilities.csv`` (P(reached) of
each target in the window as the model gave it from each origin), ``observed.csv`` (the
observations used),
``pit_histogram.png``, ``fan_<kpi>.png``, ``run.json`` (command, date, machine, seconds) and,
per origin, ``origin_<o>/`` with the calibration outputs, the posterior and the projected KPIs.
It runs for any region whose observed file exists (``validation.observed_file``, default
``calibration.observed_file`` = ``<region>_observed.csv``) and refuses, in one line, a region
without one.

Scripts that call these functions must guard their entry point with
``if __name__ == "__main__":`` (worker processes are started by a fork server).
"""

from __future__ import annotations

import json
import logging
import os
import platform
import re
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import hydra
import numpy as np
import pandas as pd
from hydra.core.hydra_config import HydraConfig
from matplotlib.figure import Figure
from omegaconf import DictConfig

from scenarios.calibrate import calibrate, estimates_for, install_dir, load_observations
from scenarios.scoring import naive_forecasts, score_points, summarise
from sim.charts import draw_observed
from sim.compose import register_schema, to_yaml
from sim.config import (
    ConfigError,
    ExogenousConfig,
    RegionConfig,
    SimConfig,
    check,
    check_origins,
    to_sim_config,
)
from sim.ensemble import run_ensemble
from sim.kpis import KPI_UNITS
from sim.observations import load_observed, observed_path
from sim.paths import candidates
from sim.posterior import with_params
from sim.provenance import announce
from sim.region import CONF_DIR, load_base_state
from sim.rundir import atomic_write, model_version
from sim.targets import reachability

log = logging.getLogger("scenarios.validate")

QUANTILE_COLUMNS = ("p05", "p25", "p50", "p75", "p95")
SCORECARD_COLUMNS = (
    "region",
    "origin",
    "base_year",
    "kpi",
    "year",
    "lead",
    "kind",
    "value",
    "low",
    "high",
    *QUANTILE_COLUMNS,
    "in50",
    "in90",
    "y_star",
    "crps",
    "is50",
    "is90",
    "pit",
    "trend",
    "persistence",
    "crps_trend",
    "crps_persistence",
    "members",
    "sources",
    "confidence",
    "indicator",
    "source_url",
)


# ---------------------------------------------------------------------------------------------
# Inputs: observations, base-year files, the configs of an origin


def observed_file(cfg: SimConfig) -> Path:
    """The region's observed file (``validation.observed_file`` or ``calibration.observed_file``).

    Raises:
        ConfigError: when the region has no observed file (never falls back to another region's).
    """
    name = cfg.validation.observed_file or cfg.calibration.observed_file
    if not name:
        raise ConfigError("validation.observed_file is empty; name the region's observed file")
    path = observed_path(name, cfg.region.config_dirs, "validation.observed_file")
    if not path.exists():
        raise ConfigError(
            f"validation.observed_file={name!r} not found in {path.parent}: region "
            f"{cfg.region.name!r} has no observed file, so it cannot be back-tested"
        )
    return path


def observations_at(observed: pd.DataFrame, origin: int) -> pd.DataFrame:
    """What a forecaster knows at the end of ``origin``: the observations up to that year."""
    return observed[observed["year"] <= origin].reset_index(drop=True)


def base_years(region: RegionConfig) -> dict[int, str]:
    """The region's base-year files, ``year -> file name``, found by its ``data_file`` pattern.

    ``data_file`` names the current base year's file (``changsha_base_2022.csv``); the same name
    with another year (``changsha_base_2017.csv``) is another base-year file of the region.
    """
    stem = str(region.base_year)
    if stem not in region.data_file:
        return {region.base_year: region.data_file}
    head, _, tail = region.data_file.rpartition(stem)
    prefix = Path(head).name
    regex = re.compile(re.escape(prefix) + r"(\d{4})" + re.escape(tail))
    found = {}
    # The folders sim.paths looks a region file up in, in its order (the user's dirs first).
    folders = dict.fromkeys(p.parent for p in candidates(head, region.config_dirs, CONF_DIR))
    for folder in folders:
        for path in folder.glob(f"{prefix}*{tail}"):
            match = regex.fullmatch(path.name)
            if match:
                found.setdefault(int(match.group(1)), f"{head}{match.group(1)}{tail}")
    return dict(sorted(found.items()))


def base_for_origin(region: RegionConfig, origin: int) -> tuple[int, str]:
    """The latest base-year file at or before the origin: ``(year, file name)``.

    Raises:
        ConfigError: when the region has no base-year file at or before the origin.
    """
    files = base_years(region)
    usable = [y for y in files if y <= origin]
    if not usable:
        raise ConfigError(
            f"validation.origins: no base-year file of region {region.name!r} at or before "
            f"{origin} (files: {list(files.values())})"
        )
    return max(usable), files[max(usable)]


def ex_ante(exo: ExogenousConfig, origin: int) -> ExogenousConfig:
    """Exogenous drivers as known at the origin: observed values after it removed.

    Years after the origin of ``gdp_growth_by_year``, ``listing_window``,
    ``little_giant_batch`` and ``national_key_lab_rounds`` are dropped, so replicates draw them
    from their ranges (``gdp_growth``, ``listing_window_later``, ``little_giant_batch_later``,
    ``national_key_lab_rounds_later``).
    """

    def known(values: dict) -> dict:
        return {y: v for y, v in values.items() if int(y) <= origin}

    return replace(
        exo,
        gdp_growth_by_year=known(exo.gdp_growth_by_year),
        listing_window=known(exo.listing_window),
        little_giant_batch=known(exo.little_giant_batch),
        national_key_lab_rounds=known(exo.national_key_lab_rounds),
    )


def calibration_config(cfg: SimConfig, origin: int) -> SimConfig:
    """The calibration of an origin: the project's settings, ``end_year = origin``, no install."""
    return replace(cfg, calibration=replace(cfg.calibration, end_year=origin, install=False))


def calibrate_origin(
    cfg: SimConfig, observed: pd.DataFrame, origin: int, out_dir: Path, workers: int = 0
) -> dict:
    """History matching with the observations up to ``origin`` only; writes into ``out_dir``.

    Args:
        cfg: The validated config (its ``calibration`` settings are used).
        observed: Every observation of the region (tidy frame of ``load_observed``); only those
            with ``year <= origin`` are passed on.
        origin: The origin year (``calibration.end_year``).
        out_dir: Directory of the origin's calibration outputs.
        workers: Processes (0 = all cores).

    Returns:
        ``calibrate``'s tables plus ``posterior_file`` (absolute path of the posterior CSV),
        ``best`` (the posterior median) and ``observations`` (the points fitted).
    """
    cfg_o = calibration_config(cfg, origin)
    obs = load_observations(cfg_o.calibration, observed=observations_at(observed, origin))
    res = calibrate(cfg_o, out_dir, workers, obs=obs)
    res["posterior_file"] = (out_dir / f"{cfg.calibration.output_region}_posterior.csv").resolve()
    res["observations"] = obs
    return res


def projection_config(
    cfg: SimConfig, origin: int, posterior_file: Path, best: pd.Series | None = None
) -> SimConfig:
    """The projection from an origin: base-year file, horizon, posterior, exogenous drivers.

    Args:
        cfg: The validated config (the region's policy timeline is the policy in force,
            ``validation.*`` sizes).
        origin: The origin year.
        posterior_file: The origin's posterior (absolute path).
        best: The origin's point estimate of the free parameters (used where no draw applies).

    Returns:
        A checked config projecting from the base year to ``origin + lead_years``.
    """
    val = cfg.validation
    base_year, data_file = base_for_origin(cfg.region, origin)
    exo = ex_ante(cfg.region.exogenous, origin) if val.exogenous == "ex_ante" else None
    region = replace(
        cfg.region,
        base_year=base_year,
        data_file=data_file,
        estimates=estimates_for(cfg.region, base_year),
        posterior_file=str(Path(posterior_file).resolve()),
        calibrated_for=cfg.region.name,  # the origin's posterior is this region's
        exogenous=exo or cfg.region.exogenous,
    )
    run = replace(
        cfg.run,
        horizon=origin + val.lead_years,
        replicates=val.replicates,
        people_per_agent=val.people_per_agent,
        parameter_uncertainty=True,
        plots=False,
        policy="timeline",
        assimilate=False,
    )
    out = replace(cfg, region=region, run=run, mode="backtest")
    if best is not None:
        out = with_params(out, list(best.index), best.to_numpy(dtype=float))
    return check(out)


# ---------------------------------------------------------------------------------------------
# Scoring and fans


def score_origin(
    kpis: pd.DataFrame,
    observed: pd.DataFrame,
    origin: int,
    lead_years: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Score the observations in ``(origin, origin + lead_years]`` against one projection.

    Args:
        kpis: Projected KPIs, tidy (replicate, year, kpi, value).
        observed: Every observation of the region (only those up to the origin feed the naive
            forecasters).
        origin: The origin year.
        lead_years: Years ahead scored.
        rng: Generator of the randomised PIT.

    Returns:
        One row per scored observation (columns of ``scenarios.scoring.score_points`` plus the
        observation, its lead and the naive forecasts).
    """
    window = observed[(observed.year > origin) & (observed.year <= origin + lead_years)]
    window = window[window.kpi.isin(set(kpis.kpi))].reset_index(drop=True)
    if window.empty:
        return pd.DataFrame(columns=[c for c in SCORECARD_COLUMNS if c not in ("region",)])
    wide = kpis.pivot_table(index=["kpi", "year"], columns="replicate", values="value")
    ens = wide.loc[list(zip(window.kpi, window.year, strict=True))].to_numpy(dtype=float)
    history = observations_at(observed, origin)
    trend = np.full(len(window), np.nan)
    persistence = np.full(len(window), np.nan)
    for kpi, rows in window.groupby("kpi").groups.items():
        past = history[history.kpi == kpi]
        t, p = naive_forecasts_for(past, window.loc[rows, "year"].to_numpy())
        trend[rows], persistence[rows] = t, p
    scores = score_points(ens, window.low, window.high, trend, persistence, rng)
    out = pd.concat([window, scores], axis=1)
    out["origin"] = origin
    out["lead"] = out["year"] - origin
    out["trend"] = trend
    out["persistence"] = persistence
    out["members"] = ens.shape[1]
    return out


def target_probabilities(pcfg: SimConfig, kpis: pd.DataFrame, origin: int) -> pd.DataFrame:
    """P(reached) of every target in the scored window, as the model gave it from ``origin``.

    ``make run`` prints these beside the reported outcome (the region's ``track_record_file``).
    """
    window = [t for t in pcfg.targets.targets if origin < t.year <= pcfg.run.horizon]
    reach = reachability(kpis, window)
    columns = ["target", "year", "threshold", "probability", "ci_low", "ci_high", "replicates"]
    if reach.empty:
        return pd.DataFrame(columns=["origin", *columns])
    out = reach[columns].copy()
    out.insert(0, "origin", origin)
    return out


def naive_forecasts_for(past: pd.DataFrame, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Trend and persistence forecasts from one KPI's observations up to the origin."""
    return naive_forecasts(past["year"].to_numpy(), past["value"].to_numpy(), years)


def fan_table(kpis: pd.DataFrame, origin: int, wanted: list[str]) -> pd.DataFrame:
    """Quantiles of each wanted KPI for every projected year from the origin on."""
    sel = kpis[kpis.kpi.isin(wanted) & (kpis.year >= origin)]
    q = sel.groupby(["kpi", "year"])["value"].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    q.columns = list(QUANTILE_COLUMNS)
    q = q.reset_index()
    q.insert(1, "origin", origin)
    return q


# ---------------------------------------------------------------------------------------------
# Figures (matplotlib Figure objects, no pyplot: safe from the dashboard's threads)

ORIGIN_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:cyan")


def fan_figure(fans: pd.DataFrame, observed: pd.DataFrame, kpi: str, title: str = "") -> Figure:
    """One KPI: the fan (median, 25-75 %, 5-95 %) from each origin and the observations.

    Args:
        fans: ``fans.csv`` rows (kpi, origin, year, p05..p95).
        observed: Observations (kpi, year, value, low, high, kind).
        kpi: The KPI to draw.
        title: Extra title text (e.g. the KPI's coverage).

    Returns:
        A matplotlib Figure (not registered with pyplot).
    """
    fig = Figure(figsize=(7.2, 3.8), dpi=80)
    ax = fig.subplots()
    mine = fans[fans.kpi == kpi]
    for i, (origin, f) in enumerate(mine.groupby("origin")):
        c = ORIGIN_COLOURS[i % len(ORIGIN_COLOURS)]
        f = f.sort_values("year")
        ax.fill_between(f.year, f.p05, f.p95, color=c, alpha=0.15, lw=0)
        ax.fill_between(f.year, f.p25, f.p75, color=c, alpha=0.3, lw=0)
        ax.plot(f.year, f.p50, color=c, lw=1.6, label=f"from {origin}")
    draw_observed(ax, observed[observed.kpi == kpi])
    ax.set_title(f"{kpi} [{KPI_UNITS.get(kpi, '')}]" + (f" - {title}" if title else ""), fontsize=9)
    ax.set_xlabel("year", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    fig.tight_layout()
    return fig


def pit_figure(scorecard: pd.DataFrame, bins: int = 10) -> Figure:
    """Histogram of the (randomised) PIT of every scored point; flat means calibrated."""
    fig = Figure(figsize=(5.6, 3.4), dpi=80)
    ax = fig.subplots()
    values = scorecard["pit"].dropna().to_numpy(dtype=float)
    ax.hist(values, bins=np.linspace(0, 1, bins + 1), density=True, color="tab:blue", alpha=0.7)
    ax.axhline(1.0, color="black", ls="--", lw=1, label="uniform (calibrated)")
    ax.set_xlim(0, 1)
    ax.set_xlabel("PIT (share of the ensemble below the observation)", fontsize=8)
    ax.set_ylabel("density", fontsize=8)
    ax.set_title(
        f"PIT of {len(values)} points from {scorecard['origin'].nunique()} origins "
        "(randomised for intervals and ties)",
        fontsize=9,
    )
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _save(fig: Figure, path: Path) -> None:
    atomic_write(path, lambda p: fig.savefig(p, format="png"))


# ---------------------------------------------------------------------------------------------
# The rolling-origin loop


def _csv(frame: pd.DataFrame, path: Path) -> None:
    atomic_write(path, lambda p: frame.to_csv(p, index=False))


def _write_projection(odir: Path, pcfg: SimConfig, kpis: pd.DataFrame) -> None:
    atomic_write(odir / "kpis.parquet", lambda p: kpis.to_parquet(p, index=False))
    header = f"# model_version: {model_version()}\n"
    atomic_write(odir / "config.yaml", lambda p: p.write_text(header + to_yaml(pcfg)))


def run_validation(
    cfg: SimConfig, out_dir: Path, observed: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """Calibrate, project and score every origin; write the scorecard and its figures.

    Args:
        cfg: The validated config.
        out_dir: The run directory.
        observed: The region's observations (default: read from its observed file).

    Returns:
        ``scorecard``, ``summary``, ``fans`` and ``observed`` tables.
    """
    start = time.perf_counter()
    out_dir = Path(out_dir)
    val = cfg.validation
    observed = load_observed(observed_file(cfg)) if observed is None else observed
    origins = sorted(set(val.origins))
    for origin in origins:  # refuse a missing base-year file before any work
        base_for_origin(cfg.region, origin)
    if val.install and not cfg.region.track_record_file:
        raise ConfigError(
            f"validation.install=true: region {cfg.region.name!r} sets no "
            "region.track_record_file to install the target probabilities as"
        )
    wanted = sorted(set(observed.kpi))
    cards, fans, probs, seconds = [], [], [], {}
    for origin in origins:
        t0 = time.perf_counter()
        odir = out_dir / f"origin_{origin}"
        print(f"origin {origin}: calibrating on observations up to {origin} -> {odir}", flush=True)
        cal = calibrate_origin(cfg, observed, origin, odir, cfg.run.workers)
        pcfg = projection_config(cfg, origin, cal["posterior_file"], cal["best"])
        print(
            f"origin {origin}: {len(cal['posterior'])} parameter sets from "
            f"{len(cal['observations'])} observations; projecting the policy timeline from "
            f"{pcfg.region.base_year} to {pcfg.run.horizon} ({pcfg.run.replicates} replicates)",
            flush=True,
        )
        result = run_ensemble(pcfg, progress=cfg.run.progress)
        for err in result.errors:
            log.error(err)
        _write_projection(odir, pcfg, result.kpis)
        rng = np.random.default_rng([val.pit_seed, origin])
        card = score_origin(result.kpis, observed, origin, val.lead_years, rng)
        card["base_year"] = pcfg.region.base_year
        cards.append(card)
        fans.append(fan_table(result.kpis, origin, wanted))
        probs.append(target_probabilities(pcfg, result.kpis, origin))
        seconds[origin] = round(time.perf_counter() - t0, 1)
        print(f"origin {origin}: {len(card)} points scored in {seconds[origin]} s", flush=True)
    if not any(len(c) for c in cards):
        raise ConfigError(f"region {cfg.region.name!r}: no observation after the origins {origins}")
    scorecard = pd.concat([c for c in cards if len(c)], ignore_index=True)
    scorecard.insert(0, "region", cfg.region.name)
    scorecard = scorecard[list(SCORECARD_COLUMNS)]
    summary = summarise(scorecard)
    fan_frame = pd.concat(fans, ignore_index=True)
    _csv(scorecard, out_dir / "scorecard.csv")
    _csv(summary, out_dir / "scorecard_summary.csv")
    _csv(fan_frame, out_dir / "fans.csv")
    probabilities = pd.concat(probs, ignore_index=True)
    _csv(probabilities, out_dir / "target_probabilities.csv")
    if val.install:
        installed = install_dir(cfg) / Path(cfg.region.track_record_file).name
        installed.parent.mkdir(parents=True, exist_ok=True)
        _csv(probabilities, installed)
        print(f"installed {installed} (region.track_record_file)", flush=True)
    _csv(observed.assign(region=cfg.region.name), out_dir / "observed.csv")
    if val.plots:
        _save(pit_figure(scorecard), out_dir / "pit_histogram.png")
        for kpi, row in summary.set_index("kpi").iterrows():
            if kpi == "pooled":
                continue
            note = (
                f"{int(row.points)} points, in 90 % band {row.coverage90:.0%}, "
                f"in 50 % band {row.coverage50:.0%}"
            )
            _save(fan_figure(fan_frame, observed, kpi, note), out_dir / f"fan_{kpi}.png")
    info = {
        "command": "python -m scenarios.validate " + " ".join(sys.argv[1:]),
        "date": date.today().isoformat(),
        "seconds": round(time.perf_counter() - start, 1),
        "seconds_per_origin": {str(k): v for k, v in seconds.items()},
        "region": cfg.region.name,
        "observed_file": observed_file(cfg).name,
        "origins": origins,
        "lead_years": val.lead_years,
        "replicates": val.replicates,
        "people_per_agent": val.people_per_agent,
        "exogenous": val.exogenous,
        "policy": [
            f"{p.start_year}Q{p.start_quarter}: {p.label}" for p in cfg.region.policy_timeline
        ],
        "points": len(scorecard),
        "model_version": model_version(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "workers": cfg.run.workers,
        },
    }
    header = f"# model_version: {model_version()}\n"
    atomic_write(out_dir / "config.yaml", lambda p: p.write_text(header + to_yaml(cfg)))
    atomic_write(out_dir / "run.json", lambda p: p.write_text(json.dumps(info, indent=2)))
    report = report_markdown(scorecard, summary, info)
    atomic_write(out_dir / "report.md", lambda p: p.write_text(report))
    return {"scorecard": scorecard, "summary": summary, "fans": fan_frame, "observed": observed}


GOALS = {"coverage90": (0.80, 0.97), "coverage50": (0.35, 0.65)}
"""Pooled coverage a calibrated forecaster reaches (issue 15's goals; nominal 0.90 and 0.50)."""


def _f(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}" if np.isfinite(x) else "-"


def report_markdown(scorecard: pd.DataFrame, summary: pd.DataFrame, info: dict) -> str:
    """The scorecard as Markdown (``report.md``; ``docs/validation/report.md`` is a copy of one).

    The pooled result against the goals, one row per KPI, and coverage by origin, lead and kind.
    """
    pooled = summary.set_index("kpi").loc["pooled"]
    per_kpi = summary[summary.kpi != "pooled"]
    with_skills = per_kpi[np.isfinite(per_kpi.skill_trend) & np.isfinite(per_kpi.skill_persistence)]
    n_beat = int(with_skills.beats_both.sum())

    def met(ok: bool) -> str:
        return "yes" if ok else "no"

    lo90, hi90 = GOALS["coverage90"]
    lo50, hi50 = GOALS["coverage50"]
    lines = [
        f"# Track record of region {info['region']}",
        "",
        f"`{info['command']}` on {info['date']} (model {str(info['model_version'])[:12]}): "
        f"origins {info['origins']}, {info['lead_years']} years ahead, "
        f"{info['replicates']} replicates per origin, exogenous drivers {info['exogenous']}; "
        f"{info['seconds'] / 60:.1f} min on {info['machine']['cpus']} cores "
        f"(seconds per origin: {info['seconds_per_origin']}).",
        "",
        f"| pooled over {int(pooled.points)} points | value | goal | met |",
        "|---|---|---|---|",
        f"| coverage of the 90 % band | **{_f(pooled.coverage90)}** | {lo90}-{hi90} | "
        f"{met(lo90 <= pooled.coverage90 <= hi90)} |",
        f"| coverage of the 50 % band | **{_f(pooled.coverage50)}** | {lo50}-{hi50} | "
        f"{met(lo50 <= pooled.coverage50 <= hi50)} |",
        f"| CRPS skill against the trend of the last two observations | "
        f"**{_f(pooled.skill_trend)}** | > 0 | {met(pooled.skill_trend > 0)} |",
        f"| CRPS skill against persistence | **{_f(pooled.skill_persistence)}** | > 0 | "
        f"{met(pooled.skill_persistence > 0)} |",
        f"| KPIs with CRPS better than both naive forecasters | **{n_beat} of "
        f"{len(with_skills)}** | at least 2/3 | {met(n_beat >= 2 / 3 * len(with_skills))} |",
        f"| median width of the 90 % band, share of the value | "
        f"{_f(pooled.median_width90_share)} | | |",
        "",
        "Per KPI (skill = 1 - CRPS_model / CRPS_naive over the naive points, those with an "
        "observation up to the origin):",
        "",
        "| KPI | points | in 50 % band | in 90 % band | 90 % band / value | naive points | "
        "skill vs trend | skill vs persistence | beats both |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in per_kpi.itertuples():
        has = np.isfinite(r.skill_trend) and np.isfinite(r.skill_persistence)
        lines.append(
            f"| {r.kpi} | {int(r.points)} | {_f(r.coverage50)} | {_f(r.coverage90)} | "
            f"{_f(r.median_width90_share)} | {int(r.points_naive)} | {_f(r.skill_trend)} | "
            f"{_f(r.skill_persistence)} | {('yes' if r.beats_both else 'no') if has else '-'} |"
        )
    lines += ["", "Coverage of the 90 % (50 %) band by origin, lead and kind of observation:", ""]
    for col in ("origin", "lead", "kind"):
        g = scorecard.groupby(col)
        parts = [
            f"{k}: {v90:.2f} ({v50:.2f}, n={n})"
            for (k, v90), v50, n in zip(g.in90.mean().items(), g.in50.mean(), g.size(), strict=True)
        ]
        lines.append(f"- by {col}: " + "; ".join(parts))
    lines.append("")
    return "\n".join(lines)


def format_summary(summary: pd.DataFrame) -> str:
    """The summary as a fixed-width table (what the CLI prints)."""
    cols = [
        "kpi",
        "points",
        "coverage50",
        "coverage90",
        "median_width90_share",
        "points_naive",
        "skill_trend",
        "skill_persistence",
        "beats_both",
    ]
    shown = summary[cols].copy()
    decimals = [c for c in cols if c.startswith(("coverage", "median", "skill"))]
    for c in decimals:
        shown[c] = shown[c].map(lambda x: f"{x:.2f}" if np.isfinite(x) else str(x))
    return shown.to_string(index=False)


@hydra.main(config_path="pkg://conf", config_name="config", version_base="1.3")
def main(dcfg: DictConfig) -> None:
    """Back-test every origin of ``validation.origins`` and write the scorecard."""
    logging.getLogger("MESA").setLevel(logging.WARNING)
    try:
        cfg = to_sim_config(dcfg)
        check_origins(cfg.validation, cfg.calibration)
        observed = load_observed(observed_file(cfg))
        for origin in cfg.validation.origins:
            base_for_origin(cfg.region, origin)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    val = cfg.validation
    print(
        f"back-test of region {cfg.region.name}: origins {sorted(set(val.origins))}, "
        f"{val.lead_years} years ahead, the policy timeline, exogenous {val.exogenous}, "
        f"{len(observed)} observations -> {out_dir}",
        flush=True,
    )
    announce(cfg, load_base_state(cfg.region))
    start = time.perf_counter()
    res = run_validation(cfg, out_dir, observed)
    print(format_summary(res["summary"]))
    elapsed = time.perf_counter() - start
    print(f"{len(res['scorecard'])} points scored in {elapsed:.0f} s; results in {out_dir}")


register_schema()

if __name__ == "__main__":
    main()
