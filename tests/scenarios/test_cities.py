"""scenarios.cities: two cities under their own policies, per resident, against their own targets.

The second city ``twin`` lives in a temporary config directory (``hydra.searchpath``): Changsha's
calibrated region under another name (its posterior median, without the posterior draws, which
belong to Changsha; the comparison runs with ``run.parameter_uncertainty=false``), with half the
resident population in its data file and targets of its own. Its KPIs are therefore Changsha's
replicate by replicate (same seeds), so every per-resident value must be exactly twice Changsha's,
and its P(reached) must come from its own targets, not Changsha's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scenarios.cities import CitiesError, compare_cities, load_comparison, main, plan_cities
from sim.compose import load_config
from sim.ensemble import run_ensemble
from sim.targets import reachability
from tests.helpers import ROOT

SMALL = [
    "run.replicates=3",
    "run.people_per_agent=2000",
    "run.horizon=2026",
    "run.assimilate=false",
    "run.progress=false",
    "run.workers=2",
    "run.parameter_uncertainty=false",  # twin has no posterior of its own: both use the median
]
CHANGSHA_POPULATION = 1042.06e4  # conf/region/changsha_base_2022.csv, 10k persons
TWIN_TARGETS = """name: twin
targets:
  - {id: platforms, kpi: platforms, year: 2025, threshold: 1, kind: target, label: "platforms"}
  - {id: listed, kpi: listed, year: 2025, threshold: 1000000, kind: target, label: "listed"}
  - {id: talent, kpi: talent, year: 2026, threshold: 3000000, kind: target, label: "talent"}
count_from_year: 2023
count_from_quarter: 3
"""


@pytest.fixture(scope="module")
def conf_dir(tmp_path_factory) -> Path:
    """A user config directory with the city ``twin`` and a city without targets."""
    root = tmp_path_factory.mktemp("cities_conf")
    (root / "region").mkdir()
    (root / "targets").mkdir()
    base = pd.read_csv(ROOT / "conf" / "region" / "changsha_base_2022.csv")
    row = base["indicator"] == "resident_population"
    base.loc[row, ["value", "low", "high"]] = CHANGSHA_POPULATION / 2 / 1e4
    base.to_csv(root / "region" / "twin_base_2022.csv", index=False)
    region = (
        "defaults:\n  - changsha_calibrated\n  - _self_\nname: {name}\n"
        f"data_file: {root / 'region' / 'twin_base_2022.csv'}\n"
        "posterior_file: ''\nobserved_file: changsha_observed.csv\n"
        "track_record_file: changsha_track_record.csv\n"
    )
    (root / "region" / "twin.yaml").write_text(region.format(name="twin"))
    (root / "region" / "lonely.yaml").write_text(region.format(name="lonely"))
    (root / "targets" / "twin.yaml").write_text(TWIN_TARGETS)
    return root


@pytest.fixture(scope="module")
def shared(conf_dir) -> list[str]:
    return [f"hydra.searchpath=[file://{conf_dir}]", *SMALL]


@pytest.fixture(scope="module")
def comparison(shared):
    return compare_cities(["changsha", "twin"], shared, say=lambda _: None)


@pytest.fixture(scope="module")
def changsha_ensemble():
    """Changsha's ensemble run directly: its calibrated region, its targets, its timeline."""
    overrides = [*SMALL, "region=changsha_calibrated", "targets=changsha", "run.policy=timeline"]
    cfg = load_config(overrides)
    return cfg, run_ensemble(cfg, progress=False)


def _rows(table: pd.DataFrame, city: str, kpi: str) -> pd.DataFrame:
    return table[(table.city == city) & (table.kpi == kpi)].set_index("year")


def test_each_city_gets_its_calibrated_region_its_targets_and_its_policy(shared):
    planned = plan_cities(["changsha", "twin"], shared)
    assert [(c.name, c.region) for c in planned] == [
        ("changsha", "changsha_calibrated"),
        ("twin", "twin"),
    ]
    assert [c.cfg.targets.name for c in planned] == ["changsha", "twin"]
    assert all(c.cfg.run.policy == "timeline" and c.cfg.run.replicates == 3 for c in planned)
    assert [c.population for c in planned] == [CHANGSHA_POPULATION, CHANGSHA_POPULATION / 2]


def test_kpis_equal_the_direct_ensemble_and_per_capita_is_kpi_over_population(
    comparison, changsha_ensemble
):
    _, ens = changsha_ensemble
    table = comparison.cities
    ours = comparison.kpis[comparison.kpis.city == "changsha"].drop(columns="city")
    pd.testing.assert_frame_equal(ours.reset_index(drop=True), ens.kpis.reset_index(drop=True))
    direct = ens.kpis[(ens.kpis.kpi == "platforms") & (ens.kpis.year == 2025)]["value"]
    platforms = _rows(table, "changsha", "platforms").loc[2025]
    assert platforms.p50 == pytest.approx(direct.median())
    assert platforms.population == CHANGSHA_POPULATION
    assert platforms.per_capita_unit == "per 10k residents"
    for q in ("p05", "p50", "p95"):
        assert platforms[f"per_capita_{q}"] == pytest.approx(
            platforms[q] / (CHANGSHA_POPULATION / 1e4)
        )
    gdp = _rows(table, "changsha", "gdp").loc[2025]
    assert gdp.per_capita_unit == "yuan per resident"
    assert gdp.per_capita_p50 == pytest.approx(gdp.p50 * 1e8 / CHANGSHA_POPULATION)
    intensity = _rows(table, "changsha", "rd_intensity")
    assert intensity.per_capita_p50.isna().all() and (intensity.per_capita_unit == "").all()
    assert sorted(table.year.unique()) == [2022, 2023, 2024, 2025, 2026]


def test_twin_with_half_the_residents_has_twice_the_values_per_resident(comparison):
    # Same model, same seeds, same policy until the first yearly evaluation of enacted_2023
    # (end of 2023) moves money by each city's own targets, which differ for the twin.
    table = comparison.cities[comparison.cities.year <= 2023]
    for kpi in ("talent", "platforms", "gdp", "public_cost"):
        a, b = _rows(table, "changsha", kpi), _rows(table, "twin", kpi)
        np.testing.assert_allclose(b.p50, a.p50)
        np.testing.assert_allclose(b.per_capita_p50, 2 * a.per_capita_p50)
    a, b = _rows(table, "changsha", "talent"), _rows(table, "twin", "talent")
    np.testing.assert_allclose(b.public_cost_per_resident_p50, 2 * a.public_cost_per_resident_p50)
    later = comparison.cities[comparison.cities.year == 2026]
    gdp = later[later.kpi == "gdp"].set_index("city").per_capita_p50
    assert gdp["twin"] == pytest.approx(2 * gdp["changsha"])  # GDP is exogenous: always 2x


def test_public_cost_per_resident_is_the_cumulative_cost_over_the_population(
    comparison, changsha_ensemble
):
    _, ens = changsha_ensemble
    cost = ens.kpis[ens.kpis.kpi == "public_cost"]
    table = _rows(comparison.cities, "changsha", "talent")
    assert table.loc[2022, "public_cost_per_resident_p50"] == 0.0
    for year in (2023, 2025, 2026):
        sel = cost[(cost.year > 2022) & (cost.year <= year)]
        per_replicate = sel.groupby("replicate")["value"].sum() * 1e8
        assert per_replicate.median() > 0
        row = table.loc[year]
        assert row.public_cost_cum_yuan_p50 == pytest.approx(per_replicate.median())
        assert row.public_cost_per_resident_p50 == pytest.approx(
            per_replicate.median() / CHANGSHA_POPULATION
        )
        assert row.public_cost_per_resident_p05 == pytest.approx(
            per_replicate.quantile(0.05) / CHANGSHA_POPULATION
        )


def test_p_reached_is_each_citys_own_and_matches_the_ensembles_table(comparison, changsha_ensemble):
    cfg, ens = changsha_ensemble
    targets = comparison.targets
    assert targets.probability.between(0, 1).all()
    assert (targets.ci_low <= targets.probability).all()
    assert (targets.probability <= targets.ci_high).all()
    own = reachability(ens.kpis, cfg.targets.targets)
    mine = targets[targets.city == "changsha"].reset_index(drop=True)
    assert len(mine) == len(own) > 0  # the 2030 targets lie after the horizon
    for col in ("target", "year", "threshold", "probability", "ci_low", "ci_high"):
        assert list(mine[col]) == list(own[col]), col
    twin = targets[targets.city == "twin"].set_index("target")
    assert list(twin.index) == ["platforms", "listed", "talent"]
    assert twin.loc["platforms", "probability"] == 1.0  # threshold 1
    assert twin.loc["listed", "probability"] == 0.0  # threshold 1,000,000
    talent = comparison.kpis.query("city == 'twin' and kpi == 'talent' and year == 2026")
    assert twin.loc["talent", "probability"] == pytest.approx((talent.value >= 3e6).mean())
    assert twin.loc["talent", "kpi"] == "talent" and twin.loc["talent", "replicates"] == 3
    assert set(targets.conditioning) == {
        "projected from the 2022 base year, not conditioned: run.assimilate=false"
    }


def test_markdown_and_figure(comparison):
    text = comparison.markdown()
    assert "| | changsha | twin |" in text
    assert "| resident population (2022, held) | 10,420,600 | 5,210,300 |" in text
    assert "held at its base-year level" in text
    assert "public cost per resident to 2025 (yuan)" in text
    assert "## twin: P(reached) of its own targets" in text
    assert "| listed | 2025 | 1,000,000 | 0.00 [" in text
    fig = comparison.figure()
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert "platforms\nper 10k residents" in titles and titles[-1].startswith("public cost")
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["changsha", "twin"]


def test_cli_writes_the_run_directory_and_is_deterministic(comparison, shared, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["changsha", "twin", *shared, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"results in {out}" in printed and "city 2/2 twin" in printed
    for name in ("cities.csv", "targets.csv", "cities.md", "config_changsha.yaml"):
        assert (out / name).is_file(), name
    assert (out / "cities.png").read_bytes()[:4] == b"\x89PNG"
    back = load_comparison(out)  # the same city and seed: identical numbers
    pd.testing.assert_frame_equal(back.cities, comparison.cities, check_dtype=False)
    pd.testing.assert_frame_equal(back.targets, comparison.targets, check_dtype=False)
    assert back.markdown() == comparison.markdown() == (out / "cities.md").read_text()
    assert main(["changsha", "twin", *shared, "--out", str(out)]) == 2  # never overwritten
    assert "already holds a cities comparison" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("cities", "extra", "message"),
    [
        (
            ["changsha", "lonely"],
            [],
            "city 'lonely' has no targets file (conf/targets/lonely.yaml)",
        ),
        (["changsha", "atlantis"], [], "unknown city 'atlantis'; cities in conf/region: changsha"),
        (["changsha_calibrated"], [], "unknown city 'changsha_calibrated'"),
        (["changsha", "changsha"], [], "city 'changsha' is named twice"),
        (["changsha"], ["targets=changsha"], "targets=changsha: region, targets, levers and"),
        (["changsha"], ["levers=baseline"], "are chosen per city"),
        (["changsha"], ["run.policy=scenario"], "are chosen per city"),
        (["changsha"], ["run.replicats=3"], "unknown key run.replicats"),
    ],
)
def test_refused_with_one_line_before_anything_runs(conf_dir, capsys, cities, extra, message):
    searchpath = [f"hydra.searchpath=[file://{conf_dir}]"] if "lonely" in cities else []
    with pytest.raises((CitiesError, ValueError)) as err:
        plan_cities(cities, [*searchpath, *extra, *SMALL])
    assert message in str(err.value)
    assert main([*cities, *searchpath, *extra, *SMALL]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
