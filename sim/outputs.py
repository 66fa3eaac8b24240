"""Write run results atomically (temporary file, then rename) with provenance."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sim.compose import to_yaml
from sim.config import SimConfig
from sim.ensemble import EnsembleResult
from sim.targets import reachability, summary


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` through a temporary file in the same directory, then rename it."""
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


DONE_FILE = "done.json"
RESULT_SUFFIXES = {".parquet", ".csv", ".yaml", ".png"}
log = logging.getLogger("sim.outputs")


def config_hash(cfg: SimConfig) -> str:
    """SHA-256 of the resolved config (what a complete run directory was computed from)."""
    return hashlib.sha256(to_yaml(cfg).encode()).hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def corrupt_files(out_dir: Path, checksums: dict[str, str]) -> list[str]:
    """Result files that are missing or whose bytes differ from the recorded checksums."""
    bad = []
    for name, digest in checksums.items():
        path = Path(out_dir) / name
        if not path.exists() or file_digest(path) != digest:
            bad.append(name)
    return bad


def is_complete(out_dir: Path, digest: str) -> bool:
    """Whether ``out_dir`` holds complete, intact results of the config with this hash.

    ``done.json`` is written last, so its presence means every other file was written; it also
    records each file's checksum, so a result file damaged afterwards is detected and reported.
    A corrupt, different or missing ``done.json`` means the results are recomputed.
    """
    path = Path(out_dir) / DONE_FILE
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(info, dict) or info.get("config_hash") != digest:
        return False
    bad = corrupt_files(out_dir, info.get("files", {}))
    if bad:
        log.warning("%s: corrupt or missing result files %s; recomputing", out_dir, bad)
        return False
    return True


def invalidate(out_dir: Path) -> None:
    """Remove ``done.json`` before results are (re)written, so readers never take them as done."""
    (Path(out_dir) / DONE_FILE).unlink(missing_ok=True)


def mark_complete(
    out_dir: Path, digest: str, replicates: int, seconds: float, result: EnsembleResult
) -> None:
    """Write ``done.json`` (atomically, after every result file)."""
    out_dir = Path(out_dir)
    files = sorted(
        p.name
        for p in out_dir.iterdir()
        if p.is_file() and p.suffix in RESULT_SUFFIXES and not p.name.startswith(".")
    )
    info = {
        "config_hash": digest,
        "replicates": replicates,
        "failed_replicates": len(result.errors),
        "seconds": round(seconds, 3),
        "model_version": model_version(),
        "files": {name: file_digest(out_dir / name) for name in files if name != DONE_FILE},
    }
    atomic_write(Path(out_dir) / DONE_FILE, lambda p: p.write_text(json.dumps(info, indent=2)))


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
    atomic_write(out_dir / "kpis.parquet", lambda p: result.kpis.to_parquet(p, index=False))
    atomic_write(out_dir / "seeds.csv", lambda p: result.seeds.to_csv(p, index=False))
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
    atomic_write(out_dir / "costs.csv", lambda p: costs.to_csv(p, index=False))
    _write_common(out_dir, cfg, result)
    return tables
