"""The "Cities" tab: cities side by side, each under its own policy (:mod:`scenarios.cities`).

It runs a comparison in a background thread with :func:`scenarios.cities.compare_cities` (the
function behind ``python -m scenarios.cities``), or loads one the command wrote (a run directory
under ``outputs/`` holding ``cities.md``), and shows the same table (``cities.md``) and figure
(``cities.png``), with the tables as CSV.
"""

from __future__ import annotations

import io
import shlex
from pathlib import Path

import markdown
import solara

from scenarios.cities import (
    CityComparison,
    compare_cities,
    config_dirs,
    known_cities,
    load_comparison,
    split_items,
)

from .catalogue import ROOT

OUTPUTS = ROOT / "outputs"
DEFAULT_OVERRIDES = "run.replicates=8 run.people_per_agent=5000"
"""A quick comparison (``python -m scenarios.cities`` runs the default 100 replicates)."""
QUIET = ["run.progress=false"]
MAX_SAVED = 30


def default_cities() -> list[str]:
    """The cities of ``conf/region`` that have their own targets file."""
    dirs = config_dirs([])
    return [
        c for c in known_cities(dirs) if any((d / "targets" / f"{c}.yaml").is_file() for d in dirs)
    ]


def saved_runs(root: Path = OUTPUTS) -> list[Path]:
    """Run directories under ``root`` holding a comparison (``cities.md``), newest first."""
    if not Path(root).is_dir():
        return []
    found = [p.parent for p in Path(root).glob("**/cities.md")]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)[:MAX_SAVED]


def parse_request(cities_text: str, overrides_text: str) -> tuple[list[str], list[str]]:
    """City names and shared overrides from the two text fields (shell-style words).

    Raises:
        ValueError: unbalanced quotes, or an override in the cities field.
    """
    cities, stray, _ = split_items(shlex.split(cities_text.replace(",", " ")))
    if stray:
        raise ValueError(f"{stray[0]}: put overrides in the overrides field")
    return cities, [*shlex.split(overrides_text), *QUIET]


def run_request(cities_text: str, overrides_text: str) -> CityComparison:
    """Run the comparison the fields ask for (progress lines are dropped)."""
    cities, overrides = parse_request(cities_text, overrides_text)
    return compare_cities(cities, overrides, progress=False, say=lambda _line: None)


def load_source(source: tuple | None) -> CityComparison | str | None:
    """The comparison of a ``("load", path)`` source, or the one-line error reading it."""
    if not source or source[0] != "load":
        return None
    try:
        return load_comparison(Path(source[1]))
    except (OSError, ValueError) as err:
        return " ".join(str(err).split())


def comparison_html(comparison: CityComparison) -> str:
    """``cities.md`` as HTML (tables included; its title left out, its sections as h4)."""
    lines = comparison.markdown().splitlines()
    body = [("##" + line) if line.startswith("## ") else line for line in lines[1:]]
    html = markdown.markdown("\n".join(body), extensions=["tables"])
    return html.replace("<table>", '<table class="dash-table cities-md-table">')


def _csv(frame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode()


@solara.component
def CitiesFigure(comparison: CityComparison, token: str):
    """The figure of one comparison (drawn once per comparison)."""
    fig = solara.use_memo(comparison.figure, [token])
    with solara.Div(classes=["cities-figure"]):
        solara.FigureMatplotlib(fig, dependencies=[token], format="png")


@solara.component
def CitiesView(comparison: CityComparison, token: str):
    """The table, the figure and the downloads of one comparison."""
    html = solara.use_memo(lambda: comparison_html(comparison), [token])
    solara.HTML(unsafe_innerHTML=html, classes=["md", "cities-table"])
    CitiesFigure(comparison, token)
    with solara.Row(style="flex-wrap: wrap"):
        solara.FileDownload(
            lambda: _csv(comparison.cities), filename="cities.csv", label="cities.csv"
        )
        solara.FileDownload(
            lambda: _csv(comparison.targets), filename="targets.csv", label="targets.csv"
        )
        solara.FileDownload(
            lambda: comparison.markdown().encode(), filename="cities.md", label="cities.md"
        )


@solara.component
def CitiesTab(
    outputs: Path = OUTPUTS, names: str | None = None, overrides: str = DEFAULT_OVERRIDES
):
    """Run a comparison or load a saved one; show its table and figure.

    Args:
        outputs: Where saved comparisons are looked for.
        names: The cities field's first text (default: every city with its own targets).
        overrides: The overrides field's first text.
    """
    first = " ".join(default_cities()) if names is None else names
    cities_text, set_cities_text = solara.use_state(first)
    overrides_text, set_overrides_text = solara.use_state(overrides)
    request, set_request = solara.use_state(None)  # (number, cities, overrides) of a Run click
    source, set_source = solara.use_state(None)  # ("run", number) or ("load", path)
    runs = solara.use_memo(lambda: [str(p) for p in saved_runs(outputs)], [request])
    loaded = solara.use_memo(lambda: load_source(source), [source])

    def job():
        if request is None:
            return None
        return run_request(request[1], request[2])

    result = solara.use_thread(job, dependencies=[request], intrusive_cancel=False)

    def run() -> None:
        number = (request[0] + 1) if request else 1
        set_request((number, cities_text, overrides_text))
        set_source(("run", number))

    md_intro = (
        "#### Cities side by side\n\nEach city runs under its own enacted policy (its "
        "`region.policy_timeline` throughout) and is scored only against its own targets; "
        "per-capita values use the base-year resident population, held at that level. "
        "The command `python -m scenarios.cities CITY CITY [overrides]` writes the same "
        "comparison into a run directory, which can be loaded below."
    )
    solara.HTML(unsafe_innerHTML=markdown.markdown(md_intro), classes=["md"])
    with solara.Row(style="align-items: center; flex-wrap: wrap"):
        solara.InputText(
            "cities", value=cities_text, on_value=set_cities_text, classes=["cities-names"]
        )
        solara.InputText(
            "overrides for every city",
            value=overrides_text,
            on_value=set_overrides_text,
            classes=["cities-overrides"],
        )
        solara.Button("Run comparison", on_click=run, color="primary", classes=["cities-run"])
    if runs:
        chosen = source[1] if source and source[0] == "load" else None
        solara.Select(
            "or load a saved comparison (outputs/)",
            values=runs,
            value=chosen,
            on_value=lambda path: set_source(("load", path)),
            classes=["cities-saved"],
        )
    if source is None:
        solara.Info("Run a comparison, or load one written by python -m scenarios.cities.")
        return
    if source[0] == "load":
        if isinstance(loaded, str):
            solara.Error(loaded, classes=["cities-error"])
        elif loaded is not None:
            CitiesView(loaded, f"load:{source[1]}")
        return
    if result.state == solara.ResultState.ERROR:
        solara.Error(" ".join(str(result.error).split()), classes=["cities-error"])
    elif result.state == solara.ResultState.FINISHED and result.value is not None:
        CitiesView(result.value, f"run:{source[1]}")
    else:
        solara.Text("running the cities' ensembles ...", classes=["cities-status"])
        solara.ProgressLinear(True)
