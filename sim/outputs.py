"""Write the results of an ensemble run into its run directory (format: :mod:`sim.rundir`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.compose import to_yaml
from sim.config import SimConfig
from sim.ensemble import EnsembleResult
from sim.rundir import (
    COSTS_FILE,
    KPIS_FILE,
    SEEDS_FILE,
    atomic_write,
    config_text_hash,
    mark_complete,
    model_version,
)
from sim.targets import reachability, summary


def config_hash(cfg: SimConfig) -> str:
    """SHA-256 of the resolved config (what a complete run directory was computed from)."""
    return config_text_hash(to_yaml(cfg))


def mark_run_complete(
    out_dir: Path, digest: str, replicates: int, seconds: float, result: EnsembleResult
) -> None:
    """Write ``done.json`` of an ensemble run (after every result file)."""
    mark_complete(
        out_dir,
        digest,
        replicates=replicates,
        failed_replicates=len(result.errors),
        seconds=round(seconds, 3),
    )


def backtest_table(kpis: pd.DataFrame, base_year: int) -> pd.DataFrame:
    """Projection bands for every KPI and every year after the base year: kpi, year, p05-p95."""
    summ = summary(kpis)
    out = summ[summ.year > base_year][["kpi", "year", "p05", "p50", "p95"]]
    return out.sort_values(["kpi", "year"], ignore_index=True)


def write_backtest(out_dir: Path, cfg: SimConfig, result: EnsembleResult) -> pd.DataFrame:
    """Write backtest.csv plus the common files (KPIs, seeds, config) of a back-test run."""
    table = backtest_table(result.kpis, cfg.region.base_year)
    atomic_write(Path(out_dir) / "backtest.csv", lambda p: table.to_csv(p, index=False))
    _write_common(Path(out_dir), cfg, result)
    return table


def _write_common(out_dir: Path, cfg: SimConfig, result: EnsembleResult) -> None:
    atomic_write(out_dir / KPIS_FILE, lambda p: result.kpis.to_parquet(p, index=False))
    atomic_write(out_dir / SEEDS_FILE, lambda p: result.seeds.to_csv(p, index=False))
    atomic_write(out_dir / "talent_flows.csv", lambda p: result.flows.to_csv(p, index=False))
    header = f"# model_version: {model_version()}\n"
    atomic_write(out_dir / "config.yaml", lambda p: p.write_text(header + to_yaml(cfg)))


def write_results(out_dir: Path, cfg: SimConfig, result: EnsembleResult) -> dict[str, pd.DataFrame]:
    """Write kpis.parquet, summary.csv, reachability.csv, costs.csv, seeds.csv and the config.

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
