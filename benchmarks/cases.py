"""The benchmark cases as seen from the driver: settings, child runs, goals, table rows.

Every ``bench_*`` function runs its case in a fresh subprocess (``benchmarks.child``) and
returns ``(rows, raw)``: table rows (:class:`Row`) and the child's raw measurements.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from benchmarks.measure import run_child, summary

GB = 1024**3


@dataclass
class Settings:
    """What to run: sizes and repeats of every case (``--quick`` shrinks them)."""

    quick: bool = False
    repeats: int = 5
    ensemble_replicates: int = 100
    ensemble_repeats: int = 1
    ensemble_serial: int = 3
    scale_factors: tuple[int, ...] = (1, 2, 4)
    scale_repeats: int = 3
    reference_people_per_agent: int = 100
    reference_quarters: int = 32
    reference_seeds: int = 10
    mesa_cost_agents: int = 500_000
    profile_runs: int = 3
    timeout_s: float = 1800.0

    @classmethod
    def make(cls, quick: bool, repeats: int | None) -> Settings:
        """Full settings, or the quick smoke-test settings (about a minute)."""
        if not quick:
            r = repeats or 5
            return cls(repeats=r, scale_repeats=max(1, min(r, 3)))
        return cls(
            quick=True,
            repeats=repeats or 2,
            ensemble_replicates=20,
            ensemble_serial=1,
            scale_repeats=1,
            reference_people_per_agent=200,
            reference_quarters=4,
            reference_seeds=3,
            mesa_cost_agents=100_000,
            profile_runs=1,
            timeout_s=300.0,
        )


@dataclass
class Row:
    """One line of the results table."""

    case: str
    what: str
    measured: str
    goal: str = "-"
    met: str = "-"
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output."""
        return asdict(self)


def yes_no(ok: bool) -> str:
    """'yes' or 'no'."""
    return "yes" if ok else "no"


def spread(values: list[float], unit: str = "s", digits: int = 2) -> str:
    """``median (min-max) unit`` of a list of values."""
    s = summary(values)
    if s["n"] == 1:
        return f"{s['median']:.{digits}f} {unit} (1 run)"
    return (
        f"{s['median']:.{digits}f} {unit} ({s['min']:.{digits}f}-{s['max']:.{digits}f}, n={s['n']})"
    )


def load_note(raw: dict[str, Any]) -> str:
    """Machine load around a child run (a hint of contamination by other processes)."""
    return f"1-min load average {raw.get('load_before')} before, {raw.get('load_after')} after"


def failed(case: str, what: str, goal: str, raw: dict[str, Any]) -> list[Row]:
    """A row for a case whose child failed or timed out."""
    return [Row(case, what, f"FAILED: {raw['error']}", goal, "no")]


# ---------------------------------------------------------------------------------------------
# B1: one default run


def bench_b1(s: Settings) -> tuple[list[Row], dict[str, Any]]:
    """B1: construction and stepping of the default run, median over repeats, plus what-ifs."""
    rows, raw = _b1_as_is(s)
    whatif = run_child("whatif", {"repeats": s.repeats}, s.timeout_s)
    raw = {**raw, "whatif": whatif}
    if "error" in whatif:
        return rows + failed("B1.w", "  what-if variants", "-", whatif), raw
    return rows + whatif_rows(whatif), raw


WHATIF_LABELS = {
    "direct_init": "  what-if: row agents made by cls(model, row), not create_agents",
    "no_mesa_agents": "  what-if: no per-row Mesa agents (rules on arrays only)",
}


def whatif_rows(raw: dict[str, Any]) -> list[Row]:
    """B1 under core what-if variants, interleaved with the unchanged model in one process."""
    base = summary([r["total_s"] for r in raw["runs"]["as_is"]])["median"]
    rows = []
    for i, (name, label) in enumerate(WHATIF_LABELS.items(), start=1):
        totals = [r["total_s"] for r in raw["runs"][name]]
        med = summary(totals)["median"]
        same = "identical" if raw["same_kpis"][name] else "DIFFERENT"
        measured = f"{spread(totals)}; {med / base:.0%} of as-is ({base:.2f} s); KPIs {same}"
        rows.append(Row(f"B1.w{i}", label, measured, "median <= 0.5 s", yes_no(med <= 0.5)))
    return rows


def _b1_as_is(s: Settings) -> tuple[list[Row], dict[str, Any]]:
    """B1 as the core is now: warm runs, start-up split, agents created."""
    what = "one default run 2022-2030 (warm construct + 32 steps), ppa=200"
    goal = "median <= 0.5 s"
    raw = run_child("b1", {"repeats": s.repeats}, s.timeout_s)
    if "error" in raw:
        return failed("B1", what, goal, raw), raw
    runs = raw["runs"]
    total = [r["total_s"] for r in runs]
    rows = [Row("B1", what, spread(total), goal, yes_no(summary(total)["median"] <= 0.5))]
    cpu = spread([r["total_cpu_s"] for r in runs], "s CPU")
    rows[0].notes.append(f"same runs in CPU time of the process: {cpu}; {load_note(raw)}")
    rows.append(
        Row(
            "B1.c",
            "  start-up: warm construction (clone + Mesa agents)",
            spread([r["construct_s"] for r in runs], digits=3),
        )
    )
    rows.append(Row("B1.s", "  stepping: 32 quarters", spread([r["step_s"] for r in runs])))
    rows.append(
        Row(
            "B1.0",
            "  once per process: imports / config / cold construction",
            f"{raw['import_s']:.2f} / {raw['config_s']:.2f} / {raw['cold_construct_s']:.2f} s",
        )
    )
    talent = np.median([r["talent_rows"] for r in runs])
    firms = np.median([r["firm_rows"] for r in runs])
    created = np.median([r["mesa_agents_created"] for r in runs])
    rows.append(
        Row(
            "B1.a",
            "  Mesa agents created per run (talent rows / firm rows)",
            f"{created:,.0f} ({talent:,.0f} / {firms:,.0f})",
        )
    )
    return rows, raw


# ---------------------------------------------------------------------------------------------
# B2: default ensemble


def bench_b2(s: Settings) -> tuple[list[Row], dict[str, Any]]:
    """B2: wall time of ``run_ensemble`` on all cores (scaled to 100 replicates in quick mode)."""
    n = s.ensemble_replicates
    what = f"default ensemble, {n} replicates, all cores (run_ensemble)"
    goal = "<= 30 s wall (100 replicates)"
    params = {"replicates": n, "repeats": s.ensemble_repeats, "serial": s.ensemble_serial}
    raw = run_child("b2", params, s.timeout_s)
    if "error" in raw:
        return failed("B2", what, goal, raw), raw
    walls = raw["walls"]
    wall100 = summary(walls)["median"] * 100 / n
    measured = spread(walls)
    if n != 100:
        measured += f"; scaled to 100: {wall100:.1f} s"
    row = Row("B2", what, measured, goal, yes_no(wall100 <= 30.0))
    row.notes.append(f"{raw['workers']} worker processes on {raw['cores']} cores; {load_note(raw)}")
    per_rep = summary(walls)["median"] * raw["workers"] / n
    rows = [
        row,
        Row(
            "B2.r", "  per replicate in the pool (wall x workers / replicates)", f"{per_rep:.2f} s"
        ),
        Row(
            "B2.s",
            "  one replicate alone (run_replicate, no pool, posterior draw)",
            spread(raw["serial_replicate_s"]),
        ),
    ]
    return rows, raw


# ---------------------------------------------------------------------------------------------
# B3: full scale


def bench_b3(s: Settings) -> tuple[list[Row], dict[str, Any]]:
    """B3: one full-scale run (one person per talent agent): time, peak RSS, bytes per person."""
    what = "full scale: 1 person per talent agent, one run"
    goal = "<= 30 s, peak RSS <= 4 GB"
    if s.quick:
        return [Row("B3", what, "skipped in --quick (takes minutes)", goal, "n/a")], {}
    raw = run_child("b3", {}, s.timeout_s)
    if "error" in raw:
        return failed("B3", what, goal, raw), raw
    rows = b3_rows("B3", what, goal, raw)
    whatif = run_child("b3", {"variant": "no_mesa_agents"}, s.timeout_s)
    label = "  what-if: no per-row Mesa agents (rules on arrays only)"
    if "error" in whatif:
        rows += failed("B3.w", label, goal, whatif)
    else:
        rows += b3_rows("B3.w", label, goal, whatif)[::2]  # time/RSS and bytes per person
    return rows, {**raw, "whatif": whatif}


def b3_rows(case: str, what: str, goal: str, raw: dict[str, Any]) -> list[Row]:
    """Time and peak RSS, persons, and memory per talent person of one full-scale run."""
    peak = raw["peak_rss_bytes"]
    time_ok, mem_ok = raw["total_s"] <= 30.0, peak <= 4 * GB
    measured = (
        f"{raw['total_s']:.1f} s (construct {raw['construct_s']:.1f} + step "
        f"{raw['step_s']:.1f}); peak RSS {peak / GB:.2f} GB"
    )
    row = Row(case, what, measured, goal, yes_no(time_ok and mem_ok))
    row.notes.append(
        f"time {'met' if time_ok else 'missed'}, memory {'met' if mem_ok else 'missed'}; "
        + load_note(raw)
    )
    persons0, persons1 = raw["talent_persons_start"], raw["talent_persons_end"]
    built = (raw["rss_built_bytes"] - raw["rss_before_bytes"]) / persons0
    return [
        row,
        Row(
            f"{case}.p",
            "  talent persons (= agents) start -> end; Mesa agents created",
            f"{persons0:,} -> {persons1:,}; {raw['mesa_agents_created']:,}",
        ),
        Row(
            f"{case}.m",
            "  bytes per talent person",
            f"{peak / raw['talent_agents_peak']:.0f} B (peak RSS / peak persons); "
            f"{built:.0f} B (RSS growth of construction / persons); "
            f"arrays {raw['talent_row_bytes']} B per row",
        ),
    ]


# ---------------------------------------------------------------------------------------------
# B4: scaling


def bench_b4(s: Settings) -> tuple[list[Row], dict[str, Any]]:
    """B4: firms and talent x2 and x4; time ratios per doubling, measured side by side."""
    factors = list(s.scale_factors)
    what = "scaling: firms and talent x2, x4 (interleaved runs)"
    goal = "<= 2.2x per doubling"
    raw = run_child("b4", {"factors": factors, "repeats": s.scale_repeats}, s.timeout_s)
    if "error" in raw:
        return failed("B4", what, goal, raw), raw
    med = {int(k): summary([r["total_s"] for r in v])["median"] for k, v in raw["runs"].items()}
    rows = []
    for lo, hi in zip(factors, factors[1:], strict=False):
        ratio = med[hi] / med[lo]
        label = f"B4 x{hi}/x{lo}"
        rows.append(
            Row(label, f"  time x{hi} / time x{lo}", f"{ratio:.2f}x", goal, yes_no(ratio <= 2.2))
        )
    detail = ", ".join(
        f"x{k}: {spread([r['total_s'] for r in raw['runs'][str(k)]])}" for k in factors
    )
    agents = ", ".join(
        f"x{k}: {np.median([r['mesa_agents_created'] for r in raw['runs'][str(k)]]):,.0f}"
        for k in factors
    )
    rows.insert(0, Row("B4", what, detail))
    rows.append(Row("B4.a", "  Mesa agents created per run", agents))
    return rows, raw


# ---------------------------------------------------------------------------------------------
# B5: per-agent reference vs vectorised


def ks_and_means(ref: list[float], vec: list[float]) -> tuple[float, float]:
    """Two-sample KS p-value and relative difference of means (reference vs vectorised)."""
    p = float(stats.ks_2samp(ref, vec).pvalue)
    return p, float(np.mean(ref) / np.mean(vec) - 1.0)


def bench_b5(s: Settings) -> tuple[list[Row], dict[str, Any]]:
    """B5: Mesa ``shuffle_do`` reference against the vectorised rules, same rules and base."""
    params = {
        "people_per_agent": s.reference_people_per_agent,
        "quarters": s.reference_quarters,
        "seeds": s.reference_seeds,
    }
    what = (
        f"per-agent Mesa reference vs vectorised rules, {s.reference_quarters} quarters, "
        f"{s.reference_seeds} seeds each"
    )
    goal = "vectorised >= 30x faster per agent-step"
    raw = run_child("b5", params, s.timeout_s)
    if "error" in raw:
        return failed("B5", what, goal, raw), raw
    per = {
        name: [r["step_s"] / r["agent_steps"] * 1e6 for r in raw[name]]
        for name in ("reference", "vectorised")
    }
    ratio = summary(per["reference"])["median"] / summary(per["vectorised"])["median"]
    ref_s = spread([r["step_s"] for r in raw["reference"]])
    rows = [
        Row("B5", what, f"{ratio:.0f}x per agent-step", goal, yes_no(ratio >= 30)),
        Row(
            "B5.t",
            "  us per agent-step: reference / vectorised",
            f"{spread(per['reference'], 'us')} / {spread(per['vectorised'], 'us', 3)}",
        ),
        Row(
            "B5.n",
            "  size: firms + talent agents at start; reference run time",
            f"{raw['firms']:,} + {raw['talent_agents']:,}; {ref_s}",
        ),
    ]
    rows.append(kpi_row(raw))
    return rows, raw


def kpi_row(raw: dict[str, Any]) -> Row:
    """KS p-value and relative difference of means for each compared KPI."""
    parts, ok = [], True
    for kpi in ("rd_real", "revenue", "firms", "talent"):
        ref = [r["kpis"][kpi] for r in raw["reference"]]
        vec = [r["kpis"][kpi] for r in raw["vectorised"]]
        p, diff = ks_and_means(ref, vec)
        sd = float(np.std(vec, ddof=1) / np.mean(vec)) if len(vec) > 1 else float("nan")
        ok = ok and p >= 0.05
        parts.append(f"{kpi}: p={p:.2f}, d={diff:+.2%} (cv {sd:.2%})")
    row = Row(
        "B5.k",
        "  KPIs at the end: KS p-value, rel. diff of means (ref/vec - 1)",
        "; ".join(parts),
        "identical in distribution (KS p >= 0.05)",
        yes_no(ok),
    )
    return row


# ---------------------------------------------------------------------------------------------
# Supplementary: Mesa agent cost, profile


def bench_mesa_cost(s: Settings) -> tuple[list[Row], dict[str, Any]]:
    """Cost of one Mesa row agent (what the core pays per talent group and firm)."""
    raw = run_child("mesa_cost", {"agents": s.mesa_cost_agents}, s.timeout_s)
    what = f"Mesa row agent: create / remove / memory ({s.mesa_cost_agents:,} Talent agents)"
    if "error" in raw:
        return failed("M", what, "-", raw), raw
    measured = (
        f"{raw['create_us']:.2f} us / {raw['remove_us']:.2f} us / "
        f"{raw['bytes_per_agent']:.0f} B per agent (arrays: {raw['array_bytes_per_row']} B per row)"
    )
    return [Row("M", what, measured)], raw


def bench_profile(s: Settings) -> tuple[list[Row], dict[str, Any]]:
    """pyinstrument profile of default runs (printed after the table)."""
    raw = run_child("profile", {"runs": s.profile_runs, "top": 14}, s.timeout_s)
    if "error" in raw:
        return failed("P", "profile of B1", "-", raw), raw
    top = raw["inclusive"][0]
    return [Row("P", "profile of B1 (see below)", f"top: {top[0]} {top[2]:.0%}")], raw


CASES = {
    "B1": bench_b1,
    "B2": bench_b2,
    "B3": bench_b3,
    "B4": bench_b4,
    "B5": bench_b5,
    "M": bench_mesa_cost,
}
"""Cases run by default, in order (``--profile`` adds ``P``)."""
