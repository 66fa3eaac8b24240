"""Observed values with kinds: the published-text parser, the combination rule, the one loader."""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import pytest

from scenarios.calibrate import load_observations
from sim.compose import load_config
from sim.config import ConfigError
from sim.observations import (
    APPROX_SHARE,
    COLUMNS,
    combine_intervals,
    load_observed,
    observed_path,
    parse_published,
    read_observed,
    write_derived,
)

INF = math.inf


@pytest.mark.parametrize(
    ("text", "factor", "value", "low", "high", "kind"),
    [
        ("3,400+", 1, 3400, 3400, INF, "lower"),
        (">300", 1e4, 3e6, 3e6, INF, "lower"),
        (">=13", 1, 13, 13, INF, "lower"),
        ("over 3 million", 1, 3e6, 3e6, INF, "lower"),
        ("8500余", 1, 8500, 8500, INF, "lower"),
        ("突破1.2万", 1, 12000, 12000, INF, "lower"),
        ("120多", 1, 120, 120, INF, "lower"),
        ("<5", 1, 5, -INF, 5, "upper"),
        ("below 2.5", 1, 2.5, -INF, 2.5, "upper"),
        ("130-239", 1, 184.5, 130, 239, "range"),
        ("1-2万", 1, 15000, 10000, 20000, "range"),
        ("6000–15000", 1, 10500, 6000, 15000, "range"),
        ("~6400", 1, 6400, 6400 * (1 - APPROX_SHARE), 6400 * (1 + APPROX_SHARE), "range"),
        ("about 10,000", 1, 10000, 9500, 10500, "range"),
        ("5左右", 1, 5, 4.75, 5.25, "range"),
        ("2.73", 1, 2.73, 2.73, 2.73, "exact"),
        ("1,234,567", 1, 1234567, 1234567, 1234567, "exact"),
        ("-2.1", 1, -2.1, -2.1, -2.1, "exact"),
        ("280", 1e4, 2.8e6, 2.8e6, 2.8e6, "exact"),
    ],
)
def test_published_text_is_read_into_an_interval(text, factor, value, low, high, kind):
    p = parse_published(text, factor)
    assert p.kind == kind
    assert p.value == pytest.approx(value)
    assert p.low == pytest.approx(low) and p.high == pytest.approx(high)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("first one (zero breakthrough)", "no number"),
        ("", "empty"),
        ("239-130", "low end above"),
        ("over 5 but below 9", "both a lower and an upper"),
    ],
)
def test_unreadable_published_text_is_refused(text, words):
    with pytest.raises(ValueError, match=words):
        parse_published(text)


def test_consistent_sources_intersect_and_conflicting_ones_become_a_range():
    assert combine_intervals([12000, 12000], [12000, INF]) == (12000, 12000)  # 1.2万, >1.2万
    assert combine_intervals([3, -INF], [INF, 5]) == (3, 5)  # >3 and <5
    assert combine_intervals([6588, 6600], [6588, INF]) == (6588, 6600)  # 6588 vs >6600
    assert combine_intervals([367.1, 389.7], [367.1, 389.7]) == (367.1, 389.7)  # two exact
    assert combine_intervals([2300, 3400], [INF, INF]) == (3400, INF)  # two lower bounds


def _write(tmp_path, rows: list[dict], name="x_observed.csv"):
    frame = pd.DataFrame(rows)
    for col in COLUMNS:
        if col not in frame:
            frame[col] = "" if col != "factor" else 1
    path = tmp_path / name
    frame[list(COLUMNS)].to_csv(path, index=False)
    return path


def test_loader_combines_rows_per_kpi_and_year_and_keeps_the_sources(tmp_path):
    path = _write(
        tmp_path,
        [
            {"kpi": "tech_smes", "year": 2025, "published": "12000", "source_url": "a",
             "confidence": "high"},
            {"kpi": "tech_smes", "year": 2025, "published": ">12000", "source_url": "b",
             "confidence": "medium"},
            {"kpi": "high_tech_enterprises", "year": 2022, "published": "6588",
             "confidence": "medium"},
            {"kpi": "high_tech_enterprises", "year": 2022, "published": ">6600",
             "confidence": "high"},
            {"kpi": "talent", "year": 2023, "published": ">300", "factor": 1e4},
        ],
    )  # fmt: skip
    write_derived(path)  # fills value, low, high, kind from published x factor
    obs = load_observed(path).set_index(["kpi", "year"])
    smes = obs.loc[("tech_smes", 2025)]
    assert (smes.kind, smes.value, smes.sources) == ("exact", 12000, 2)
    assert smes.source_url == "a | b" and smes.confidence == "medium"
    hte = obs.loc[("high_tech_enterprises", 2022)]
    assert (hte.kind, hte.low, hte.high, hte.value) == ("range", 6588, 6600, 6594)
    talent = obs.loc[("talent", 2023)]
    assert (talent.kind, talent.low, talent.high) == ("lower", 3e6, INF)
    assert list(load_observed(path, kpis=["talent"]).kpi) == ["talent"]


def test_derived_columns_must_follow_from_the_published_text(tmp_path):
    path = _write(tmp_path, [{"kpi": "listed", "year": 2024, "published": "86"}])
    write_derived(path)
    text = path.read_text().replace(",86,1,86,86,86,exact", ",86,1,90,86,86,exact")
    path.write_text(text)
    with pytest.raises(ConfigError, match="value='90' does not follow from published='86'"):
        read_observed(path)


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ({"kpi": "patents", "year": 2024, "published": "5"}, "not model KPIs"),
        ({"kpi": "listed", "year": "2024 (as labelled)", "published": "5"}, "not whole years"),
        ({"kpi": "listed", "year": 2024, "published": "qualitative"}, "no number"),
    ],
)
def test_malformed_rows_are_refused_in_one_line(tmp_path, row, words):
    path = _write(tmp_path, [row])
    with pytest.raises(ConfigError, match=words) as err:
        load_observed(path)
    assert "\n" not in str(err.value)


def test_missing_file_is_refused():
    with pytest.raises(ConfigError, match="nowhere_observed.csv' not found"):
        load_observed("nowhere_observed.csv")


def test_changsha_file_holds_the_calibration_rows_and_the_2023_2025_outcomes():
    cfg = load_config()
    assert cfg.calibration.observed_file == "changsha_observed.csv"
    raw = read_observed(observed_path(cfg.calibration.observed_file))  # derived columns agree
    assert raw.source_url.str.len().gt(0).all() and raw.quote.str.len().gt(0).all()
    obs = load_observed(cfg.calibration.observed_file).set_index(["kpi", "year"])
    assert obs.loc[("high_tech_enterprises", 2023), "value"] == 7889
    assert obs.loc[("platforms", 2025), "kind"] == "lower"
    assert obs.loc[("talent", 2023), "low"] == 3_000_000  # "突破300万", 10k persons x 1e4
    assert obs.loc[("rd_intensity", 2023), "kind"] == "exact"  # 3.18 and ">3" agree
    assert len(obs.loc[(slice(None), slice(2023, 2025)), :]) >= 14


def test_calibration_reads_the_same_loader_up_to_its_end_year():
    cal = load_config().calibration
    obs = load_observations(cal)
    assert obs.year.max() == cal.end_year == 2025 and obs.year.min() > cal.base_year
    assert "gdp" not in set(obs.kpi) and len(set(obs.kpi)) >= 15  # GDP is an input
    assert {"exact", "range", "lower", "upper"} <= set(obs.kind)  # bounds enter censored
    rd = obs.set_index(["kpi", "year"]).loc[("rd_expenditure", 2022)]
    assert (rd.kind, rd.low, rd.high) == ("range", 367.1, 389.7)
    assert len(load_observations(replace(cal, end_year=2022))) < len(obs)


def test_older_layout_without_kpi_column_is_mapped_through_calibration_series(tmp_path):
    from sim.config import SeriesSpec

    path = tmp_path / "old.csv"
    path.write_text(
        "indicator,year,value,unit,source_url,quote,confidence\n"
        "talent_total,2021,280,10k persons,u,q,low\n"
        "talent_total,2023,>300,10k persons,u,q,high\n"
        "other,2023,5,count,u,q,high\n"
    )
    series = [SeriesSpec(indicator="talent_total", kpi="talent", factor=1e4)]
    obs = load_observed(path, series=series).set_index("year")
    assert list(obs.kpi) == ["talent", "talent"]
    assert obs.loc[2021, "value"] == 2.8e6 and obs.loc[2023, "kind"] == "lower"
    with pytest.raises(ConfigError, match="no 'kpi' column"):
        load_observed(path)
