"""One benchmark case in a fresh interpreter: ``python -m benchmarks.child CASE PARAMS_JSON``.

Each case prints its raw measurements as one marked JSON line (``benchmarks.measure.emit``),
including the peak RSS of this process.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from benchmarks.measure import current_rss_bytes, emit

VARIANTS = ("as_is", "direct_init", "no_mesa_agents")
"""What-if variants of the core's Mesa-agent handling, patched into ``sim.model`` here only.

``direct_init`` creates each row agent with ``cls(model, row)`` instead of
``cls.create_agents`` (which also builds a throwaway AgentSet of the new agents);
``no_mesa_agents`` keeps the rules on the arrays and creates no per-row Mesa agents (nothing in
the rules reads them). Both leave every random draw and KPI unchanged.
"""


@contextmanager
def variant(name: str) -> Iterator[None]:
    """Patch ``sim.model``'s agent creation/removal for one what-if variant, then restore it."""
    import sim.model as sm

    saved = sm.create_row_agents
    if name == "direct_init":
        sm.create_row_agents = _create_direct
    elif name == "no_mesa_agents":
        sm.create_row_agents = lambda cls, model, rows: None
    try:
        yield
    finally:
        sm.create_row_agents = saved


def _create_direct(cls: Any, model: Any, rows: Any) -> None:
    for i in rows.tolist():
        cls(model, i)


def _model_imports() -> tuple[Any, Any, float]:
    """Import the model (Mesa, Hydra, pandas ...) and return its config loader and class."""
    start = time.perf_counter()
    from sim.compose import load_config
    from sim.model import InnovationModel

    return load_config, InnovationModel, time.perf_counter() - start


def replicate_rng(root: int, replicate: int) -> Any:
    """A fresh generator for replicate ``replicate`` (as ``SeedSequence(root).spawn(n)[r]``).

    A new SeedSequence every time: the model spawns its streams from the generator's seed
    sequence, which counts its children, so reusing one SeedSequence object gives other streams.
    """
    import numpy as np

    return np.random.default_rng(np.random.SeedSequence(root, spawn_key=(replicate,)))


def run_model(model_cls: Any, cfg: Any, replicate: int) -> dict[str, Any]:
    """Construct one model and step it to the horizon, timing both parts."""
    c0, t0 = time.process_time(), time.perf_counter()
    model = model_cls(cfg, rng=replicate_rng(cfg.run.seed, replicate))
    c1, t1 = time.process_time(), time.perf_counter()
    steps = 0
    while model.running:
        model.step()
        steps += 1
    c2, t2 = time.process_time(), time.perf_counter()
    return {
        "construct_s": t1 - t0,
        "step_s": t2 - t1,
        "total_s": t2 - t0,
        "construct_cpu_s": c1 - c0,
        "step_cpu_s": c2 - c1,
        "total_cpu_s": c2 - c0,
        "steps": steps,
        "firms_end": model.firms.count(),
        "talent_agents_end": model.talent.count(),
        "talent_rows": int(model.talent.n),
        "firm_rows": int(model.firms.n),
        "talent_persons_end": model.talent_stock(),
        "mesa_agents_created": int(model.agent_id_counter - 1),
        "kpi_sum": float(model.kpi_frame().to_numpy().sum()),
    }


def cold_construct(model_cls: Any, cfg: Any) -> float:
    """Seconds of a first construction, which also builds the cached base-year population."""
    import numpy as np

    t0 = time.perf_counter()
    model_cls(cfg, rng=np.random.default_rng(12345))
    return time.perf_counter() - t0


def case_b1(params: dict[str, Any]) -> dict[str, Any]:
    """One default run: a cold construction, then ``repeats`` warm runs with replicate seeds."""

    load_config, model_cls, import_s = _model_imports()
    t0 = time.perf_counter()
    cfg = load_config(params.get("overrides", []))
    config_s = time.perf_counter() - t0
    cold_s = cold_construct(model_cls, cfg)
    runs = [run_model(model_cls, cfg, r) for r in range(params["repeats"])]
    return {"import_s": import_s, "config_s": config_s, "cold_construct_s": cold_s, "runs": runs}


def case_whatif(params: dict[str, Any]) -> dict[str, Any]:
    """B1 as is and under each what-if variant, interleaved seed by seed, KPIs compared."""

    load_config, model_cls, _ = _model_imports()
    cfg = load_config(params.get("overrides", []))
    cold_construct(model_cls, cfg)
    runs: dict[str, list] = {v: [] for v in VARIANTS}
    for r in range(params["repeats"]):
        for name in VARIANTS:
            with variant(name):
                runs[name].append(run_model(model_cls, cfg, r))
    same = {
        v: all(a["kpi_sum"] == b["kpi_sum"] for a, b in zip(runs[v], runs["as_is"], strict=True))
        for v in VARIANTS
    }
    return {"runs": runs, "same_kpis": same}


def case_b2(params: dict[str, Any]) -> dict[str, Any]:
    """Default ensemble through ``run_ensemble`` (process pool over all cores), wall time."""
    import os

    load_config, _, import_s = _model_imports()
    from sim.ensemble import default_workers, run_ensemble

    n = params["replicates"]
    cfg = load_config([f"run.replicates={n}", *params.get("overrides", [])])
    walls = []
    for _ in range(params["repeats"]):
        start = time.perf_counter()
        result = run_ensemble(cfg, progress=False)
        walls.append(time.perf_counter() - start)
        if result.errors:
            return {"error": result.errors[0]}
    workers = default_workers(cfg.run.workers, n)
    serial = _serial_replicates(cfg, params.get("serial", 3))
    return {
        "walls": walls,
        "replicates": n,
        "workers": workers,
        "cores": os.cpu_count(),
        "serial_replicate_s": serial,
    }


def _serial_replicates(cfg: Any, n: int) -> list[float]:
    """Seconds of ``run_replicate`` in this process (no pool), after one warm-up replicate."""
    from sim.ensemble import run_replicate

    run_replicate(cfg, 0)  # builds this process's base-population cache
    out = []
    for r in range(1, n + 1):
        start = time.perf_counter()
        run_replicate(cfg, r)
        out.append(time.perf_counter() - start)
    return out


def case_b3(params: dict[str, Any]) -> dict[str, Any]:
    """Full scale (one person per talent agent), one run, with RSS before and after building."""
    import numpy as np

    load_config, model_cls, _ = _model_imports()
    cfg = load_config(["run.people_per_agent=1", *params.get("overrides", [])])
    rss_before = current_rss_bytes()
    with variant(params.get("variant", "as_is")):
        t0 = time.perf_counter()
        model = model_cls(cfg, rng=np.random.default_rng(params.get("seed", 0)))
        t1 = time.perf_counter()
        rss_built = current_rss_bytes()
        persons_start, agents_start = model.talent_stock(), model.talent.count()
        peak_agents = agents_start
        while model.running:
            model.step()
            peak_agents = max(peak_agents, model.talent.count())
        t2 = time.perf_counter()
    return {
        "construct_s": t1 - t0,
        "step_s": t2 - t1,
        "total_s": t2 - t0,
        "rss_before_bytes": rss_before,
        "rss_built_bytes": rss_built,
        "rss_end_bytes": current_rss_bytes(),
        "talent_persons_start": persons_start,
        "talent_agents_start": agents_start,
        "talent_persons_end": model.talent_stock(),
        "talent_agents_peak": peak_agents,
        "talent_rows": int(model.talent.n),
        "talent_row_bytes": _row_bytes(model.talent),
        "mesa_agents_created": int(model.agent_id_counter - 1),
    }


def _row_bytes(pop: Any) -> int:
    """Bytes of one row of a population's arrays (sum of column item sizes)."""
    return int(sum(arr.dtype.itemsize for arr in pop._data.values()))


def case_b4(params: dict[str, Any]) -> dict[str, Any]:
    """Scaled cities (firms and talent x factor), interleaved repeats in one process."""

    from benchmarks.scaling import scaled_config, use_scaled_data

    _, model_cls, _ = _model_imports()
    factors = params["factors"]
    use_scaled_data(factors)
    cfgs = {k: scaled_config(k, params.get("overrides", [])) for k in factors}
    cold = {k: cold_construct(model_cls, cfgs[k]) for k in factors}  # builds the caches
    runs: dict[int, list] = {k: [] for k in factors}
    for r in range(params["repeats"]):
        for k in factors:
            runs[k].append(run_model(model_cls, cfgs[k], r))
    return {"factors": factors, "cold_construct_s": cold, "runs": runs}


def case_b5(params: dict[str, Any]) -> dict[str, Any]:
    """Per-agent Mesa reference against the vectorised driver of the same rules, seed by seed."""
    from benchmarks.reference import ReferenceModel
    from benchmarks.subset import base_year
    from benchmarks.vectorised import VectorisedSubset

    base = base_year(params["people_per_agent"])
    out: dict[str, Any] = {"firms": base.firms.count(), "talent_agents": base.talent.count()}
    out["reference"], out["vectorised"] = [], []
    for s in range(params["seeds"]):  # interleaved, so background load hits both alike
        out["reference"].append(_subset_run(ReferenceModel, base, s, params["quarters"]))
        out["vectorised"].append(_subset_run(VectorisedSubset, base, 1000 + s, params["quarters"]))
    return out


def _subset_run(cls: Any, base: Any, seed: int, quarters: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    model = cls(base, seed)
    t1 = time.perf_counter()
    for _ in range(quarters):
        model.step()
    t2 = time.perf_counter()
    return {
        "construct_s": t1 - t0,
        "step_s": t2 - t1,
        "agent_steps": model.agent_steps,
        "kpis": model.kpis(),
    }


def case_mesa_cost(params: dict[str, Any]) -> dict[str, Any]:
    """Cost of one Mesa row agent: creation and removal time, and memory, per agent."""
    import mesa

    from agents.population import create_row_agents
    from agents.talent import Talent, TalentState

    n = params["agents"]
    model = mesa.Model(rng=0)
    model.talent = TalentState(capacity=n)
    rows = model.talent.append(n, tier=4, headcount=1)
    rss0 = current_rss_bytes()
    t0 = time.perf_counter()
    create_row_agents(Talent, model, rows)
    t1 = time.perf_counter()
    rss1 = current_rss_bytes()
    half = rows[: n // 2]
    model.talent.remove(half)  # rows exit; their Mesa agents leave the model
    t2 = time.perf_counter()
    return {
        "agents": n,
        "create_us": (t1 - t0) / n * 1e6,
        "remove_us": (t2 - t1) / len(half) * 1e6,
        "bytes_per_agent": (rss1 - rss0) / n,
        "array_bytes_per_row": _row_bytes(model.talent),
    }


def case_profile(params: dict[str, Any]) -> dict[str, Any]:
    """pyinstrument profile of default runs (warm construction and stepping)."""
    from benchmarks.profile import profile_default_runs

    return profile_default_runs(params["runs"], params.get("top", 12))


CASES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "b1": case_b1,
    "whatif": case_whatif,
    "b2": case_b2,
    "b3": case_b3,
    "b4": case_b4,
    "b5": case_b5,
    "mesa_cost": case_mesa_cost,
    "profile": case_profile,
}


def main(argv: list[str]) -> None:
    """Run the case named in ``argv[0]`` with the JSON parameters in ``argv[1]``."""
    case, params = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    emit(CASES[case](params))


if __name__ == "__main__":
    main(sys.argv[1:])
