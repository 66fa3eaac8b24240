"""The lever table: each lever at 0 and at 3x its enacted value against ``enacted_2023``.

Usage::

    python -m scenarios.lever_table                          # docs/levers/lever_table.{md,csv}
    python -m scenarios.lever_table --replicates 8 --out /tmp/levers run.people_per_agent=4000

For every lever of :class:`sim.levers.LeverConfig` whose enacted value is not zero, two settings
change that lever alone from the enacted policy's start (2023 Q3): **0** (switched off) and
**3x** (three times its enacted value, capped at the lever's maximum; a switch is turned on).
Every setting runs the same replicates as the enacted policy: the same seeds and the same
posterior parameter draws (common random numbers, :func:`sim.ensemble.run_ensemble`), so the
difference of a replicate between two settings is the lever's effect in that replicate. For each
target KPI in 2030 the table gives the mean paired difference with a 95 % t-interval, the change
of the local public cost 2023-2030 (net of guidance-fund returns, without national tax lines)
with its interval, and the cost per extra unit of each target whose interval excludes zero.
Beside each lever: its mechanism and the evidence of the parameters its effect rests on
(:mod:`sim.lever_evidence`). A lever whose 3x setting moves no target KPI while it costs more is
flagged; the test ``tests/scenarios/test_lever_table.py`` requires every such lever to be
labelled cost only, and the committed table to list every lever with the labels of the code.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from agents.params import ConfigError, documented_fields
from sim.compose import load_config
from sim.config import SimConfig, base_year_gdp, check
from sim.ensemble import run_ensemble
from sim.lever_evidence import MECHANISMS, evidence
from sim.rundir import atomic_write, model_version

OUT = Path(__file__).resolve().parent.parent / "docs" / "levers"
YEAR = 2030
FACTOR = 3.0
BASE = [
    "levers=enacted_2023",
    "levers.evaluate_and_adjust=false",
    "run.assumed_lever_draws=true",
    "run.assimilate=false",
    "run.plots=false",
    "run.progress=false",
]
"""The reference of every setting: ``enacted_2023`` with the yearly evaluation rule held off. The
rule re-weights each family's money by how its targets progress and what it costs, so with it on
a setting's difference would mix the lever's own effect with the rule's re-allocation (a
cost-only lever would move KPIs through the money it takes from other families). The assumed
parameters of lever effects are drawn per replicate over their stated ranges
(``run.assumed_lever_draws``), so an effect that rests on an assumption carries its range in the
interval instead of the precision of one hand-set value."""
DEFAULT_RUN = ["run.replicates=20", "run.people_per_agent=2000", f"run.horizon={YEAR}"]


def enacted_levers(cfg: SimConfig) -> list[tuple[str, object, dict]]:
    """``(name, enacted value, metadata)`` of every lever, in the schema's order."""
    return list(documented_fields(cfg.levers))


def scaled(value, factor: float, maximum: float | None):
    """A lever value times ``factor`` (structured amounts field by field; capped; switches)."""
    if isinstance(value, bool):
        return factor > 0
    if dataclasses.is_dataclass(value):
        return dataclasses.replace(
            value,
            **{
                f.name: scaled(getattr(value, f.name), factor, maximum)
                for f in dataclasses.fields(value)
            },
        )
    out = value * factor
    if maximum is not None:
        out = min(out, maximum)
    return int(round(out)) if isinstance(value, int) else float(out)


def is_zero(value) -> bool:
    """Whether a lever is off (every amount zero)."""
    if dataclasses.is_dataclass(value):
        return all(is_zero(getattr(value, f.name)) for f in dataclasses.fields(value))
    return not value


def upper_bound(cfg: SimConfig, name: str) -> float | None:
    """The largest value a lever may take: its maximum and its money bound (x base-year GDP)."""
    meta = {n: m for n, _, m in enacted_levers(cfg)}[name]
    bounds = [b for b in (meta.get("maximum"),) if b is not None]
    gdp = base_year_gdp(cfg.region)
    if meta.get("gdp_multiple") is not None and gdp:
        bounds.append(meta["gdp_multiple"] * gdp)  # the money bound of sim.config.check
    return min(bounds, default=None)


PROBES: dict[str, dict[str, object]] = {
    "rd_post_subsidy_rate": {"rd_post_subsidy_rate": 0.05},
    "young_talent_grants_per_year": {
        "young_talent_grants_per_year": 1000.0,
        "young_talent_grant_yuan": 2.0e5,
    },
    "overseas_posts_per_year": {"overseas_posts_per_year": 100.0, "overseas_post_grant_yuan": 1e6},
    "return_programme_yuan_per_year": {"return_programme_yuan_per_year": 5.0e7},
    "green_card": {
        "green_card": True,
        "family_services_yuan_per_year": {"top": 3e4, "leading": 3e4, "high_level": 2e4},
    },
    "family_services_yuan_per_year": {
        "family_services_yuan_per_year": {"top": 3e4, "leading": 3e4, "high_level": 2e4}
    },
    "platform_housing_yuan_per_year": {"platform_housing_yuan_per_year": 2.0e4},
    "vc_investment_reward_rate": {"vc_investment_reward_rate": 0.05},
}
"""Levers not in force in ``enacted_2023`` (no amount in the data), run once at an illustrative
programme size (setting ``probe``) so their mechanism and cost per unit are in the table too:
a post-R&D subsidy of 5 %; 1,000 young-talent grants of 200,000 yuan a year; 100 overseas
posts of 1 m yuan; a return programme of 50 m yuan a year; family services worth 20,000-30,000
yuan a year to top to high-level talent (with and without the green card); platform housing
co-funded at 20,000 yuan per housed researcher-year; a VC reward of 5 % of investment. Partner
levers (a grant's count and amount) are set together. Sizes are assumptions, not proposals."""


def _apply(cfg: SimConfig, values: dict[str, object]) -> SimConfig:
    changed = copy.deepcopy(cfg)
    for name, value in values.items():
        if isinstance(value, dict):
            value = dataclasses.replace(getattr(changed.levers, name), **value)
        setattr(changed.levers, name, value)
    return check(changed)


def settings(cfg: SimConfig, only: list[str] | None = None) -> list[tuple[str, str, SimConfig]]:
    """``(lever, setting, config)``: 0 and 3x of every lever in force; :data:`PROBES` else."""
    out = []
    for name, value, meta in enacted_levers(cfg):
        if only and name not in only:
            continue
        if is_zero(value):
            if name in PROBES:
                out.append((name, "probe", _apply(cfg, PROBES[name])))
            continue
        if meta.get("family") == "I" and name != "recognition_campaign":
            continue
        for label, factor in (("0", 0.0), ("3x", FACTOR)):
            scaled_value = scaled(value, factor, upper_bound(cfg, name))
            out.append((name, label, _apply(cfg, {name: scaled_value})))
    return out


SHOWN_EXTRA = ("rd_expenditure", "high_tech_enterprises", "tech_contract_turnover")
"""KPIs shown beside the targets' (the own KPIs of levers C, I and D)."""


def measure(cfg: SimConfig) -> pd.DataFrame:
    """Per replicate: KPIs in 2030 and the local public cost 2023-2030.

    Every KPI; ``public_cost_yuan`` is gross, ``public_cost_net_yuan`` net of
    guidance-fund returns.
    """
    res = run_ensemble(cfg, progress=False)
    k = res.kpis[res.kpis.year == YEAR].pivot(index="replicate", columns="kpi", values="value")
    kpis = [c for c in k.columns if not c.startswith("public_cost")]
    local = res.costs[~res.costs.lever.str.startswith("national_")]
    local = local[local.year > cfg.region.base_year]
    k["public_cost_yuan"] = local.groupby("replicate")["yuan"].sum()
    net = res.kpis[(res.kpis.kpi == "public_cost") & (res.kpis.year > cfg.region.base_year)]
    k["public_cost_net_yuan"] = net.groupby("replicate")["value"].sum() * 1e8
    return k[[*kpis, "public_cost_yuan", "public_cost_net_yuan"]]


def paired(diff: pd.Series) -> tuple[float, float, float]:
    """Mean of paired differences with its 95 % t-interval (zero width when all equal)."""
    d = diff.to_numpy(dtype=float)
    mean = float(d.mean())
    if len(d) < 2 or np.allclose(d, d[0]):
        return mean, mean, mean
    half = float(stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)))
    return mean, mean - half, mean + half


def table(overrides: list[str], say=print, only: list[str] | None = None) -> pd.DataFrame:
    """One row per lever, setting and KPI (the long form of the lever table)."""
    cfg = load_config([*BASE, *DEFAULT_RUN, *overrides])
    kpis = shown_kpis(cfg)
    base = measure(cfg)
    planned = settings(cfg, only)
    family = {n: m["family"] for n, _, m in enacted_levers(cfg)}
    rows = []
    for i, (lever, label, changed) in enumerate(planned, 1):
        start = time.perf_counter()
        alt = measure(changed)
        diff = alt - base
        behaviour = [c for c in diff.columns if not c.startswith("public_cost")]
        changes = bool((diff[behaviour].abs() > 0).to_numpy().any())
        label_ev, per = evidence(lever, cfg.region)
        cost = paired(diff["public_cost_yuan"])
        for kpi in kpis:
            mean, lo, hi = paired(diff[kpi])
            moved = lo > 0 or hi < 0
            rows.append(
                {
                    "lever": lever,
                    "family": family[lever],
                    "setting": label,
                    "kpi": kpi,
                    "effect": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                    "moved": moved,
                    "changes_kpis": changes,
                    "cost_yuan": cost[0],
                    "cost_ci_low": cost[1],
                    "cost_ci_high": cost[2],
                    "yuan_per_unit": cost[0] / mean if moved and mean != 0 else np.nan,
                    "own_target": kpi in MECHANISMS[lever].aims,
                    "evidence": label_ev,
                    "rests_on": "; ".join(f"{p} ({e})" for p, e in per.items()),
                }
            )
        say(f"{i}/{len(planned)} {lever} {label}: {time.perf_counter() - start:.0f} s")
    out = pd.DataFrame(rows)
    out.attrs.update(replicates=cfg.run.replicates, people=cfg.run.people_per_agent)
    return out


UNITS = {"talent": 1e4, "rd_growth": 1.0}
"""Display scale of a KPI's effect (talent in 10k persons)."""


def per_unit(kpi: str, yuan: float) -> str:
    """Cost per extra unit: yuan per person of talent, 100m yuan per unit of other KPIs."""
    if kpi == "talent":
        return f"talent {yuan:,.0f} yuan/person"
    return f"{kpi} {yuan / 1e8:,.3g}"


def _fmt(x: float) -> str:
    return f"{x:+.3g}" if abs(x) < 1e4 else f"{x:+,.0f}"


def _effect(r) -> str:
    """``kpi mean [low, high]`` in display units."""
    scale = UNITS.get(r.kpi, 1)
    return f"{r.kpi} {_fmt(r.effect / scale)} [{_fmt(r.ci_low / scale)}, {_fmt(r.ci_high / scale)}]"


def more_support(lever: str, setting: str) -> bool:
    """Whether a setting of the table gives more support than the enacted value."""
    larger = setting in ("3x", "probe")
    return larger != MECHANISMS[lever].larger_is_less


def wrong_direction(long: pd.DataFrame) -> pd.DataFrame:
    """Own-target cells that moved significantly against the support.

    More support with a significantly lower own target, or less support with a higher one.
    """
    own = long[long.own_target].copy()
    up = np.array([more_support(n, s) for n, s in zip(own.lever, own.setting, strict=True)])
    return own[(up & (own.ci_high < 0)) | (~up & (own.ci_low > 0))]


def costly_without_own_effect(long: pd.DataFrame) -> pd.DataFrame:
    """Settings with more support that cost more while no own target rose significantly.

    The effect, if any, is below the table's resolution (cost interval above zero, no own-target
    interval above zero).
    """
    rows = []
    for (lever, setting), g in long[long.own_target].groupby(["lever", "setting"], sort=False):
        if more_support(lever, setting) and g.cost_ci_low.iloc[0] > 0 and not (g.ci_low > 0).any():
            rows.append(g)
    return pd.concat(rows) if rows else long.iloc[:0]


def markdown(long: pd.DataFrame) -> str:
    """The readable lever table: one row per lever and setting."""
    lines = [
        "# Lever table: each lever at 0 and at 3x its enacted value",
        "",
        f"Generated by `python -m scenarios.lever_table` (model {model_version()[:12]}): "
        f"{long.attrs.get('replicates', '?')} paired replicates per setting at "
        f"{long.attrs.get('people', '?')} people per talent agent, against `enacted_2023` with "
        "common random numbers and parameter draws (its evaluate-and-adjust rule held off, "
        "`scenarios.lever_table.BASE`): each replicate takes one set of the calibrated "
        "posterior, and every *assumed* parameter a lever effect rests on is drawn over its "
        "stated range (triangular, the default as mode: `run.assumed_lever_draws`), so the "
        "intervals of an assumed effect carry the assumption's range. Effects on the target "
        "KPIs in 2030 (mean paired difference, 95 % interval; talent in 10k persons), local "
        "public cost 2023-2030 in 100m yuan (gross, without national tax lines); cost per extra "
        "unit (100m yuan per firm, centre, platform, cluster or percentage point; yuan per "
        "person of talent) for the targets the setting moves, where both changes have the same "
        "sign. Evidence: how the parameters the effect rests on were set "
        "(`sim/lever_evidence.py`). Levers not in force in `enacted_2023` (zero) run once at an "
        "illustrative size (setting `probe`, `scenarios.lever_table.PROBES`).",
        "",
        "| lever | family | setting | evidence | own target by 2030 | moves by 2030 "
        "| cost 2023-2030 | cost per extra unit | rests on |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (lever, setting), g in long.groupby(["lever", "setting"], sort=False):
        moved = g[g.moved]
        effects = ", ".join(_effect(r) for r in moved.itertuples()) or (
            "none significant" if g.changes_kpis.any() else "none (no KPI changes)"
        )
        r0 = g.iloc[0]
        cost = (
            f"{r0.cost_yuan / 1e8:+.2f} [{r0.cost_ci_low / 1e8:+.2f}, {r0.cost_ci_high / 1e8:+.2f}]"
        )
        per = (
            ", ".join(
                per_unit(r.kpi, r.yuan_per_unit)
                for r in moved.itertuples()
                if np.isfinite(r.yuan_per_unit) and r.yuan_per_unit > 0
            )
            or "-"
        )
        rests = r0.rests_on or MECHANISMS[lever].cost_only or MECHANISMS[lever].how
        own = ", ".join(_effect(r) for r in g[g.own_target].itertuples()) or "-"
        lines.append(
            f"| `{lever}` | {r0.family} | {setting} | {r0.evidence} | {own} | {effects} | {cost} "
            f"| {per} | {rests} |"
        )
    lines += [
        "",
        "Reading the table: each cell is a test at 95 %, so a lever without effect shows one in "
        "about 1 cell of 20 by chance, several at once in one row when the KPIs move together "
        "(talent, R&D and turnover do). Replicates are paired in seeds and parameter draws, "
        "and the "
        "talent rules give each agent the same random numbers in both settings "
        "(`agents.draws`); what remains of the noise is the lever's own consequence spreading "
        "through employers, firms and the housing market, so small talent programmes (a probe "
        "of 1,000 young-talent grants is worth about 400 yuan a year per young researcher) "
        "stay within it. "
        "Levers that act through the log of their spending "
        "with a floor (IP and international cooperation on centres and talent, the return "
        "programme, the transfer instruments) make the first yuan the most effective: their "
        "large effects per yuan (IP spending and the return programme are the cheapest talent "
        "levers here) are the consequence of assumed elasticities "
        "(`talent.ip_talent_elasticity`, `talent.return_programme_elasticity`, 0.05 each, "
        "drawn over 0-0.2), not evidence. Clusters are few and discrete: small changes of the "
        "firm population move which round a cluster is won in, so `clusters` cells of about "
        "-0.7 recur across unrelated levers.",
        "",
        "Cost-only levers (booked, no decision responds):",
        "",
    ]
    lines += [f"- `{n}`: {m.cost_only}" for n, m in MECHANISMS.items() if m.cost_only]
    weak = costly_without_own_effect(long)
    if len(weak):
        lines += [
            "",
            "Costly settings whose own target did not rise detectably (the effect, if any, is "
            "smaller than the table's 95 % interval; a decision on these levers needs more "
            "replicates or a better-identified parameter, not this table):",
            "",
        ]
        for (lever, setting), g in weak.groupby(["lever", "setting"], sort=False):
            own = ", ".join(_effect(r) for r in g.itertuples())
            cost = g.cost_yuan.iloc[0] / 1e8
            lines.append(f"- `{lever}` {setting}: {own}; cost {cost:+.2f} (100m yuan)")
    return "\n".join(lines) + "\n"


def shown_kpis(cfg: SimConfig) -> list[str]:
    """The KPIs of the table: the targets' and :data:`SHOWN_EXTRA`."""
    targets = {t.kpi for t in cfg.targets.targets if t.kind != "three_year"}
    return sorted(targets | set(SHOWN_EXTRA))


def costly_without_effect(long: pd.DataFrame) -> list[str]:
    """Levers whose 3x setting costs significantly more and changes no KPI of any replicate.

    Under common random numbers a lever without a behavioural path leaves every KPI of every
    replicate exactly as it was (``changes_kpis`` false); an effect too small to be significant
    in the shown KPIs is still an effect.
    """
    out = []
    for lever, g in long[long.setting.isin(["3x", "probe"])].groupby("lever"):
        if not g.changes_kpis.any() and g.cost_ci_low.iloc[0] > 0:
            out.append(lever)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: write the lever table (see the module docstring)."""
    ap = argparse.ArgumentParser(
        prog="python -m scenarios.lever_table", description=__doc__.split("\n")[0]
    )
    ap.add_argument("overrides", nargs="*", help="Hydra overrides (e.g. run.replicates=8)")
    ap.add_argument("--replicates", type=int, default=0, help="paired replicates per setting")
    ap.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT})")
    ap.add_argument("--levers", default="", help="comma-separated levers only (a preview)")
    args = ap.parse_args(argv)
    overrides = list(args.overrides)
    if args.replicates:
        overrides.append(f"run.replicates={args.replicates}")
    try:
        long = table(overrides, only=[s for s in args.levers.split(",") if s] or None)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write(args.out / "lever_table.csv", lambda p: long.to_csv(p, index=False))
    atomic_write(args.out / "lever_table.md", lambda p: p.write_text(markdown(long)))
    flagged = costly_without_effect(long)
    unlabelled = [n for n in flagged if not MECHANISMS[n].cost_only]
    print(f"wrote {args.out / 'lever_table.md'}; costly without effect at 3x: {flagged or 'none'}")
    if unlabelled:
        print(f"warning: not labelled cost only: {unlabelled}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
