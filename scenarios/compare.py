"""Compare runs: the settings of a Hydra sweep, or two runs replicate by replicate.

Usage::

    python -m scenarios.compare multirun/<date>/<time>            # sweep mode
    python -m scenarios.compare multirun/<date>/<time> --baseline levers.bonded_duty_relief_rate=0
    python -m scenarios.compare multirun/<date>/<time> --allow-partial   # compare what is complete
    python -m scenarios.compare outputs/<run A> outputs/<run B>   # pair mode: B - A
    python -m scenarios.compare <run A> <run B> --out somewhere/

**Sweep mode** (one multirun directory) reads every complete job (a job directory whose
``done.json`` matches its ``config.yaml`` and whose files match their recorded checksums, see
:func:`incomplete_reason`). The jobs the sweep should have are read from its ``multirun.yaml``
(Hydra writes it when the sweep starts; the job list is expanded as Hydra's basic sweeper does).
A sweep with incomplete jobs or jobs never started is partial: both are listed and the command
exits with code 3, unless ``--allow-partial`` is given (then they are listed as a warning and the
complete jobs are compared). It finds the swept keys (override keys whose values differ between
jobs; values are parsed as numbers when possible) and writes into the sweep directory (or
``--out``):

* ``sweep.parquet``: one column per swept key (named as the override key), then ``job, replicate,
  year, kpi, value``.
* ``reachability_by_setting.csv``: swept keys, then ``target, year, probability, ci_low, ci_high``
  (95 % Wilson, :func:`sim.targets.reachability` with each job's own targets), then ``threshold,
  replicates, job``.
* ``lever_evidence.csv``: each swept lever key with what its effect rests on (``evidence``:
  calibrated, sourced, assumed, rule or cost only; ``rests_on``: the parameters and their
  evidence, :mod:`sim.lever_evidence`), also printed; pair mode prints the same for the levers
  the two runs set differently.
* ``cost_effectiveness.csv``: every setting against the baseline setting (job with the lowest
  number, or the one chosen by ``--baseline key=value[,key=value]``), for each target KPI and
  year: ``extra_units`` (mean KPI difference over the replicates both jobs share),
  ``extra_cost_yuan`` (cumulative local public cost difference over the years up to the target
  year, from ``costs.csv`` without the ``national_*`` lines) and ``yuan_per_unit`` (empty when
  the extra units are about zero), then ``job``.
* ``heatmap_<target>_<year>.png``: P(reached) over two numeric swept keys, cells annotated. With
  exactly two numeric swept keys there is one heatmap per target and year. With more, there is one
  heatmap per pair of numeric keys (the first :data:`MAX_HEATMAP_PAIRS` pairs) for the first
  :data:`MAX_HEATMAP_TARGETS` target-years, named ``heatmap_<target>_<year>__<key x>__<key y>.png``.
  Whenever other keys are swept too, a cell is the mean probability over them (said in the
  title). With fewer than two numeric swept keys no heatmap is drawn.

Costs are stored as means over replicates (``costs.csv``), so cost differences are per setting,
not per replicate.

**Pair mode** (two run directories) needs both runs complete and intact (checksums verified);
``--allow-partial`` compares incomplete runs with a warning. It pairs replicate ``r`` of run A
with replicate ``r`` of run B
(both must have the same replicates and the same seeds, i.e. ``seeds.csv`` root seed and spawn key
per replicate; otherwise the comparison is refused). For each target of A's config it reports the
mean of the paired differences B - A of the KPI in the target year with a 95 % t-interval
(``scipy.stats.t``), and the difference in P(reached) with a 95 % interval for paired binary
outcomes (see :func:`paired_proportion_difference`). The table is printed and written to
``comparison.csv`` in B's directory (or ``--out``).

Every problem with the inputs (missing path, no jobs, no ``kpis.parquet``, unreadable file,
different seeds) is one line on stderr and exit code 2; a partial sweep or an incomplete run
without ``--allow-partial`` is one line and exit code 3. Job results are never modified; every
file written goes through :func:`sim.rundir.atomic_write`.
"""

from __future__ import annotations

import argparse
import itertools
import math
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402
from scipy import stats  # noqa: E402

from sim.config import TargetSpec  # noqa: E402
from sim.progress import jobs_of_config  # noqa: E402
from sim.rundir import (  # noqa: E402
    DONE_FILE,
    KPI_COLUMNS,
    Run,
    RunDirError,
    atomic_write,
    check_run_dir,
    corrupt_files,
    incomplete_reason,
    load_run,
    one_line,
    read_done,
    read_yaml,
)
from sim.targets import reachability  # noqa: E402

REACH_COLUMNS = ["target", "year", "probability", "ci_low", "ci_high"]
REACH_EXTRA_COLUMNS = ["threshold", "replicates"]
COST_COLUMNS = ["kpi", "year", "extra_units", "extra_cost_yuan", "yuan_per_unit"]
NATIONAL_PREFIX = "national_"
LEVEL = 0.95
MAX_HEATMAP_PAIRS = 6  # with more than two numeric swept keys: pairs of keys drawn
MAX_HEATMAP_TARGETS = 4  # ... and target-years drawn per pair
MAX_ANNOTATED_CELLS = 400  # larger grids are drawn without numbers in the cells
RELATIVE_ZERO = 1e-9  # |extra units| below this times the baseline level counts as zero


class CompareError(RunDirError):
    """A problem with the inputs, reported as one line and exit code 2."""


class PartialError(CompareError):
    """A partial sweep or an incomplete run without ``--allow-partial``: one line, exit code 3."""


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def parse_value(text: str) -> int | float | str:
    """An override value as int or float when it is a number, else the text (unquoted)."""
    text = text.strip()
    for number in (int, float):
        try:
            return number(text)
        except ValueError:
            pass
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def parse_overrides(lines: list[str]) -> dict[str, object]:
    """Hydra override strings (``key=value``, ``+key=value``) as a key -> value mapping."""
    overrides: dict[str, object] = {}
    for line in lines:
        key, sep, value = str(line).partition("=")
        key = key.lstrip("+")
        overrides[key] = parse_value(value) if sep else "<deleted>"
    return overrides


def read_overrides(job_dir: Path) -> dict[str, object]:
    """The overrides of one Hydra job (``.hydra/overrides.yaml``)."""
    path = job_dir / ".hydra" / "overrides.yaml"
    lines = read_yaml(path)
    if not isinstance(lines, list):
        raise CompareError(f"{path}: expected a list of override strings")
    return parse_overrides(lines)


def job_number(job_dir: Path) -> int:
    """A job's number: the leading number of its directory name, else Hydra's ``job.num``."""
    match = re.match(r"(\d+)(_|$)", job_dir.name)
    if match:
        return int(match.group(1))
    hydra_cfg = read_yaml(job_dir / ".hydra" / "hydra.yaml")
    try:
        return int(hydra_cfg["hydra"]["job"]["num"])
    except (TypeError, KeyError, ValueError) as err:
        raise CompareError(f"{job_dir}: no job number in its name or .hydra/hydra.yaml") from err


# --------------------------------------------------------------------------------------------
# Sweep mode
# --------------------------------------------------------------------------------------------


def find_job_dirs(sweep_dir: Path) -> list[Path]:
    """Job directories of a sweep (with ``.hydra/overrides.yaml`` or ``kpis.parquet``).

    Raises:
        CompareError: missing path, a single run instead of a sweep, or no job directories.
    """
    if not sweep_dir.exists():
        raise CompareError(f"{sweep_dir}: no such file or directory")
    if not sweep_dir.is_dir():
        raise CompareError(f"{sweep_dir}: not a directory")
    if (sweep_dir / "kpis.parquet").is_file():
        raise CompareError(
            f"{sweep_dir}: a single run, not a multirun directory (give two runs to compare them)"
        )
    jobs = [
        d
        for d in sweep_dir.iterdir()
        if d.is_dir()
        and ((d / ".hydra" / "overrides.yaml").is_file() or (d / "kpis.parquet").is_file())
    ]
    if not jobs:
        raise CompareError(f"{sweep_dir}: no job directories (no kpis.parquet in any subdirectory)")
    return jobs


def expected_jobs(sweep_dir: Path) -> list[list[str]] | None:
    """The override list of every job the sweep should have, from its ``multirun.yaml``.

    Returns:
        One list per job number, or None when the sweep has no ``multirun.yaml`` or was made by
        another sweeper (then jobs never started cannot be told).

    Raises:
        CompareError: ``multirun.yaml`` exists but cannot be read.
    """
    path = sweep_dir / "multirun.yaml"
    if not path.is_file():
        return None
    try:
        return jobs_of_config(OmegaConf.load(path))
    except Exception as err:  # omegaconf and hydra raise several types for bad files
        raise CompareError(f"{path}: cannot read the sweep's jobs ({one_line(err)})") from err


def never_started(sweep_dir: Path, job_dirs: list[Path]) -> dict[int, list[str]] | None:
    """Jobs of ``multirun.yaml`` without a job directory: job number -> its overrides."""
    jobs = expected_jobs(sweep_dir)
    if jobs is None:
        return None
    present = set()
    for job_dir in job_dirs:
        try:
            present.add(job_number(job_dir))
        except CompareError:
            continue
    return {num: overrides for num, overrides in enumerate(jobs) if num not in present}


def load_sweep(sweep_dir: Path) -> tuple[list[Run], dict[Path, str]]:
    """Read every complete job of a sweep, ordered by job number.

    Returns:
        The complete jobs and, for each incomplete job directory, why it was skipped.

    Raises:
        CompareError: no job directories, no complete job, or an unreadable file in a complete job.
    """
    runs, skipped = [], {}
    for job_dir in find_job_dirs(sweep_dir):
        reason = incomplete_reason(job_dir)
        if reason:
            skipped[job_dir] = reason
            continue
        run = load_run(job_dir, with_costs=True)
        run.overrides = read_overrides(job_dir)
        run.job = job_number(job_dir)
        runs.append(run)
    if not runs:
        raise CompareError(f"{sweep_dir}: no complete job (none has {DONE_FILE})")
    return sorted(runs, key=lambda r: r.job), skipped


def swept_keys(runs: list[Run]) -> list[str]:
    """Override keys whose values differ between jobs, in order of first appearance."""
    keys = list(dict.fromkeys(k for run in runs for k in run.overrides))
    return [k for k in keys if len({repr(run.overrides.get(k)) for run in runs}) > 1]


def is_number(value: object) -> bool:
    """Whether an override value is a (non-boolean) number."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def settings_table(runs: list[Run], keys: list[str]) -> pd.DataFrame:
    """One row per job: ``job`` and the value of each swept key (numeric when all values are)."""
    table = pd.DataFrame({"job": [run.job for run in runs]})
    for key in keys:
        values = [run.overrides.get(key) for run in runs]
        present = [v for v in values if v is not None]
        if all(is_number(v) for v in present):
            table[key] = pd.to_numeric(pd.Series(values, dtype=object))
        else:
            table[key] = [None if v is None else str(v) for v in values]
    return table


def numeric_keys(settings: pd.DataFrame, keys: list[str]) -> list[str]:
    """The swept keys whose values are all numbers."""
    return [k for k in keys if pd.api.types.is_numeric_dtype(settings[k])]


def with_setting(table: pd.DataFrame, settings: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``table`` (with a ``job`` column) with the swept-key columns of its job in front."""
    merged = settings[["job", *keys]].merge(table, on="job", how="right")
    return merged[[*keys, *table.columns]]


def sweep_table(runs: list[Run], settings: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """All KPIs of all jobs: swept keys, job, replicate, year, kpi, value."""
    frames = [run.kpis.assign(job=run.job)[["job", *KPI_COLUMNS]] for run in runs]
    return with_setting(pd.concat(frames, ignore_index=True), settings, keys)


def reachability_by_setting(
    runs: list[Run], settings: pd.DataFrame, keys: list[str]
) -> pd.DataFrame:
    """P(reached) with 95 % Wilson intervals per setting and target-year (job's own targets)."""
    frames = []
    for run in runs:
        reach = reachability(run.kpis, run.targets)
        if len(reach):
            frames.append(reach[REACH_COLUMNS + REACH_EXTRA_COLUMNS].assign(job=run.job))
    if not frames:
        return pd.DataFrame(columns=[*keys, *REACH_COLUMNS, *REACH_EXTRA_COLUMNS, "job"])
    return with_setting(pd.concat(frames, ignore_index=True), settings, keys)


def parse_baseline(spec: str) -> dict[str, object]:
    """``key=value[,key=value]`` as a mapping with parsed values.

    Raises:
        CompareError: an item without ``=``.
    """
    chosen = {}
    for item in spec.split(","):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CompareError(f"--baseline {spec!r}: expected key=value[,key=value]")
        chosen[key.strip()] = parse_value(value)
    return chosen


def select_baseline(runs: list[Run], spec: str | None) -> Run:
    """The baseline job: the lowest job number, or the first job matching ``spec``.

    Raises:
        CompareError: an unknown key, or no complete job with those values.
    """
    if not spec:
        return runs[0]
    chosen = parse_baseline(spec)
    known = set().union(*(run.overrides for run in runs))
    unknown = sorted(set(chosen) - known)
    if unknown:
        raise CompareError(f"--baseline: unknown override key(s) {unknown}; known: {sorted(known)}")
    for run in runs:
        if all(_same(run.overrides.get(k), v) for k, v in chosen.items()):
            return run
    raise CompareError(f"--baseline {spec!r}: no complete job has these values")


def _same(a: object, b: object) -> bool:
    if is_number(a) and is_number(b):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0.0)
    return str(a) == str(b)


def cumulative_local_cost(costs: pd.DataFrame, last_year: int) -> float:
    """Sum of the mean yearly local public cost (no ``national_*`` lines) up to ``last_year``."""
    local = ~costs["lever"].astype(str).str.startswith(NATIONAL_PREFIX)
    return float(costs.loc[local & (costs["year"] <= last_year), "yuan"].sum())


def target_kpi_years(targets: list[TargetSpec]) -> list[tuple[str, int]]:
    """The distinct (kpi, year) pairs of the targets, in target order."""
    return list(dict.fromkeys((t.kpi, int(t.year)) for t in targets))


def mean_kpi(kpis: pd.DataFrame, kpi: str, year: int, replicates: set[int]) -> float:
    """Mean of one KPI in one year over the given replicates (NaN when there is none)."""
    sel = kpis[(kpis["kpi"] == kpi) & (kpis["year"] == year) & kpis["replicate"].isin(replicates)]
    return float(sel["value"].mean()) if len(sel) else math.nan


def cost_per_unit(extra_cost: float, extra_units: float, baseline_level: float) -> float:
    """Yuan per extra unit; NaN when the extra units are about zero (never infinite)."""
    scale = max(1.0, abs(baseline_level)) if math.isfinite(baseline_level) else 1.0
    if not math.isfinite(extra_units) or abs(extra_units) <= RELATIVE_ZERO * scale:
        return math.nan
    ratio = extra_cost / extra_units
    return ratio if math.isfinite(ratio) else math.nan


def cost_effectiveness_rows(run: Run, baseline: Run) -> list[dict]:
    """Extra units, extra cost and cost per unit of one setting against the baseline."""
    common = set(run.kpis["replicate"]) & set(baseline.kpis["replicate"])
    rows = []
    for kpi, year in target_kpi_years(baseline.targets):
        base_mean = mean_kpi(baseline.kpis, kpi, year, common)
        setting_mean = mean_kpi(run.kpis, kpi, year, common)
        if math.isnan(base_mean) or math.isnan(setting_mean):
            continue  # target year beyond the horizon, or KPI not recorded
        extra_units = setting_mean - base_mean
        extra_cost = cumulative_local_cost(run.costs, year) - cumulative_local_cost(
            baseline.costs, year
        )
        rows.append(
            {
                "job": run.job,
                "kpi": kpi,
                "year": year,
                "extra_units": extra_units,
                "extra_cost_yuan": extra_cost,
                "yuan_per_unit": cost_per_unit(extra_cost, extra_units, base_mean),
            }
        )
    return rows


def cost_effectiveness(
    runs: list[Run], baseline: Run, settings: pd.DataFrame, keys: list[str]
) -> pd.DataFrame:
    """Every setting against the baseline: swept keys, kpi, year, extra units and cost, job."""
    rows = [row for run in runs for row in cost_effectiveness_rows(run, baseline)]
    table = pd.DataFrame(rows, columns=["job", *COST_COLUMNS])
    table = with_setting(table, settings, keys)
    return table[[*keys, *COST_COLUMNS, "job"]]


def heatmap_plan(reach: pd.DataFrame, numeric: list[str]) -> list[tuple[str, str, str, int, str]]:
    """What to draw: (x key, y key, target, year, file name), as described in the module doc."""
    target_years = list(dict.fromkeys(zip(reach["target"], reach["year"], strict=True)))
    pairs = list(itertools.combinations(numeric, 2))
    if len(pairs) == 1:
        x, y = pairs[0]
        return [(x, y, t, int(yr), f"heatmap_{_slug(t)}_{yr}.png") for t, yr in target_years]
    plan = []
    for x, y in pairs[:MAX_HEATMAP_PAIRS]:
        for t, yr in target_years[:MAX_HEATMAP_TARGETS]:
            name = f"heatmap_{_slug(t)}_{yr}__{_slug(x)}__{_slug(y)}.png"
            plan.append((x, y, t, int(yr), name))
    return plan


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", str(text))


def draw_heatmap(grid: pd.DataFrame, x: str, y: str, title: str, path: Path) -> Path:
    """Draw P(reached) on a grid (rows: ``y`` values, columns: ``x`` values), cells annotated.

    Args:
        grid: Probabilities, index = values of ``y``, columns = values of ``x``.
        x: Key on the horizontal axis.
        y: Key on the vertical axis.
        title: Figure title.
        path: PNG file to write (atomically).

    Returns:
        The path written.
    """
    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=110)
    image = ax.imshow(
        grid.to_numpy(dtype=float), cmap="RdYlGn", vmin=0, vmax=1, origin="lower", aspect="auto"
    )
    ax.set_xticks(range(grid.shape[1]), [f"{v:g}" for v in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [f"{v:g}" for v in grid.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if grid.size <= MAX_ANNOTATED_CELLS:
        for (row, col), p in np.ndenumerate(grid.to_numpy(dtype=float)):
            if not math.isnan(p):
                ax.text(col, row, f"{p:.2f}", ha="center", va="center", fontsize=9)
    fig.colorbar(image, ax=ax, label="P(reached)")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, format="png"))
    plt.close(fig)
    return path


def heatmaps(reach: pd.DataFrame, keys: list[str], numeric: list[str], out_dir: Path) -> list[Path]:
    """Heatmaps of P(reached) over pairs of numeric swept keys (see the module docstring)."""
    paths = []
    for x, y, target, year, name in heatmap_plan(reach, numeric):
        sel = reach[(reach["target"] == target) & (reach["year"] == year)]
        grid = sel.pivot_table(index=y, columns=x, values="probability", aggfunc="mean")
        pooled = [k for k in keys if k not in (x, y)]
        title = f"P({target} >= {_num(sel['threshold'].iloc[0])} in {year}), "
        title += f"{int(sel['replicates'].min())} replicates per setting"
        if pooled:
            title += f"\nmean over {', '.join(pooled)}"
        paths.append(
            draw_heatmap(grid.sort_index().sort_index(axis=1), x, y, title, out_dir / name)
        )
    return paths


def warn_if_seeds_differ(runs: list[Run]) -> None:
    """Warn when the jobs of a sweep do not share replicate seeds (no common random numbers)."""
    first = _seed_pairs(runs[0].seeds)
    differing = [run.path.name for run in runs[1:] if _seed_pairs(run.seeds) != first]
    if differing:
        warn(f"jobs without the seeds of job {runs[0].job}: {', '.join(differing)}")


def _seed_pairs(seeds: pd.DataFrame) -> set[tuple[int, int, int]]:
    cols = seeds[["replicate", "root_seed", "spawn_key"]].astype("int64")
    return set(cols.itertuples(index=False, name=None))


def warn(message: str) -> None:
    """Print a warning line on stderr."""
    print(f"warning: {message}", file=sys.stderr)


def write_csv(table: pd.DataFrame, path: Path) -> Path:
    """Write a table as CSV atomically (NaN as empty)."""
    atomic_write(path, lambda p: table.to_csv(p, index=False))
    return path


def partial_report(
    sweep_dir: Path,
    complete: int,
    skipped: dict[Path, str],
    missing: dict[int, list[str]] | None,
) -> str | None:
    """One line on what a sweep lacks (incomplete jobs, jobs never started), or None if nothing."""
    parts = []
    if skipped:
        listed = "; ".join(f"{p.name} ({why})" for p, why in sorted(skipped.items()))
        parts.append(f"{len(skipped)} incomplete job(s): {listed}")
    if missing:
        listed = "; ".join(f"job {n} ({' '.join(ov)})" for n, ov in sorted(missing.items()))
        parts.append(f"{len(missing)} job(s) never started: {listed}")
    if not parts:
        return None
    total = complete + len(skipped) + len(missing or {})
    return f"{sweep_dir}: partial sweep, {complete} of {total} jobs complete; " + "; ".join(parts)


def run_sweep(
    sweep_dir: Path, baseline_spec: str | None, out_dir: Path | None, allow_partial: bool = False
) -> list[Path]:
    """Sweep mode: read the complete jobs and write the tables and heatmaps.

    Args:
        sweep_dir: Multirun directory (numbered job directories).
        baseline_spec: ``key=value[,key=value]`` choosing the baseline, or None for job 0.
        out_dir: Where to write (default: the sweep directory).
        allow_partial: Compare the complete jobs of a partial sweep (with a warning).

    Returns:
        The files written.

    Raises:
        PartialError: the sweep has incomplete jobs or jobs never started, and
            ``allow_partial`` is off.
    """
    missing = never_started(sweep_dir, find_job_dirs(sweep_dir))
    runs, skipped = load_sweep(sweep_dir)
    report = partial_report(sweep_dir, len(runs), skipped, missing)
    if report and not allow_partial:
        raise PartialError(f"{report} (--allow-partial compares the complete jobs)")
    if report:
        warn(report)
    if missing is None:
        warn(f"{sweep_dir}: no multirun.yaml; jobs that never started cannot be listed")
    warn_if_seeds_differ(runs)
    keys = swept_keys(runs)
    if not keys:
        warn("no swept keys (all complete jobs have the same overrides); settings are jobs")
    settings = settings_table(runs, keys)
    baseline = select_baseline(runs, baseline_spec)
    out_dir = out_dir or sweep_dir
    print(
        f"{len(runs)} complete job(s); swept keys: {', '.join(keys) or '-'}; baseline job "
        f"{baseline.job} ({_describe(baseline, keys)})"
    )
    reach = reachability_by_setting(runs, settings, keys)
    evidence = lever_evidence_table(runs, keys)
    for row in evidence.itertuples():
        print(f"  {row.key}: effect {row.evidence} ({row.rests_on})")
    written = [
        write_csv(evidence, out_dir / "lever_evidence.csv"),
        _write_parquet(sweep_table(runs, settings, keys), out_dir / "sweep.parquet"),
        write_csv(reach, out_dir / "reachability_by_setting.csv"),
        write_csv(
            cost_effectiveness(runs, baseline, settings, keys), out_dir / "cost_effectiveness.csv"
        ),
    ]
    numeric = numeric_keys(settings, keys)
    if len(numeric) < 2:
        print(f"no heatmaps: {len(numeric)} numeric swept key(s), two are needed")
    else:
        written += heatmaps(reach, keys, numeric, out_dir)
    return written


def lever_evidence_table(runs: list[Run], keys: list[str]) -> pd.DataFrame:
    """Each key that names a lever, with what its effect rests on (:mod:`sim.lever_evidence`).

    The evidence is that of the runs' region (its own calibration, from the first run's
    ``config.yaml``): ``calibrated``, ``sourced``, ``assumed``, ``rule`` or ``cost only``.
    """
    from types import SimpleNamespace

    from sim.config import BehaviourConfig
    from sim.lever_evidence import MECHANISMS, evidence

    saved = runs[0].path / "config.yaml" if runs else None
    reg = OmegaConf.load(saved).get("region", {}) if saved and saved.is_file() else {}
    region = SimpleNamespace(
        name=reg.get("name", ""),
        calibrated_for=reg.get("calibrated_for", ""),
        calibrated_parameters=list(reg.get("calibrated_parameters", []) or []),
        identified_parameters=(
            None if reg.get("identified_parameters") is None else list(reg.identified_parameters)
        ),
        behaviour=BehaviourConfig(),
    )
    rows = []
    for key in keys:
        parts = key.split(".")
        if len(parts) < 2 or parts[0] != "levers" or parts[1] not in MECHANISMS:
            continue
        label, per = evidence(parts[1], region)
        mech = MECHANISMS[parts[1]]
        rests = "; ".join(f"{p} ({e})" for p, e in per.items()) or mech.cost_only or mech.how
        rows.append({"key": key, "lever": parts[1], "evidence": label, "rests_on": rests})
    return pd.DataFrame(rows, columns=["key", "lever", "evidence", "rests_on"])


def _describe(run: Run, keys: list[str]) -> str:
    return ", ".join(f"{k}={run.overrides.get(k)}" for k in keys) or run.path.name


def _write_parquet(table: pd.DataFrame, path: Path) -> Path:
    atomic_write(path, lambda p: table.to_parquet(p, index=False))
    return path


# --------------------------------------------------------------------------------------------
# Pair mode
# --------------------------------------------------------------------------------------------


def check_common_seeds(a: Run, b: Run) -> None:
    """Refuse runs that do not share replicates and replicate seeds.

    Raises:
        CompareError: different replicate sets (seeds or KPIs) or different seeds.
    """
    reps_a, reps_b = set(a.seeds["replicate"]), set(b.seeds["replicate"])
    kpi_reps_a, kpi_reps_b = set(a.kpis["replicate"]), set(b.kpis["replicate"])
    if reps_a != reps_b or kpi_reps_a != kpi_reps_b:
        differing = sorted((reps_a ^ reps_b) | (kpi_reps_a ^ kpi_reps_b))
        raise CompareError(
            f"{a.path} and {b.path} have different replicates (e.g. {differing[:5]}); "
            "paired comparison needs the same replicates"
        )
    if _seed_pairs(a.seeds) != _seed_pairs(b.seeds):
        roots = (sorted(set(a.seeds["root_seed"])), sorted(set(b.seeds["root_seed"])))
        raise CompareError(
            f"{a.path} and {b.path} do not share seeds (root_seed {roots[0]} vs {roots[1]} or "
            "different spawn keys); paired comparison needs common random numbers"
        )


def mean_difference_interval(diffs: np.ndarray, level: float = LEVEL) -> tuple[float, float, float]:
    """Mean of paired differences with a Student-t interval (``scipy.stats.t``).

    Returns:
        (mean, low, high); low and high are NaN with fewer than two pairs and equal to the mean
        when every difference is the same.
    """
    n = len(diffs)
    mean = float(np.mean(diffs)) if n else math.nan
    if n < 2:
        return mean, math.nan, math.nan
    sem = float(np.std(diffs, ddof=1)) / math.sqrt(n)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sem
    return mean, mean - half, mean + half


def paired_proportion_difference(
    hit_a: np.ndarray, hit_b: np.ndarray, level: float = LEVEL
) -> tuple[float, float, float, int, int]:
    """Difference P_B - P_A of paired binary outcomes with an adjusted-Wald interval.

    Method: normal approximation on the per-replicate differences of the indicators
    ``1[B reached] - 1[A reached]`` (Wald interval for matched proportions), with Agresti and
    Min's adjustment (2005, Biometrics 61: 515-523): 0.5 is added to each cell of the paired
    2x2 table before computing centre and standard error. The adjustment keeps the interval from
    collapsing to a point when no replicate changes outcome; the interval is clipped to [-1, 1].
    The point estimate is the unadjusted difference.

    Returns:
        (difference, low, high, replicates reached only in B, replicates reached only in A).
    """
    hit_a, hit_b = np.asarray(hit_a, bool), np.asarray(hit_b, bool)
    n = len(hit_a)
    b_only, a_only = int((hit_b & ~hit_a).sum()), int((hit_a & ~hit_b).sum())
    if n == 0:
        return math.nan, math.nan, math.nan, 0, 0
    diff = (b_only - a_only) / n
    n_adj = n + 2
    p_b_only, p_a_only = (b_only + 0.5) / n_adj, (a_only + 0.5) / n_adj
    centre = p_b_only - p_a_only
    se = math.sqrt(max(p_b_only + p_a_only - centre**2, 0.0) / n_adj)
    half = float(stats.norm.ppf(0.5 + level / 2)) * se
    return diff, max(-1.0, centre - half), min(1.0, centre + half), b_only, a_only


def paired_values(a: Run, b: Run, target: TargetSpec) -> pd.DataFrame | None:
    """The target KPI in the target year of A and B by replicate (None when either has none)."""
    sides = []
    for run in (a, b):
        k = run.kpis
        sel = k[(k["kpi"] == target.kpi) & (k["year"] == target.year)]
        sides.append(sel.set_index("replicate")["value"])
    if not len(sides[0]) or not len(sides[1]):
        return None
    return pd.concat(sides, axis=1, keys=["a", "b"], join="inner").sort_index()


def compare_target(values: pd.DataFrame, target: TargetSpec) -> dict:
    """One row of the pair comparison for one target."""
    mean, low, high = mean_difference_interval((values["b"] - values["a"]).to_numpy())
    hit_a, hit_b = values["a"] >= target.threshold, values["b"] >= target.threshold
    p_diff, p_low, p_high, b_only, a_only = paired_proportion_difference(hit_a, hit_b)
    return {
        "target": target.id,
        "year": int(target.year),
        "kpi": target.kpi,
        "threshold": target.threshold,
        "replicates": len(values),
        "mean_a": float(values["a"].mean()),
        "mean_b": float(values["b"].mean()),
        "mean_diff": mean,
        "diff_ci_low": low,
        "diff_ci_high": high,
        "p_reached_a": float(hit_a.mean()),
        "p_reached_b": float(hit_b.mean()),
        "p_diff": p_diff,
        "p_diff_ci_low": p_low,
        "p_diff_ci_high": p_high,
        "reached_only_b": b_only,
        "reached_only_a": a_only,
    }


def compare_pair(a: Run, b: Run) -> pd.DataFrame:
    """Paired differences B - A for every target of A's config (within both runs' years)."""
    rows = []
    for target in a.targets:
        values = paired_values(a, b, target)
        if values is None:
            warn(f"{target.id} {target.year}: not in both runs' KPIs, skipped")
            continue
        rows.append(compare_target(values, target))
    return pd.DataFrame(rows)


def _num(x: float) -> str:
    if math.isnan(x):
        return "-"
    if abs(x) >= 1e5:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.2f}"


def format_comparison(table: pd.DataFrame) -> str:
    """The pair comparison as aligned text for the terminal."""
    lines = [
        f"{'target':<38} {'year':>4} {'mean A':>11} {'mean B':>11} {'B - A':>11} "
        f"{'95% CI':>25} {'P A':>5} {'P B':>5} {'dP':>6} {'95% CI':>14}"
    ]
    for r in table.itertuples():
        ci = f"[{_num(r.diff_ci_low)}, {_num(r.diff_ci_high)}]"
        p_ci = f"[{r.p_diff_ci_low:+.2f}, {r.p_diff_ci_high:+.2f}]"
        lines.append(
            f"{r.target:<38} {r.year:>4} {_num(r.mean_a):>11} {_num(r.mean_b):>11} "
            f"{_num(r.mean_diff):>11} {ci:>25} {r.p_reached_a:>5.2f} {r.p_reached_b:>5.2f} "
            f"{r.p_diff:>+6.2f} {p_ci:>14}"
        )
    return "\n".join(lines)


def run_pair(path_a: Path, path_b: Path, out_dir: Path | None, allow_partial: bool = False) -> Path:
    """Pair mode: compare run B with run A replicate by replicate and write ``comparison.csv``.

    Returns:
        The file written.

    Raises:
        PartialError: a run is incomplete or a file fails its checksum, without ``allow_partial``.
    """
    for path in (path_a, path_b):
        check_run_dir(path)
    for path in (path_a, path_b):
        reason = incomplete_reason(path)
        if reason and not allow_partial:
            bad = corrupt_files(path, (read_done(path) or {}).get("files", {}))
            if bad:  # a result changed after the run: a problem with the inputs
                raise CompareError(
                    f"{path / bad[0]}: missing or not matching its checksum in {DONE_FILE} "
                    "(changed after the run; --allow-partial compares it anyway)"
                )
            raise PartialError(f"{path}: {reason} (--allow-partial compares it anyway)")
        if reason:
            warn(f"{path}: {reason}; the run may be incomplete")
    a, b = load_run(path_a), load_run(path_b)
    check_common_seeds(a, b)
    table = compare_pair(a, b)
    if table.empty:
        raise CompareError(f"{path_a}: no target of its config is in both runs' KPIs")
    print(f"B - A, paired by replicate ({table['replicates'].max()} replicates)")
    print(f"  A = {path_a}\n  B = {path_b}")
    differing = sorted(
        k for k in {*a.overrides, *b.overrides} if a.overrides.get(k) != b.overrides.get(k)
    )
    for row in lever_evidence_table([a], differing).itertuples():
        print(f"  {row.key}: effect {row.evidence} ({row.rests_on})")
    print(format_comparison(table))
    return write_csv(table, (out_dir or path_b) / "comparison.csv")


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="python -m scenarios.compare",
        description="Compare the settings of a multirun directory, or two runs (B - A).",
    )
    parser.add_argument("paths", nargs="+", type=Path, help="a multirun dir, or run A and run B")
    parser.add_argument(
        "--baseline",
        help="sweep mode: the baseline setting as key=value[,key=value] (default: job 0)",
    )
    parser.add_argument("--out", type=Path, help="directory for the outputs")
    parser.add_argument(
        "--allow-partial",
        action="store_true",
        help="compare what is complete of a partial sweep, or an incomplete run (with a warning)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; returns the exit code (0; 2 bad inputs; 3 partial, not allowed)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if len(args.paths) > 2:
        parser.error("give one multirun directory or two run directories")
    if len(args.paths) == 2 and args.baseline:
        parser.error("--baseline applies to sweep mode (one multirun directory)")
    try:
        if len(args.paths) == 1:
            written = run_sweep(args.paths[0], args.baseline, args.out, args.allow_partial)
        else:
            written = [run_pair(*args.paths, args.out, args.allow_partial)]
    except PartialError as err:
        print(f"error: {err}", file=sys.stderr)
        return 3
    except RunDirError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print("wrote:\n" + "\n".join(f"  {p}" for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
