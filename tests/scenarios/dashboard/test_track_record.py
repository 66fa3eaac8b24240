"""The dashboard's "Track record" tab: reads a scorecard directory, tables, goals, fan figures."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from scenarios.dashboard import track_record
from scenarios.scoring import summarise


@pytest.fixture()
def scorecard_dir(tmp_path):
    """A small scorecard directory as ``python -m scenarios.validate`` writes it."""
    rows = []
    for origin in (2021, 2022):
        for kpi, value in (("listed", 86.0), ("platforms", 3400.0)):
            rows.append(
                {"origin": origin, "kpi": kpi, "year": 2024, "value": value, "low": value,
                 "high": value if kpi == "listed" else math.inf,
                 "kind": "exact" if kpi == "listed" else "lower",
                 "p05": 0.9 * value, "p25": 0.95 * value, "p50": value, "p75": 1.05 * value,
                 "p95": 1.1 * value, "in50": True, "in90": True, "y_star": value, "crps": 1.0,
                 "crps_trend": 2.0, "crps_persistence": 3.0 if kpi == "listed" else np.nan,
                 "pit": 0.5})  # fmt: skip
    card = pd.DataFrame(rows)
    summarise(card).to_csv(tmp_path / "scorecard_summary.csv", index=False)
    card.to_csv(tmp_path / "scorecard.csv", index=False)
    fans = pd.DataFrame(
        [
            {"kpi": k, "origin": o, "year": y, "p05": 1, "p25": 2, "p50": 3, "p75": 4, "p95": 5}
            for k in ("listed", "platforms")
            for o in (2021, 2022)
            for y in range(o, o + 4)
        ]
    )
    fans.to_csv(tmp_path / "fans.csv", index=False)
    card[["kpi", "year", "value", "low", "high", "kind"]].drop_duplicates().to_csv(
        tmp_path / "observed.csv", index=False
    )
    info = {"origins": [2021, 2022], "lead_years": 3, "levers": "enacted_2023",
            "exogenous": "ex_ante", "replicates": 4, "date": "2026-12-01", "seconds": 120,
            "command": "python -m scenarios.validate validation=quick"}  # fmt: skip
    (tmp_path / "run.json").write_text(json.dumps(info))
    return tmp_path


def test_track_record_reads_the_scorecard_and_states_the_goals(scorecard_dir):
    record = track_record.load(scorecard_dir)
    assert record is not None and record.kpis == ["listed", "platforms"]
    assert np.isinf(record.observed.set_index("kpi").loc["platforms", "high"]).all()
    goals = track_record.goals_markdown(record)
    assert "pooled 90 % coverage: **1.00** (goal 0.80-0.97: not met)" in goals
    assert "pooled 50 % coverage: **1.00** (goal 0.35-0.65: not met)" in goals
    assert "against the trend" in goals and "**1 of 1** with both scores (100%; 2 KPIs" in goals
    table = track_record.summary_table(record)
    assert list(table["KPI"]) == ["listed", "platforms", "pooled"]
    assert table.loc[0, "CRPS skill vs trend"] == "0.50" and table.loc[0, "beats both"] == "yes"
    assert table.loc[1, "beats both"] == "-" and table.loc[2, "beats both"] == "1 of 1 KPIs"
    intro = track_record.intro_markdown(record)
    assert "2021, 2022" in intro and "`enacted_2023`" in intro and "2 min" in intro


def test_track_record_fan_figure_has_one_fan_per_origin_and_the_observations(scorecard_dir):
    record = track_record.load(scorecard_dir)
    fig = track_record.figure(record, "platforms")
    ax = fig.axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert labels[:2] == ["from 2021", "from 2022"] and "lower bound" in labels
    assert "in 90 % band 100%" in ax.get_title()


def test_missing_scorecard_gives_none_and_the_tab_is_listed(tmp_path):
    assert track_record.load(tmp_path) is None
    app = (track_record.ROOT / "scenarios" / "dashboard" / "app.py").read_text()
    assert '"Track record"' in app and "track_record.TrackRecordTab()" in app  # importing app
    # would start the dashboard's warm-up; the browser test clicks the tab


def test_the_committed_scorecard_is_readable():
    record = track_record.load(track_record.DOCS)
    assert record is not None, "docs/validation/ has no scorecard"
    assert {"coverage50", "coverage90", "skill_trend", "skill_persistence"} <= set(
        record.summary.columns
    )
    assert record.summary["kpi"].iloc[-1] == "pooled"
    assert set(record.fans["kpi"]) >= set(record.kpis)
    assert len(record.info.get("origins", [])) == 5  # the default run, not a quick one
