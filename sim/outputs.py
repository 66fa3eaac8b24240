"""Write the results of an ensemble run into its run directory (format: :mod:`sim.rundir`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from omegaconf import OmegaConf

from sim.compose import to_yaml
from sim.config import SimConfig
from sim.ensemble import EnsembleResult
from sim.observations import observed_path
from sim.paths import region_file
from sim.region import CONF_DIR, data_path, load_base_state
from sim.rundir import (
    CONFIG_FILE,
    COSTS_FILE,
    KPIS_FILE,
    SEEDS_FILE,
    atomic_write,
    inputs_digest,
    mark_complete,
    model_version,
    result_config_hash,
)
from sim.targets import reachability, summary

FLOWS_FILE = "talent_flows.csv"
COMMON_FILES = (KPIS_FILE, SEEDS_FILE, FLOWS_FILE, CONFIG_FILE)
"""Files every run writes."""
PROJECT_FILES = ("summary.csv", "reachability.csv", COSTS_FILE, *COMMON_FILES)
"""Files of a ``mode=project`` run (fan charts aside: :func:`sim.charts.chart_names`)."""
BACKTEST_FILES = ("backtest.csv", *COMMON_FILES)
"""Files of a ``mode=backtest`` run."""
OUTCOMES_FILE = "outcomes.csv"
"""Reported targets beside the model's earlier P (project runs of regions with observations)."""
ASSIMILATION_FILE = "assimilation.csv"
"""The particle table of a run into which observations were assimilated."""


def config_hash(cfg: SimConfig) -> str:
    """Hash of the parts of the resolved config that change results (:func:`result_config_hash`)."""
    return result_config_hash(OmegaConf.to_container(OmegaConf.structured(cfg)))


def inputs_hash(cfg: SimConfig) -> str:
    """Hash of what else makes the results: the model source and the region's data files.

    The observed file (assimilated, and read for ``outcomes.csv``) and the track-record file
    count too (a missing one as empty).
    """
    return inputs_digest(input_files(cfg))


def input_files(cfg: SimConfig) -> list[Path]:
    """The region's data files behind a run (missing optional ones included, as they count).

    The base-year data file, the reference city's file when indicators are estimated from it
    (``region.estimates``), the posterior, observed and track-record files.
    """
    region = cfg.region
    dirs = region.config_dirs
    files = [data_path(region, must_exist=False)]
    if region.estimates.by and region.estimates.reference_data_file:
        name = region.estimates.reference_data_file
        field = "region.estimates.reference_data_file"
        files.append(region_file(name, field, dirs, conf_dir=CONF_DIR, must_exist=False))
    if region.posterior_file:
        name, field = region.posterior_file, "region.posterior_file"
        files.append(region_file(name, field, dirs, conf_dir=CONF_DIR, must_exist=False))
    for name, field in (
        (region.observed_file, "region.observed_file"),
        (region.track_record_file, "region.track_record_file"),
    ):
        if name:
            files.append(observed_path(name, dirs, field))
    return files


def region_marks(cfg: SimConfig) -> dict[str, dict[str, str]]:
    """What the run record says about the base-year data beyond the numbers.

    ``estimated_indicators``: indicator -> the rule that estimated it from the reference city;
    ``published_forms``: indicator -> the form of a value published as other than an exact
    number (``range``, ``approx``, ``lower``, ``upper``). See :mod:`sim.region`.
    """
    base = load_base_state(cfg.region)
    return {
        "estimated_indicators": dict(base.estimated),
        "published_forms": dict(base.published),
    }


def mark_run_complete(
    out_dir: Path,
    cfg: SimConfig,
    seconds: float,
    result: EnsembleResult,
    files: list[str],
) -> None:
    """Write ``done.json`` of an ensemble run (after every result file it lists)."""
    failed = result.seeds[result.seeds.status != "ok"]
    mark_complete(
        out_dir,
        config_hash(cfg),
        files,
        inputs_hash=inputs_hash(cfg),
        input_files=[str(p) for p in input_files(cfg)],
        **region_marks(cfg),
        replicates=cfg.run.replicates,
        failed_replicates=len(result.errors),
        failed_spawn_keys=[int(k) for k in failed.spawn_key],
        seconds=round(seconds, 3),
    )


def backtest_table(kpis: pd.DataFrame, base_year: int) -> pd.DataFrame:
    """Projection bands for every KPI and every year after the base year: kpi, year, p05-p95."""
    summ = summary(kpis)
    out = summ[summ.year > base_year][["kpi", "year", "p05", "p50", "p95"]]
    return out.sort_values(["kpi", "year"], ignore_index=True)


def write_backtest(out_dir: Path, cfg: SimConfig, result: EnsembleResult) -> pd.DataFrame:
    """Write the :data:`BACKTEST_FILES`: backtest.csv plus the KPIs, seeds, flows and config."""
    table = backtest_table(result.kpis, cfg.region.base_year)
    atomic_write(Path(out_dir) / "backtest.csv", lambda p: table.to_csv(p, index=False))
    _write_common(Path(out_dir), cfg, result)
    return table


def _write_common(out_dir: Path, cfg: SimConfig, result: EnsembleResult) -> None:
    atomic_write(out_dir / KPIS_FILE, lambda p: result.kpis.to_parquet(p, index=False))
    atomic_write(out_dir / SEEDS_FILE, lambda p: result.seeds.to_csv(p, index=False))
    atomic_write(out_dir / FLOWS_FILE, lambda p: result.flows.to_csv(p, index=False))
    header = f"# model_version: {model_version()}\n"
    atomic_write(out_dir / CONFIG_FILE, lambda p: p.write_text(header + to_yaml(cfg)))


def write_results(out_dir: Path, cfg: SimConfig, result: EnsembleResult) -> dict[str, pd.DataFrame]:
    """Write the :data:`PROJECT_FILES` (KPIs, summary, reachability, costs, seeds, config).

    Returns:
        The tables written, by name.
    """
    out_dir = Path(out_dir)
    reach = reachability(result.kpis, cfg.targets.targets)
    summ = summary(result.kpis)
    costs = result.costs.groupby(["year", "lever"], as_index=False)["yuan"].mean()
    tables = {"reachability": reach, "summary": summ, "costs": costs}
    atomic_write(out_dir / "summary.csv", lambda p: summ.to_csv(p, index=False))
    atomic_write(out_dir / "reachability.csv", lambda p: reach.to_csv(p, index=False))
    atomic_write(out_dir / COSTS_FILE, lambda p: costs.to_csv(p, index=False))
    _write_common(out_dir, cfg, result)
    return tables


def write_outcomes(out_dir: Path, outcomes: pd.DataFrame) -> str:
    """Write :data:`OUTCOMES_FILE` (:func:`sim.targets.observed_outcomes`); returns its name."""
    atomic_write(Path(out_dir) / OUTCOMES_FILE, lambda p: outcomes.to_csv(p, index=False))
    return OUTCOMES_FILE


def write_assimilation(out_dir: Path, result: EnsembleResult) -> list[str]:
    """Write :data:`ASSIMILATION_FILE` when observations were assimilated; returns the names."""
    if result.assimilation is None:
        return []
    table = result.assimilation.table()
    atomic_write(Path(out_dir) / ASSIMILATION_FILE, lambda p: table.to_csv(p, index=False))
    return [ASSIMILATION_FILE]
