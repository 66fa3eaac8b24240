"""The advisor dashboard: ``make dashboard`` (``solara run scenarios/dashboard/app.py``).

Two lever settings, A and B, are edited in the sidebar (presets one click away, every lever in
real units, grouped by family A-I). Every change starts a quick preview (few replicates at a coarse
talent scale, labelled PREVIEW) and then the full ensemble in a background thread with a progress
bar; A and B share their seeds (common random numbers). The state of a browser session lives in
hooks of its own components, so sessions never see each other's settings.

Plain Solara components are used throughout: Mesa's SolaraViz components step and draw a single
live model, while this page compares ensembles (and ``mesa.visualization`` needs altair).
"""

from __future__ import annotations

import functools
import html
import threading

import markdown
import pandas as pd
import solara
import solara.lab

from scenarios.dashboard import assets, assumptions, catalogue, charts, results, runs, state, tables
from scenarios.dashboard import cities as cities  # the "Cities" tab
from scenarios.dashboard import track_record as track_record  # the "Track record" tab
from sim.observations import load_observed, observed_path

try:
    assets.ensure()  # Solara's front-end files, from the npm registry on the first start
except RuntimeError as err:  # the server still starts; say why the page would stay blank
    print(f"dashboard: {err}; run: python -m scenarios.dashboard.assets")

DEFAULT_A = state.Setting("baseline")
DEFAULT_B = state.Setting("enacted_2023")
DEBOUNCE_S = 0.2  # a slider drag or typing sends several changes; run once they stop
FULL_DELAY_S = 0.8  # after a preview, wait for further changes before the full ensemble
SIDES = ("A", "B")
TABS = (
    "Fan charts",
    "Costs by line",
    "Assumptions and limits",
    "Track record",
    "Cities",
    "Export",
)


def md(text: str, classes: tuple[str, ...] = ()) -> None:
    """Markdown as HTML (``solara.Markdown`` would load mermaid from a CDN)."""
    solara.HTML(unsafe_innerHTML=markdown.markdown(text), classes=["md", *classes])


def _slug(name: str) -> str:
    return name.removeprefix("levers.").replace(".", "-")


def plan(a: state.Setting, b: state.Setting, options: state.RunOptions):
    """Preview then full ensemble of settings A and B (same seed)."""
    return [
        ("preview", state.config(a, options, preview=True), state.config(b, options, True)),
        ("full", state.config(a, options), state.config(b, options)),
    ]


def _warm_up() -> None:
    """Start the worker processes and cache the default preview before the first visitor."""
    opts = state.default_options()
    try:
        for _ in runs.stages(plan(DEFAULT_A, DEFAULT_B, opts)[:1], "warm-up"):
            pass
    except Exception as err:  # never stop the server for a warm-up
        print(f"dashboard: warm-up failed: {err}")


threading.Thread(target=_warm_up, name="dashboard-warm-up", daemon=True).start()


@solara.component
def LeverField(lv: catalogue.Lever, value, check, apply):
    """One lever: a text field in real units (checked on Enter / leaving it) and a slider."""
    text, set_text = solara.use_state(state.format_value(lv, value))
    error, set_error = solara.use_state("")

    def sync() -> None:  # a preset, the slider or an accepted value changed it
        set_text(state.format_value(lv, value))
        set_error("")

    solara.use_effect(sync, [value])

    def commit(new_text: str | None) -> None:
        set_text(new_text or "")
        typed, message = check(lv.name, new_text or "")
        set_error(message)
        if not message:
            apply(lv.name, typed)

    def slide(v: float) -> None:
        v = round(round(v / lv.step) * lv.step, 10)
        if abs(v - float(value)) >= lv.step / 2:  # ignore the slider echoing a typed value
            apply(lv.name, int(v) if lv.kind == "int" else v)

    with solara.Column(gap="0px", classes=["lever", f"lever-{_slug(lv.name)}"]):
        if lv.kind == "bool":
            solara.Checkbox(
                label=f"{lv.label}: {lv.what}"
                + (f" (effect: {lv.evidence})" if lv.evidence else ""),
                value=bool(value),
                on_value=lambda b: apply(lv.name, b),
            )
            return
        solara.InputText(
            f"{lv.label} [{lv.unit}]",
            value=text,
            on_value=commit,
            error=bool(error),
            message=None
            if error
            else lv.what + (f" (effect: {lv.evidence})" if lv.evidence else ""),
            classes=["lever-input"],
            dense=True,
        )
        if error:
            solara.Text(error, classes=["lever-error"])
        with solara.Div(classes=["lever-slider"]):
            solara.SliderFloat(
                "",
                value=float(value),
                min=lv.minimum,
                max=max(lv.slider_max, float(value)),
                step=lv.step,
                on_value=slide,
                thumb_label=False,
            )


@solara.component
def OptionField(label: str, name: str, options: solara.Reactive):
    """A run option (seed, ensemble sizes), checked like a lever."""
    error, set_error = solara.use_state("")

    def commit(text: str | None) -> None:
        new, message = state.check_option(options.value, name, text or "")
        set_error(message)
        if new is not None:
            options.set(new)

    solara.InputText(
        label,
        value=str(getattr(options.value, name)),
        on_value=commit,
        error=bool(error),
        classes=[f"option-{name}"],
        dense=True,
    )
    if error:
        solara.Text(error, classes=["lever-error"])


@solara.component
def Sidebar(
    settings: solara.Reactive,
    options: solara.Reactive,
    editing: solara.Reactive,
    auto_run: bool,
    set_auto_run,
    on_run,
):
    """Setting A/B selector, presets, levers by family, run options."""
    side = editing.value
    current: state.Setting = settings.value[side]

    def update(new: state.Setting) -> None:
        settings.set({**settings.value, side: new})

    def check(name: str, text: str):
        return state.check_lever(current, options.value, name, text)

    def apply(name: str, value) -> None:
        update(settings.value[side].with_value(name, value))

    md("### Settings")
    with solara.ToggleButtonsSingle(value=side, on_value=editing.set, classes=["edit-side"]):
        for s in SIDES:
            solara.Button(f"edit {s}", value=s, classes=[f"edit-{s}"])
    for s in SIDES:
        solara.Text(f"{s}: {settings.value[s].describe()}", classes=[f"setting-{s}"])
    md(f"**Presets** (apply to {side})")
    with solara.Row(style="flex-wrap: wrap; gap: 4px"):
        for p in catalogue.presets():
            solara.Button(
                p,
                on_click=lambda p=p: update(state.Setting(p)),
                color="primary" if current == state.Setting(p) else None,
                outlined=current != state.Setting(p),
                classes=["preset", f"preset-{p}"],
            )
    other = "A" if side == "B" else "B"
    solara.Button(
        f"copy {other} into {side}",
        on_click=lambda: update(settings.value[other]),
        text=True,
        classes=["copy-setting"],
    )
    titles = catalogue.family_titles()
    for family, levers in catalogue.by_family().items():
        changed = sum(current.is_changed(lv.name) for lv in levers)
        summary = f"{family}: {titles[family]}" + (f" ({changed} changed)" if changed else "")
        with solara.Div(classes=[f"family-{family}"]):
            with solara.Details(summary=summary, expand=False):
                for lv in levers:
                    value = current.value(lv.name)
                    LeverField(lv, value, check, apply).key(f"{side}:{lv.name}")
    md("### Run")
    with solara.Columns([1, 1]):
        with solara.Column(gap="4px"):
            OptionField("preview: replicates", "preview_replicates", options)
            OptionField("full: replicates", "replicates", options)
            OptionField("seed (A and B)", "seed", options)
        with solara.Column(gap="4px"):
            OptionField("preview: people per agent", "preview_people_per_agent", options)
            OptionField("full: people per agent", "people_per_agent", options)
    solara.Checkbox(label="run after every change", value=auto_run, on_value=set_auto_run)
    solara.Button("Run", on_click=on_run, color="primary", classes=["run-button"])


def _status_text(progress: runs.Progress | None) -> str:
    if progress is None:
        return "starting ..."
    if progress.stage == "preview":
        return f"preview: {progress.done}/{progress.total} runs"
    if progress.stage == "full":
        return f"full ensemble in the background: {progress.done}/{progress.total} runs"
    if progress.stage == "error":
        return f"error: {progress.message}"
    result = progress.result
    return f"done: {result.replicates} replicates per setting" if result else "done"


@solara.component
def Headline(result: runs.PairResult, current: bool, targets):
    """Stage label, then P(reached) per target with lights and the public cost per year."""
    table = solara.use_memo(
        lambda: tables.headline_html(
            results.headline(result, targets),
            {s: results.costs(getattr(result, s), result.base_year) for s in ("a", "b")},
        ),
        [result.token],
    )
    label = result.label() + ("" if current else " - for the previous settings, updating ...")
    solara.HTML(
        unsafe_innerHTML=label,
        classes=["result-label"],
        attributes={"data-stage": result.stage, "data-current": str(current).lower()},
    )
    solara.HTML(unsafe_innerHTML=table, classes=["headline"])
    md(
        "P(reached): share of replicates at or above the threshold in the target year, with a "
        "95 % Wilson interval; lights: green P >= 0.8, amber 0.5-0.8, red < 0.5. B - A pairs "
        "replicates (same seeds and parameter draws). Cost: mean per year after the base year.",
        classes=("legend",),
    )


@functools.cache
def region_observations(observed_file: str) -> pd.DataFrame | None:
    """What the region reported (its ``region.observed_file``), or None when it names none."""
    if not observed_file:
        return None
    return load_observed(observed_path(observed_file))


@solara.component
def FanChart(result: runs.PairResult, kpi: str, targets, observed_file: str = ""):
    """A, B and B - A fan charts of one KPI with the region's observations (once per result)."""
    mine = [t for t in targets if t.kpi == kpi]
    title = mine[0].label if mine else kpi
    observed = region_observations(observed_file)
    fig = solara.use_memo(
        lambda: charts.fan_figure(result, kpi, mine, title, observed), [result.token, kpi]
    )
    with solara.Div(classes=["fan-chart", f"fan-{kpi}"]):
        solara.FigureMatplotlib(fig, dependencies=[result.token, kpi], format="png")


@solara.component
def Export(settings: dict, options: state.RunOptions, result: runs.PairResult | None, targets):
    """Hydra overrides, YAML files to run in batch, results as CSV."""
    overrides = {s.lower(): state.override_string(settings[s], options) for s in SIDES}
    md(
        'Each setting as Hydra overrides (`make run ARGS="..."` runs it in batch) and as a '
        "YAML file with the full resolved config: save it as `<dir>/setting_A.yaml` and run "
        "`.venv/bin/python -m sim -cp <absolute dir> -cn setting_A`. The seed and the full "
        "ensemble size are included, so a batch run gives the same replicates."
    )
    for s in SIDES:
        md(f"**Setting {s}** ({settings[s].describe()})")
        solara.HTML(
            tag="pre",
            unsafe_innerHTML=html.escape(overrides[s.lower()]),
            classes=[f"override-{s}"],
            style="white-space: pre-wrap",
        )
        solara.FileDownload(
            lambda s=s: state.config_yaml(settings[s], options, f"setting_{s}"),
            filename=f"setting_{s}.yaml",
            label=f"setting_{s}.yaml",
        )
    if result is None:
        solara.Text("results: none yet")
        return
    md(f"**Results** ({result.label()})")
    with solara.Row(style="flex-wrap: wrap"):
        solara.FileDownload(
            lambda: results.headline_csv(result, targets, overrides),
            filename=f"reachability_{result.stage}.csv",
            label="P(reached) per target (CSV)",
        )
        solara.FileDownload(
            lambda: results.kpis_csv(result),
            filename=f"kpis_{result.stage}.csv",
            label="every KPI, replicate and year (CSV)",
        )
        solara.FileDownload(
            lambda: results.costs_csv(result, overrides),
            filename=f"costs_{result.stage}.csv",
            label="cost per line (CSV)",
        )


@solara.component
def Assumptions(cfg):
    """Purpose and limits (README), behavioural parameters in use, exogenous drivers."""
    params = solara.use_memo(lambda: assumptions.parameters(cfg), [])
    drivers = solara.use_memo(lambda: assumptions.drivers(cfg), [])
    md("#### Purpose and limits\n\n" + assumptions.purpose_and_limits())
    drawn = int(params["posterior"].sum())
    md(
        f"#### Behavioural parameters in use ({len(params)}; region `{cfg.region.name}`)\n\n"
        f"`posterior` = True: each replicate draws the value from the calibrated posterior "
        f"(`{cfg.region.posterior_file}`, {drawn} parameters), the same draw in A and B; "
        "`value` is the calibrated point or the literature prior."
    )
    solara.HTML(
        unsafe_innerHTML=tables.frame_html(params, "params-table", ("low", "high")),
        classes=["scroll-box"],
    )
    md("#### Exogenous drivers (each replicate draws from low-high, triangular)")
    solara.HTML(
        unsafe_innerHTML=tables.frame_html(drivers, "drivers-table", ("value", "low", "high"))
    )


@solara.component
def ResultsPanel(settings: dict, options: state.RunOptions, key: str):
    """Runs the request of ``key`` in a thread and shows its latest results."""
    a, b = settings["A"], settings["B"]
    last = solara.use_ref(None)
    kpis, set_kpis = solara.use_state(["talent", "platforms", "rd_growth"])
    tab, set_tab = solara.use_state(0)

    def job(cancel: threading.Event):
        if cancel.wait(DEBOUNCE_S):
            return
        try:
            steps = plan(a, b, options)
        except Exception as err:  # noqa: BLE001 - shown in the page
            yield runs.Progress("error", 0, 0, key, None, str(err))
            return
        yield from runs.stages(steps, key, cancel.is_set, lambda: cancel.wait(FULL_DELAY_S))

    status = solara.use_thread(job, dependencies=[key], intrusive_cancel=False)
    progress: runs.Progress | None = (
        status.value if status.value and status.value.key == key else None
    )
    if progress is not None and progress.result is not None:
        last.current = progress.result
    result: runs.PairResult | None = last.current
    cfg = catalogue.preset_config(b.preset)
    targets = cfg.targets.targets

    with solara.Row(style="align-items: center"):
        solara.Text(_status_text(progress), classes=["run-status"])
    running = progress is None or progress.stage in ("preview", "full")
    if running:
        pct = 100 * progress.done / max(progress.total, 1) if progress else True
        solara.ProgressLinear(
            pct if progress and progress.total else True, classes=["run-progress"]
        )
    if progress is not None and progress.stage == "error":
        solara.Error(progress.message, classes=["run-error"])
    if result is None:
        solara.Info("Computing the first preview ...")
    else:
        Headline(result, result.key == key, targets)
    # Tab headers only: Solara's Tabs with content put the content inside the tab bar (Vuetify 3)
    with solara.Div(classes=["result-tabs"]):
        with solara.lab.Tabs(value=tab, on_value=set_tab):
            for name in TABS:
                solara.lab.Tab(name, classes=[f"tab-{name.split()[0].lower()}"])
    if TABS[tab] == "Fan charts":
        all_kpis = sorted({t.kpi for t in targets}, key=[t.kpi for t in targets].index)
        solara.SelectMultiple("KPIs", values=kpis, all_values=all_kpis, on_value=set_kpis)
        if result is not None:
            for kpi in kpis:
                FanChart(result, kpi, targets, cfg.region.observed_file)
    elif TABS[tab] == "Costs by line" and result is not None:
        lines = results.cost_lines(result)
        shown = lines.assign(**{c: lines[c].map(tables.yuan) for c in ("a", "b", "diff")})
        shown.columns = [
            "cost line (national_*: national tax expenditure)",
            "A per year",
            "B per year",
            "B - A",
        ]
        solara.HTML(unsafe_innerHTML=tables.frame_html(shown, "costs-table"))
    elif TABS[tab] == "Assumptions and limits":
        Assumptions(cfg)
    elif TABS[tab] == "Track record":
        track_record.TrackRecordTab()
    elif TABS[tab] == "Cities":
        cities.CitiesTab()
    elif TABS[tab] == "Export":
        Export(settings, options, result, targets)


@solara.component
def Page():
    """The dashboard page; every hook here is per browser session."""
    settings = solara.use_reactive({"A": DEFAULT_A, "B": DEFAULT_B})
    options = solara.use_reactive(state.default_options())
    editing = solara.use_reactive("B")
    auto = solara.use_reactive(True)
    runs_requested = solara.use_reactive(0)
    pinned = solara.use_reactive((settings.value, options.value))

    live = (settings.value, options.value)
    chosen = live if auto.value else pinned.value

    def on_run() -> None:
        pinned.set(live)
        runs_requested.set(runs_requested.value + 1)

    def set_auto(value: bool) -> None:
        pinned.set(live)  # switching off keeps the current setting as the one shown
        auto.set(value)

    key = " | ".join(
        [str(runs_requested.value)]
        + [state.override_string(chosen[0][s], chosen[1]) for s in SIDES]
        + [f"preview {chosen[1].preview_replicates}x{chosen[1].preview_people_per_agent}"]
    )
    solara.Title("Innovation-policy advisor dashboard")
    solara.Style(tables.CSS)
    with solara.Row(style="align-items: flex-start; flex-wrap: nowrap; gap: 0"):
        with solara.Column(
            classes=["sidebar"],
            style="width: 420px; min-width: 420px; height: 100vh; overflow-y: auto; padding: 8px",
        ):
            Sidebar(settings, options, editing, auto.value, set_auto, on_run)
        with solara.Column(
            classes=["main-col"],
            style="flex: 1; min-width: 0; padding: 8px 16px; height: 100vh; overflow-y: auto",
        ):
            md("## Innovation-policy advisor: targets under two lever settings")
            ResultsPanel(chosen[0], chosen[1], key)
