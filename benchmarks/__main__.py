"""``python -m benchmarks``: performance and scale benchmarks B1-B5 of the simulator.

Usage::

    python -m benchmarks [--quick] [--repeats N] [--ensemble-repeats N] [--only B1,B3]
                         [--json out.json] [--profile]

Each case runs in a fresh subprocess so that its peak memory and start-up are its own. Timings
are wall-clock medians over repeats; ratios (B4, B5) are measured side by side in one process
with interleaved runs, so background load affects both sides alike. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from benchmarks.cases import CASES, Row, Settings, bench_profile
from benchmarks.measure import peak_rss_bytes
from benchmarks.profile import format_profile

COLUMNS = ("case", "what", "measured", "goal", "met")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, about a minute, no B3")
    ap.add_argument("--repeats", type=int, default=None, help="repeats of B1 (and B4, max 3)")
    ap.add_argument("--ensemble-repeats", type=int, default=None, help="repeats of B2 (default 1)")
    ap.add_argument("--only", default="", help="comma-separated cases, e.g. B1,B3 (also M, P)")
    ap.add_argument("--json", type=Path, default=None, help="write raw results to this file")
    ap.add_argument("--profile", action="store_true", help="add a pyinstrument profile of B1")
    return ap.parse_args(argv)


def selected(only: str, profile: bool) -> list[str]:
    """Case names to run, in table order."""
    names = list(CASES) + (["P"] if profile else [])
    if not only:
        return names
    wanted = [w.strip().upper() for w in only.split(",") if w.strip()]
    unknown = [w for w in wanted if w not in (*CASES, "P")]
    if unknown:
        raise SystemExit(f"unknown case(s) {unknown}; known: {[*CASES, 'P']}")
    return [n for n in [*CASES, "P"] if n in wanted]


def format_table(rows: list[Row], measured_width: int = 64) -> str:
    """Fixed-width table; long measurements wrap, notes go under their rows."""
    cells = [[getattr(r, c) for c in COLUMNS] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(COLUMNS)]
    widths[2] = min(widths[2], measured_width)
    out = ["  ".join(h.ljust(w) for h, w in zip(COLUMNS, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    for r, c in zip(rows, cells, strict=True):
        wrapped = textwrap.wrap(c[2], widths[2], break_on_hyphens=False) or [""]
        for i, part in enumerate(wrapped):
            line = [*c[:2], part, *c[3:]] if i == 0 else ["", "", part, "", ""]
            out.append("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())
        out += [" " * (widths[0] + 2) + f"note: {n}" for n in r.notes]
    return "\n".join(out)


def machine() -> dict[str, Any]:
    """Where the benchmark ran."""
    try:
        load = os.getloadavg()
    except OSError:
        load = (float("nan"),) * 3
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cores": os.cpu_count(),
        "loadavg_1_5_15": [round(x, 2) for x in load],
    }


def run(names: list[str], settings: Settings) -> tuple[list[Row], dict[str, Any]]:
    """Run the named cases one after another (never in parallel) and collect rows and raw data."""
    rows: list[Row] = []
    raw: dict[str, Any] = {}
    for name in names:
        start = time.perf_counter()
        print(f"[benchmarks] {name} ...", file=sys.stderr, flush=True)
        fn = bench_profile if name == "P" else CASES[name]
        case_rows, raw[name] = fn(settings)
        rows += case_rows
        print(
            f"[benchmarks] {name} done in {time.perf_counter() - start:.0f} s",
            file=sys.stderr,
            flush=True,
        )
    return rows, raw


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print the table; returns 0 (goals missed are reported, not errors)."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    settings = Settings.make(args.quick, args.repeats)
    if args.ensemble_repeats:
        settings.ensemble_repeats = args.ensemble_repeats
    names = selected(args.only, args.profile)
    info = machine()
    start = time.perf_counter()
    rows, raw = run(names, settings)
    elapsed = time.perf_counter() - start
    mode = "quick" if settings.quick else "full"
    print(
        f"\nBenchmarks ({mode}; {info['cores']} cores, load average at start "
        f"{info['loadavg_1_5_15'][0]}; wall-clock, noisy on a shared machine)\n"
    )
    print(format_table(rows))
    if "P" in raw and "error" not in raw["P"]:
        print("\n" + format_profile(raw["P"]))
    print(f"\nTotal {elapsed:.0f} s; driver peak RSS {peak_rss_bytes() / 2**20:.0f} MB.")
    if args.json:
        payload = {
            "machine": info,
            "settings": settings.__dict__,
            "rows": [r.as_dict() for r in rows],
            "raw": raw,
            "elapsed_s": elapsed,
        }
        args.json.write_text(json.dumps(payload, indent=1, default=str))
        print(f"Raw results written to {args.json}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
