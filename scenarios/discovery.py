"""Scenario discovery with PRIM: which regions of lever space reach the targets?

``python -m scenarios.discovery [overrides]`` draws ``experiment.samples`` points over the factor
box (Latin hypercube, seed ``experiment.seed``), evaluates each as one ensemble with common
random numbers, labels a point *good* when the joint P(reached) of ``experiment.targets`` is at
least ``experiment.min_probability``, and runs PRIM (Friedman and Fisher 1999, the ``prim``
package) to find boxes of factor space where good points concentrate. Each box is reported as
readable conditions with its coverage (share of all good points inside it) and density (share of
points inside it that are good).

Examples:
    python -m scenarios.discovery                       # default factors and targets
    python -m scenarios.discovery experiment=quick      # a small preview
    python -m scenarios.discovery experiment.samples=200 experiment.min_probability=0.9

Writes ``discovery_samples.csv`` (factor values, outputs and the label per point),
``discovery_boxes.csv`` (one row per box and factor: limits, restriction, quasi-p, coverage,
density, mass), ``discovery_boxes.txt`` (the readable boxes) and ``config.yaml``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import hydra
import numpy as np
import pandas as pd
from omegaconf import DictConfig
from scipy.stats import qmc

from scenarios.sensitivity import (
    evaluate_points,
    run_or_exit,
    run_timed,
    write_config,
)
from sim.compose import register_schema
from sim.config import ConfigError, Factor, SimConfig, TargetSpec
from sim.rundir import atomic_write

log = logging.getLogger("scenarios.discovery")
MAX_BOXES = 3
MIN_COVERAGE = 0.5
MIN_BOX_COVERAGE = 0.1
BOX_COLUMNS = [
    "box",
    "factor",
    "low",
    "high",
    "restricted_low",
    "restricted_high",
    "quasi_p",
    "coverage",
    "density",
    "mass",
    "condition",
]
register_schema()


@dataclass
class Box:
    """One PRIM box at its selected point of the peeling trajectory.

    Attributes:
        limits: ``(low, high)`` per factor (the factor bounds where unrestricted).
        lower: Factors whose lower end is restricted.
        upper: Factors whose upper end is restricted.
        quasi_p: Quasi-p value per restricted factor (one-sided binomial test, Bryant and
            Lempert 2010): how likely the restriction's density gain is by chance.
        coverage: Share of all good points inside the box.
        density: Share of the points inside the box that are good.
        mass: Share of all points inside the box.
    """

    limits: dict[str, tuple[float, float]]
    lower: list[str]
    upper: list[str]
    quasi_p: dict[str, float] = field(default_factory=dict)
    coverage: float = 0.0
    density: float = 0.0
    mass: float = 0.0

    @property
    def restricted(self) -> list[str]:
        """Restricted factors, in the order of the limits."""
        return [n for n in self.limits if n in self.lower or n in self.upper]

    def condition(self) -> str:
        """The box as readable conditions, e.g. ``"a >= 12000 and b <= 0.03"``."""
        parts = []
        for name in self.restricted:
            lo, hi = self.limits[name]
            if name in self.lower:
                parts.append(f"{name} >= {fmt(lo)}")
            if name in self.upper:
                parts.append(f"{name} <= {fmt(hi)}")
        return " and ".join(parts) or "(no restriction)"


def fmt(value: float) -> str:
    """A number with three significant digits, without exponent for large values."""
    r = float(f"{value:.3g}")
    return f"{r:.0f}" if abs(r) >= 100 else f"{r:g}"


def lhs_sample(factors: list[Factor], samples: int, seed: int) -> pd.DataFrame:
    """A Latin hypercube over the factor box (one column per factor)."""
    names = [f.name for f in factors]
    unit = qmc.LatinHypercube(d=len(names), rng=np.random.default_rng(seed)).random(samples)
    scaled = qmc.scale(unit, [f.low for f in factors], [f.high for f in factors])
    return pd.DataFrame(scaled, columns=names)


def find_boxes(
    x: pd.DataFrame,
    good: np.ndarray,
    max_boxes: int = MAX_BOXES,
    min_coverage: float = MIN_COVERAGE,
    bounds: dict[str, tuple[float, float]] | None = None,
) -> list[Box]:
    """PRIM boxes where ``good`` points concentrate.

    On each box's peeling trajectory the densest box covering at least ``min_coverage`` of the
    good points still outside earlier boxes is selected. Boxes are searched until ``max_boxes``,
    until a box no longer restricts anything or is no denser than the points it starts from, or
    until it covers less than ``MIN_BOX_COVERAGE`` of all good points.

    Args:
        x: Factor values, one column per factor.
        good: Boolean label per row of ``x``; needs at least one good and one bad point.
        max_boxes: Most boxes to report.
        min_coverage: Least coverage of the selected point on each trajectory.
        bounds: Factor ranges reported for unrestricted ends (default: the range of ``x``).

    Returns:
        The boxes, in the order PRIM found them.
    """
    good = np.asarray(good, dtype=bool)
    finder = require_prim().Prim(x.reset_index(drop=True), good, threshold=None)
    data_range = {c: (float(x[c].min()), float(x[c].max())) for c in x.columns}
    shown = {**data_range, **(bounds or {})}
    boxes: list[Box] = []
    left = np.ones(len(good), dtype=bool)
    while len(boxes) < max_boxes and good[left].any():
        found = finder.find_box()
        if found is None:
            break
        _select(found, min_coverage * good[left].sum() / good.sum())
        box = _to_box(found, data_range, shown)
        if (
            not box.restricted
            or box.density <= good[left].mean()
            or box.coverage < MIN_BOX_COVERAGE
        ):
            break
        boxes.append(box)
        left[np.asarray(found.yi)] = False
    return boxes


def _select(found, min_coverage: float) -> None:
    """Select the densest point of the trajectory with coverage >= ``min_coverage``."""
    traj = found.peeling_trajectory.reset_index(drop=True)
    ok = traj[traj["coverage"] >= min_coverage - 1e-12]
    if len(ok):
        best = ok.sort_values(["density", "coverage"], ascending=False, kind="stable").index[0]
        found.select(int(best))


def _to_box(found, data_range: dict, shown: dict) -> Box:
    """Our :class:`Box` from the selected point of a ``prim`` box.

    Args:
        found: The ``prim`` box.
        data_range: ``(min, max)`` of the data per factor (PRIM's initial box).
        shown: Ends reported where a factor is not restricted.
    """
    limits, lower, upper, qp = dict(shown), [], [], {}
    for name, row in found.limits.iterrows():  # restricted factors only: min, max, qp values
        lo, hi = float(row["min"]), float(row["max"])
        qp[name] = float(row["qp values"])
        if lo > data_range[name][0]:
            lower.append(name)
        if hi < data_range[name][1]:
            upper.append(name)
        limits[name] = (
            lo if name in lower else shown[name][0],
            hi if name in upper else shown[name][1],
        )
    return Box(
        limits=limits,
        lower=lower,
        upper=upper,
        quasi_p=qp,
        coverage=float(found.coverage),
        density=float(found.density),
        mass=float(found.mass),
    )


def boxes_frame(boxes: list[Box]) -> pd.DataFrame:
    """One row per box and factor (see ``BOX_COLUMNS``)."""
    rows = []
    for i, box in enumerate(boxes, start=1):
        for name, (lo, hi) in box.limits.items():
            rows.append(
                {
                    "box": i,
                    "factor": name,
                    "low": lo,
                    "high": hi,
                    "restricted_low": name in box.lower,
                    "restricted_high": name in box.upper,
                    "quasi_p": box.quasi_p.get(name, np.nan),
                    "coverage": box.coverage,
                    "density": box.density,
                    "mass": box.mass,
                    "condition": box.condition(),
                }
            )
    return pd.DataFrame(rows, columns=BOX_COLUMNS)


def describe(boxes: list[Box], good: np.ndarray, rule: str) -> str:
    """The readable report: the good-point count and each box with its coverage and density.

    Args:
        boxes: Boxes from :func:`find_boxes`.
        good: The labels.
        rule: What "good" means, e.g. ``"P(talent@2025) >= 0.8"``.
    """
    n, k = len(good), int(np.sum(good))
    head = f"{k} of {n} sampled points are good ({rule})."
    if k == 0:
        return f"{head}\nNo sampled point is good: no region of the factor box reaches the targets."
    if k == n:
        return f"{head}\nEvery sampled point is good: the targets are reached across the whole box."
    if not boxes:
        return f"{head}\nPRIM found no box denser in good points than the whole sample."
    lines = [head]
    for i, box in enumerate(boxes, start=1):
        lines.append(
            f"box {i}: {box.condition()}\n"
            f"  coverage {box.coverage:.0%} of good points, density {box.density:.0%} good, "
            f"mass {box.mass:.0%} of points"
        )
    return "\n".join(lines)


def label_rule(cfg: SimConfig) -> str:
    """What "good" means for this experiment, as text."""
    joint = " & ".join(cfg.experiment.targets)
    return f"P({joint}) >= {cfg.experiment.min_probability:g}"


def run_discovery(cfg: SimConfig, targets: list[TargetSpec], out_dir: Path) -> list[Box]:
    """Sample, evaluate, label, run PRIM and write every result file.

    Returns:
        The boxes found (empty when no point, or every point, is good).
    """
    exp = cfg.experiment
    x = lhs_sample(exp.factors, exp.samples, exp.seed)
    print(
        f"discovery factors={len(exp.factors)} points={len(x)} "
        f"replicates={cfg.run.replicates} -> {out_dir}"
    )
    points = evaluate_points(cfg, x, targets, "discovery")
    points["good"] = points["p_joint"] >= exp.min_probability
    good = points["good"].to_numpy()
    atomic_write(out_dir / "discovery_samples.csv", lambda p: points.to_csv(p, index_label="point"))
    bounds = {f.name: (f.low, f.high) for f in exp.factors}
    boxes = find_boxes(x, good, bounds=bounds) if 0 < good.sum() < len(good) else []
    table = boxes_frame(boxes)
    text = describe(boxes, good, label_rule(cfg))
    atomic_write(out_dir / "discovery_boxes.csv", lambda p: table.to_csv(p, index=False))
    atomic_write(out_dir / "discovery_boxes.txt", lambda p: p.write_text(text + "\n"))
    write_config(out_dir, cfg)
    print(text)
    return boxes


def require_prim():
    """The ``prim`` module (GPL-3.0, an opt-in extra), or a clear error."""
    try:
        import prim
    except ImportError as err:
        raise ConfigError("scenario discovery needs PRIM: pip install -e '.[discovery]'") from err
    return prim


@hydra.main(config_path="pkg://conf", config_name="config", version_base="1.3")
def main(dcfg: DictConfig) -> None:
    """Check the experiment, run scenario discovery and print the boxes."""

    def body() -> None:
        logging.getLogger("prim").setLevel(logging.WARNING)
        require_prim()
        run_timed(run_discovery)

    run_or_exit(body)


if __name__ == "__main__":
    main()
