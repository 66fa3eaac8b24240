"""Where the time of a default run goes: a pyinstrument profile summarised by function.

``python -m benchmarks.profile [RUNS]`` prints the summary; ``python -m benchmarks --profile``
adds it to the benchmark report.
"""

from __future__ import annotations

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


def profile_default_runs(runs: int, top: int = 12) -> dict[str, Any]:
    """Profile ``runs`` default runs (construction + stepping) after one untimed warm-up run."""
    import numpy as np
    from pyinstrument import Profiler

    from sim.compose import load_config
    from sim.model import InnovationModel

    cfg = load_config([])
    _run(InnovationModel, cfg, 10_000)  # builds the base-population cache, as a worker does
    profiler = Profiler(interval=0.001)
    profiler.start()
    for seed in np.random.SeedSequence(cfg.run.seed).spawn(runs):
        _run(InnovationModel, cfg, seed)
    session = profiler.stop()
    root = session.root_frame()
    out = summarise(root, top)
    out["cpu_s"] = session.cpu_time
    out["runs"] = runs
    return out


def _run(model_cls: Any, cfg: Any, seed: Any) -> None:
    import numpy as np

    model = model_cls(cfg, rng=np.random.default_rng(seed))
    while model.running:
        model.step()


def format_profile(prof: dict[str, Any]) -> str:
    """Plain-text tables of the profile summary."""
    lines = [
        f"Profile of {prof['runs']} default runs (warm construction + stepping): "
        f"{prof['total_s']:.2f} s wall, {prof['cpu_s']:.2f} s CPU",
        "  inclusive time (project and Mesa functions):",
    ]
    lines += [f"    {share:6.1%}  {s:7.3f} s  {k}" for k, s, share in prof["inclusive"]]
    lines.append("  self time (any function):")
    lines += [f"    {share:6.1%}  {s:7.3f} s  {k}" for k, s, share in prof["self"]]
    return "\n".join(lines)


if __name__ == "__main__":
    print(format_profile(profile_default_runs(int(sys.argv[1]) if len(sys.argv) > 1 else 3)))
