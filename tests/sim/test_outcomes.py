"""Reported outcomes: the targets of the reported years as observed (met, missed, open) beside
the model's P from its base-year origin; `python -m sim` prints them and writes outcomes.csv;
the fan charts carry the observations."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from sim import charts  # noqa: E402
from sim.compose import load_config  # noqa: E402
from sim.config import ConfigError, TargetSpec  # noqa: E402
from sim.observations import load_observed, observed_path  # noqa: E402
from sim.targets import (  # noqa: E402
    NOT_REPORTED,
    format_outcomes,
    observed_outcomes,
    read_track_record,
)

INF = math.inf


def _obs(kpi, year, value, low, high, kind, source="https://example.org/a"):
    return {
        "kpi": kpi,
        "year": year,
        "value": value,
        "low": low,
        "high": high,
        "kind": kind,
        "source_url": source,
        "confidence": "high",
    }


OBSERVED = pd.DataFrame(
    [
        _obs("platforms", 2025, 3400, 3400, INF, "lower"),  # ">3400" vs 2600: met
        _obs("big_science", 2025, 0, 0, 0, "exact"),  # 0 vs 1: missed
        _obs("listed", 2025, 100, 90, 110, "range"),  # 90-110 vs 100: open
        _obs("national_key_labs", 2025, 35, -INF, 35, "upper"),  # <=35: vs 40 missed, vs 30 open
        _obs("clusters", 2025, 3, 3, 3, "exact"),  # exactly at the threshold: met
        _obs("talent", 2023, 3e6, 3e6, INF, "lower"),  # not a target year
    ]
)
TARGETS = [
    TargetSpec("platforms", "platforms", 2025, 2600),
    TargetSpec("big_science", "big_science", 2025, 1),
    TargetSpec("listed", "listed", 2025, 100),
    TargetSpec("labs_high", "national_key_labs", 2025, 40),
    TargetSpec("labs_low", "national_key_labs", 2025, 30),
    TargetSpec("clusters", "clusters", 2025, 3),
    TargetSpec("talent", "talent", 2025, 3.5e6),  # year reported, KPI not
    TargetSpec("platforms", "platforms", 2030, 3000),  # after the last reported year
]
RECORD = pd.DataFrame(
    {
        "origin": [2021, 2022, 2022],
        "target": ["platforms", "platforms", "listed"],
        "year": [2025, 2025, 2025],
        "probability": [0.10, 0.93, 0.40],
        "ci_low": [0.05, 0.86, 0.31],
        "ci_high": [0.18, 0.97, 0.50],
        "replicates": [100, 100, 100],
    }
)


def test_statuses_of_handmade_observations():
    out = observed_outcomes(TARGETS, OBSERVED).set_index("target")
    assert list(out.index) == [
        "platforms",
        "big_science",
        "listed",
        "labs_high",
        "labs_low",
        "clusters",
        "talent",
    ]  # the 2030 target is the outlook, not an outcome
    assert out.status.to_dict() == {
        "platforms": "met",
        "big_science": "missed",
        "listed": "open",
        "labs_high": "missed",
        "labs_low": "open",
        "clusters": "met",
        "talent": NOT_REPORTED,
    }
    assert out.observed.to_dict() == {
        "platforms": ">= 3,400",
        "big_science": "0",
        "listed": "90 - 110",
        "labs_high": "<= 35",
        "labs_low": "<= 35",
        "clusters": "3",
        "talent": "-",
    }
    assert out.at["listed", "source"] == "https://example.org/a"
    assert out.p_from_origin.isna().all()


def test_the_probability_shown_is_the_one_from_the_requested_origin():
    out = observed_outcomes(TARGETS, OBSERVED, RECORD, origin=2022).set_index("target")
    assert out.at["platforms", "p_from_origin"] == 0.93  # not the 2021 origin's 0.10
    assert (out.at["platforms", "p_ci_low"], out.at["platforms", "p_ci_high"]) == (0.86, 0.97)
    assert out.at["listed", "p_from_origin"] == 0.40 and out.at["listed", "p_replicates"] == 100
    assert np.isnan(out.at["clusters", "p_from_origin"])  # no row in the record
    text = format_outcomes(out.reset_index(), origin=2022)
    lines = {line.split()[0]: line for line in text.splitlines()[1:]}
    assert "P from 2022" in text.splitlines()[0]
    assert " 0.93 " in lines["platforms"] and "0.86-0.97" in lines["platforms"]
    assert " n/a" in lines["clusters"] and lines["clusters"].split()[4] == "met"


def test_a_track_record_without_a_column_is_refused_in_one_line(tmp_path):
    path = tmp_path / "x_track_record.csv"
    RECORD.drop(columns="ci_high").to_csv(path, index=False)
    with pytest.raises(ConfigError, match=r"region.track_record_file .*\['ci_high'\]"):
        read_track_record(path)
    RECORD.to_csv(path, index=False)
    pd.testing.assert_frame_equal(read_track_record(path), RECORD)


def test_observations_are_drawn_on_the_fan_by_their_kind():
    fig, ax = plt.subplots()
    charts.draw_observed(
        ax, OBSERVED[OBSERVED.kpi.isin(["platforms", "big_science", "listed", "national_key_labs"])]
    )
    by_label = {c.get_label(): c for c in ax.collections}
    plt.close(fig)
    np.testing.assert_array_equal(by_label["observed"].get_offsets(), [[2025, 0]])
    np.testing.assert_array_equal(by_label["lower bound"].get_offsets(), [[2025, 3400]])
    np.testing.assert_array_equal(by_label["upper bound"].get_offsets(), [[2025, 35]])
    np.testing.assert_array_equal(
        by_label["observed range"].get_segments()[0], [[2025, 90], [2025, 110]]
    )


def test_each_fan_gets_the_observations_of_its_kpi_within_its_years(tmp_path, monkeypatch):
    got = []
    monkeypatch.setattr(charts, "draw_observed", lambda ax, obs: got.append(obs))
    observed = load_observed("changsha_observed.csv")
    kpis = pd.DataFrame(
        [
            {"replicate": r, "year": y, "kpi": k, "value": 1.0 + r}
            for r in range(3)
            for y in range(2022, 2027)
            for k in ("platforms", "clusters")
        ]
    )
    targets = [
        TargetSpec("platforms", "platforms", 2025, 2600),
        TargetSpec("clusters", "clusters", 2025, 3),
    ]
    charts.fan_charts(kpis, targets, tmp_path, observed)
    assert len(got) == 2
    platforms = got[0]
    assert set(platforms.kpi) == {"platforms"}
    assert sorted(platforms.year) == [2022, 2023, 2024, 2025]  # 2017-2021 lie before the fan
    assert sorted(got[1].year) == [2022, 2024, 2025] and set(got[1].kpi) == {"clusters"}
    assert (tmp_path / "fan_platforms.png").stat().st_size > 0


def _run(tmp_path, *extra):
    out = tmp_path / "run"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "run.replicates=4",
            "run.assimilation_paths=4",
            "run.people_per_agent=5000",
            "run.workers=1",
            "run.horizon=2026",
            "run.plots=false",
            "run.progress=false",
            f"hydra.run.dir={out}",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return proc, out


def test_a_run_prints_the_reported_outcomes_and_writes_them(tmp_path):
    record = tmp_path / "changsha_track_record.csv"
    RECORD.to_csv(record, index=False)
    proc, out = _run(tmp_path, f"region.track_record_file={record}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert any(line.startswith("assimilated ") and "2023-2025" in line for line in lines)
    assert any(
        line.startswith("-- outlook 2026: P(reached) conditioned on the observations through 2025")
        for line in lines
    )
    block = lines[lines.index("Reported outcomes (changsha_observed.csv):") + 1 :]
    rows = {line.split()[0]: line for line in block[1:] if line.split()}
    assert "0.93" in rows["platforms"] and "0.86-0.97" in rows["platforms"]
    assert " n/a" in rows["clusters"]

    # outcomes.csv: the observed 2025 values of changsha_observed.csv, statuses recomputed
    outcomes = pd.read_csv(out / "outcomes.csv").set_index("target")
    observed = load_observed("changsha_observed.csv").set_index(["kpi", "year"])
    targets = [t for t in load_config().targets.targets if t.year == 2025]
    assert list(outcomes.index) == [t.id for t in targets]
    reported = 0
    for t in targets:
        row = outcomes.loc[t.id]
        if (t.kpi, 2025) not in observed.index:
            assert row.status == NOT_REPORTED and t.id in rows
            continue
        o = observed.loc[(t.kpi, 2025)]
        assert (row.value, row.low, row.high, row.kind) == (o.value, o.low, o.high, o.kind)
        assert row.status == (
            "met" if o.low >= t.threshold else "missed" if o.high < t.threshold else "open"
        )
        assert row.status in rows[t.id]
        reported += 1
    assert reported == 4  # platforms, clusters, little giants, big science
    assert outcomes.at["big_science", "status"] == "missed"
    assert outcomes.at["platforms", "p_from_origin"] == 0.93

    # assimilation.csv: the particle table; both files are recorded in done.json
    particles = pd.read_csv(out / "assimilation.csv")
    seeds = pd.read_csv(out / "seeds.csv")
    assert len(particles) == 16 and particles.drawn.sum() == 4  # 4 candidate paths each
    assert particles.groupby("replicate").weight.sum().to_numpy() == pytest.approx([1.0] * 4)
    np.testing.assert_array_equal(
        np.bincount(seeds.parent, minlength=16), particles.drawn.to_numpy()
    )
    files = json.loads((out / "done.json").read_text())["files"]
    assert {"outcomes.csv", "assimilation.csv"} <= set(files)


def test_without_a_track_record_the_column_is_na_and_the_validation_is_named(tmp_path, capsys):
    from sim.__main__ import report_outcomes

    cfg = load_config([f"region.track_record_file={tmp_path / 'none_track_record.csv'}"])
    observed = load_observed(observed_path(cfg.region.observed_file))
    assert report_outcomes(cfg, tmp_path, observed) == ["outcomes.csv"]
    text = capsys.readouterr().out
    assert "python -m scenarios.validate" in text and "none_track_record.csv" in text
    table = pd.read_csv(tmp_path / "outcomes.csv")
    assert table.p_from_origin.isna().all() and len(table) == 8
    # the default config names the region's own file, never another region's
    renamed = ["region=changsha", "region.name=lakeside", "targets.name=lakeside"]
    assert load_config(renamed).region.track_record_file == ("lakeside_track_record.csv")


def test_a_missing_observed_file_is_refused_in_one_line(tmp_path):
    proc, out = _run(tmp_path, f"region.observed_file={tmp_path / 'gone.csv'}")
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "'gone.csv' not found" in err[0]
    assert not (out / "kpis.parquet").exists()
