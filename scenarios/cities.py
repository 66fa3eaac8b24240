"""Cities side by side: each city under its own policy, against its own targets, per resident.

Usage::

    python -m scenarios.cities changsha hefei                       # 100 replicates each
    python -m scenarios.cities changsha hefei run.replicates=20 run.seed=7
    python -m scenarios.cities changsha hefei --out outputs/cities  # or hydra.run.dir=...

A city ``X`` is a region of ``conf/region/``: ``region=X_calibrated`` when that config exists,
else ``region=X``, with ``targets=X`` and ``run.policy=timeline`` (the region's own enacted
``region.policy_timeline`` throughout, so ``levers`` play no part). A city without its own
targets file (``conf/targets/X.yaml``) is refused: no city is scored against another's targets.
The other overrides apply to every city; ``region=``, ``targets=``, ``levers`` and
``run.policy`` are chosen per city and refused. A ``hydra.searchpath=[file://DIR]`` override
adds the cities of ``DIR/region`` and ``DIR/targets``. All cities share ``run.seed``.

Every city is composed and checked before the first runs; then its ensemble runs
(:func:`sim.ensemble.run_ensemble`, with the conditioning on its own observations when
``run.assimilate`` applies). The results go into a fresh run directory (default
``outputs/<date>/<time>``, printed):

* ``cities.csv``: one row per city, KPI and year (:data:`scenarios.cities_report.CITY_COLUMNS`):
  median and 5-95 % of the KPI, the KPI per capita (counts and persons per 10k residents, 100m
  yuan as yuan per resident) and the public cost cumulative from the base year per resident;
* ``targets.csv``: each city's own targets with P(reached) and its 95 % Wilson interval
  (:func:`sim.targets.reachability`) and what P is conditioned on;
* ``cities.md``: the side-by-side table and each city's targets; ``cities.png``: the figure;
* ``cities_kpis.parquet`` (``city, replicate, year, kpi, value``) and ``config_<city>.yaml``
  (each city's resolved config: ``python -m sim -cp <run dir> -cn config_<city>`` re-runs it).

The population is the region's base-year ``resident_population``, held at that level (the model
has no population projection). Exit codes: 0 written; 1 replicates failed; 2 refused before
anything ran (one line on stderr); 130 interrupted.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException

from scenarios import cities_report as report
from sim import assimilation
from sim import region as region_module
from sim.compose import load_config, to_yaml
from sim.config import ConfigError, SimConfig
from sim.ensemble import EnsembleResult, ReplicatesFailed, run_ensemble
from sim.observations import load_observed, observed_path
from sim.provenance import notes
from sim.region import CONF_DIR, data_path, load_base_state
from sim.rundir import atomic_write, model_version
from sim.targets import reachability

CALIBRATED = "_calibrated"
PER_CITY = ("region", "targets", "levers", "run.policy")
"""Chosen per city, refused as shared overrides (``region.*`` keys are shared; the others and
their sub-keys are not)."""
POPULATION = "resident_population"
UNIT_FACTORS = {"10k persons": 1e4, "persons": 1.0}
FILES = ("cities.csv", "targets.csv", "cities_kpis.parquet", "cities.png", "cities.md")
EXIT_FAILED, EXIT_REFUSED = 1, 2


class CitiesError(ConfigError):
    """A city or override that cannot be compared: one line, exit code 2."""


@dataclass
class City:
    """One city of the comparison: its region and targets options and its config."""

    name: str
    region: str
    cfg: SimConfig
    population: float

    @property
    def overrides(self) -> list[str]:
        """The per-city overrides (applied after the shared ones)."""
        return own_overrides(self.name, self.region)


def own_overrides(name: str, region: str) -> list[str]:
    """A city's own region, targets and policy as Hydra overrides."""
    return [f"region={region}", f"targets={name}", "run.policy=timeline"]


@dataclass
class CityComparison:
    """What :func:`compare_cities` returns (and :func:`load_comparison` reads back).

    Attributes:
        cities: ``cities.csv`` (:data:`scenarios.cities_report.CITY_COLUMNS`).
        targets: ``targets.csv`` (:data:`scenarios.cities_report.TARGET_COLUMNS`).
        kpis: Every KPI of every replicate: ``city, replicate, year, kpi, value``.
        configs: Each city's resolved config (empty when read back from a run directory).
    """

    cities: pd.DataFrame
    targets: pd.DataFrame
    kpis: pd.DataFrame
    configs: dict[str, SimConfig] = field(default_factory=dict)

    def markdown(self) -> str:
        """``cities.md``."""
        return report.markdown(self.cities, self.targets)

    def figure(self):
        """``cities.png`` as a matplotlib Figure."""
        return report.figure(self.cities)


# --------------------------------------------------------------------------------------------
# Finding the cities
# --------------------------------------------------------------------------------------------


def _parse(overrides: Iterable[str]) -> list:
    try:
        return OverridesParser.create().parse_overrides(list(overrides))
    except HydraException as err:
        raise CitiesError(" ".join(str(err).split())) from err


def config_dirs(overrides: Iterable[str]) -> list[Path]:
    """The ``file://`` directories of a ``hydra.searchpath`` override, then the project's conf/."""
    dirs = []
    for ov in _parse(overrides):
        if ov.key_or_group == "hydra.searchpath":
            value = ov.value()
            for entry in value if isinstance(value, list) else [value]:
                if str(entry).startswith("file://"):
                    dirs.append(Path(str(entry).removeprefix("file://")))
    return [*dirs, CONF_DIR]


def _options(dirs: list[Path], group: str) -> set[str]:
    return {p.stem for d in dirs for p in (d / group).glob("*.yaml")}


def known_cities(dirs: list[Path] | None = None) -> list[str]:
    """The cities of the region configs (``X`` for ``X.yaml`` and ``X_calibrated.yaml``)."""
    return sorted({o.removesuffix(CALIBRATED) for o in _options(dirs or [CONF_DIR], "region")})


def city_options(name: str, dirs: list[Path] | None = None) -> tuple[str, str]:
    """The ``region`` and ``targets`` options of city ``name``.

    Raises:
        CitiesError: unknown city (naming the known ones) or no targets file of its own.
    """
    dirs = dirs or [CONF_DIR]
    regions = _options(dirs, "region")
    cities = known_cities(dirs)
    if name not in cities:
        raise CitiesError(
            f"unknown city {name!r}; cities in conf/region: {', '.join(cities)} (name the city: "
            f"its {CALIBRATED[1:]} config is used when it exists)"
        )
    if name not in _options(dirs, "targets"):
        raise CitiesError(
            f"city {name!r} has no targets file (conf/targets/{name}.yaml); a city is scored "
            "only against its own targets"
        )
    return (name + CALIBRATED if name + CALIBRATED in regions else name), name


def check_shared(overrides: Iterable[str]) -> None:
    """Refuse overrides that would choose a city's region, targets or policy for every city.

    Raises:
        CitiesError: one line naming the override.
    """
    for ov in _parse(overrides):
        key = ov.key_or_group
        if key == "region" or any(key == k or key.startswith(k + ".") for k in PER_CITY[1:]):
            raise CitiesError(
                f"{ov.input_line}: region, targets, levers and run.policy are chosen per city "
                "(each city's own region config, targets file and policy timeline)"
            )


def resident_population(cfg: SimConfig) -> float:
    """The region's base-year resident population in persons (indicator ``resident_population``).

    Taken from :func:`sim.region.load_base_state` when the base state carries it, else read from
    the region's data file (:func:`sim.region.read_figures` where it exists, so published forms
    are understood; else the ``region.base_state`` column), whose unit is 10k persons.

    Raises:
        CitiesError: the indicator is missing, not a number or not positive.
    """
    state = load_base_state(cfg.region)
    if POPULATION in state.values:
        return float(state[POPULATION])
    path = data_path(cfg.region)
    table = pd.read_csv(path, dtype=str).set_index("indicator")
    if POPULATION not in table.index:
        raise CitiesError(f"{path.name}: no {POPULATION!r} row (per-capita values need it)")
    row = table.loc[POPULATION]
    factor = UNIT_FACTORS.get(str(row.get("unit", "10k persons")).strip())
    read_figures = getattr(region_module, "read_figures", None)
    if read_figures is not None:
        figure = read_figures(path, [POPULATION]).get(POPULATION)
        value = getattr(figure, cfg.region.base_state, None) if figure else None
    else:
        value = pd.to_numeric(row.get(cfg.region.base_state), errors="coerce")
    if factor is None or value is None or not value > 0:
        raise CitiesError(
            f"{path.name}: {POPULATION}={row.get(cfg.region.base_state)!r} [{row.get('unit')}] "
            "is not a positive number of persons or 10k persons"
        )
    return float(value) * factor


def plan_cities(cities: list[str], overrides: list[str]) -> list[City]:
    """Resolve, compose and check every city before any runs.

    Raises:
        CitiesError: no city, a city named twice, an unknown city, a city without its own
            targets, a per-city override; ConfigError: an override the config refuses.
    """
    if not cities:
        raise CitiesError(
            f"name at least one city; cities in conf/region: {', '.join(known_cities())}"
        )
    twice = sorted({c for c in cities if cities.count(c) > 1})
    if twice:
        raise CitiesError(f"city {twice[0]!r} is named twice")
    overrides = list(overrides)
    check_shared(overrides)
    dirs = config_dirs(overrides)
    planned = []
    for name in cities:
        region, _ = city_options(name, dirs)
        try:
            cfg = load_config([*overrides, *own_overrides(name, region)])
        except ConfigError as err:
            raise ConfigError(f"city {name}: {err}") from err
        planned.append(City(name, region, cfg, resident_population(cfg)))
    return planned


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


def conditioning(cfg: SimConfig, result: EnsembleResult) -> str:
    """What a city's P(reached) is conditioned on (one phrase)."""
    plan = result.assimilation
    if plan is not None:
        return f"conditioned on its observations through {plan.last_year}"
    why = "run.assimilate=false"
    if cfg.run.assimilate:
        try:
            name = cfg.region.observed_file
            observed = load_observed(observed_path(name, cfg.region.config_dirs)) if name else None
            why = assimilation.skip_reason(cfg, observed) or "?"
        except ConfigError as err:
            why = " ".join(str(err).split())
    return f"projected from the {cfg.region.base_year} base year, not conditioned: {why}"


def compare_cities(
    cities: list[str],
    overrides: list[str] = (),
    progress: bool | None = None,
    say: Callable[[str], None] = print,
) -> CityComparison:
    """Run each city under its own policy and compare them per resident.

    Args:
        cities: City names (see the module docstring for how a name becomes a config).
        overrides: Hydra overrides applied to every city (e.g. ``["run.replicates=20"]``).
        progress: Progress bars of the ensembles (default: ``run.progress``).
        say: Where the progress lines go (one per city).

    Returns:
        The tables of ``cities.csv`` and ``targets.csv``, the KPIs and the configs.

    Raises:
        CitiesError, ConfigError: refused before anything ran (one line).
        ReplicatesFailed: a city's replicates failed (``run.tolerate_failures`` off).
    """
    planned = plan_cities(list(cities), list(overrides))
    tables, targets, kpis = [], [], []
    for i, city in enumerate(planned, 1):
        cfg = city.cfg
        say(
            f"city {i}/{len(planned)} {city.name}: region={city.region} targets={city.name} "
            f"run.policy=timeline, {cfg.run.replicates} replicates, population "
            f"{city.population:,.0f} ({cfg.region.base_year})"
        )
        for line in notes(cfg, load_base_state(cfg.region)):
            say(f"  note: {line}")
        result = run_ensemble(cfg, progress=progress)
        if result.assimilation is not None:
            say(f"  {result.assimilation.summary()}")
        tables.append(
            report.city_table(
                city.name, city.region, result.kpis, city.population, cfg.region.base_year
            )
        )
        reach = reachability(result.kpis, cfg.targets.targets)
        kpi_of = {t.id: t.kpi for t in cfg.targets.targets}
        targets.append(report.targets_table(city.name, reach, kpi_of, conditioning(cfg, result)))
        kpis.append(
            result.kpis.assign(city=city.name)[["city", "replicate", "year", "kpi", "value"]]
        )
    return CityComparison(
        cities=pd.concat(tables, ignore_index=True),
        targets=pd.concat(targets, ignore_index=True),
        kpis=pd.concat(kpis, ignore_index=True),
        configs={c.name: c.cfg for c in planned},
    )


# --------------------------------------------------------------------------------------------
# Run directory
# --------------------------------------------------------------------------------------------


def fresh_run_dir(root: Path = Path("outputs")) -> Path:
    """``outputs/<date>/<time>`` as Hydra names a run directory (microseconds: never reused)."""
    now = datetime.datetime.now()
    return root / now.strftime("%Y-%m-%d") / now.strftime("%H-%M-%S-%f")


def write_comparison(comparison: CityComparison, out_dir: Path) -> list[Path]:
    """Write the files of the module docstring (``cities.md`` last); returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    header = f"# model_version: {model_version()}\n"
    written = []
    for name, cfg in comparison.configs.items():
        path = out_dir / f"config_{name}.yaml"
        atomic_write(path, lambda p, cfg=cfg: p.write_text(header + to_yaml(cfg)))
        written.append(path)
    csv, tgt, parquet, png, md = (out_dir / f for f in FILES)
    atomic_write(csv, lambda p: comparison.cities.to_csv(p, index=False))
    atomic_write(tgt, lambda p: comparison.targets.to_csv(p, index=False))
    atomic_write(parquet, lambda p: comparison.kpis.to_parquet(p, index=False))
    fig = comparison.figure()
    atomic_write(png, lambda p: fig.savefig(p, format="png"))
    text = comparison.markdown()
    atomic_write(md, lambda p: p.write_text(text))
    return [*written, csv, tgt, parquet, png, md]


def load_comparison(run_dir: Path) -> CityComparison:
    """Read a comparison back from its run directory (``cities.csv``, ``targets.csv``, KPIs).

    Raises:
        CitiesError: the directory holds no complete comparison (``cities.md`` is written last).
    """
    run_dir = Path(run_dir)
    missing = [f for f in FILES if not (run_dir / f).is_file()]
    if missing:
        raise CitiesError(f"{run_dir}: not a complete cities comparison (no {missing[0]})")
    cities = pd.read_csv(run_dir / "cities.csv")
    cities["per_capita_unit"] = cities["per_capita_unit"].fillna("")
    return CityComparison(
        cities=cities,
        targets=pd.read_csv(run_dir / "targets.csv"),
        kpis=pd.read_parquet(run_dir / "cities_kpis.parquet"),
    )


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="python -m scenarios.cities",
        description="Run cities under their own policies and compare them per resident.",
    )
    parser.add_argument(
        "items",
        nargs="+",
        metavar="CITY | override",
        help="city names (conf/region), then Hydra overrides for every city (key=value)",
    )
    parser.add_argument("--out", type=Path, help="run directory (default outputs/<date>/<time>)")
    return parser


def split_items(items: list[str]) -> tuple[list[str], list[str], Path | None]:
    """City names, shared overrides and the ``hydra.run.dir`` given among the overrides."""
    cities = [i for i in items if "=" not in i]
    overrides = [i for i in items if "=" in i]
    run_dir = None
    for ov in list(overrides):
        if ov.startswith("hydra.run.dir="):
            run_dir = Path(ov.partition("=")[2])
            overrides.remove(ov)
    return cities, overrides, run_dir


def refuse(message: object, code: int = EXIT_REFUSED) -> int:
    """Print ``error: <message>`` as one line on stderr; returns ``code``."""
    print(f"error: {' '.join(str(message).split())}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; returns the exit code (0; 1 replicates failed; 2 refused)."""
    args = build_parser().parse_args(argv)
    cities, overrides, run_dir = split_items(args.items)
    out_dir = args.out or run_dir or fresh_run_dir()
    if (out_dir / "cities.md").exists():
        return refuse(f"{out_dir} already holds a cities comparison; choose another --out")
    try:
        comparison = compare_cities(cities, overrides)
    except ConfigError as err:
        return refuse(err)
    except ReplicatesFailed as err:
        return refuse(err.summary(), EXIT_FAILED)
    except KeyboardInterrupt:
        from sim.executors import shutdown_pools

        shutdown_pools(terminate=True)
        return refuse("stopped by SIGINT; workers stopped, nothing written", 130)
    written = write_comparison(comparison, out_dir)
    print(comparison.markdown())
    print("wrote:\n" + "\n".join(f"  {p}" for p in written))
    print(f"results in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
