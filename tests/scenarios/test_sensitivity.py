"""Sensitivity analysis: SALib layer on known functions, and `python -m scenarios.sensitivity`."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami

from scenarios.evaluate import experiment_config
from scenarios.sensitivity import (
    analyse,
    analyse_outputs,
    bar_chart,
    check_experiment,
    make_problem,
    ranking,
    sample,
    sobol_base_samples,
)
from sim.config import ConfigError

TINY = [
    "experiment=quick",
    "experiment.replicates=2",
    "experiment.people_per_agent=5000",
    "experiment.horizon=2025",
    "run.workers=2",
]
RENT = "levers.rent_subsidy_yuan_per_year.graduate"
BONDED = "levers.bonded_duty_relief_rate"


def _index(tidy: pd.DataFrame, factor: str, index: str) -> float:
    row = tidy[(tidy.factor == factor) & (tidy["index"] == index)]
    return float(row["value"].iloc[0])


def test_morris_ranks_the_factor_that_matters_first():
    problem = make_problem(["x1", "x2"], [(0, 1), (0, 10)])
    X = sample(problem, "morris", 10, seed=3)
    assert X.shape == (10 * 3, 2)
    tidy = analyse(problem, X, 5 * X[:, 0] + 0 * X[:, 1], "morris", seed=3)
    # elementary effects are per unit of the normalised range: 5 for x1, exactly 0 for x2
    assert _index(tidy, "x1", "mu_star") == pytest.approx(5.0)
    assert _index(tidy, "x2", "mu_star") == 0.0
    assert set(tidy["index"]) == {"mu_star", "sigma", "mu"}
    tidy.insert(0, "output", "y")
    table = ranking(tidy, "morris")
    assert list(table.factor) == ["x1", "x2"] and list(table["rank"]) == [1, 2]


def test_sobol_recovers_ishigami_indices():
    problem = make_problem(["x1", "x2", "x3"], [(-np.pi, np.pi)] * 3)
    X = sample(problem, "sobol", 1024, seed=1)
    assert X.shape == (1024 * 5, 3)
    tidy = analyse(problem, X, Ishigami.evaluate(X), "sobol", seed=1)
    s1 = [_index(tidy, f, "S1") for f in ("x1", "x2", "x3")]
    st = [_index(tidy, f, "ST") for f in ("x1", "x2", "x3")]
    assert s1 == pytest.approx([0.314, 0.442, 0.0], abs=0.08)
    assert st == pytest.approx([0.558, 0.442, 0.244], abs=0.08)
    assert tidy["conf"].notna().all()


def test_sobol_rounds_samples_to_a_power_of_two():
    assert [sobol_base_samples(n) for n in (2, 3, 16, 17)] == [2, 4, 16, 32]


def test_outputs_are_analysed_separately_flat_give_zero_missing_give_nan():
    problem = make_problem(["a", "b"], [(0, 1), (0, 1)])
    X = sample(problem, "morris", 4, seed=0)
    outputs = pd.DataFrame({"y_a": X[:, 0], "y_b": 2 * X[:, 1], "flat": 1.0, "broken": np.nan})
    tidy = analyse_outputs(problem, X, outputs, "morris", seed=0)
    assert list(tidy.columns) == ["output", "factor", "index", "value", "conf"]
    top = ranking(tidy, "morris").query("rank == 1").set_index("output")["factor"]
    assert top["y_a"] == "a" and top["y_b"] == "b"
    assert tidy[tidy.output == "broken"]["value"].isna().all()
    flat = tidy[(tidy.output == "flat") & (tidy["index"] == "mu_star")]
    assert (flat["value"] == 0).all() and (flat["conf"] == 0).all()


def _cli(*args: str, out) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "scenarios.sensitivity", *TINY, *args, f"hydra.run.dir={out}"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_cli_morris_writes_every_file_and_ranks_rent_subsidy_first_for_talent(tmp_path):
    out = tmp_path / "run"
    proc = _cli("experiment.method=morris", "experiment.samples=2", out=out)
    assert proc.returncode == 0, proc.stderr[-2000:]
    outputs = ["p_joint", "p_talent_2025", "level_talent_2025", "local_cost_yuan"]
    samples = pd.read_csv(out / "sensitivity_samples.csv")
    assert len(samples) == 2 * 3
    assert list(samples.columns) == ["point", RENT, BONDED, *outputs]
    assert samples["p_joint"].between(0, 1).all()
    tidy = pd.read_csv(out / "sensitivity.csv")
    assert list(tidy.columns) == ["output", "factor", "index", "value", "conf"]
    for name in outputs:
        assert set(tidy[tidy.output == name].factor) == {RENT, BONDED}
        assert (out / f"sensitivity_{name}.png").stat().st_size > 0
    level = tidy[(tidy.output == "level_talent_2025") & (tidy["index"] == "mu_star")]
    mu = level.set_index("factor")["value"]
    assert mu[RENT] > mu[BONDED]
    assert (out / "config.yaml").exists()
    assert "level_talent_2025" in proc.stdout and "mu_star" in proc.stdout


def test_cli_bad_factor_is_one_error_line_and_exit_2(tmp_path):
    proc = _cli("experiment.factors=[{name:levers.no_such_lever,low:0,high:1}]", out=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "no_such_lever" in lines[0]


@pytest.mark.parametrize(
    "override, words",
    [
        ("experiment.targets=[talent@2099]", "talent@2099"),
        ("experiment.targets=[talent@2030]", "after experiment.horizon=2025"),
        ("experiment.method=fast", "experiment.method"),
        ("experiment.samples=1", "experiment.samples"),
        ("experiment.factors=[{name:levers.bonded_duty_relief_rate,low:0,high:7}]", "above"),
        ("experiment.factors=[{name:levers.bonded_duty_relief_rate,low:1,high:0}]", "low=1"),
        ("experiment.factors=[{name:levers.name,low:0,high:1}]", "not a numeric field"),
    ],
)
def test_bad_experiments_are_refused_in_one_line(override, words):
    with pytest.raises(ConfigError, match=words) as err:
        check_experiment(experiment_config(["experiment=quick", override]))
    assert "\n" not in str(err.value)


def test_charts_and_ranking_keep_an_output_without_indices(tmp_path):
    problem = make_problem(["a", "b"], [(0, 1), (0, 1)])
    X = sample(problem, "sobol", 8, seed=0)
    outputs = pd.DataFrame({"y": X[:, 0] + 0.1 * X[:, 1], "broken": np.nan})
    tidy = analyse_outputs(problem, X, outputs, "sobol", seed=0)
    table = ranking(tidy, "sobol")
    assert len(table) == 4 and list(table.columns[:5]) == ["output", "rank", "factor", "ST", "conf"]
    for name in outputs.columns:
        assert bar_chart(tidy, name, "sobol", tmp_path / f"{name}.png").stat().st_size > 0


def test_a_calibrated_factor_keeps_its_experiment_value_in_every_replicate():
    from scenarios.evaluate import with_factors
    from sim.posterior import for_replicate

    spec = "experiment.factors=[{name:region.behaviour.statuses.listing_rate,low:0.005,high:0.02}]"
    cfg = experiment_config(["experiment=quick", spec])
    assert [t.id for t in check_experiment(cfg)] == ["talent"]
    set_cfg = with_factors(cfg, {"region.behaviour.statuses.listing_rate": 0.0123})
    assert set_cfg.run.fixed_parameters == ["region.behaviour.statuses.listing_rate"]
    rates = {for_replicate(set_cfg, r)[0].region.behaviour.statuses.listing_rate for r in range(8)}
    assert rates == {0.0123}
    draws = {for_replicate(set_cfg, r)[0].region.behaviour.statuses.hte_loss_rate for r in range(8)}
    assert len(draws) > 1  # the other calibrated parameters are still drawn
