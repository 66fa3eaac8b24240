"""Twin experiment that chooses the calibration method: ``python -m scenarios.twin [--quick]``.

A known "true" parameter point generates synthetic observations with the real model for the
Changsha observation pattern (the KPIs and years of the 2017-2025 record, with its exact values,
one-sided statements such as "more than 8,500" and its confidence levels). Each method then
calibrates from the same prior box, and is scored per parameter: does the truth lie in the 90 %
posterior interval, how wide is the posterior (sd relative to the prior sd), and how far is the
posterior median from the truth (share of the prior range).

Methods:
* ``emulator``: :mod:`scenarios.emulation` (Gaussian-process history matching, scikit-learn);
* ``abc_smc``: ABC-SMC from pyabc (optional: not a project dependency; skipped when missing);
* ``baseline``: the hand-written history matching of :mod:`scenarios.calibrate`
  (``history_match`` + ``plausible_set``), which cannot use one-sided observations.

``--quick`` runs a tiny emulator-only version (3 parameters, 2017-2022) for the tests.
Results go to ``--out`` (default ``outputs/twin``): ``twin_parameters.csv`` (per truth, method
and parameter), ``twin_methods.csv`` (per truth and method), each method's posterior and the
emulator's diagnostics and plots (``emulator_truth<N>/``).
"""

from __future__ import annotations

import argparse
import logging
import math
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import qmc

from scenarios import emulation
from scenarios.calibrate import _simulate_one, history_config, prior_box, simulate
from sim.compose import load_config
from sim.config import SimConfig
from sim.likelihood import OBSERVATION_SD
from sim.posterior import with_params

log = logging.getLogger("scenarios.twin")
B = "region.behaviour."
FREE = [
    B + "statuses.hte_application_rate",
    B + "statuses.hte_loss_rate",
    B + "statuses.hte_reach_share",
    B + "statuses.tech_sme_registration_rate",
    B + "statuses.tech_sme_campaign_effect",
    B + "statuses.listing_rate",
    B + "statuses.little_giant_city_share",
    B + "entry.startups_per_10k_talent",
    B + "entry.startup_tech_sme_share",
    B + "platforms.platform_formation_rate",
    B + "platforms.platform_closure_rate",
    B + "rd_centres.centre_award_elasticity",
    B + "labour.rd_participation_response",
    B + "university.transfer_market_growth",
    B + "clusters.cluster_win_rate",
]
"""Free parameters of the full twin (the target-critical behaviour of statuses, entry, ...)."""
QUICK_FREE = [
    B + "statuses.hte_application_rate",
    B + "statuses.tech_sme_registration_rate",
    B + "statuses.listing_rate",
]

# The Changsha record 2018-2025 (conf/region/changsha_observed_2017_2022.csv and
# shared/data/changsha/observed_2023_2025.csv): KPI, year, kind, confidence.
# ">" statements are lower bounds; GDP is an input (observed path) and is left out.
PATTERN = [
    ("high_tech_enterprises", 2020, "exact", "high"),
    ("high_tech_enterprises", 2022, "exact", "medium"),
    ("high_tech_enterprises", 2023, "exact", "high"),
    ("high_tech_enterprises", 2025, "lower", "high"),
    ("new_high_tech_enterprises", 2023, "exact", "high"),
    ("tech_smes", 2020, "exact", "high"),
    ("tech_smes", 2025, "exact", "high"),
    ("listed", 2020, "exact", "medium"),
    ("listed", 2021, "exact", "high"),
    ("listed", 2022, "exact", "high"),
    ("listed", 2025, "exact", "medium"),
    ("little_giants", 2022, "exact", "medium"),
    ("little_giants", 2023, "exact", "medium"),
    ("little_giants", 2025, "exact", "medium"),
    ("rd_expenditure", 2020, "exact", "medium"),
    ("rd_expenditure", 2022, "exact", "medium"),
    ("rd_intensity", 2023, "exact", "high"),
    ("rd_intensity", 2024, "exact", "medium"),
    ("rd_intensity", 2025, "exact", "high"),
    ("tech_contract_turnover", 2019, "exact", "high"),
    ("tech_contract_turnover", 2020, "exact", "high"),
    ("tech_contract_turnover", 2022, "exact", "medium"),
    ("tech_contract_turnover", 2025, "exact", "high"),
    ("clusters", 2021, "exact", "high"),
    ("clusters", 2022, "exact", "high"),
    ("clusters", 2024, "exact", "medium"),
    ("clusters", 2025, "exact", "medium"),
    ("platforms", 2023, "lower", "medium"),
    ("platforms", 2024, "exact", "medium"),
    ("new_platforms", 2023, "exact", "high"),
    ("new_platforms", 2024, "exact", "medium"),
    ("rd_institutions", 2025, "exact", "high"),
    ("new_rd_institutions", 2024, "exact", "high"),
    ("new_rd_institutions", 2025, "exact", "high"),
    ("talent", 2023, "lower", "high"),
]
QUICK_PATTERN = [
    ("high_tech_enterprises", 2020, "exact", "high"),
    ("high_tech_enterprises", 2022, "exact", "medium"),
    ("tech_smes", 2020, "exact", "high"),
    ("tech_smes", 2022, "exact", "medium"),
    ("listed", 2020, "exact", "medium"),
    ("listed", 2022, "exact", "high"),
]
IDENTITY_KPIS = {"clusters"}
"""Small counts that can be 0: emulated on the identity scale, everything else on the log."""
DISCREPANCY = 0.10
"""Model-discrepancy sd per output (relative; absolute floor 0.5 on the identity scale)."""
LOWER_BOUND_SHARE = 0.95
"""A synthetic "more than X" statement puts X at this share of the true value (a round figure)."""
OBSERVED_SEED = 424242
"""Seed of the synthetic world (differs from every calibration seed)."""


@dataclass(frozen=True)
class Budget:
    """Simulation budget and settings of each method."""

    people_per_agent: int = 4000
    end_year: int = 2025
    replicates: int = 1
    emulator: emulation.Settings = emulation.Settings(
        waves=4, first_wave=200, wave_size=100, candidates=10000, posterior_size=1000
    )
    baseline_samples: int = 100
    baseline_waves: int = 3
    baseline_replicates: int = 2
    abc_population: int = 150
    abc_simulations: int = 1500
    noise: bool = False
    methods: tuple[str, ...] = ("emulator", "abc_smc", "baseline")


QUICK = Budget(
    end_year=2022,
    replicates=1,
    emulator=emulation.Settings(
        waves=2,
        first_wave=24,
        wave_size=16,
        candidates=3000,
        posterior_size=500,
        min_ess=50,
        is_steps=3,
    ),
    methods=("emulator",),
)


# ---------------------------------------------------------------------------------------------
# The synthetic world


def twin_config(free: list[str], budget: Budget, seed: int = 2017) -> SimConfig:
    """The replay config 2017 -> ``budget.end_year`` with the policy timeline."""
    return load_config(
        [
            f"calibration.free=[{','.join(free)}]",
            f"calibration.end_year={budget.end_year}",
            f"calibration.people_per_agent={budget.people_per_agent}",
            f"calibration.replicates={budget.replicates}",
            f"calibration.seed={seed}",
        ]
    )


def truths(cfg: SimConfig, free: list[str], count: int) -> list[np.ndarray]:
    """Truth 1: the current defaults pulled into the inner 90 % of each range; then random ones.

    The random truths lie in the inner 20-80 % of each range (seeded, reproducible).
    """
    low, high = prior_box(cfg, free)
    defaults = np.array([float(_get(cfg, n)) for n in free])
    first = np.clip(defaults, low + 0.05 * (high - low), high - 0.05 * (high - low))
    rng = np.random.default_rng(15)
    rest = [low + rng.uniform(0.2, 0.8, len(free)) * (high - low) for _ in range(count - 1)]
    return [first, *rest][:count]


def _get(cfg: SimConfig, name: str):
    obj = cfg
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def synthetic_observations(
    cfg: SimConfig, free: list[str], truth: np.ndarray, pattern: list[tuple], noise: bool = False
) -> pd.DataFrame:
    """One synthetic world at the truth, observed with the record's pattern.

    The world is one model run at the truth with a seed no calibration uses (so it differs
    from any calibration run by the model's own randomness). With ``noise`` the exact values
    also carry a multiplicative observation error with the record's sd (high 5 %, medium 10 %;
    clusters are counted without error). Lower bounds sit at ``LOWER_BOUND_SHARE`` of the
    true value.
    """
    frame = pd.DataFrame(pattern, columns=["kpi", "year", "kind", "confidence"])
    world = replace(cfg, calibration=replace(cfg.calibration, seed=OBSERVED_SEED, replicates=1))
    value = simulate(history_config(world), free, truth[None, :], frame, workers=1)[0, 0]
    rng = np.random.default_rng(OBSERVED_SEED)
    share = frame.confidence.map(OBSERVATION_SD).to_numpy()
    identity = frame.kpi.isin(IDENTITY_KPIS).to_numpy()
    error = rng.normal(0, share) if noise else np.zeros(len(frame))
    noisy = np.where(identity, value, value * np.exp(error))
    frame["true_value"] = value
    frame["value"] = np.where(frame.kind == "lower", LOWER_BOUND_SHARE * value, noisy)
    frame["share"] = share
    return frame


def engine_observations(frame: pd.DataFrame) -> emulation.Observations:
    """The synthetic observations as the emulator engine's censored intervals."""
    identity = frame.kpi.isin(IDENTITY_KPIS).to_numpy()
    v = frame.value.to_numpy(float)
    lower = (frame.kind == "lower").to_numpy()
    obs_sd = np.where(identity, np.maximum(frame.share * v, 0.5), frame.share)
    disc = np.where(identity, np.maximum(DISCREPANCY * v, 0.5), DISCREPANCY)
    return emulation.Observations(
        names=[f"{k}@{y}" for k, y in zip(frame.kpi, frame.year, strict=True)],
        low=v,
        high=np.where(lower, np.inf, v),
        obs_sd=obs_sd,
        disc_sd=disc,
        transform=["identity" if i else "log" for i in identity],
    )


# ---------------------------------------------------------------------------------------------
# Methods: each returns (posterior sets, simulations used)


def run_emulator(cfg, free, frame, budget, workers):
    """Emulator-based history matching (this project's engine)."""
    low, high = prior_box(cfg, free)
    base = history_config(cfg)
    counter = {"n": 0}

    def sim(points: np.ndarray) -> np.ndarray:
        out = simulate(base, free, points, frame[["kpi", "year"]], workers)
        counter["n"] += out.shape[0] * out.shape[1]
        return out

    settings = replace(budget.emulator, seed=cfg.calibration.seed)
    res = emulation.history_match(
        emulation.Prior(free, low, high), sim, engine_observations(frame), settings
    )
    return res.posterior, counter["n"], {"ess": res.ess, "result": res}


def run_baseline(cfg, free, frame, budget, workers):
    """``scenarios.calibrate.history_match`` + ``plausible_set`` (point observations only)."""
    exact = frame[frame.kind == "exact"]
    identity = exact.kpi.isin(IDENTITY_KPIS)
    obs = pd.DataFrame(
        {
            "kpi": exact.kpi,
            "year": exact.year,
            "value": exact.value,
            "sd": np.maximum(exact.share * exact.value.abs(), 0.5).where(~identity, 0.5),
        }
    ).reset_index(drop=True)
    cal = replace(
        cfg.calibration,
        replicates=budget.baseline_replicates,
        samples=budget.baseline_samples,
        waves=budget.baseline_waves,
    )
    points = legacy_history_match(replace(cfg, calibration=cal), obs, DISCREPANCY, workers)
    post = legacy_plausible_set(points, free, cal.posterior_size, minimum=10)
    sims = budget.baseline_samples * budget.baseline_waves * cal.replicates
    return post, sims, {"not_implausible": int(points.not_implausible.sum())}


# ---------------------------------------------------------------------------------------------
# The baseline arm: the hand-written history matching the project used before issue 15


def legacy_implausibility(
    sims: np.ndarray, obs: pd.DataFrame, discrepancy_share: float
) -> np.ndarray:
    """Implausibility of each point for each observation, shape (points, obs)."""
    mean = sims.mean(axis=1)
    var_sim = sims.var(axis=1, ddof=1) if sims.shape[1] > 1 else np.zeros_like(mean)
    value, sd = obs["value"].to_numpy(), obs["sd"].to_numpy()
    scale = np.sqrt(sd**2 + var_sim + (discrepancy_share * value) ** 2)
    return np.abs(mean - value) / scale


def legacy_history_match(
    cfg: SimConfig, obs: pd.DataFrame, discrepancy_share: float, workers: int = 0
) -> pd.DataFrame:
    """The project's calibration before issue 15 (the twin's baseline arm).

    Waves of Latin hypercubes over the box of the points not yet ruled out, implausibility
    ``|mean - obs| / sqrt(sd^2 + var_sim + (discrepancy_share * obs)^2)`` cut at 3 on the maximum;
    returns every point with its wave, max implausibility and distance.
    """
    cal = cfg.calibration
    names = list(cal.free)
    low, high = prior_box(cfg, names)
    base = history_config(cfg)
    frames = []
    lo, hi = low.copy(), high.copy()
    for wave in range(1, cal.waves + 1):
        sampler = qmc.LatinHypercube(d=len(names), seed=cal.seed + wave)
        points = qmc.scale(sampler.random(cal.samples), lo, hi)
        sims = simulate(base, names, points, obs, workers)
        imp = legacy_implausibility(sims, obs, discrepancy_share)
        frame = pd.DataFrame(points, columns=names)
        frame["wave"] = wave
        frame["max_implausibility"] = imp.max(axis=1)
        frame["distance"] = np.sqrt((imp**2).mean(axis=1))
        frames.append(frame)
        log.info(
            "wave %d: %d of %d points not implausible",
            wave,
            int((frame.max_implausibility <= cal.implausibility_cut).sum()),
            len(frame),
        )
        seen = pd.concat(frames, ignore_index=True)
        keep = seen[seen.max_implausibility <= cal.implausibility_cut]
        if len(keep) < 2:
            keep = seen.nsmallest(max(2, len(seen) // 10), "distance")
        span = keep[names].max() - keep[names].min()
        lo = np.maximum(low, (keep[names].min() - 0.1 * span).to_numpy())
        hi = np.minimum(high, (keep[names].max() + 0.1 * span).to_numpy())
    out = pd.concat(frames, ignore_index=True)
    out["not_implausible"] = out.max_implausibility <= cal.implausibility_cut
    return out.sort_values(
        ["not_implausible", "distance"], ascending=[False, True], ignore_index=True
    )


def legacy_plausible_set(
    points: pd.DataFrame, names: list[str], size: int, minimum: int
) -> pd.DataFrame:
    """The parameter sets kept for ensembles.

    The non-implausible points, closest first, up to ``size``; when there are fewer than
    ``minimum`` of them, the next-closest points fill the set up to ``minimum``.
    """
    ranked = points.sort_values(["not_implausible", "distance"], ascending=[False, True])
    n = max(min(int(points.not_implausible.sum()), size), min(minimum, len(points)))
    return ranked.head(n)[names].reset_index(drop=True)


def run_abc(cfg, free, frame, budget, workers):
    """ABC-SMC (pyabc): Euclidean distance of the standardised misfits, median epsilon."""
    import pyabc

    low, high = prior_box(cfg, free)
    base = history_config(cfg)
    obs = engine_observations(frame)
    lo, hi = obs.bounds()
    scale = np.sqrt(obs.obs_sd**2 + obs.disc_sd**2)
    keys = [f"p{j}" for j in range(len(free))]
    grid = frame[["kpi", "year"]].reset_index(drop=True)

    def model(par):
        x = np.array([par[k] for k in keys])
        seed = int(np.random.randint(0, 2**31 - 1))
        y = obs.apply(_simulate_one((with_params(base, free, x), seed, grid)))
        gap = np.maximum(np.maximum(lo - y, y - hi), 0.0) / scale
        return {"z": gap}

    def distance(a, b):
        return float(np.sqrt(np.sum((a["z"] - b["z"]) ** 2)))

    prior = pyabc.Distribution(
        **{
            k: pyabc.RV("uniform", lo_, hi_ - lo_)
            for k, lo_, hi_ in zip(keys, low, high, strict=True)
        }
    )
    np.random.seed(cfg.calibration.seed)
    abc = pyabc.ABCSMC(
        model,
        prior,
        distance,
        population_size=budget.abc_population,
        sampler=pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers),
    )
    with tempfile.TemporaryDirectory() as tmp:
        abc.new(f"sqlite:///{tmp}/abc.db", {"z": np.zeros(obs.size)})
        history = abc.run(max_total_nr_simulations=budget.abc_simulations)
        df, w = history.get_distribution()
        sims = int(history.total_nr_simulations)
        gens = int(history.max_t) + 1
    rng = np.random.default_rng(cfg.calibration.seed)
    idx = emulation.systematic_resample(np.asarray(w), 1000, rng)
    post = pd.DataFrame(df[keys].to_numpy()[idx], columns=free)
    return post, sims, {"generations": gens}


METHODS = {"emulator": run_emulator, "abc_smc": run_abc, "baseline": run_baseline}


# ---------------------------------------------------------------------------------------------
# Scoring


def score(posterior: pd.DataFrame, truth: np.ndarray, low, high) -> pd.DataFrame:
    """Per parameter: truth in the 90 % interval, sd / prior sd, |median - truth| / range."""
    x = posterior.to_numpy(float)
    q05, q50, q95 = np.quantile(x, [0.05, 0.5, 0.95], axis=0)
    span = high - low
    return pd.DataFrame(
        {
            "parameter": list(posterior.columns),
            "truth": truth,
            "q05": q05,
            "median": q50,
            "q95": q95,
            "in_90": (q05 <= truth) & (truth <= q95),
            "sd_ratio": x.std(axis=0, ddof=1) / (span / math.sqrt(12)),
            "median_error": np.abs(q50 - truth) / span,
        }
    )


def run(
    free: list[str],
    pattern: list[tuple],
    budget: Budget,
    n_truths: int,
    out: Path,
    workers: int,
    only: list[int] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The twin experiment: every truth (or those in ``only``), every method of the budget.

    Writes and returns the per-parameter and per-method tables.
    """
    cfg = twin_config(free, budget)
    low, high = prior_box(cfg, free)
    out.mkdir(parents=True, exist_ok=True)
    params, methods = [], []
    for t, truth in enumerate(truths(cfg, free, n_truths), start=1):
        if only and t not in only:
            continue
        frame = synthetic_observations(cfg, free, truth, pattern, budget.noise)
        frame.to_csv(out / f"observations_truth{t}.csv", index=False)
        for name in budget.methods:
            if name == "abc_smc" and not _has_pyabc():
                log.warning("pyabc is not installed: ABC-SMC skipped")
                continue
            start = time.perf_counter()
            post, sims, extra = METHODS[name](cfg, free, frame, budget, workers)
            wall = time.perf_counter() - start
            post.to_csv(out / f"posterior_truth{t}_{name}.csv", index=False)
            sc = score(post, truth, low, high).assign(truth_id=t, method=name)
            params.append(sc)
            row = {
                "truth_id": t,
                "method": name,
                "simulations": sims,
                "wall_s": round(wall, 1),
                "coverage_90": float(sc.in_90.mean()),
                "mean_sd_ratio": float(sc.sd_ratio.mean()),
                "mean_median_error": float(sc.median_error.mean()),
                "posterior_sets": len(post),
            }
            if "result" in extra:  # diagnostics, marginals and pairs plots
                extra.pop("result").write(out / f"emulator_truth{t}")
            row.update(extra)
            methods.append(row)
            log.info("truth %d %s: %s", t, name, row)
            pd.concat(params).to_csv(out / "twin_parameters.csv", index=False)
            pd.DataFrame(methods).to_csv(out / "twin_methods.csv", index=False)
    return pd.concat(params, ignore_index=True), pd.DataFrame(methods)


def markdown(params: pd.DataFrame, methods: pd.DataFrame) -> str:
    """The two result tables as Markdown (per truth and method; per parameter and method)."""
    lines = [
        "| truth | method | simulations | wall time | truth in 90 % | mean sd / prior sd"
        " | mean median error / range |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in methods.itertuples():
        lines.append(
            f"| {r.truth_id} | {r.method} | {r.simulations} | {r.wall_s / 60:.1f} min"
            f" | {r.coverage_90:.0%} | {r.mean_sd_ratio:.2f} | {r.mean_median_error:.3f} |"
        )
    names = list(dict.fromkeys(methods.method))
    head = " | ".join(f"{m}: in 90 % / sd ratio / error" for m in names)
    lines += ["", f"| truth | parameter | {head} |", "|---|---|" + "---|" * len(names)]
    for (t, p), g in params.groupby(["truth_id", "parameter"], sort=False):
        cells = []
        for m in names:
            row = g[g.method == m]
            if row.empty:
                cells.append("-")
                continue
            r = row.iloc[0]
            cells.append(
                f"{'yes' if r.in_90 else '**no**'} / {r.sd_ratio:.2f} / {r.median_error:.3f}"
            )
        lines.append(f"| {t} | `{p.removeprefix(B)}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _has_pyabc() -> bool:
    try:
        import pyabc  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m scenarios.twin [--quick] [--truths N] [--out DIR]``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny emulator-only version (tests)")
    ap.add_argument("--truths", type=int, default=None, help="number of true points (default 3)")
    ap.add_argument("--methods", default=None, help="subset of " + ",".join(METHODS))
    ap.add_argument("--noise", action="store_true", help="add observation error to the data")
    ap.add_argument("--only", default=None, help="comma-separated truth ids to run (1-based)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("outputs/twin"))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("MESA").setLevel(logging.WARNING)
    budget = QUICK if args.quick else Budget()
    budget = replace(budget, noise=args.noise)
    if args.methods:
        unknown = sorted(set(args.methods.split(",")) - set(METHODS))
        if unknown:
            ap.error(f"--methods: {unknown} not in {list(METHODS)}")
        budget = replace(budget, methods=tuple(args.methods.split(",")))
    free, pattern = (QUICK_FREE, QUICK_PATTERN) if args.quick else (FREE, PATTERN)
    n_truths = args.truths or (1 if args.quick else 3)
    only = [int(t) for t in args.only.split(",")] if args.only else None
    params, methods = run(free, pattern, budget, n_truths, args.out, args.workers, only)
    pd.set_option("display.width", 200)
    print(methods.to_string(index=False))
    print(markdown(params, methods))


if __name__ == "__main__":
    main()
