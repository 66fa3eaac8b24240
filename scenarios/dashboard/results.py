"""Headline numbers of a pair of ensembles: P(reached) with traffic lights, costs, CSV export."""

from __future__ import annotations

import math

import pandas as pd

from scenarios.compare import paired_proportion_difference
from scenarios.evaluate import yearly_local_cost
from sim.config import TargetSpec
from sim.kpis import KPI_UNITS
from sim.targets import reachability

from .runs import Ensemble, PairResult

GREEN, AMBER = 0.8, 0.5  # traffic light: green P >= 0.8, amber 0.5 <= P < 0.8, red P < 0.5
SIDES = ("a", "b")


def traffic_light(probability: float) -> str:
    """``"green"`` (P >= 0.8), ``"amber"`` (0.5 <= P < 0.8) or ``"red"`` (P < 0.5)."""
    if math.isnan(probability):
        return "grey"
    if probability >= GREEN:
        return "green"
    if probability >= AMBER:
        return "amber"
    return "red"


def _hits(kpis: pd.DataFrame, target: TargetSpec) -> pd.Series:
    sel = kpis[(kpis["kpi"] == target.kpi) & (kpis["year"] == target.year)]
    return (sel.set_index("replicate")["value"] >= target.threshold).sort_index()


def headline(result: PairResult, targets: list[TargetSpec]) -> pd.DataFrame:
    """Every target with P(reached) in A and B (95 % Wilson interval, light) and B - A.

    The difference pairs replicates (same seed and parameter draw in A and B) and has an
    adjusted-Wald interval for matched proportions
    (:func:`scenarios.compare.paired_proportion_difference`).

    Returns:
        One row per target and year, sorted by year: target, year, label, kind, threshold, unit,
        then ``p``, ``lo``, ``hi``, ``median`` and ``light`` with suffix ``_a`` / ``_b``, then
        ``diff``, ``diff_lo``, ``diff_hi``.
    """
    reach = {s: reachability(getattr(result, s).kpis, targets) for s in SIDES}
    rows = []
    for t in targets:
        row = {
            "target": t.id,
            "year": t.year,
            "label": t.label or t.id,
            "kind": t.kind,
            "threshold": t.threshold,
            "unit": KPI_UNITS.get(t.kpi, ""),
        }
        for s in SIDES:
            r = reach[s]
            match = r[(r["target"] == t.id) & (r["year"] == t.year)] if len(r) else r
            if not len(match):
                break
            m = match.iloc[0]
            row |= {
                f"p_{s}": m.probability,
                f"lo_{s}": m.ci_low,
                f"hi_{s}": m.ci_high,
                f"median_{s}": m["median"],
                f"light_{s}": traffic_light(m.probability),
            }
        else:
            hits = pd.concat([_hits(result.a.kpis, t), _hits(result.b.kpis, t)], axis=1).dropna()
            diff, lo, hi, _, _ = paired_proportion_difference(hits.iloc[:, 0], hits.iloc[:, 1])
            rows.append(row | {"diff": diff, "diff_lo": lo, "diff_hi": hi})
    table = pd.DataFrame(rows)
    return table.sort_values("year", kind="stable").reset_index(drop=True) if rows else table


def costs(ensemble: Ensemble, base_year: int) -> dict[str, float]:
    """Mean yearly public cost after the base year (yuan per year), averaged over replicates.

    Returns:
        ``local`` (the city's budget), ``national`` (national tax expenditure, cost lines
        ``national_*``) and ``total``.
    """
    local = yearly_local_cost(ensemble.costs, base_year)
    c = ensemble.costs
    nat = c[c.lever.str.startswith("national_") & (c.year > base_year)]
    per_rep = nat.groupby(["replicate", "year"])["yuan"].sum().groupby("replicate").mean()
    national = float(per_rep.mean()) if len(per_rep) else 0.0
    return {"local": local, "national": national, "total": local + national}


def cost_lines(result: PairResult) -> pd.DataFrame:
    """Mean yearly cost per cost line (yuan per year) in A and B, after the base year."""
    out = {}
    for s in SIDES:
        c = getattr(result, s).costs
        c = c[c.year > result.base_year]
        n_years = c.groupby("replicate")["year"].nunique().mean()
        out[s] = c.groupby("lever")["yuan"].sum() / getattr(result, s).replicates / n_years
    table = pd.DataFrame(out).fillna(0.0)
    table["diff"] = table["b"] - table["a"]
    return table.rename_axis("lever").reset_index()


def _provenance(result: PairResult, settings: dict[str, str]) -> dict[str, object]:
    return {
        "stage": result.stage,
        "replicates": result.replicates,
        "people_per_agent": result.people_per_agent,
        "seed": result.seed,
        "setting_a": settings.get("a", ""),
        "setting_b": settings.get("b", ""),
    }


def headline_csv(result: PairResult, targets: list[TargetSpec], settings: dict[str, str]) -> str:
    """The headline table as CSV, with the stage, ensemble size and both settings' overrides."""
    table = headline(result, targets)
    for name, value in _provenance(result, settings).items():
        table[name] = value
    return table.to_csv(index=False)


def kpis_csv(result: PairResult) -> str:
    """Every KPI of every replicate and year of A and B: setting, replicate, year, kpi, value."""
    parts = [getattr(result, s).kpis.assign(setting=s.upper()) for s in SIDES]
    table = pd.concat(parts, ignore_index=True)
    return table[["setting", "replicate", "year", "kpi", "value"]].to_csv(index=False)


def costs_csv(result: PairResult, settings: dict[str, str]) -> str:
    """Mean yearly cost per cost line in A and B (yuan per year), with provenance columns."""
    table = cost_lines(result).rename(
        columns={"a": "yuan_per_year_a", "b": "yuan_per_year_b", "diff": "difference"}
    )
    for name, value in _provenance(result, settings).items():
        table[name] = value
    return table.to_csv(index=False)
