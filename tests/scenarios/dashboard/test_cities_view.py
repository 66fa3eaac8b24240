"""The dashboard's "Cities" tab: finds, loads and shows comparisons; runs them from its fields.

The comparison here is made from synthetic KPIs (no model run): the numbers are checked in
``tests/scenarios/test_cities.py``; this checks what the tab shows of them. The tab itself is
rendered with Solara's test renderer (no browser).
"""

from __future__ import annotations

import time

import pandas as pd
import pytest
import solara

from scenarios import cities_report as report
from scenarios.cities import CitiesError, CityComparison, write_comparison
from scenarios.dashboard import cities
from tests.helpers import ROOT


def synthetic(city: str, population: float, scale: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """KPIs of 4 replicates 2022-2030 and a target table for one city."""
    rows = [
        {"replicate": r, "year": y, "kpi": k, "value": scale * (base + 10 * (y - 2022) + r)}
        for r in range(4)
        for y in range(2022, 2031)
        for k, base in (("platforms", 2000), ("talent", 3e6), ("gdp", 14000), ("public_cost", 50))
    ]
    kpis = pd.DataFrame(rows)
    table = report.city_table(city, city, kpis, population, 2022)
    reach = pd.DataFrame(
        [
            {
                "target": "platforms",
                "year": 2025,
                "threshold": 2050.0,
                "probability": 0.5,
                "ci_low": 0.15,
                "ci_high": 0.85,
                "replicates": 4,
                "median": 2031.5,
                "kind": "target",
                "label": "innovation platforms",
            }
        ]  # fmt: skip
    )
    targets = report.targets_table(city, reach, {"platforms": "platforms"}, "from 2022")
    return table, targets, kpis.assign(city=city)


@pytest.fixture()
def saved(tmp_path):
    """A comparison of two synthetic cities written as ``python -m scenarios.cities`` does."""
    parts = [synthetic("alpha", 1e7, 1.0), synthetic("beta", 5e6, 0.5)]
    comparison = CityComparison(
        *(pd.concat(p, ignore_index=True) for p in zip(*parts, strict=True))
    )
    out = tmp_path / "outputs" / "2026-12-02" / "10-00-00-000000"
    write_comparison(comparison, out)
    return tmp_path / "outputs", out, comparison


def test_saved_comparisons_are_found_loaded_and_shown_as_html(saved):
    outputs, out, comparison = saved
    (outputs / "2026-12-01" / "incomplete").mkdir(parents=True)  # no cities.md: not listed
    assert cities.saved_runs(outputs) == [out]
    assert cities.saved_runs(outputs / "none") == []
    loaded = cities.load_source(("load", str(out)))
    pd.testing.assert_frame_equal(loaded.cities, comparison.cities, check_dtype=False)
    html = cities.comparison_html(loaded)
    assert (
        '<table class="dash-table cities-md-table">' in html
        and ">alpha</th>" in html
        and ">beta</th>" in html
    )
    assert "<h1>" not in html and "<h4>beta: P(reached) of its own targets" in html
    assert "resident population (2022, held)" in html and "10,000,000" in html
    assert "platforms per 10k residents, 2025" in html
    assert "0.50 [0.15-0.85]" in html
    error = cities.load_source(("load", str(outputs / "2026-12-01" / "incomplete")))
    assert isinstance(error, str) and "not a complete cities comparison" in error


def test_fields_are_parsed_and_a_bad_city_is_refused_before_running():
    assert cities.parse_request("changsha, hefei", "run.replicates=4") == (
        ["changsha", "hefei"],
        ["run.replicates=4", "run.progress=false"],
    )
    with pytest.raises(ValueError, match="put overrides in the overrides field"):
        cities.parse_request("changsha run.seed=3", "")
    with pytest.raises(CitiesError, match="unknown city 'atlantis'"):
        cities.run_request("atlantis", cities.DEFAULT_OVERRIDES)
    assert "changsha" in cities.default_cities()


def test_the_tab_loads_a_saved_comparison_and_shows_its_table_and_figure(saved):
    import ipyvuetify as v

    outputs, out, _ = saved
    _box, rc = solara.render(cities.CitiesTab(outputs=outputs), handle_error=False)
    select = rc.find(v.Select).widget
    assert select.items == [str(out)]
    select.v_model = str(out)
    shown = rc.find(solara.widgets.HTML, attributes={"class": "md cities-table"})
    shown.assert_single()
    assert ">beta</th>" in shown.widget.unsafe_innerHTML
    assert "public cost per resident to 2030 (yuan)" in shown.widget.unsafe_innerHTML
    rc.find(v.Html, class_="cities-figure").assert_single()
    rc.close()


def _wait(rc, cls: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [w for w in rc.find(solara.widgets.HTML).widgets if cls in w.attributes["class"]]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no {cls} after {timeout} s")


def test_the_tab_runs_a_comparison_and_shows_a_refusal_in_one_line(tmp_path):
    import ipyvuetify as v

    small = "run.replicates=2 run.people_per_agent=5000 run.horizon=2025 run.assimilate=false"
    tab = cities.CitiesTab(outputs=tmp_path, names="changsha", overrides=small)
    _box, rc = solara.render(tab, handle_error=False)
    assert not rc.find(v.Select).widgets  # nothing saved under outputs/
    rc.find(v.Btn, children=["Run comparison"]).widget.click()
    html = _wait(rc, "cities-table").unsafe_innerHTML
    assert ">changsha</th>" in html and "10,420,600" in html
    assert "R&amp;D expenditure growth &gt;= 13 %/yr" in html  # Changsha's own targets
    rc.close()

    _box, rc = solara.render(cities.CitiesTab(outputs=tmp_path, names="atlantis"))
    rc.find(v.Btn, children=["Run comparison"]).widget.click()
    deadline = time.monotonic() + 30
    while not rc.find(v.Alert).widgets and time.monotonic() < deadline:
        time.sleep(0.1)
    alert = rc.find(v.Alert).widget
    assert "unknown city 'atlantis'; cities in conf/region: changsha" in str(alert.children)
    rc.close()


def test_the_tab_is_registered_in_the_app():
    app = (ROOT / "scenarios" / "dashboard" / "app.py").read_text()
    assert '"Cities"' in app and "cities.CitiesTab()" in app  # importing app starts a warm-up
