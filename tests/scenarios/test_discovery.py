"""Scenario discovery: PRIM boxes on a known labelling, and `python -m scenarios.discovery`."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd

from scenarios.discovery import BOX_COLUMNS, boxes_frame, describe, find_boxes, fmt, lhs_sample
from sim.config import Factor

RENT = "levers.rent_subsidy_yuan_per_year.graduate"
BONDED = "levers.bonded_duty_relief_rate"
FACTORS = [Factor(RENT, 0, 30000), Factor(BONDED, 0, 0.10), Factor("levers.noise", 0, 1)]
TINY = [
    "experiment=quick",
    "experiment.replicates=2",
    "experiment.people_per_agent=5000",
    "experiment.horizon=2025",
    "run.workers=2",
]


def test_latin_hypercube_fills_every_stratum_of_the_box():
    x = lhs_sample(FACTORS, 20, seed=7)
    assert list(x.columns) == [f.name for f in FACTORS] and len(x) == 20
    for f in FACTORS:
        strata = np.floor((x[f.name] - f.low) / (f.high - f.low) * 20)
        assert sorted(strata.astype(int)) == list(range(20))
    assert lhs_sample(FACTORS, 20, seed=7).equals(x)


def test_prim_finds_the_box_of_a_known_rule():
    x = lhs_sample(FACTORS, 300, seed=1)
    good = ((x[RENT] >= 12000) & (x[BONDED] >= 0.03)).to_numpy()
    boxes = find_boxes(x, good, bounds={f.name: (f.low, f.high) for f in FACTORS})
    first = boxes[0]
    assert set(first.restricted) == {RENT, BONDED} and first.lower == [RENT, BONDED]
    assert abs(first.limits[RENT][0] - 12000) <= 1500
    assert abs(first.limits[BONDED][0] - 0.03) <= 0.005
    assert first.limits[RENT][1] == 30000 and first.limits["levers.noise"] == (0, 1)
    assert first.density >= 0.95 and first.coverage >= 0.8
    text = first.condition()
    assert text.startswith(f"{RENT} >= ") and f" and {BONDED} >= " in text
    assert "noise" not in text
    lo = float(text.split(f"{RENT} >= ")[1].split()[0])
    assert abs(lo - 12000) <= 1500
    table = boxes_frame(boxes)
    assert list(table.columns) == BOX_COLUMNS
    assert set(table[table.box == 1].factor) == {f.name for f in FACTORS}


def test_prim_finds_two_boxes_for_two_separate_regions():
    x = lhs_sample(FACTORS, 300, seed=2)
    good = ((x[RENT] >= 20000) | (x["levers.noise"] <= 0.2)).to_numpy()
    boxes = find_boxes(x, good)
    conditions = [b.condition() for b in boxes]
    assert conditions[0].startswith(f"{RENT} >= ")
    assert any(c.startswith("levers.noise <= ") for c in conditions[1:])


def test_no_good_or_all_good_points_are_reported_in_words():
    none = describe([], np.zeros(5, bool), "P(x) >= 0.8")
    assert none.startswith("0 of 5 sampled points are good") and "No sampled point is good" in none
    every = describe([], np.ones(5, bool), "P(x) >= 0.8")
    assert "Every sampled point is good" in every
    assert list(boxes_frame([]).columns) == BOX_COLUMNS


def test_numbers_are_readable():
    assert [fmt(v) for v in (12345.6, 14491.8, 0.031234, 5e9, 0)] == [
        "12300",
        "14500",
        "0.0312",
        "5000000000",
        "0",
    ]


def test_cli_writes_samples_and_the_boxes_prim_finds_in_them(tmp_path):
    """The CLI's boxes and report are what the library finds in the CLI's own samples.

    Which branch the report takes (no good point, every point, boxes) depends on the model;
    the test recomputes the expected report from the samples instead of accepting any branch.
    """
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "scenarios.discovery", *TINY, "experiment.samples=8"]
    proc = subprocess.run(
        [*cmd, f"hydra.run.dir={out}"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    samples = pd.read_csv(out / "discovery_samples.csv")
    assert len(samples) == 8 and {RENT, BONDED, "p_joint", "good"} <= set(samples.columns)
    quick = [Factor(RENT, 0, 30000), Factor(BONDED, 0, 0.10)]  # conf/experiment/quick.yaml
    pd.testing.assert_frame_equal(
        samples[[f.name for f in quick]], lhs_sample(quick, 8, seed=7), check_names=False
    )
    assert samples.p_joint.between(0, 1).all()
    good = (samples["p_joint"] >= 0.5).to_numpy()
    assert (samples["good"] == good).all()
    x = samples[[f.name for f in quick]]
    bounds = {f.name: (f.low, f.high) for f in quick}
    expected = find_boxes(x, good, bounds=bounds) if 0 < good.sum() < len(good) else []
    boxes = pd.read_csv(out / "discovery_boxes.csv")
    want = boxes_frame(expected)
    assert list(boxes.columns) == BOX_COLUMNS and len(boxes) == len(want)
    if len(want):
        pd.testing.assert_frame_equal(boxes, want, check_dtype=False)
    text = (out / "discovery_boxes.txt").read_text()
    assert text.strip() == describe(expected, good, "P(talent@2025) >= 0.5")
    assert text.strip() in proc.stdout


def test_cli_bad_factor_is_one_error_line_and_exit_2(tmp_path):
    bad = "experiment.factors=[{name:region.behaviour.no_such_weight,low:0,high:1}]"
    cmd = [sys.executable, "-m", "scenarios.discovery", *TINY, bad]
    proc = subprocess.run(
        [*cmd, f"hydra.run.dir={tmp_path}"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no_such_weight" in lines[0]
