"""The run-directory format: which files a run writes, how it is marked complete, how it is read.

A run directory (one Hydra run or one job of a sweep) holds ``kpis.parquet``, ``seeds.csv``,
``costs.csv``, ``config.yaml`` (the resolved config with a ``# model_version`` header line) and
the other tables of :mod:`sim.outputs`; ``done.json`` is written last and records the config hash
and the SHA-256 of every result file the run wrote. This module is the one reader of that format:
resuming a run (:func:`is_complete`), comparing runs and sweeps (:func:`incomplete_reason`,
:func:`load_run`) and the dashboard use it, so "complete" means the same everywhere.

One run at a time owns a run directory (:func:`own`: an exclusive lock on ``run.lock``, which
names the owner; the kernel releases it when the owner exits, even after ``kill -9``). The config
hash (:func:`result_config_hash`) covers only what changes results, not :data:`NOT_IN_HASH`.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime
import functools
import hashlib
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from sim.config import TargetSpec

DONE_FILE = "done.json"
LOCK_FILE = "run.lock"
CONFIG_FILE = "config.yaml"
KPIS_FILE = "kpis.parquet"
SEEDS_FILE = "seeds.csv"
COSTS_FILE = "costs.csv"
RESULT_SUFFIXES = {".parquet", ".csv", ".yaml", ".png"}
KPI_COLUMNS = ["replicate", "year", "kpi", "value"]
SEED_COLUMNS = ["replicate", "root_seed", "spawn_key"]
COST_COLUMNS = ["year", "lever", "yuan"]

log = logging.getLogger("sim.rundir")
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


NOT_IN_HASH = (
    "run.workers",
    "run.progress",
    "run.plots",
    "run.lazy_agents",
    "run.tolerate_failures",
    "executor",
    "calibration",
    "experiment",
)
"""Config keys that change no result of ``python -m sim`` (how and where it runs, what else the
config holds for other commands); a run differing only in these is complete and is not redone.
Fan charts are drawn from ``kpis.parquet`` when ``run.plots`` asks for missing ones."""


class RunDirError(ValueError):
    """A run directory or one of its files cannot be used; the message is one line."""


class RunDirBusy(RunDirError):
    """Another live process owns the run directory."""


# ---------------------------------------------------------------------------------------------
# Ownership


def _owner_record() -> dict:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join(sys.argv)[:500],
    }


def describe_owner(run_dir: Path) -> str:
    """Who holds (or last held) the lock of a run directory, as a short phrase."""
    try:
        info = json.loads((Path(run_dir) / LOCK_FILE).read_text())
        return f"pid {info['pid']} on {info['host']} (started {info['started']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


@contextlib.contextmanager
def own(run_dir: Path) -> Iterator[Path]:
    """Hold the run directory for this process: an exclusive, non-blocking lock on ``run.lock``.

    The lock file names the owner (pid, host, start time, command). The lock is released when the
    block ends or the process dies in any way; the file stays and names the last owner.

    Raises:
        RunDirBusy: another live process holds the directory (one line naming it).
    """
    import fcntl

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise RunDirBusy(
            f"{run_dir} is in use by {describe_owner(run_dir)}; wait for it to finish or choose "
            "another hydra.run.dir / hydra.sweep.dir"
        ) from None
    try:
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(_owner_record()).encode())
        os.fsync(fd)
        yield run_dir
    finally:
        os.close(fd)  # releases the lock


# ---------------------------------------------------------------------------------------------
# Writing


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` through a temporary file in the same directory, then rename it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; results are ordinary files
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def model_version() -> str:
    """Git commit of the source tree when available, else the package version."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
        if out.returncode == 0:
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("innovation-ecosystem-sim")
    except PackageNotFoundError:
        return "unknown"


def result_config_hash(config: dict) -> str:
    """SHA-256 of the parts of a resolved config (a plain dict) that change results.

    The keys of :data:`NOT_IN_HASH` are left out; the rest is hashed as canonical JSON (sorted
    keys), so the hash of a config and of its ``config.yaml`` (read back) are the same.
    """
    kept = copy.deepcopy(config)
    for dotted in NOT_IN_HASH:
        *parents, leaf = dotted.split(".")
        node = kept
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(leaf, None)
    text = json.dumps(kept, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


CODE_PACKAGES = ("agents", "sim")
"""Packages whose source makes the results (hashed by :func:`code_digest`)."""


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 of the model's source (every ``.py`` file of :data:`CODE_PACKAGES`).

    Unlike the git commit, it changes with uncommitted edits too, so results of other code are
    never taken for complete.
    """
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for package in CODE_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def inputs_digest(paths: Iterable[Path]) -> str:
    """SHA-256 of the model source and of the given input files (missing files count as empty)."""
    digest = hashlib.sha256(code_digest().encode())
    for path in paths:
        path = Path(path)
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


def invalidate(run_dir: Path) -> None:
    """Remove ``done.json`` before results are (re)written, so readers never take them as done."""
    (Path(run_dir) / DONE_FILE).unlink(missing_ok=True)


def mark_complete(
    run_dir: Path, digest: str, files: Iterable[str] | None = None, **info: object
) -> None:
    """Write ``done.json`` (atomically, after every result file) with the files' checksums.

    Args:
        run_dir: The run directory.
        digest: Hash of the config the results were computed from.
        files: Names of the result files this run wrote (default: every result file present).
        **info: Further fields (``inputs_hash`` of :func:`inputs_digest`, replicates, failed
            replicates, seconds, ...).

    Raises:
        RunDirError: ``config.yaml`` on disk is not the config with hash ``digest`` (another
            run wrote into the directory), so the files cannot be vouched for.
    """
    run_dir = Path(run_dir)
    on_disk = recorded_config_hash(run_dir)
    if on_disk != digest:
        raise RunDirError(
            f"{run_dir / CONFIG_FILE} is not the config of these results (hash "
            f"{str(on_disk)[:12]}, expected {digest[:12]}); not marking the run complete"
        )
    if files is None:
        files = (
            p.name
            for p in run_dir.iterdir()
            if p.is_file() and p.suffix in RESULT_SUFFIXES and not p.name.startswith(".")
        )
    files = sorted(set(files))
    record = {
        "config_hash": digest,
        **info,
        "model_version": model_version(),
        "files": {name: file_digest(run_dir / name) for name in files if name != DONE_FILE},
    }
    text = json.dumps(record, indent=2)
    atomic_write(run_dir / DONE_FILE, lambda p: p.write_text(text))


# ---------------------------------------------------------------------------------------------
# Completeness


def corrupt_files(run_dir: Path, checksums: dict[str, str]) -> list[str]:
    """Result files that are missing or whose bytes differ from the recorded checksums."""
    bad = []
    for name, digest in checksums.items():
        path = Path(run_dir) / name
        if not path.exists() or file_digest(path) != digest:
            bad.append(name)
    return bad


def read_done(run_dir: Path) -> dict | None:
    """The ``done.json`` record of a run directory, or None when missing or unreadable."""
    try:
        info = json.loads((Path(run_dir) / DONE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def recorded_config_hash(run_dir: Path) -> str | None:
    """:func:`result_config_hash` of the run's ``config.yaml`` (None if absent or unreadable)."""
    try:
        config = yaml.load((Path(run_dir) / CONFIG_FILE).read_text(), Loader=_YamlLoader)
    except (OSError, yaml.YAMLError):
        return None
    return result_config_hash(config) if isinstance(config, dict) else None


def incomplete_reason(
    run_dir: Path, expected_hash: str | None = None, expected_inputs: str | None = None
) -> str | None:
    """Why a run directory does not hold complete, intact results, or None when it does.

    Complete means: a readable ``done.json`` (written last), ``kpis.parquet`` present, the hash
    recorded in ``done.json`` equal to the hash of ``config.yaml`` (and to ``expected_hash`` when
    given, e.g. the config about to be run), the recorded inputs hash (model code and region data)
    equal to ``expected_inputs`` when given, and every file matching its recorded checksum.
    """
    run_dir = Path(run_dir)
    info = read_done(run_dir)
    if info is None:
        return f"no readable {DONE_FILE}"
    if not (run_dir / KPIS_FILE).is_file():
        return f"no {KPIS_FILE}"
    recorded = info.get("config_hash")
    if recorded != recorded_config_hash(run_dir):
        return f"{DONE_FILE} does not match {CONFIG_FILE} (being recomputed?)"
    if expected_hash is not None and recorded != expected_hash:
        return f"results of another config ({DONE_FILE} hash {str(recorded)[:12]})"
    if expected_inputs is not None and info.get("inputs_hash") != expected_inputs:
        return "results of other model code or region data (inputs_hash differs)"
    bad = corrupt_files(run_dir, info.get("files", {}))
    if bad:
        return f"corrupt or missing result files {bad}"
    return None


def is_complete(run_dir: Path, digest: str, inputs: str | None = None) -> bool:
    """Whether ``run_dir`` holds complete, intact results of config ``digest`` (and ``inputs``)."""
    reason = incomplete_reason(run_dir, digest, inputs)
    if reason and reason.startswith("corrupt"):
        log.warning("%s: %s; recomputing", run_dir, reason)
    return reason is None


# ---------------------------------------------------------------------------------------------
# Reading


def one_line(err: BaseException) -> str:
    """An exception's message on a single line."""
    return " ".join(str(err).split()) or type(err).__name__


def read_kpis(path: Path) -> pd.DataFrame:
    """Read a ``kpis.parquet`` and check its columns.

    Raises:
        RunDirError: missing, unreadable or without the KPI columns.
    """
    path = Path(path)
    if not path.is_file():
        raise RunDirError(f"{path}: no such file")
    try:
        kpis = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several types for damaged files
        raise RunDirError(f"{path}: cannot read parquet ({one_line(err)})") from err
    missing = [c for c in KPI_COLUMNS if c not in kpis.columns]
    if missing:
        raise RunDirError(f"{path}: missing columns {missing}")
    return kpis[KPI_COLUMNS]


def read_table(path: Path, columns: list[str]) -> pd.DataFrame:
    """Read a CSV file that must have ``columns``.

    Raises:
        RunDirError: missing, unreadable or without the columns.
    """
    path = Path(path)
    if not path.is_file():
        raise RunDirError(f"{path}: no such file")
    try:
        table = pd.read_csv(path)
    except Exception as err:
        raise RunDirError(f"{path}: cannot read csv ({one_line(err)})") from err
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise RunDirError(f"{path}: missing columns {missing}")
    return table


def read_yaml(path: Path) -> object:
    """Parse a YAML file.

    Raises:
        RunDirError: missing or not valid YAML.
    """
    path = Path(path)
    if not path.is_file():
        raise RunDirError(f"{path}: no such file")
    try:
        return yaml.load(path.read_text(), Loader=_YamlLoader)
    except (OSError, yaml.YAMLError) as err:
        raise RunDirError(f"{path}: cannot read yaml ({one_line(err)})") from err


def read_targets(run_dir: Path) -> list[TargetSpec]:
    """The targets in a run's ``config.yaml`` (the resolved config the run used).

    Raises:
        RunDirError: no config, or no ``targets.targets`` list in it.
    """
    path = Path(run_dir) / CONFIG_FILE
    config = read_yaml(path)
    try:
        specs = config["targets"]["targets"]
    except (TypeError, KeyError) as err:
        raise RunDirError(f"{path}: no targets.targets list") from err
    names = {f.name for f in dataclasses.fields(TargetSpec)}
    return [TargetSpec(**{k: v for k, v in spec.items() if k in names}) for spec in specs]


@dataclass
class Run:
    """The results of one run directory needed for comparisons."""

    path: Path
    kpis: pd.DataFrame
    targets: list[TargetSpec]
    seeds: pd.DataFrame | None = None
    costs: pd.DataFrame | None = None
    overrides: dict[str, object] = dataclasses.field(default_factory=dict)
    job: int = 0


def check_run_dir(path: Path) -> None:
    """Stop with a clear message unless ``path`` is a directory holding ``kpis.parquet``."""
    path = Path(path)
    if not path.exists():
        raise RunDirError(f"{path}: no such file or directory")
    if not path.is_dir():
        raise RunDirError(f"{path}: not a directory")
    if not (path / KPIS_FILE).is_file():
        raise RunDirError(f"{path}: no {KPIS_FILE} (not a run directory)")


def load_run(run_dir: Path, with_costs: bool = False) -> Run:
    """Read the KPIs, targets and seeds (and optionally costs) of one run directory."""
    run_dir = Path(run_dir)
    seeds = read_table(run_dir / SEEDS_FILE, SEED_COLUMNS)
    costs = read_table(run_dir / COSTS_FILE, COST_COLUMNS) if with_costs else None
    return Run(
        path=run_dir,
        kpis=read_kpis(run_dir / KPIS_FILE),
        targets=read_targets(run_dir),
        seeds=seeds,
        costs=costs,
    )
