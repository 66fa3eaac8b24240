"""Every output records version, config and seeds; re-running from the record is identical."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd


def run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, timeout=600
    )


def test_rerunning_from_the_recorded_config_gives_identical_results(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    args = [
        "levers=platform_push",
        "run.seed=11",
        "run.replicates=3",
        "run.people_per_agent=5000",
        "run.workers=1",
        "run.plots=false",
        "run.progress=false",
    ]
    assert run([*args, f"hydra.run.dir={first}"]).returncode == 0
    text = (first / "config.yaml").read_text()
    version = text.splitlines()[0]
    assert version.startswith("# model_version: ") and len(version) > len("# model_version: ")
    seeds = pd.read_csv(first / "seeds.csv")
    assert (seeds.root_seed == 11).all() and list(seeds.spawn_key) == [0, 1, 2]
    done = json.loads((first / "done.json").read_text())
    assert done["model_version"] in version and done["replicates"] == 3
    proc = run(["-cp", str(first), "-cn", "config", f"hydra.run.dir={second}"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    pd.testing.assert_frame_equal(
        pd.read_parquet(first / "kpis.parquet"), pd.read_parquet(second / "kpis.parquet")
    )
    assert (second / "config.yaml").read_text().splitlines()[1:] == text.splitlines()[1:]


def test_a_damaged_result_file_is_detected_and_recomputed(tmp_path):
    out = tmp_path / "run"
    args = [
        "run.replicates=2",
        "run.people_per_agent=5000",
        "run.workers=1",
        "run.plots=false",
        "run.progress=false",
        f"hydra.run.dir={out}",
    ]
    assert run(args).returncode == 0
    good = pd.read_parquet(out / "kpis.parquet")
    assert "kpis.parquet" in json.loads((out / "done.json").read_text())["files"]
    again = run(args)
    assert "skipping" in again.stdout
    (out / "kpis.parquet").write_bytes(b"PAR1 damaged")
    fixed = run(args)
    assert fixed.returncode == 0
    assert "corrupt or missing result files ['kpis.parquet']" in fixed.stdout + fixed.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(out / "kpis.parquet"), good)
