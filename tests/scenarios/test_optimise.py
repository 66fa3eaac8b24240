"""Optimisation (scenarios/optimise.py): selection helpers, CLI end to end, resume, failures."""

from __future__ import annotations

import math
import subprocess
import sys
from dataclasses import replace

import numpy as np
import optuna
import pandas as pd
import pytest
import yaml

from scenarios import optimise
from scenarios.evaluate import experiment_config
from sim.config import ExperimentConfig, Factor, SimConfig

SMALL = ["experiment=optimise_small", "experiment.samples=3", "run.workers=1"]
COST, PROB = optimise.COST, optimise.PROB


def run_cli(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scenarios.optimise", *SMALL, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )


def synthetic_trials() -> pd.DataFrame:
    """Costs in 100m yuan/yr; trial 5 (5e9 yuan) is over a 3e9 cap, trial 6 failed."""
    rows = [
        (0, "COMPLETE", 10.0, 0.50),
        (1, "COMPLETE", 20.0, 0.85),  # cheapest reaching 0.8 within the cap
        (2, "COMPLETE", 25.0, 0.85),  # dominated by 1
        (3, "COMPLETE", 28.0, 0.95),
        (4, "COMPLETE", 12.0, 0.40),  # dominated by 0
        (5, "COMPLETE", 50.0, 1.00),  # the only one with P = 1, over the cap
        (6, "FAIL", math.nan, math.nan),
        (7, "COMPLETE", 20.0, 0.85),  # exact tie with 1: on the front, 1 wins as the earlier
    ]
    table = pd.DataFrame(rows, columns=["number", "state", "cost", PROB])
    table[COST] = table.pop("cost") * optimise.COST_UNIT
    table["levers.bonded_duty_relief_rate"] = np.linspace(0.0, 0.07, len(table))
    return table


def test_selection_helpers_pick_cheapest_feasible_and_a_non_dominated_front():
    table = optimise.mark_feasible(synthetic_trials(), cap_yuan=3.0e9, min_probability=0.8)
    assert list(table.feasible) == [True, True, True, True, True, False, False, True]
    assert list(table.reaches) == [False, True, True, True, False, False, False, True]

    best = optimise.select_best(table, 0.8)
    assert best is not None and best["number"] == 1

    front = optimise.pareto_front(table)
    assert list(front.number) == [0, 1, 7, 3]
    assert 5 not in set(front.number) and 6 not in set(front.number)
    cost, prob = front[COST].to_numpy(), front[PROB].to_numpy()
    for i in range(len(front)):  # nobody on the front is dominated by anybody on it
        dominated = (cost <= cost[i]) & (prob >= prob[i]) & ((cost < cost[i]) | (prob > prob[i]))
        assert not dominated.any()
    assert np.all(np.diff(cost) >= 0) and np.all(np.diff(prob) >= 0)

    assert optimise.select_best(table, 0.99) is None  # only the over-cap trial reaches 0.99
    assert optimise.closest(table)["number"] == 3
    no_cap = optimise.mark_feasible(synthetic_trials(), cap_yuan=0, min_probability=0.8)
    assert optimise.select_best(no_cap, 0.8)["number"] == 1
    assert optimise.select_best(no_cap, 0.99)["number"] == 5
    assert list(optimise.pareto_front(no_cap).number) == [0, 1, 7, 3, 5]


def test_best_document_is_runnable_or_says_why_not():
    factors = [Factor("levers.bonded_duty_relief_rate", 0.0, 0.1)]
    exp = ExperimentConfig(factors=factors, targets=["listed@2025"], budget_cap_yuan=3.0e9)
    table = optimise.mark_feasible(synthetic_trials(), 3.0e9, 0.8)
    doc = optimise.best_document(table, factors, SimConfig(experiment=exp), ["levers=baseline"], "")
    assert doc["found"] and doc["best"]["trial"] == 1
    assert doc["best"]["overrides"] == ["levers=baseline", "levers.bonded_duty_relief_rate=0.01"]
    assert doc["best"]["command"] == "python -m sim " + " ".join(doc["best"]["overrides"])

    strict = SimConfig(experiment=replace(exp, min_probability=0.99))
    doc = optimise.best_document(table, factors, strict, ["experiment.samples=3"], "")
    assert not doc["found"] and "no feasible trial" in doc["message"]
    assert doc["closest"]["trial"] == 3 and doc["closest"]["overrides"][0].startswith("levers.")


def test_cli_writes_every_output_and_a_runnable_best(tmp_path):
    """best.yaml and pareto.csv are what the selection rules give on the CLI's own trials.

    Whether a feasible trial exists depends on the model; the expected document is recomputed
    from trials.csv, so each outcome is checked exactly instead of accepting either.
    """
    out = tmp_path / "run"
    proc = run_cli(tmp_path, f"hydra.run.dir={out}", "levers=baseline")
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name in ("trials.csv", "pareto.csv", "best.yaml", "pareto.png", "optuna.db"):
        assert (out / name).stat().st_size > 0, name
    trials = pd.read_csv(out / "trials.csv")
    factors = ["levers.rent_subsidy_yuan_per_year.graduate", "levers.bonded_duty_relief_rate"]
    assert len(trials) == 3 and set(factors + [COST, PROB, "feasible", "state"]) <= set(trials)
    assert (trials.state == "COMPLETE").all() and trials[PROB].between(0, 1).all()
    table = optimise.mark_feasible(trials.drop(columns=["feasible"]), 0, 0.8)
    assert list(table.feasible) == list(trials.feasible)
    pareto = pd.read_csv(out / "pareto.csv")
    assert list(pareto.number) == list(optimise.pareto_front(table).number)

    doc = yaml.safe_load((out / "best.yaml").read_text())
    expected = optimise.select_best(table, 0.8)
    assert doc["found"] == (expected is not None)
    assert "files:" in proc.stdout and str(out) in proc.stdout
    if expected is None:
        assert doc["closest"]["trial"] == optimise.closest(table)["number"]
        assert "no feasible trial" in doc["message"] and "no feasible trial" in proc.stdout
        return
    best = doc["best"]
    assert best["trial"] == expected["number"] and best["joint_probability"] >= 0.8
    assert best["overrides"][0] == "levers=baseline"
    assert [o.split("=")[0] for o in best["overrides"][1:]] == factors
    for override in best["overrides"][1:]:
        key, value = override.split("=")
        assert float(value) == pytest.approx(expected[key], rel=1e-6)
    assert best["command"] == "python -m sim " + " ".join(best["overrides"])
    assert "re-run: python -m sim" in proc.stdout


def test_resume_with_the_same_storage_accumulates_trials(tmp_path):
    db = tmp_path / "studies" / "opt.db"
    args = [f"experiment.storage=sqlite:///{db}", "experiment.study_name=resume_me"]
    for run in ("a", "b"):
        proc = run_cli(tmp_path, *args, f"hydra.run.dir={tmp_path / run}")
        assert proc.returncode == 0, proc.stderr[-2000:]
    study = optuna.load_study(study_name="resume_me", storage=f"sqlite:///{db}")
    assert len(study.trials) == 6
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    assert len(pd.read_csv(tmp_path / "b" / "trials.csv")) == 6
    assert not (tmp_path / "b" / "optuna.db").exists()
    # the second run does not replay the first run's points
    params = [tuple(t.params.values()) for t in study.trials]
    assert len(set(params)) == 6


def test_a_failing_trial_does_not_abort_the_study(tmp_path, monkeypatch):
    real = optimise.evaluate
    calls = {"n": 0}

    def flaky(cfg, values):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("model exploded")
        return real(cfg, values)

    monkeypatch.setattr(optimise, "evaluate", flaky)
    cfg = experiment_config(SMALL)
    outcome = optimise.run_study(cfg, tmp_path, progress=False)
    states = [t.state.name for t in outcome.study.trials]
    errors = [t.user_attrs.get("error") for t in outcome.study.trials]
    assert calls["n"] == 3 and states == ["FAIL", "COMPLETE", "COMPLETE"], (states, errors)
    table = pd.read_csv(tmp_path / "trials.csv")
    assert table.loc[0, "state"] == "FAIL" and "model exploded" in table.loc[0, "error"]
    assert not table.loc[0, "feasible"]
    assert (tmp_path / "pareto.png").exists()


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ("experiment.factors=[{name:levers.no_such_lever,low:0,high:1}]", "levers.no_such_lever"),
        ("experiment.factors=[{name:levers.bonded_duty_relief_rate,low:1,high:0}]", "low=1.0"),
    ],
)
def test_bad_factor_is_one_error_line_and_exit_2(tmp_path, override, needle):
    proc = run_cli(tmp_path, override, f"hydra.run.dir={tmp_path / 'bad'}")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: experiment.factors")
    assert needle in lines[0]
