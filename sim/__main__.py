"""The Hydra entry point: ``python -m sim [overrides]`` runs an ensemble and writes its results.

Examples:
    python -m sim                                   # enacted_2023, 100 replicates
    python -m sim mode=backtest run.horizon=2025    # projections 2023-2025 -> backtest.csv
    python -m sim levers=baseline run.replicates=20
    python -m sim -m levers=baseline,enacted_2023   # one job per setting (multirun)

Exit codes: 0 results complete; 1 replicates failed (the others' results are written, not marked
complete; ``run.tolerate_failures=true`` accepts them); 2 refused before anything ran (bad input,
missing executor, run directory owned by another run; one line on stderr); 128 + n after signal n
(SIGINT, SIGTERM: workers stopped, results not marked complete).
"""

from __future__ import annotations

import contextlib
import io
import logging
import signal
import sys
import time
from pathlib import Path

import hydra
import pandas as pd
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from sim import assimilation
from sim.build import check_base
from sim.charts import chart_names
from sim.compose import check_override_keys, register_schema
from sim.config import ConfigError, SimConfig, to_sim_config
from sim.ensemble import EnsembleResult, ReplicatesFailed, default_workers, run_ensemble
from sim.executors import make_executor, shutdown_pools
from sim.observations import load_observed, observed_path
from sim.outputs import (
    BACKTEST_FILES,
    PROJECT_FILES,
    config_hash,
    inputs_hash,
    mark_run_complete,
    write_assimilation,
    write_backtest,
    write_outcomes,
    write_results,
)
from sim.provenance import announce
from sim.region import load_base_state
from sim.rundir import (
    RunDirBusy,
    RunDirError,
    invalidate,
    is_complete,
    mark_complete,
    own,
    read_done,
    read_kpis,
)
from sim.targets import format_outcomes, format_table, observed_outcomes, read_track_record

log = logging.getLogger("sim")
BACKTEST_SHOWN = ("rd_expenditure", "high_tech_enterprises", "listed", "little_giants", "talent")
EXIT_FAILED, EXIT_REFUSED = 1, 2
register_schema()


class JobFailed(Exception):
    """A job of a sweep failed; Hydra runs the other jobs, then exits with code 1."""


class Interrupted(BaseException):
    """A signal asked the run to stop (raised in the main thread by :func:`_on_signal`)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _on_signal(signum: int, frame: object) -> None:
    raise Interrupted(signum)


def refuse(message: object, code: int = EXIT_REFUSED) -> None:
    """Print ``error: <message>`` as one line on stderr and exit with ``code``."""
    print(f"error: {' '.join(str(message).split())}", file=sys.stderr)
    sys.exit(code)


def fail_job(message: object, code: int) -> None:
    """Refuse a single run; in a sweep, report the job and let the other jobs run.

    Raises:
        JobFailed: in a multirun (Hydra then exits with code 1 after the last job).
    """
    if not HydraConfig.initialized() or HydraConfig.get().mode != RunMode.MULTIRUN:
        refuse(message, code)
    line = " ".join(str(message).split())
    print(f"error: job {HydraConfig.get().job.num}: {line}", file=sys.stderr)
    raise JobFailed(line)


@hydra.main(config_path="pkg://conf", config_name="config", version_base="1.3")
def main(dcfg: DictConfig) -> None:
    """Validate the config, own the run directory, run the ensemble and write the results."""
    logging.getLogger("MESA").setLevel(logging.WARNING)
    try:
        cfg = to_sim_config(dcfg)
        check_base(cfg.region, load_base_state(cfg.region))
        region_observations(cfg)
        track_record(cfg)
    except ConfigError as err:
        refuse(err)
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        with own(out_dir):
            run_job(cfg, out_dir)
    except RunDirBusy as err:
        fail_job(err, EXIT_REFUSED)


def run_job(cfg: SimConfig, out_dir: Path) -> None:
    """Run one job into ``out_dir`` (owned by this process): resume, compute, write, mark done."""
    if is_complete(out_dir, config_hash(cfg), inputs_hash(cfg)):
        drawn = complete_charts(cfg, out_dir)
        extra = f"; drew {len(drawn)} missing fan chart(s)" if drawn else ""
        print(f"{out_dir}: results complete (done.json matches this config); skipping{extra}")
        return
    try:  # before anything in the directory changes: a missing cluster or package loses nothing
        executor = make_executor(cfg.executor, default_workers(cfg.run.workers, cfg.run.replicates))
    except ConfigError as err:
        refuse(err)
    invalidate(out_dir)  # results from another config are not complete while being rewritten
    print(
        f"levers={cfg.levers.name} region={cfg.region.name} replicates={cfg.run.replicates} "
        f"-> {out_dir}"
    )
    announce(cfg, load_base_state(cfg.region))
    skipped = assimilation.skip_reason(cfg, region_observations(cfg))
    if cfg.run.assimilate and skipped:
        print(f"assimilation skipped: {skipped}")
    start = time.perf_counter()
    try:
        result = run_ensemble(cfg, executor=executor)
    except ReplicatesFailed as err:
        for message in err.errors:
            log.error(message)
        kept = ""
        if err.result is not None:
            write(cfg, out_dir, err.result)
            kept = f"; the other replicates' results are in {out_dir}, not marked complete"
        fail_job(
            f"{err.summary()}{kept} (run.tolerate_failures=true accepts a run with failed "
            "replicates)",
            EXIT_FAILED,
        )
    files = write(cfg, out_dir, result)
    elapsed = time.perf_counter() - start
    mark_run_complete(out_dir, cfg, elapsed, result, files)
    if result.errors:
        for message in result.errors:
            log.error(message)
        keys = ", ".join(str(int(k)) for k in result.failed().spawn_key)
        print(
            f"warning: {len(result.errors)} replicate(s) failed and were tolerated "
            f"(spawn keys {keys}; seeds.csv status 'failed')",
            file=sys.stderr,
        )
    ok = cfg.run.replicates - len(result.errors)
    print(f"{ok} replicates in {elapsed:.1f} s; results in {out_dir}")


def write(cfg: SimConfig, out_dir: Path, result: EnsembleResult) -> list[str]:
    """Write the result files of the run's mode (and fan charts); returns their names."""
    if cfg.mode == "backtest":
        table = write_backtest(out_dir, cfg, result)
        wide = table[table.kpi.isin(BACKTEST_SHOWN)].pivot(
            index="year", columns="kpi", values="p50"
        )
        print("median projections (backtest.csv has p05/p50/p95 for every KPI):")
        print(wide.round(1).to_string())
        return list(BACKTEST_FILES)
    if result.assimilation is not None:
        print(result.assimilation.summary())
    tables = write_results(out_dir, cfg, result)
    files = [*PROJECT_FILES, *write_assimilation(out_dir, result)]
    observed = region_observations(cfg)
    if cfg.run.plots:
        from sim.charts import fan_charts

        charts = fan_charts(result.kpis, cfg.targets.targets, out_dir, observed)
        files += [p.name for p in charts]
    through = None if observed is None or observed.empty else int(observed.year.max())
    print(format_table(tables["reachability"], through, outlook_note(cfg, result)))
    if through is not None:
        files += report_outcomes(cfg, out_dir, observed)
    return files


def outlook_note(cfg: SimConfig, result: EnsembleResult) -> str:
    """What the outlook's P(reached) is conditioned on (the reachability table's outlook line)."""
    plan = result.assimilation
    if plan is not None:
        note = f"; {plan.note}" if plan.note else ""
        return (
            f"P(reached) conditioned on the observations through {plan.last_year} "
            f"({len(plan.observations)} assimilated, {plan.ess:.2f} effective paths per "
            f"replicate{note})"
        )
    reason = assimilation.skip_reason(cfg, region_observations(cfg)) or "?"
    return (
        f"P(reached) projected from the {cfg.region.base_year} base year, not conditioned on "
        f"later observations ({reason})"
    )


def report_outcomes(cfg: SimConfig, out_dir: Path, observed: pd.DataFrame) -> list[str]:
    """Print the reported targets beside the model's P from the base-year origin; write them.

    Returns:
        ``["outcomes.csv"]``, or ``[]`` when no target falls in a reported year.
    """
    origin = cfg.region.base_year
    record = track_record(cfg)
    outcomes = observed_outcomes(cfg.targets.targets, observed, record, origin)
    if outcomes.empty:
        return []
    print(f"\nReported outcomes ({Path(cfg.region.observed_file).name}):")
    print(format_outcomes(outcomes, origin))
    if record is None:
        where = cfg.region.track_record_file or "region.track_record_file (not set)"
        print(
            f"P from {origin}: n/a until {where} exists; `python -m scenarios.validate` "
            "writes it (target_probabilities.csv of the validation run)"
        )
    elif outcomes["p_from_origin"].isna().all():
        print(f"P from {origin}: n/a; {cfg.region.track_record_file} has no origin {origin} rows")
    return [write_outcomes(out_dir, outcomes)]


def region_observations(cfg: SimConfig) -> pd.DataFrame | None:
    """The region's observations, or None when ``region.observed_file`` is empty.

    Raises:
        ConfigError: the observed file is missing or malformed (one line).
    """
    if not cfg.region.observed_file:
        return None
    return load_observed(observed_path(cfg.region.observed_file, cfg.region.config_dirs))


def track_record(cfg: SimConfig) -> pd.DataFrame | None:
    """The region's back-test probabilities, or None when its track-record file does not exist.

    Only the region's own ``region.track_record_file`` is read, never another region's.

    Raises:
        ConfigError: the file exists but is malformed (one line).
    """
    name = cfg.region.track_record_file
    path = observed_path(name, cfg.region.config_dirs, "region.track_record_file") if name else None
    return read_track_record(path) if path is not None and path.is_file() else None


def complete_charts(cfg: SimConfig, out_dir: Path) -> list[str]:
    """Draw the fan charts a complete run lacks when ``run.plots`` asks for them.

    ``run.plots`` is not in the config hash (charts are drawn from ``kpis.parquet``), so a run
    first made without charts is completed here and ``done.json`` records the new files.
    """
    info = read_done(out_dir) or {}
    recorded = dict(info.get("files", {}))
    wanted = chart_names(cfg.targets.targets) if cfg.run.plots and cfg.mode == "project" else []
    missing = [name for name in wanted if name not in recorded]
    if not missing:
        return []
    from sim.charts import fan_charts

    kpis = read_kpis(out_dir / "kpis.parquet")
    wanted_targets = [t for t in cfg.targets.targets if f"fan_{t.id}.png" in missing]
    fan_charts(kpis, wanted_targets, out_dir, region_observations(cfg))
    extra = {k: v for k, v in info.items() if k not in ("config_hash", "files", "model_version")}
    mark_complete(out_dir, info["config_hash"], [*recorded, *missing], **extra)
    return missing


def check_command_line(argv: list[str]) -> None:
    """Refuse unknown override keys on the command line before Hydra composes anything.

    Hydra itself would suggest ``+key=value`` for an unknown key; this names the closest allowed
    key instead (the composed config is checked again by :func:`sim.config.check_keys`).
    """
    try:
        from hydra._internal.utils import get_args_parser
    except ImportError:  # another Hydra version: the composed config is still checked
        return
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            args = get_args_parser().parse_args(argv)
    except SystemExit:
        return  # Hydra reports its own usage errors
    if args.help or args.hydra_help or args.cfg or args.info or args.shell_completion:
        return
    try:
        check_override_keys(args.overrides)
    except ConfigError as err:
        refuse(err)


def cli() -> None:
    """``python -m sim``: command-line checks, signal handling, then the Hydra app."""
    check_command_line(sys.argv[1:])
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        main()
    except (Interrupted, KeyboardInterrupt) as err:
        signum = err.signum if isinstance(err, Interrupted) else signal.SIGINT
        shutdown_pools(terminate=True)
        print(
            f"error: stopped by {signal.Signals(signum).name}; workers stopped, results of the "
            "current job not marked complete (re-run the same command to resume)",
            file=sys.stderr,
        )
        sys.exit(128 + signum)
    except RunDirError as err:
        refuse(err, EXIT_FAILED)


if __name__ == "__main__":
    cli()
