"""The Hydra entry point: ``python -m sim [overrides]`` runs an ensemble and writes its results.

Examples:
    python -m sim                                   # enacted_2023, 100 replicates
    python -m sim mode=backtest run.horizon=2025    # projections 2023-2025 -> backtest.csv
    python -m sim levers=baseline run.replicates=20
    python -m sim -m levers=baseline,enacted_2023   # one job per setting (multirun)
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim.compose import register_schema
from sim.config import ConfigError, to_sim_config
from sim.ensemble import run_ensemble
from sim.outputs import config_hash, mark_run_complete, write_backtest, write_results
from sim.region import load_base_state
from sim.rundir import invalidate, is_complete
from sim.targets import format_table

log = logging.getLogger("sim")
BACKTEST_SHOWN = ("rd_expenditure", "high_tech_enterprises", "listed", "little_giants", "talent")
register_schema()


@hydra.main(config_path="pkg://conf", config_name="config", version_base="1.3")
def main(dcfg: DictConfig) -> None:
    """Validate the config, run the ensemble, write the results and print reachability."""
    logging.getLogger("MESA").setLevel(logging.WARNING)
    try:
        cfg = to_sim_config(dcfg)
        load_base_state(cfg.region)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    digest = config_hash(cfg)
    if is_complete(out_dir, digest):
        print(f"{out_dir}: results complete (done.json matches this config); skipping")
        return
    invalidate(out_dir)  # results from another config are not complete while being rewritten
    lv = cfg.levers.name
    print(f"levers={lv} region={cfg.region.name} replicates={cfg.run.replicates} -> {out_dir}")
    start = time.perf_counter()
    result = run_ensemble(cfg)
    for err in result.errors:
        log.error(err)
    if cfg.mode == "backtest":
        table = write_backtest(out_dir, cfg, result)
        wide = table[table.kpi.isin(BACKTEST_SHOWN)].pivot(
            index="year", columns="kpi", values="p50"
        )
        print("median projections (backtest.csv has p05/p50/p95 for every KPI):")
        print(wide.round(1).to_string())
        print(f"{cfg.run.replicates} replicates in {time.perf_counter() - start:.1f} s; {out_dir}")
        mark_run_complete(out_dir, digest, cfg.run.replicates, time.perf_counter() - start, result)
        return
    tables = write_results(out_dir, cfg, result)
    if cfg.run.plots:
        from sim.charts import fan_charts

        fan_charts(result.kpis, cfg.targets.targets, out_dir)
    print(format_table(tables["reachability"]))
    elapsed = time.perf_counter() - start
    mark_run_complete(out_dir, digest, cfg.run.replicates, elapsed, result)
    print(f"{cfg.run.replicates} replicates in {elapsed:.1f} s; results in {out_dir}")


if __name__ == "__main__":
    main()
