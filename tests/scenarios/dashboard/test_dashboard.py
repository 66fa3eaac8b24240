"""The advisor dashboard: its pure-Python parts directly, then the page in Debian's Chromium.

The browser tests start ``solara run scenarios/dashboard/app.py`` on a free loopback port and
drive it with Playwright (``executable_path=/usr/bin/chromium``, never a downloaded browser).
Without Chromium they skip, except under CI (``CI=true``), where they fail. With
``UPDATE_SCREENSHOT=1`` the browser test also writes ``docs/dashboard.png``.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from agents.params import documented_fields
from scenarios.dashboard import assets, assumptions, catalogue, charts, results, runs, state
from sim.compose import load_config
from sim.config import to_sim_config
from sim.ensemble import run_ensemble
from tests.helpers import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FAST = state.RunOptions(
    seed=7, replicates=2, people_per_agent=5000, preview_replicates=2, preview_people_per_agent=5000
)

# ---------------------------------------------------------------------------------------------
# Catalogue, settings, validation, export


def test_catalogue_has_every_lever_in_real_units_grouped_a_to_i():
    cfg = load_config([])
    names = {lv.name for lv in catalogue.catalogue()}
    for name, value, _meta in documented_fields(cfg.levers, "levers."):
        if hasattr(value, "__dataclass_fields__"):
            assert {f"{name}.{sub}" for sub in value.__dataclass_fields__} <= names
        else:
            assert name in names
    assert {"levers.evaluate_and_adjust", "levers.start_year", "levers.start_quarter"} <= names
    groups = catalogue.by_family()
    assert list(groups) == list("ABCDEFGHI")
    assert all(lv.unit and lv.slider_max > lv.minimum and lv.step > 0 for lv in names_of(groups))
    titles = catalogue.family_titles()
    assert titles["F"] == "housing support" and titles["C"] == "R&D subsidies and tax"
    assert catalogue.presets()[: len(catalogue.PRESET_ORDER)] == list(catalogue.PRESET_ORDER)
    assert "hefei" in catalogue.PRESET_ORDER  # every shipped preset, a second region's too


def names_of(groups):
    return [lv for levers in groups.values() for lv in levers]


def test_setting_records_changes_relative_to_its_preset():
    s = state.Setting("enacted_2023")
    name = "levers.flagship_investment_yuan_per_year"
    changed = s.with_value(name, 3.0e9)
    assert changed.value(name) == 3.0e9 and changed.is_changed(name)
    assert changed.describe() == "enacted_2023 + 1 change"
    assert changed.with_value(name, s.value(name)) == s  # back to the preset value: no change
    assert state.Setting("platform_push").value("levers.cultivation_pool_size") == 200


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("levers.standard_tax_rate", "1.5", "above the allowed range [0, 1]"),
        ("levers.standard_tax_rate", "-0.1", "below the allowed range"),
        ("levers.standard_tax_rate", "abc", "'abc' is not a number"),
        ("levers.housing_eligibility_months", "61", "above the allowed range [0, 60]"),
        ("levers.cultivation_pool_size", "12.5", "takes a whole number"),
        ("levers.start_quarter", "5", "above the allowed range [1, 4]"),
        ("levers.guidance_fund_yuan_per_year", "inf", "not a finite number"),
    ],
)
def test_out_of_range_or_malformed_values_are_refused_with_a_message(name, text, message):
    value, error = state.check_lever(state.Setting(), state.default_options(), name, text)
    assert value is None
    assert error.startswith("refused:") and message in error


def test_typed_values_in_real_units_are_accepted():
    s, opts = state.Setting(), state.default_options()
    assert state.check_lever(s, opts, "levers.guidance_fund_yuan_per_year", "2,500,000,000") == (
        2.5e9,
        "",
    )
    assert state.check_lever(s, opts, "levers.standard_tax_rate", " 0.2 ") == (0.2, "")
    assert state.check_lever(s, opts, "levers.cultivation_pool_size", "150") == (150, "")
    assert state.check_lever(s, opts, "levers.evaluate_and_adjust", "1") == (True, "")


def test_run_options_are_checked():
    opts = state.default_options()
    assert state.check_option(opts, "replicates", "0")[0] is None
    assert "outside the allowed range" in state.check_option(opts, "people_per_agent", "10")[1]
    assert state.check_option(opts, "replicates", "x")[1].startswith("refused")
    new, error = state.check_option(opts, "replicates", "40")
    assert error == "" and new.replicates == 40 and opts.replicates != 40


def _edited() -> state.Setting:
    return (
        state.Setting("talent_housing_push")
        .with_value("levers.flagship_investment_yuan_per_year", 2.5e9)
        .with_value("levers.rent_subsidy_yuan_per_year.young", 12345.5)
        .with_value("levers.evaluate_and_adjust", False)  # on in the preset (enacted_2023)
        .with_value("levers.cultivation_pool_size", 150)
    )


def test_override_string_reproduces_the_setting_in_a_batch_config():
    setting, opts = _edited(), state.default_options()
    text = state.override_string(setting, opts)
    assert text.startswith("levers=talent_housing_push ")
    assert "levers.rent_subsidy_yuan_per_year.young=12345.5" in text
    assert "levers.evaluate_and_adjust=false" in text and "run.seed=20230801" in text
    batch = load_config(text.split())
    mine = state.config(setting, opts)
    assert batch.levers == mine.levers
    assert (batch.run.seed, batch.run.replicates, batch.run.people_per_agent) == (
        mine.run.seed,
        mine.run.replicates,
        mine.run.people_per_agent,
    )


def test_yaml_export_composes_with_hydra_to_the_same_config(tmp_path):
    setting, opts = _edited(), state.default_options()
    (tmp_path / "setting_B.yaml").write_text(state.config_yaml(setting, opts, "setting_B"))
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(tmp_path), version_base="1.3"):
        composed = compose(config_name="setting_B")
    GlobalHydra.instance().clear()
    loaded = to_sim_config(composed)
    mine = state.config(setting, opts)
    assert loaded.levers == mine.levers and loaded.run == mine.run
    assert loaded.region.posterior_file == mine.region.posterior_file


def test_traffic_light_thresholds():
    assert [results.traffic_light(p) for p in (1.0, 0.8, 0.79, 0.5, 0.49, 0.0)] == [
        "green",
        "green",
        "amber",
        "amber",
        "red",
        "red",
    ]


def test_assumptions_list_parameters_with_sources_and_the_readme_limits():
    cfg = load_config([])
    table = assumptions.parameters(cfg)
    assert len(table) > 50 and table["source"].str.len().gt(0).all()
    assert table["posterior"].any()  # the calibrated posterior is drawn per replicate
    text = assumptions.purpose_and_limits()
    assert "What it is for" in text and "What it cannot predict" in text and "](" not in text
    assert set(assumptions.drivers(cfg)["driver"]) >= {"gdp_growth", "house_price_growth"}


def test_assets_name_the_packages_the_page_loads():
    specs = assets.required()
    assert any(s.startswith("@widgetti/solara-vuetify") for s in specs)
    assert any(s.startswith("requirejs@") for s in specs)


# ---------------------------------------------------------------------------------------------
# Runs (tiny ensembles)


@pytest.fixture(scope="module")
def pair():
    a, b = state.Setting("baseline"), state.Setting("platform_push")
    steps = [("full", state.config(a, FAST), state.config(b, FAST))]
    updates = list(runs.stages(steps, "test"))
    assert updates[-1].stage == "done", updates[-1].message
    return updates[-1].result


def test_pair_runs_with_common_random_numbers_and_reuses_cached_replicates(pair):
    assert pair.stage == "full" and pair.replicates == 2 and pair.a.replicates == 2
    same = state.config(state.Setting("baseline"), FAST)
    progress = list(runs.iter_settings([same, same]))
    assert progress[0][:2] == (0, 0)  # everything cached: nothing to run
    ens_a, ens_b = progress[-1][2]
    pd.testing.assert_frame_equal(ens_a.kpis, pair.a.kpis)  # same seeds, same numbers
    pd.testing.assert_frame_equal(ens_a.kpis, ens_b.kpis)


def test_dashboard_a_and_b_equal_batch_runs_with_the_same_seeds(pair):
    """Both settings reproduce `python -m sim` replicate by replicate, so A and B share their
    random numbers (the pair's common random numbers, not only caching)."""
    for name, ens in (("baseline", pair.a), ("platform_push", pair.b)):
        batch = run_ensemble(state.config(state.Setting(name), FAST), progress=False)
        pd.testing.assert_frame_equal(batch.kpis, ens.kpis)
        assert (batch.seeds.root_seed == pair.seed).all()
    start_a, start_b = (e.kpis[e.kpis.year == pair.base_year] for e in (pair.a, pair.b))
    pd.testing.assert_frame_equal(start_a.reset_index(drop=True), start_b.reset_index(drop=True))


def test_cancelled_request_stops_between_chunks():
    cfg = state.config(state.Setting("none"), FAST)
    updates = list(runs.stages([("preview", cfg, cfg)], "x", cancelled=lambda: True))
    assert not any(u.result for u in updates) and all(u.stage != "done" for u in updates)


def test_stages_pause_between_preview_and_full(pair):
    a, b = (state.config(state.Setting(p), FAST) for p in ("baseline", "platform_push"))
    pauses = []
    updates = list(
        runs.stages([("preview", a, b), ("full", a, b)], "k", pause=lambda: pauses.append(1))
    )
    assert pauses == [1]
    stages = [u.stage for u in updates]
    assert stages[-1] == "done" and stages.index("preview") < stages.index("full")
    assert updates[-1].result.key == "k" and updates[-1].result.stage == "full"


def test_headline_costs_and_csv(pair):
    targets = load_config([]).targets.targets
    table = results.headline(pair, targets)
    assert {2025, 2030} <= set(table["year"])
    assert set(table["light_b"]) <= {"green", "amber", "red"}
    assert table[["p_a", "p_b"]].apply(lambda c: c.between(0, 1)).all().all()
    assert (table["lo_b"] <= table["p_b"]).all() and (table["p_b"] <= table["hi_b"]).all()
    costs_a, costs_b = (results.costs(e, pair.base_year) for e in (pair.a, pair.b))
    assert costs_b["local"] > costs_a["local"] > 0  # platform push spends more than baseline
    assert costs_a["total"] == pytest.approx(costs_a["local"] + costs_a["national"])
    csv = pd.read_csv(io.StringIO(results.headline_csv(pair, targets, {"a": "levers=baseline"})))
    assert len(csv) == len(table) and (csv["setting_a"] == "levers=baseline").all()
    kpis = pd.read_csv(io.StringIO(results.kpis_csv(pair)))
    assert set(kpis["setting"]) == {"A", "B"} and len(kpis) == len(pair.a.kpis) * 2
    lines = pd.read_csv(io.StringIO(results.costs_csv(pair, {})))
    assert "flagship_investment" in set(lines["lever"])


def test_fan_figure_has_a_b_and_difference_panels(pair):
    targets = [t for t in load_config([]).targets.targets if t.kpi == "platforms"]
    fig = charts.fan_figure(pair, "platforms", targets, "innovation platforms")
    assert [ax.get_title() for ax in fig.axes][:2] == ["A", "B"]
    assert fig.axes[2].get_title().startswith("B - A")
    diff = charts.paired_difference(pair, "platforms")
    assert len(diff) == len(pair.a.kpis[pair.a.kpis.kpi == "platforms"])


# ---------------------------------------------------------------------------------------------
# Browser tests (Debian's Chromium, Playwright)


def _need_browser():
    """Skip locally without Chromium or Playwright; under CI=true fail instead."""
    ci = os.environ.get("CI") == "true"
    problem = ""
    if not CHROMIUM.exists():
        problem = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is not installed (pip install -e '.[dev]')"
    if problem and ci:
        pytest.fail(f"dashboard browser tests must run in CI: {problem}")
    if problem:
        pytest.skip(f"dashboard browser tests skipped: {problem}")
    if assets.missing():
        try:
            assets.ensure(log=lambda msg: None)
        except RuntimeError as err:
            (pytest.fail if ci else pytest.skip)(f"Solara front-end assets unavailable: {err}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"dashboard server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"dashboard server did not answer at {url}:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``solara run`` on a free loopback port; stopped (with its workers) at the end."""
    _need_browser()
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path_factory.mktemp("dashboard_server") / "server.log"
    solara_bin = Path(sys.executable).parent / "solara"
    cmd = [str(solara_bin), "run", "scenarios/dashboard/app.py", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--production"]
    with open(log, "w") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_http(url, proc, log)
        yield url
    finally:
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen) -> None:
    """Stop the server and its worker processes (its own process group, started above)."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        time.sleep(1)  # workers started during shutdown are swept by the SIGKILL round


@pytest.fixture(scope="module")
def browser_session(server, tmp_path_factory):
    """A function opening a new browser session (own Chromium, fresh user-data-dir)."""
    from playwright.sync_api import sync_playwright

    contexts = []
    with sync_playwright() as pw:

        def open_session():
            profile = tmp_path_factory.mktemp("chromium_profile")
            ctx = pw.chromium.launch_persistent_context(
                str(profile),
                executable_path=str(CHROMIUM),
                args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 900},
            )
            contexts.append(ctx)
            page = ctx.new_page()
            page.set_default_timeout(60_000)
            page.goto(server)
            return page

        yield open_session
        for ctx in contexts:
            ctx.close()


def _wait_current(page, stage: str | None = None, timeout: float = 90_000) -> str:
    """Wait until the shown results belong to the current settings; return the headline text."""
    sel = '.result-label[data-current="true"]'
    if stage:
        sel += f'[data-stage="{stage}"]'
    page.wait_for_selector(sel, timeout=timeout)
    return page.locator(".headline-table").inner_text()


def test_browser_preset_slider_run_and_chart(server, browser_session, tmp_path):
    from playwright.sync_api import expect

    page = browser_session()
    start = time.monotonic()
    expect(page.locator(".headline-table")).to_be_visible(timeout=120_000)
    expect(page.locator(".setting-B")).to_have_text("B: enacted_2023")
    first = _wait_current(page)
    assert "P(reached)" in first and "total public cost" in first
    assert "PREVIEW" in page.locator(".result-label").inner_text()

    page.locator(".preset-platform_push").click()  # B = platform push, one click
    expect(page.locator(".setting-B")).to_have_text("B: platform_push")
    clicked = time.monotonic()
    # The previous result stays marked current until the new preview replaces it: wait for it
    # (comparing innerText, as _wait_current reads it; textContent never equals it).
    expect(page.locator(".headline-table")).not_to_have_text(
        first, use_inner_text=True, timeout=120_000
    )
    after_preset = _wait_current(page)
    preview_s = time.monotonic() - clicked
    assert after_preset != first

    page.locator(".family-B .v-expansion-panel-title").click()
    lever = page.locator(".lever-flagship_investment_yuan_per_year")
    cost_b = page.locator('.cost-row[data-cost="local"] .cost-b').inner_text()
    thumb = lever.locator(".v-slider-thumb")
    for step in range(1, 5):  # four steps of 50 m yuan per year, each echoed by the server
        thumb.focus()
        thumb.press("ArrowRight")
        expect(lever.locator(".lever-input input")).to_have_value(f"2,{50 * step:03d},000,000")
    expect(page.locator(".setting-B")).to_have_text("B: platform_push + 1 change")
    expect(page.locator(".headline-table")).not_to_have_text(
        after_preset, use_inner_text=True, timeout=120_000
    )
    after_slider = _wait_current(page)
    assert after_slider != after_preset
    assert page.locator('.cost-row[data-cost="local"] .cost-b').inner_text() != cost_b

    update = os.environ.get("UPDATE_SCREENSHOT") == "1"  # a fuller ensemble for docs/
    full = ("40", "200") if update else ("4", "1000")
    for name, value in zip(("replicates", "people_per_agent"), full, strict=True):
        field = page.locator(f".option-{name} input")
        field.fill(value)
        field.press("Enter")
    page.locator(".run-button").click()
    limit = 300_000 if update else 150_000
    expect(page.locator(".headline-table")).not_to_have_text(
        after_slider, use_inner_text=True, timeout=limit
    )
    shown = _wait_current(page, stage="full", timeout=limit)
    label = page.locator(".result-label").inner_text()
    assert label.startswith(f"Full ensemble: {full[0]} replicates per setting at {int(full[1]):,}")
    assert shown != after_slider

    chart = page.locator(".fan-chart img").first
    expect(chart).to_be_visible()
    assert chart.evaluate("img => img.naturalWidth") > 300
    for panel in (".main-col", ".sidebar"):
        page.locator(panel).evaluate("el => el.scrollTo(0, 0)")
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if update:
        page.screenshot(path=str(ROOT / "docs" / "dashboard.png"))

    other = browser_session()  # a second browser session sees the defaults, not these settings
    expect(other.locator(".headline-table")).to_be_visible(timeout=120_000)
    expect(other.locator(".setting-B")).to_have_text("B: enacted_2023")
    expect(page.locator(".setting-B")).to_have_text("B: platform_push + 1 change")
    assert other.locator(".option-replicates input").input_value() == "100"
    print(f"preview after a preset click: {preview_s:.1f} s; test {time.monotonic() - start:.0f} s")


def test_browser_bad_input_is_refused_and_the_server_stays_up(server, browser_session):
    from playwright.sync_api import expect

    page = browser_session()
    expect(page.locator(".headline-table")).to_be_visible(timeout=120_000)
    expect(page.locator(".setting-A")).to_have_text("A: baseline")
    expect(page.locator(".setting-B")).to_have_text("B: enacted_2023")

    page.locator(".family-C .v-expansion-panel-title").click()
    lever = page.locator(".lever-standard_tax_rate")
    field = lever.locator(".lever-input input")
    for typed, message in (("1.5", "above the allowed range [0, 1]"), ("abc", "is not a number")):
        field.fill(typed)
        field.press("Enter")
        expect(lever.locator(".lever-error")).to_contain_text(message)
        expect(page.locator(".setting-B")).to_have_text("B: enacted_2023")  # nothing changed
    replicates = page.locator(".option-replicates input")
    replicates.fill("0")
    replicates.press("Enter")
    expect(page.locator(".lever-error").last).to_contain_text("replicates=0 is outside")

    with urllib.request.urlopen(server, timeout=10) as resp:  # the server is still up
        assert resp.status == 200
    page.locator(".preset-baseline").click()  # and this session still works
    expect(page.locator(".setting-B")).to_have_text("B: baseline")
    _wait_current(page)


def test_browser_track_record_tab_shows_the_scorecard(server, browser_session):
    from playwright.sync_api import expect

    page = browser_session()
    expect(page.locator(".tab-track")).to_be_visible(timeout=120_000)
    page.locator(".tab-track").click()  # the page may still be busy with its first preview
    expect(page.locator(".track-pooled")).to_contain_text("pooled 90 % coverage", timeout=60_000)
    expect(page.locator(".track-summary-table")).to_contain_text("pooled")
    chart = page.locator(".track-fan img").first
    expect(chart).to_be_visible(timeout=60_000)
    assert chart.evaluate("img => img.naturalWidth") > 300
