"""A region's base-year file takes values as published and estimates what it lacks (issue 16)."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

import sim.region as region
from sim.config import ConfigError, EstimateConfig, RegionConfig, SimConfig, base_year_gdp
from sim.region import (
    APPROX_SHARE,
    BOUND_SHARE,
    REQUIRED,
    SCALE_BY,
    data_path,
    from_published,
    load_base_state,
)

CHANGSHA = region.CONF_DIR / "region" / "changsha_base_2022.csv"
REF = pd.read_csv(CHANGSHA).set_index("indicator")
REF_GDP = float(REF.loc["gdp", "value"])
REF_POP = float(REF.loc["resident_population", "value"])
KEY = "high_tech_enterprises"  # unit factor 1: model value = file value


def rows_of(path=CHANGSHA) -> dict[str, list[str]]:
    """indicator -> [value, low, high, unit, basis] as text."""
    with open(path, newline="") as f:
        return {
            r["indicator"]: [r[c] for c in ("value", "low", "high", "unit", "basis")]
            for r in csv.DictReader(f)
        }


def write(path, rows: dict[str, list[str]], extra_lines: list[str] = ()) -> str:
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["indicator", "value", "low", "high", "unit", "basis"])
        for name, cells in rows.items():
            out.writerow([name, *cells, *[""] * (5 - len(cells))])
    if extra_lines:
        with open(path, "a") as f:
            f.write("\n".join(extra_lines) + "\n")
    return str(path)


def city(tmp_path, changes=None, drop=(), name="city.csv", **estimates) -> RegionConfig:
    """A region whose data file is Changsha's with ``changes`` (indicator -> cells) and ``drop``."""
    rows = rows_of()
    for key in drop:
        rows.pop(key)
    rows.update(changes or {})
    path = write(tmp_path / name, rows)
    return RegionConfig(name="city", data_file=path, estimates=EstimateConfig(**estimates))


def refused(region_cfg: RegionConfig) -> str:
    with pytest.raises(ConfigError) as err:
        load_base_state(region_cfg)
    message = str(err.value)
    assert "\n" not in message
    return message


def triple(base, key=KEY):
    return base.values[key], base.low[key], base.high[key]


# ---------------------------------------------------------------------------------------------
# Published forms


@pytest.mark.parametrize(
    ("text", "value", "low", "high", "form"),
    [
        ("6588", 6588, 6588, 6588, "exact"),
        ("6,588", 6588, 6588, 6588, "exact"),
        ("1.2万", 12000, 12000, 12000, "exact"),
        ("6.588e3", 6588, 6588, 6588, "exact"),
        ("6400-6800", 6600, 6400, 6800, "range"),
        ("6,400–6,800", 6600, 6400, 6800, "range"),
        ("~6400", 6400, 6400 * (1 - APPROX_SHARE), 6400 * (1 + APPROX_SHARE), "approx"),
        ("约6400", 6400, 6400 * (1 - APPROX_SHARE), 6400 * (1 + APPROX_SHARE), "approx"),
        ("about 6,400", 6400, 6400 * (1 - APPROX_SHARE), 6400 * (1 + APPROX_SHARE), "approx"),
        (">6600", 6600, 6600, 6600 * (1 + BOUND_SHARE), "lower"),
        ("6,600+", 6600, 6600, 6600 * (1 + BOUND_SHARE), "lower"),
        ("6600以上", 6600, 6600, 6600 * (1 + BOUND_SHARE), "lower"),
        ("突破6600", 6600, 6600, 6600 * (1 + BOUND_SHARE), "lower"),
        ("<6600", 6600, 6600 * (1 - BOUND_SHARE), 6600, "upper"),
        ("不足6600", 6600, 6600 * (1 - BOUND_SHARE), 6600, "upper"),
    ],
)
def test_each_published_form_gives_the_documented_range(tmp_path, text, value, low, high, form):
    base = load_base_state(city(tmp_path, {KEY: [text, "", "", "count"]}))
    assert triple(base) == pytest.approx((value, low, high), rel=1e-12)
    assert base.published == ({} if form == "exact" else {KEY: form})
    fig = from_published(text)
    assert (fig.value, fig.low, fig.high, fig.form) == pytest.approx((value, low, high, form))


def test_the_documented_shares():
    assert BOUND_SHARE == 0.10 and APPROX_SHARE == 0.05
    assert SCALE_BY == ("gdp", "resident_population", "gdp_per_capita", "none")
    doc = region.__doc__
    assert "at most 10 % above it" in doc and "R.low   x ratio x (1 - w)" in doc


def test_one_blank_end_comes_from_the_published_form(tmp_path):
    base = load_base_state(city(tmp_path, {KEY: [">6600", "", "7000"]}))
    assert triple(base) == (6600, 6600, 7000)
    base = load_base_state(city(tmp_path, {KEY: ["6600", "6500", ""]}))
    assert triple(base) == (6600, 6500, 6600)


def test_given_low_and_high_win_over_the_rule(tmp_path):
    base = load_base_state(city(tmp_path, {KEY: ["~6400", "6000", "7,000"]}))
    assert triple(base) == (6400, 6000, 7000)
    assert base.published == {KEY: "approx"}


def test_money_and_persons_are_converted_after_parsing(tmp_path):
    base = load_base_state(
        city(tmp_path, {"gdp": ["13,966.11", "", ""], "talent_total": ["280+", "", ""]})
    )
    assert base["gdp"] == pytest.approx(13966.11e8)
    assert triple(base, "talent_total") == pytest.approx((280e4, 280e4, 308e4))


@pytest.mark.parametrize(
    ("cells", "words"),
    [
        (["6600", "6700", ""], ["low=6700", "value=6600", "high=6600 (from value)"]),
        ([">6600", "", "6500"], ["low=6600 (from value)", "high=6500", "lower"]),
        (["6400-6800", "6700", ""], ["low=6700", "value=6600", "high=6800 (from value)"]),
    ],
)
def test_inconsistent_low_value_high_is_refused_naming_the_indicator(tmp_path, cells, words):
    message = refused(city(tmp_path, {KEY: cells}))
    line = list(rows_of()).index(KEY) + 2
    assert message.startswith(f"city.csv, line {line}: {KEY}: needs low <= value <= high")
    assert all(w in message for w in words), message


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["lots", "", ""], f"{KEY}.value='lots' is not a number"),
        (["6600", "about 6000", ""], f"{KEY}.low='about 6000' is not a number"),
        (["6600", "", "much"], f"{KEY}.high='much' is not a number"),
        (["-5", "", ""], f"{KEY}.value=-5 is negative"),
        (["", "", ""], f"{KEY}.value is empty; give the published value or list it under"),
        (["", "1", "2"], f"{KEY}.value is empty (but low and high given)"),
    ],
)
def test_bad_cells_are_refused_with_file_indicator_and_column(tmp_path, cells, expected):
    message = refused(city(tmp_path, {KEY: cells}))
    assert message.startswith("city.csv") and expected in message, message


def test_existing_file_errors_are_kept(tmp_path):
    rows = rows_of()
    path = write(tmp_path / "dup.csv", rows, extra_lines=["gdp,1,1,1,100m yuan,again"])
    message = refused(RegionConfig(data_file=path))
    assert f"dup.csv: indicator 'gdp' appears 2 times (lines 2, {len(rows) + 2})" in message
    message = refused(city(tmp_path, drop=["little_giants"]))
    assert "city.csv: indicator 'little_giants' is missing" in message
    assert "or list it under region.estimates.by" in message
    message = refused(RegionConfig(data_file="changsha_base_2021.csv", base_year=2021))
    assert "region.data_file='changsha_base_2021.csv' not found" in message
    assert "region.base_year=2021" in message and "changsha_base_2022.csv" in message
    assert "region.data_file is empty" in refused(RegionConfig())


@pytest.mark.parametrize("name", ["changsha_base_2022.csv", "changsha_base_2017.csv"])
def test_the_changsha_files_load_as_before(name):
    table = pd.read_csv(region.CONF_DIR / "region" / name).set_index("indicator")
    base = load_base_state(RegionConfig(name="changsha", data_file=name))
    for key, factor in REQUIRED.items():
        assert base.values[key] == float(table.loc[key, "value"]) * factor, key
        assert base.low[key] == float(table.loc[key, "low"]) * factor, key
        assert base.high[key] == float(table.loc[key, "high"]) * factor, key
    assert base.estimated == {} and base.published == {}
    low = load_base_state(RegionConfig(data_file=name, base_state="low"))
    assert low.values == base.low


# ---------------------------------------------------------------------------------------------
# Estimates from a reference city


def test_an_estimate_by_gdp_is_the_reference_times_the_gdp_ratio_widened(tmp_path):
    gdp = 6983.055
    cfg = city(
        tmp_path,
        {"gdp": [str(gdp), str(gdp), str(gdp)]},
        drop=["innovation_platforms"],
        reference_region="changsha",
        reference_data_file="changsha_base_2022.csv",
        by={"innovation_platforms": "gdp"},
    )
    base = load_base_state(cfg)
    ratio = gdp / REF_GDP
    ref = [float(REF.loc["innovation_platforms", c]) for c in ("value", "low", "high")]
    assert base.values["innovation_platforms"] == ref[0] * ratio
    assert base.low["innovation_platforms"] == ref[1] * ratio * (1 - 0.3)
    assert base.high["innovation_platforms"] == ref[2] * ratio * (1 + 0.3)
    rule = base.estimated["innovation_platforms"]
    assert rule.startswith(
        f"scaled by gdp from changsha (changsha_base_2022.csv): 2100 x {ratio:.4g} = "
    )
    assert list(base.estimated) == ["innovation_platforms"] and base.published == {}
    drawn = base.drawn(np.random.default_rng(1))
    assert drawn.estimated == base.estimated
    assert base.low["innovation_platforms"] <= drawn["innovation_platforms"]


def test_an_estimate_by_gdp_per_capita_and_by_population_and_a_copy(tmp_path):
    cfg = city(
        tmp_path,
        {"gdp": ["7000", "", ""], "resident_population": ["500", "", ""]},
        drop=["new_home_price", "universities", "national_mfg_clusters"],
        reference_data_file=str(CHANGSHA),
        by={
            "new_home_price": "gdp_per_capita",
            "universities": "resident_population",
            "national_mfg_clusters": "none",
        },
        widen=0.2,
    )
    base = load_base_state(cfg)
    per_capita = (7000 / 500) / (REF_GDP / REF_POP)
    assert base.values["new_home_price"] == 10000 * per_capita
    assert base.low["new_home_price"] == 9500 * per_capita * 0.8
    assert base.high["new_home_price"] == 11000 * per_capita * 1.2
    assert base.values["universities"] == 58 * (500 / REF_POP)
    assert triple(base, "national_mfg_clusters") == pytest.approx((2, 1.6, 2.4))
    assert sorted(base.estimated) == ["national_mfg_clusters", "new_home_price", "universities"]
    assert "scaled by gdp_per_capita from changsha_base_2022" in base.estimated["new_home_price"]
    assert base.estimated["national_mfg_clusters"].startswith("copied from changsha_base_2022")


def test_a_row_with_a_blank_value_may_be_estimated(tmp_path):
    cfg = city(
        tmp_path,
        {"tech_smes": ["", "", "", "count", "not published"]},
        reference_data_file="changsha_base_2022.csv",
        by={"tech_smes": "none"},
    )
    assert load_base_state(cfg)["tech_smes"] == 4500


def ref_file(tmp_path, drop=()) -> str:
    rows = rows_of()
    for key in drop:
        rows.pop(key)
    return write(tmp_path / "ref.csv", rows)


@pytest.mark.parametrize(
    ("estimates", "drop", "words"),
    [
        (
            {"by": {"tech_smes": "gdp"}, "reference_data_file": "changsha_base_2022.csv"},
            (),
            ["region.estimates.by.tech_smes='gdp': tech_smes is published in city.csv (line"],
        ),
        (
            {"by": {"tech_smes": "area"}, "reference_data_file": "changsha_base_2022.csv"},
            ["tech_smes"],
            [
                "region.estimates.by.tech_smes='area' is not a scaling rule",
                "allowed: gdp, resident_population, gdp_per_capita, none",
            ],
        ),
        (
            {"by": {"tech_smes": "gdp"}, "reference_data_file": "nowhere_base.csv"},
            ["tech_smes"],
            ["region.estimates.reference_data_file='nowhere_base.csv' not found; looked in"],
        ),
        (
            {"by": {"tech_smes": "gdp"}},
            ["tech_smes"],
            ["region.estimates.by lists ['tech_smes']", "reference_data_file is empty"],
        ),
        (
            {"by": {"gdp": "none"}, "reference_data_file": "changsha_base_2022.csv"},
            ["gdp"],
            ["region.estimates.by.gdp='none': gdp is what estimates are scaled by"],
        ),
        (
            {"by": {"resident_population": "gdp"}, "reference_data_file": "changsha_base_2022.csv"},
            [],
            ["region.estimates.by.resident_population='gdp': resident_population is what"],
        ),
        (
            {"by": {"rd_intensity": "gdp"}, "reference_data_file": "changsha_base_2022.csv"},
            [],
            ["region.estimates.by.rd_intensity='gdp': 'rd_intensity' is not an indicator"],
        ),
        (
            {
                "by": {"tech_smes": "gdp_per_capita"},
                "reference_data_file": "changsha_base_2022.csv",
            },
            ["tech_smes", "resident_population"],
            [
                "region.estimates.by.tech_smes='gdp_per_capita': scaling by gdp_per_capita needs "
                "resident_population in both files; city.csv has none"
            ],
        ),
        (
            {
                "by": {"tech_smes": "gdp"},
                "reference_data_file": "changsha_base_2022.csv",
                "widen": 1.0,
            },
            ["tech_smes"],
            ["region.estimates.widen=1.0 must be in [0, 1)"],
        ),
    ],
)
def test_estimates_that_cannot_be_made_are_refused_naming_the_field(
    tmp_path, estimates, drop, words
):
    message = refused(city(tmp_path, drop=drop, **estimates))
    assert all(w in message for w in words), message


def test_a_reference_without_the_indicator_is_refused(tmp_path):
    ref = ref_file(tmp_path, drop=["tech_smes"])
    message = refused(
        city(tmp_path, drop=["tech_smes"], reference_data_file=ref, by={"tech_smes": "gdp"})
    )
    assert message == (
        "region.estimates.by.tech_smes='gdp': the reference file ref.csv "
        "(region.estimates.reference_data_file) has no value for tech_smes"
    )
    ref = ref_file(tmp_path, drop=["resident_population"])
    message = refused(
        city(
            tmp_path,
            drop=["tech_smes"],
            reference_data_file=ref,
            by={"tech_smes": "resident_population"},
        )
    )
    assert "needs resident_population in both files; ref.csv has none" in message


def test_a_zero_scaling_indicator_in_the_reference_is_refused(tmp_path):
    rows = rows_of()
    rows["resident_population"] = ["0", "0", "0"]
    ref = write(tmp_path / "ref.csv", rows)
    cfg = city(
        tmp_path, drop=["tech_smes"], reference_data_file=ref, by={"tech_smes": "gdp_per_capita"}
    )
    assert "ref.csv has resident_population=0; scaling by gdp_per_capita needs it > 0" in refused(
        cfg
    )


def test_a_missing_indicator_not_listed_names_the_way_out(tmp_path):
    cfg = city(
        tmp_path,
        drop=["tech_smes", "universities"],
        reference_data_file="changsha_base_2022.csv",
        by={"tech_smes": "gdp"},
    )
    message = refused(cfg)
    assert "indicator 'universities' is missing" in message
    assert message.endswith("add it or list it under region.estimates.by")


# ---------------------------------------------------------------------------------------------
# Where the files are found, and who else reads them


def test_a_relative_data_file_is_found_in_a_config_dir_before_the_project_conf(tmp_path):
    (tmp_path / "region").mkdir()
    rows = rows_of()
    rows["gdp"] = ["7000", "7000", "7000"]
    write(tmp_path / "region" / "changsha_base_2022.csv", rows)
    mine = RegionConfig(data_file="changsha_base_2022.csv", config_dirs=[str(tmp_path)])
    assert data_path(mine) == tmp_path / "region" / "changsha_base_2022.csv"
    assert load_base_state(mine)["gdp"] == 7000e8
    project = RegionConfig(data_file="changsha_base_2022.csv")
    assert load_base_state(project)["gdp"] == REF_GDP * 1e8
    # the reference file of estimates is looked up the same way
    est = city(
        tmp_path,
        drop=["tech_smes"],
        reference_data_file="changsha_base_2022.csv",
        by={"tech_smes": "gdp"},
    )
    est.config_dirs = [str(tmp_path)]
    assert load_base_state(est)["tech_smes"] == 4500 * (REF_GDP / 7000)


def test_data_path_follows_a_patched_conf_dir(tmp_path, monkeypatch):
    (tmp_path / "region").mkdir()
    write(tmp_path / "region" / "bench.csv", rows_of())
    monkeypatch.setattr(region, "CONF_DIR", tmp_path)
    assert data_path(RegionConfig(data_file="bench.csv")) == tmp_path / "region" / "bench.csv"


def test_base_year_gdp_reads_a_data_file_anywhere(tmp_path):
    cfg = city(
        tmp_path,
        {"gdp": ["7,000", "", ""]},
        drop=["tech_smes"],
        reference_data_file="changsha_base_2022.csv",
        by={"tech_smes": "gdp"},
    )
    assert base_year_gdp(cfg) == 7000e8
    assert base_year_gdp(RegionConfig(data_file=str(tmp_path / "none.csv"))) is None


def test_observed_and_posterior_files_are_found_in_config_dirs(tmp_path):
    from sim.observations import CONF_REGION, observed_path
    from sim.posterior import load_posterior

    (tmp_path / "region").mkdir()
    mine = tmp_path / "region" / "changsha_observed.csv"
    mine.write_text("x\n")
    assert observed_path("changsha_observed.csv", [str(tmp_path)]) == mine
    assert observed_path("changsha_observed.csv") == CONF_REGION / "changsha_observed.csv"
    assert observed_path("gone.csv", [str(tmp_path)]) == CONF_REGION / "gone.csv"
    post = tmp_path / "my_posterior.csv"
    post.write_text("region.behaviour.talent.wage_log_sd\n0.4\n0.5\n")
    load_posterior.cache_clear()
    assert list(load_posterior("my_posterior.csv", (str(tmp_path),)).iloc[:, 0]) == [0.4, 0.5]
    with pytest.raises(ConfigError, match="region.posterior_file='my_posterior.csv' not found"):
        load_posterior("my_posterior.csv")
    load_posterior.cache_clear()


def test_the_run_record_lists_the_reference_file_and_marks_estimates(tmp_path):
    from sim.outputs import input_files, inputs_hash, region_marks

    cfg = SimConfig()
    cfg.region = city(
        tmp_path,
        {KEY: [">6600", "", ""]},
        drop=["tech_smes"],
        reference_data_file="changsha_base_2022.csv",
        by={"tech_smes": "gdp"},
    )
    files = input_files(cfg)
    assert files[:2] == [tmp_path / "city.csv", CHANGSHA]
    marks = region_marks(cfg)
    assert list(marks["estimated_indicators"]) == ["tech_smes"]
    assert marks["estimated_indicators"]["tech_smes"].startswith(
        "scaled by gdp from changsha_base_2022"
    )
    assert marks["published_forms"] == {KEY: "lower"}
    before = inputs_hash(cfg)
    cfg.region.estimates.reference_data_file = ref_file(tmp_path)
    assert inputs_hash(cfg) != before  # another reference file, another input
