"""Where the time of a default run goes: a pyinstrument profile summarised by function.

``python -m benchmarks.profile [--runs N] [--people-per-agent K] [--no-mesa-agents]`` prints
the summary; ``python -m benchmarks --profile`` adds the default-run profile to the report.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from typing import Any

PROJECT_DIRS = ("agents/", "sim/", "mesa/")
WRAPPERS = ("_wrapped_step", "_advance_time", "execute", "_execute_and_reschedule", "_do_step")
"""Mesa's scheduling wrappers around ``model.step`` (left out of the inclusive table)."""


def _key(frame: Any) -> str:
    path = frame.file_path_short or frame.file_path or "?"
    for marker in ("site-packages/", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path}:{frame.function} (line {frame.line_no})"


def _name(key: str) -> str:
    """Function name of a profile key ``path:function (line n)``."""
    return key.split(":", 1)[1].split(" ", 1)[0]


def _walk(frame: Any, inclusive: dict, own: dict, open_keys: tuple) -> None:
    """Accumulate inclusive time (outermost frame of each key only) and self time per key.

    pyinstrument's synthetic ``[self]`` frames are folded into the function that owns them.
    """
    if frame.is_synthetic:
        return
    key = _key(frame)
    if key not in open_keys:
        inclusive[key] += frame.time
    own[key] += frame.total_self_time
    for child in frame.children:
        _walk(child, inclusive, own, (*open_keys, key))


def summarise(root: Any, top: int) -> dict[str, Any]:
    """Top functions by inclusive and by self time, with their share of the profiled time."""
    inclusive: dict[str, float] = defaultdict(float)
    own: dict[str, float] = defaultdict(float)
    _walk(root, inclusive, own, ())
    total = root.time

    def rows(table: dict[str, float], project_only: bool) -> list[list]:
        items = [
            (k, v)
            for k, v in table.items()
            if not project_only
            or (k.startswith(PROJECT_DIRS) and _name(k) not in WRAPPERS and _name(k) != "step")
        ]
        items.sort(key=lambda kv: -kv[1])
        return [[k, v, v / total] for k, v in items[:top]]

    return {
        "total_s": total,
        "inclusive": rows(inclusive, project_only=True),
        "self": rows(own, project_only=False),
    }


def profile_default_runs(
    runs: int,
    top: int = 12,
    overrides: tuple[str, ...] = (),
    variant: str = "as_is",
    warm: bool = True,
) -> dict[str, Any]:
    """Profile ``runs`` runs (construction + stepping), by default after an untimed warm-up run.

    Args:
        runs: Profiled runs (replicate seeds 0, 1, ...).
        top: Rows per table.
        overrides: Hydra overrides, e.g. ``("run.people_per_agent=1",)``.
        variant: What-if variant of ``benchmarks.child`` (``as_is``, ``no_mesa_agents`` ...).
        warm: Run once before profiling, so the base-population cache is built (as in a worker).
    """
    from pyinstrument import Profiler

    from benchmarks.child import replicate_rng
    from benchmarks.child import variant as patched
    from sim.compose import load_config
    from sim.model import InnovationModel

    cfg = load_config(list(overrides))
    with patched(variant):
        if warm:
            _run(InnovationModel, cfg, replicate_rng(cfg.run.seed, 10_000))
        profiler = Profiler(interval=0.001)
        profiler.start()
        for r in range(runs):
            _run(InnovationModel, cfg, replicate_rng(cfg.run.seed, r))
        session = profiler.stop()
    out = summarise(session.root_frame(), top)
    out.update(cpu_s=session.cpu_time, runs=runs, overrides=list(overrides), variant=variant)
    return out


def _run(model_cls: Any, cfg: Any, rng: Any) -> None:
    model = model_cls(cfg, rng=rng)
    while model.running:
        model.step()


def format_profile(prof: dict[str, Any]) -> str:
    """Plain-text tables of the profile summary."""
    setting = " ".join([*prof.get("overrides", []), prof.get("variant", "as_is")])
    lines = [
        f"Profile of {prof['runs']} runs ({setting}; construction + stepping): "
        f"{prof['total_s']:.2f} s wall, {prof['cpu_s']:.2f} s CPU",
        "  inclusive time (project and Mesa functions):",
    ]
    lines += [f"    {share:6.1%}  {s:7.3f} s  {k}" for k, s, share in prof["inclusive"]]
    lines.append("  self time (any function):")
    lines += [f"    {share:6.1%}  {s:7.3f} s  {k}" for k, s, share in prof["self"]]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    """``python -m benchmarks.profile [--runs N] [--people-per-agent K] [--no-mesa-agents]``."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.profile")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--people-per-agent", type=int, default=None)
    ap.add_argument("--no-mesa-agents", action="store_true", help="what-if: arrays only")
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args(argv)
    overrides = (f"run.people_per_agent={args.people_per_agent}",) if args.people_per_agent else ()
    variant = "no_mesa_agents" if args.no_mesa_agents else "as_is"
    warm = args.people_per_agent is None or args.people_per_agent >= 50  # full scale: no warm-up
    print(format_profile(profile_default_runs(args.runs, args.top, overrides, variant, warm)))


if __name__ == "__main__":
    main(sys.argv[1:])
