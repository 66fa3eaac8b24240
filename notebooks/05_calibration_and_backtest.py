# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 Calibration and back-test: can we trust the parameters?
#
# **Question.** About thirty behavioural parameters (how often firms apply for high-tech status,
# how often they list, how fast the technology market grows, ...) cannot be looked up. How are
# they estimated from what Changsha reported since 2017, how well does the calibrated model
# reproduce those years, and how well did it forecast years it had not seen?
#
# The method is **Bayesian history matching with emulators** (Craig et al. 1997; Vernon et al.
# 2010; Andrianakis et al. 2015), followed by a posterior sample:
#
# 1. run the model over a space-filling design of the parameters' prior box and replay history
#    from 2017 under the region's policy timeline;
# 2. fit a cheap statistical stand-in for the model, an **emulator** (one Gaussian process per
#    observation), to those runs;
# 3. use the emulators to **rule out** every part of the box where the simulated value is
#    implausibly far from an observation; run the next wave inside what remains;
# 4. in the final non-implausible region, sample the **posterior** with the censored-Gaussian
#    likelihood of the observations (sequential Monte Carlo on the emulator, no further runs).
#
# `docs/calibration/twin_experiment.md` explains why this method was chosen (it recovered known
# parameters of a synthetic twin better than ABC-SMC and the earlier, emulator-free matching).
# The full calibration (`python -m scenarios.calibrate`) is too slow for a notebook; this notebook
# (1) shows what is observed and what is free, (2) runs the method in miniature on two
# parameters, (3) reads the stored report of the full run and (4) reads the track record of
# rolling-origin back-tests.

# %%
import json
import logging
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Image, display

import sim
from scenarios import emulation
from scenarios.calibrate import (
    fit_table,
    history_config,
    load_observations,
    plot_fit,
    prior_box,
    prior_predictive,
    series_errors,
    simulate,
)
from scenarios.validate import (
    ORIGIN_COLOURS,
    SCORECARD_COLUMNS,
    draw_observed,
    observations_at,
    observed_file,
)
from sim.compose import load_config
from sim.likelihood import observation_table
from sim.observations import load_observed
from sim.posterior import load_posterior
from sim.rundir import model_version

# %matplotlib inline

INLINE = matplotlib.get_backend()  # the report functions switch to Agg; we switch back
logging.getLogger("MESA").setLevel(logging.WARNING)
OUT = Path(tempfile.mkdtemp(prefix="nb05_"))
DOCS = Path(sim.__file__).resolve().parent.parent / "docs"
REPORT, TRACK = DOCS / "calibration", DOCS / "validation"
# Each `simulate` call starts a fresh pool of worker processes, which costs seconds; for the few
# dozen half-second replays of this notebook one process is faster. The full calibration uses
# `run.workers` processes.
WORKERS = 1


def show_png(path: Path, width: int = 900) -> None:
    """Show a PNG written by the report functions (they draw with the Agg backend)."""
    plt.switch_backend(INLINE)
    display(Image(filename=str(path), width=width))


def truthy(column: pd.Series) -> pd.Series:
    """A boolean column as read back from a CSV (True/False, possibly as text)."""
    return column.astype(str).str.lower().eq("true")


def stored_csv(folder: Path, name: str, needs: tuple = ()) -> pd.DataFrame | None:
    """A stored report table, or None (with a note) when it is missing or in an older layout."""
    path = folder / name
    where = path.relative_to(DOCS.parent) if path.is_relative_to(DOCS.parent) else path
    if not path.exists():
        print(f"{where}: not there")
        return None
    frame = pd.read_csv(path)
    missing = [c for c in needs if c not in frame.columns]
    if missing:
        print(f"{where}: older layout (no {', '.join(missing)}), not used")
        return None
    return frame


# %% [markdown]
# ## 1. What is observed, what is free
#
# **Observations.** The region's observed file (`conf/region/changsha_observed.csv`, one row per
# published figure with its source, read by `sim.observations.load_observed`) turns each
# published text into an interval `[low, high]` of one of four **kinds**: *exact* ("4,142",
# `low = high`), *range* ("130-239", or "about 6,400" = +-5 %), *lower* bound ("more than 8,500",
# `high = +inf`) and *upper* bound ("under 35", `low = -inf`). `load_observations` keeps those of
# `calibration.kpis` between `calibration.base_year` (2017, excluded) and `calibration.end_year`.
# GDP is an input of the model and is never fitted.
#
# **Observation model** (`sim.likelihood.observation_table`). Each observation is compared on a
# scale $z$: the log for most KPIs (`transform = log`), the raw value for small counts and growth
# rates (`identity`: clusters, big science, R&D growth). The reported figure is the simulated one
# plus two errors,
#
# $$ z(y^{\rm obs}_j) = z\big(f_j(x)\big) + \varepsilon^{\rm obs}_j + \varepsilon^{\rm disc}_j,
#    \qquad \varepsilon^{\rm obs}_j \sim N(0, \sigma^2_{{\rm obs},j}),\quad
#    \varepsilon^{\rm disc}_j \sim N(0, \sigma^2_{{\rm disc},j}), $$
#
# where $f_j(x)$ is the model's value at parameters $x$, `obs_sd` $\sigma_{\rm obs}$ comes from the
# source's confidence (high 5 %, medium 10 %, low 20 %; on the log scale a relative error) and
# `disc_sd` $\sigma_{\rm disc}$ is the **model discrepancy** of the series
# (`calibration.discrepancy`): what the model cannot reproduce even at the right parameters
# (Kennedy & O'Hagan 2001).

# %%
cfg = load_config(["calibration=quick"])  # the small settings; the full run uses the default
cal = cfg.calibration
obs = load_observations(cal)
table = observation_table(obs, cal.discrepancy)
print(f"{len(obs)} observations of {obs.kpi.nunique()} KPIs, {cal.base_year + 1}-{cal.end_year}")
pd.crosstab(obs.kpi, obs.kind, margins=True, margins_name="all")

# %% [markdown]
# The first rows of the observation table (what the calibration uses). A range or a bound is not
# thrown away: it enters the likelihood as a **censored** observation (`censored_log_likelihood`).
# With $\mu_j$ the simulated value on the $z$ scale, $s_j$ the total standard deviation and
# $\Phi$, $\varphi$ the standard normal distribution and density, observation $j$ contributes
#
# | kind | likelihood $L_j$ |
# |---|---|
# | exact $a$ | $\varphi\big((a - \mu_j)/s_j\big) / s_j$ |
# | range $[a, b]$ | $\Phi\big((b - \mu_j)/s_j\big) - \Phi\big((a - \mu_j)/s_j\big)$ |
# | lower bound $a$ | $1 - \Phi\big((a - \mu_j)/s_j\big)$ |
# | upper bound $b$ | $\Phi\big((b - \mu_j)/s_j\big)$ |
#
# and the observations are taken as independent: $L(x) = \prod_j L_j(x)$.

# %%
cols = ["name", "kind", "low", "high", "confidence", "transform", "obs_sd", "disc_sd"]
table[cols].head(12)

# %% [markdown]
# **Free parameters.** `calibration.free` lists the parameters the calibration estimates. Their
# **prior** is uniform over a box: each parameter's plausible range, declared beside its rule in
# `agents/*.py` (`param(low=..., high=...)`) and read by `prior_box`. Everything not free stays at
# its configured value.
#
# The region used by default, `changsha_calibrated`, holds the installed calibration: a point
# estimate per parameter (the config values) and a posterior file of parameter sets
# (`region.posterior_file`); every ensemble draws one set per replicate.

# %%
names = list(load_config([]).calibration.free)  # the full calibration's (quick fits eight)
low, high = prior_box(cfg, names)
posterior = load_posterior(cfg.region.posterior_file)


def value_of(config, name):
    """The value of a dotted config field, e.g. ``region.behaviour.statuses.listing_rate``."""
    for part in name.split("."):
        config = getattr(config, part)
    return config


in_post = [n in posterior.columns for n in names]
free = pd.DataFrame(
    {
        "prior low": low,
        "prior high": high,
        "config value": [value_of(cfg, n) for n in names],
        "posterior p05": [posterior[n].quantile(0.05) if n in posterior else np.nan for n in names],
        "posterior p95": [posterior[n].quantile(0.95) if n in posterior else np.nan for n in names],
    },
    index=[n.removeprefix("region.behaviour.") for n in names],
)
print(
    f"{len(names)} free parameters; installed posterior {cfg.region.posterior_file}: "
    f"{len(posterior)} sets of {posterior.shape[1]} parameters, "
    f"{sum(in_post)} of them in calibration.free"
)
if not all(in_post):
    print(
        f"{len(names) - sum(in_post)} free parameters are not in the installed posterior (NaN "
        "below): it was written by an earlier calibration, and ensembles keep them at their "
        "config value until the calibration is re-run with calibration.install=true."
    )
free.round(4)

# %% [markdown]
# ## 2. History matching in miniature
#
# Two parameters, the yearly probability that an eligible firm **applies** for high-tech
# status and the yearly probability that a certified firm **loses** it, against the
# observations they drive most directly: the stock of high-tech enterprises (an exact value, a
# range and a lower bound) and the number newly certified in 2023. The stock fixes roughly
# "applications minus losses"; the new certifications separate the two. All other parameters stay
# at their config values, so the region found here is conditional on them.
#
# `history_config` turns the config into the replay: base year 2017 (its data file, with the
# base-state uncertainty of that year's ranges), the region's **policy timeline** (the policy
# changes the statistics saw), no assimilation, `calibration.people_per_agent` persons per talent
# agent (8,000 in the quick settings). `simulate(config, names, points, observations)` runs one
# replay per point and seed and returns the simulated value of every observation, shape
# (points, seeds, observations).

# %%
pair = ["region.behaviour.statuses.hte_application_rate", "region.behaviour.statuses.hte_loss_rate"]
short = [n.rsplit(".", 1)[1] for n in pair]
mini = table[table.kpi.isin(["high_tech_enterprises", "new_high_tech_enterprises"])]
mini = mini.reset_index(drop=True)
replay = history_config(cfg)
print(
    f"replay {replay.region.base_year} ({replay.region.data_file}) -> {replay.run.horizon}, "
    f"policy={replay.run.policy}, {replay.run.people_per_agent} persons per agent"
)
for step in replay.region.policy_timeline:
    print("  policy timeline:", step.label)
mini[["name", "kind", "low", "high", "obs_sd", "disc_sd"]]

# %% [markdown]
# **Emulators.** After each wave, `emulation.Emulator.fit` fits one Gaussian process per
# observation to the runs so far (inputs scaled to the unit square, outputs on the $z$ scale and
# standardised; a linear trend plus a Matern-5/2 kernel with one length scale per input and a
# white-noise term for the run-to-run noise of the model). It predicts, at any $x$, a mean
# $\mu_j(x)$ and a variance $v_j(x)$ (how unsure the emulator is there), thousands of points at a
# time, where the model needs a replay per point.
#
# **Implausibility** (`emulation.implausibility`) of $x$ for observation $j$ with observed
# interval $[a_j, b_j]$ on the $z$ scale ($a_j = b_j$ for an exact value):
#
# $$ I_j(x) = \frac{\max\big(a_j - \mu_j(x),\ \mu_j(x) - b_j,\ 0\big)}
#    {\sqrt{v_j(x) + \sigma^2_{{\rm sim},j} + \sigma^2_{{\rm obs},j} + \sigma^2_{{\rm disc},j}}}. $$
#
# $\sigma^2_{\rm sim}$ is the variance of one model run around its mean. A point is **ruled out**
# when its largest $I_j$ exceeds 3 (Pukelsheim's three-sigma rule; the full calibration cuts on
# the second largest, `calibration.implausibility_rank`, which tolerates one badly emulated
# output among dozens). The rest is the *not ruled out yet* (NROY) region; the next wave runs
# there. Because the emulator variance is in the denominator, space is only ruled out where the
# emulator is sure.
#
# **Posterior.** With the uniform prior restricted to the NROY region,
# $p(x \mid y) \propto \mathbf{1}_{\rm NROY}(x) \prod_j L_j(x)$, where $L_j$ is the censored
# likelihood above with $\mu_j(x)$ from the last emulator and
#
# $$ s_j^2 = v_j(x) + \sigma^2_{{\rm sim},j} + \sigma^2_{{\rm obs},j}
#    + \lambda^2 \sigma^2_{{\rm disc},j}. $$
#
# The factor $\lambda \ge 1$ (`discrepancy_scale`) widens the discrepancy until the best run's
# mean squared standardised distance from the observations is 1 (it stays 1 when that run already
# fits). Tempered sequential Monte Carlo samples the posterior without further runs: particles
# start on the NROY candidates ($\beta = 0$) and move through $\mathbf{1}_{\rm NROY} L^\beta$ as
# $\beta$ rises to 1.
#
# Here: 2 waves (16 Latin-hypercube points, then 8 from the NROY region), one seed per point,
# 200 particles. The full calibration's sizes are printed below.

# %%
prior = emulation.Prior(pair, *prior_box(cfg, pair))
mini_obs = emulation.Observations.from_frame(mini)
settings = emulation.Settings(
    waves=2,
    first_wave=16,
    wave_size=8,
    candidates=2000,
    posterior_size=200,
    particles=200,
    mh_steps=4,
    min_ess=50,
    seed=cal.seed,
)


def run(points):
    """The simulator the engine calls: (n, 2) parameter points -> (n, seeds, observations)."""
    return simulate(replay, pair, points, mini, workers=WORKERS)


start = time.perf_counter()
result = emulation.history_match(prior, run, mini_obs, settings)
print(
    f"{result.simulations} replays, emulators and posterior in {time.perf_counter() - start:.0f} s"
)
full = load_config([]).calibration
print(
    f"the full calibration (calibration=default): {len(full.free)} parameters, "
    f"{full.waves} waves of {full.samples} + {full.wave_size} x {full.waves - 1} points x "
    f"{full.replicates} seed(s), {full.people_per_agent} persons per agent, "
    f"cut on the rank-{full.implausibility_rank} implausibility"
)
result.waves.round(3)  # the last row: the final screen for the posterior (no runs)

# %% [markdown]
# The picture: the largest implausibility over the square, from the emulator of wave 1 (left),
# from both waves (middle), and the posterior sample with the discrepancy scaled by $\lambda$ as
# the posterior step uses it (right). Green is not ruled out ($\max_j I_j \le 3$).

# %%
GRID = 60
unit = np.stack(np.meshgrid(np.linspace(0, 1, GRID), np.linspace(0, 1, GRID)), -1).reshape(-1, 2)
xy = prior.from_unit(unit)
gx, gy = xy[:, 0].reshape(GRID, GRID), xy[:, 1].reshape(GRID, GRID)


def largest_implausibility(emulators, observations):
    """max_j I_j over the grid, the strictest of the given waves' emulators."""
    worst = np.zeros(len(unit))
    for em in emulators:
        mean, var = em.predict(unit)
        imp = emulation.implausibility(mean, var, observations, em.sim_var)
        worst = np.maximum(worst, imp.max(axis=1))
    return worst.reshape(GRID, GRID)


scaled = replace(mini_obs, disc_sd=mini_obs.disc_sd * result.discrepancy_scale)
panels = [
    ("wave 1 emulator", largest_implausibility(result.emulators[:1], mini_obs), 1),
    ("waves 1 and 2", largest_implausibility(result.emulators, mini_obs), 2),
    (
        f"posterior (discrepancy x {result.discrepancy_scale:.2f})",
        largest_implausibility(result.emulators, scaled),
        2,
    ),
]
levels = [0, 1, 2, 3, 4, 6, 10, 100]
norm = matplotlib.colors.BoundaryNorm(levels, 256)  # one colour step per level
fig, axes = plt.subplots(1, 3, figsize=(15, 4.3), sharex=True, sharey=True)
for ax, (title, imp, waves) in zip(axes, panels, strict=True):
    cs = ax.contourf(gx, gy, imp, levels, cmap="RdYlGn_r", norm=norm)
    ax.contour(gx, gy, imp, [3], colors="k")
    runs = result.runs[result.runs.wave <= waves]
    for wave, g in runs.groupby("wave"):
        ax.scatter(g[pair[0]], g[pair[1]], s=28, edgecolor="k", label=f"wave {wave} runs")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(short[0])
axes[2].scatter(
    result.posterior[pair[0]], result.posterior[pair[1]], s=4, color="k", label="posterior"
)
axes[0].set_ylabel(short[1])
axes[2].legend(fontsize=7, loc="upper right")
fig.colorbar(cs, ax=axes, label="largest implausibility (black line: 3)", shrink=0.9)
plt.show()

# %% [markdown]
# Three checks the full report also makes. **Emulator check:** the wave-1 emulator predicted the
# wave-2 runs before they were run; standardised errors
# $(\bar z - \mu_j)/\sqrt{v_j + \sigma^2_{\rm sim}}$ mostly within $\pm 3$ mean the emulator can be
# trusted to rule space out. **Prior predictive** (`prior_predictive`): did the wave-1 runs reach
# each observation (`in_prior_band`)? If not, no parameter in the box fits it and the prior
# range or the model is at fault. **Diagnostics** (`emulation.diagnostics`): posterior quantiles,
# `shrinkage` $= 1 - {\rm sd_{post}}/{\rm sd_{prior}}$ (0: the data say nothing, 1: pinned down)
# and `at_bound` when more than 20 % of the posterior lies within 2 % of the range from a bound.

# %%
wave2 = result.runs[result.runs.wave == 2]
em1 = result.emulators[0]
mean, var = em1.predict(prior.to_unit(wave2[pair].to_numpy()))
z = (wave2[[f"sim:{n}" for n in mini_obs.names]].to_numpy() - mean) / np.sqrt(var + em1.sim_var)
print(
    f"emulator check: {np.mean(np.abs(z) <= 3):.0%} of {z.size} standardised errors within +-3 "
    f"(largest {np.abs(z).max():.1f})"
)
print(f"discrepancy scale lambda = {result.discrepancy_scale:.2f}; SMC stages:")
display(result.importance.round(3))
cols = ["kpi", "year", "kind", "value", "prior_p05", "prior_p95", "in_prior_band"]
display(prior_predictive(result, mini)[cols].round(1))
result.diagnostics().drop(columns=["mass_near_low", "mass_near_high"]).round(4)

# %% [markdown]
# ## 3. The full calibration report
#
# `scenarios.calibrate.calibrate` runs the same engine on every free parameter and every
# observation and writes: `runs.csv` (every run with its wave and its simulated outputs),
# `waves.csv` (points and NROY share per wave), `importance.csv` (the SMC stages),
# `posterior.csv` and `diagnostics.csv`, `marginals.png` and `pairs.png`; then it **replays
# history with the real model** for `calibration.check_sets` posterior sets (emulators are checked
# against the model, not trusted blindly): `fit_errors.csv`, `fit_summary.csv`, `fit_bands.csv`
# and `fit_report.png`; `prior_predictive.csv` and `.png` (wave 1 against every observation) and
# `observations.csv` (the observation table). A full run's files are copied by hand into
# `docs/calibration/`. Files that are missing, or written by the earlier calibration, are
# recomputed in a small version or skipped below.

# %%
files = [
    "runs.csv",
    "waves.csv",
    "importance.csv",
    "posterior.csv",
    "diagnostics.csv",
    "fit_errors.csv",
    "fit_summary.csv",
    "fit_bands.csv",
    "prior_predictive.csv",
    "observations.csv",
    "fit_report.png",
    "prior_predictive.png",
    "marginals.png",
    "pairs.png",
]
print(
    "docs/calibration:", ", ".join(f"{f} {'yes' if (REPORT / f).exists() else 'no'}" for f in files)
)
waves = stored_csv(REPORT, "waves.csv", ("nroy_share_prior",))
if waves is not None:
    display(waves)
    sims = int(waves.simulations.sum())
    print(f"{sims} simulations; the last row is the final screen for the posterior")

# %% [markdown]
# **Diagnostics: parameters at a bound.** A parameter whose posterior piles up against an end of
# its prior range is one the data push further than the declared range allows: the range may be
# too narrow, or the parameter compensates for a misfit elsewhere. Without the stored
# `diagnostics.csv`, they are computed here for the stored `posterior.csv` or, without it, for the
# installed posterior of the region.

# %%
stored_posterior = stored_csv(REPORT, "posterior.csv")
if stored_posterior is None:
    sample, which = posterior, f"installed posterior ({cfg.region.posterior_file})"
else:
    sample, which = stored_posterior, "stored posterior (posterior.csv)"
sample_prior = emulation.Prior(list(sample.columns), *prior_box(cfg, list(sample.columns)))
diag = stored_csv(REPORT, "diagnostics.csv", ("at_bound", "shrinkage"))
if diag is None:
    print(f"diagnostics computed for the {which}")
    diag = emulation.diagnostics(sample_prior, sample)
diag["at_bound"] = ["" if pd.isna(v) else str(v) for v in diag["at_bound"]]  # CSV: "" -> NaN
flagged = diag[diag.at_bound != ""]
print(
    f"{len(flagged)} of {len(diag)} parameters piled against a bound"
    + (":" if len(flagged) else "")
)
for r in flagged.itertuples():
    print(f"  {r.parameter.removeprefix('region.behaviour.')} ({r.at_bound})")
show = ["parameter", "prior_low", "prior_high", "q05", "q50", "q95", "shrinkage", "at_bound"]
diag[show].assign(parameter=diag.parameter.str.removeprefix("region.behaviour.")).round(4)

# %%
if (REPORT / "marginals.png").exists() and stored_posterior is not None:
    show_png(REPORT / "marginals.png")
else:  # the prior (dashed) against the posterior sample
    print(f"marginals.png not stored: drawn for the {which}")
    emulation.plot_marginals(sample_prior, sample, OUT / "marginals.png")
    show_png(OUT / "marginals.png")
if (REPORT / "pairs.png").exists():
    print(f"pairs plot of the posterior: {REPORT / 'pairs.png'}")

# %% [markdown]
# **The fit.** Each posterior set replayed once with the real model gives a yearly band per
# series; `in_band` says whether the observed interval, widened by two noise standard deviations
# ($\sqrt{\sigma^2_{\rm obs} + \sigma^2_{\rm disc}}$), overlaps the simulated 5-95 % band, and
# `error_pct` is the error of the median (against the value, the midpoint of a range or the bound
# of a one-sided observation). Without the stored fit, 6 sets of the posterior above are replayed
# here at 8,000 persons per agent: a coarse check, not the report.

# %%
fit_needs = ("kind", "low", "high", "obs_sd", "disc_sd", "transform", "in_band")
errors = stored_csv(REPORT, "fit_errors.csv", fit_needs)
bands = stored_csv(REPORT, "fit_bands.csv", ("kpi", "year", "p05", "p50", "p95"))
years = f"{cal.base_year}-{cal.end_year}"
if errors is not None and (REPORT / "fit_report.png").exists():
    show_png(REPORT / "fit_report.png", width=1000)
else:
    if errors is None or bands is None:
        print(f"fit recomputed: 6 sets of the {which}, one replay each")
        sets = sample.drop_duplicates().head(6)
        errors, bands = fit_table(cfg, list(sample.columns), sets, table, workers=WORKERS)
    plot_fit(errors, bands, OUT / "fit_report.png", f"Posterior fit, {years}")
    show_png(OUT / "fit_report.png", width=1000)
errors["in_band"] = truthy(errors["in_band"])
print(f"{int(errors.in_band.sum())} of {len(errors)} observations inside the band")
series_errors(errors).round(2)  # what fit_summary.csv holds

# %%
cols = ["kpi", "year", "kind", "value", "p05", "p50", "p95", "error_pct", "in_band"]
misses = errors[~errors.in_band]
print(f"{len(misses)} observations outside the band" + (":" if len(misses) else ""))
if len(misses):
    display(misses[cols].round(1))

# %%
pp = stored_csv(REPORT, "prior_predictive.csv", ("in_prior_band",))
if pp is not None:
    reached = truthy(pp.in_prior_band)
    print(f"prior predictive: wave 1 reached {int(reached.sum())} of {len(pp)} observations")
    if not reached.all():
        display(pp[~reached])
    if (REPORT / "prior_predictive.png").exists():
        show_png(REPORT / "prior_predictive.png", width=1000)
else:
    print("prior predictive of the full run: skipped (section 2 shows it for the miniature)")

# %% [markdown]
# ## 4. The track record: rolling-origin back-tests
#
# A good fit to the past is necessary, not sufficient: with about thirty parameters many paths fit a
# few dozen numbers. The honest test is a forecast of years the model has not seen.
# `python -m scenarios.validate` makes one from each **origin** year $o$ (2019-2023):
#
# 1. calibrate with the observations of year $\le o$ only (`observations_at`, then
#    `calibrate` with `calibration.end_year = o`): **no origin's calibration sees later data**
#    (`tests/scenarios/test_validate.py` changes a later observation and finds the origin's
#    posterior unchanged);
# 2. project from the latest base-year file at or before $o$ (2017 or 2022) to $o + h$
#    ($h$ = `validation.lead_years`, 3), each replicate drawing a parameter set from the origin's
#    posterior, under the policy timeline, with exogenous drivers observed after $o$ (GDP growth,
#    listing windows, ...) removed (`validation.exogenous=ex_ante`);
# 3. score every observation in $(o, o + h]$.
#
# The scores (`scenarios/scoring.py`): **coverage**, the share of observations inside the
# ensemble's 50 % and 90 % bands (a range counts when it overlaps the band, a bound when the band
# reaches past it), which should be near 0.5 and 0.9; and the **CRPS** (continuous ranked
# probability score; Gneiting & Raftery 2007) of the ensemble $F$ at the observation $y$,
#
# $$ {\rm CRPS}(F, y) = E_F|X - y| - \tfrac12 E_F|X - X'|, $$
#
# with $X, X'$ independent draws from $F$, in the unit of the KPI; lower is better. For a
# one-member ensemble it is the absolute error. It is *proper*: its expectation is lowest when the
# forecast distribution is the true one, so bands that are too wide or too narrow do not pay. A
# range or bound is scored at its point closest to the forecast median. The **skill** against a
# naive forecaster built from the observations up to $o$ (persistence: the last value; trend: the
# growth of the last two) is
# $1 - \sum {\rm CRPS}_{\rm model} / \sum {\rm CRPS}_{\rm naive}$; positive means the model wins.
#
# What each origin calibrates on and what it is scored on, from the region's observed file:

# %%
observed = load_observed(observed_file(cfg))
origins = list(cfg.validation.origins)
lead = cfg.validation.lead_years
rows = []
for o in origins:
    known = load_observations(replace(cal, end_year=o), observed=observations_at(observed, o))
    window = observed[(observed.year > o) & (observed.year <= o + lead)]
    rows.append(
        {
            "origin": o,
            "calibration points": len(known),
            "latest year calibrated on": known.year.max(),
            "years scored": f"{o + 1}-{o + lead}",
            "points scored": len(window),
        }
    )
pd.DataFrame(rows)

# %%
run_info = TRACK / "run.json"
if run_info.exists():
    info = json.loads(run_info.read_text())
    print(
        f"stored back-test of {info.get('date')}: origins {info.get('origins')}, "
        f"{info.get('replicates')} replicates, {info.get('points')} points, "
        f"model {str(info.get('model_version'))[:12]} (this checkout: {model_version()[:12]})"
    )
card = stored_csv(TRACK, "scorecard.csv", tuple(SCORECARD_COLUMNS))
summary_needs = ("coverage50", "coverage90", "skill_trend", "skill_persistence", "beats_both")
track = stored_csv(TRACK, "scorecard_summary.csv", summary_needs)
if track is not None:
    show = ["kpi", "points", "coverage50", "coverage90", "skill_trend", "skill_persistence"]
    display(track[[*show, "beats_both"]].round(2))

# %%
if track is not None:
    per_kpi = track[track.kpi != "pooled"].iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(per_kpi) + 1.2))
    y = np.arange(len(per_kpi))
    ax.barh(y + 0.2, per_kpi.coverage90, height=0.4, color="tab:blue", label="in 90 % band")
    ax.barh(y - 0.2, per_kpi.coverage50, height=0.4, color="tab:orange", label="in 50 % band")
    ax.axvline(0.9, color="tab:blue", ls="--", lw=1)
    ax.axvline(0.5, color="tab:orange", ls="--", lw=1)
    ax.set_yticks(y, [f"{k} ({n})" for k, n in zip(per_kpi.kpi, per_kpi.points, strict=True)])
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("coverage (dashed: nominal)")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("back-test coverage per KPI (points scored)", fontsize=10)
    fig.tight_layout()
    plt.show()
if card is not None:
    hit = truthy(card.in90)
    by = {k: hit.groupby(card[k]).mean() for k in ("origin", "lead", "kind")}
    display(pd.concat(by, names=["by", "group"]).rename("coverage90").round(2).to_frame().T)
else:
    print("no scorecard.csv: per-origin coverage skipped")

# %% [markdown]
# One fan chart per KPI (`fans.csv`): from each origin the median (line), 25-75 % and 5-95 %
# bands, with the observations (dots: exact, bars: ranges, triangles: bounds).

# %%
fans = stored_csv(TRACK, "fans.csv", ("kpi", "origin", "year", "p05", "p25", "p50", "p75", "p95"))
seen = stored_csv(TRACK, "observed.csv", ("kpi", "year", "value", "low", "high", "kind"))
seen = observed if seen is None else seen
if fans is None:
    print("no fans.csv: run python -m scenarios.validate and copy its output to docs/validation/")
else:
    kpis = sorted(fans.kpi.unique())
    ncols = 4
    nrows = -(-len(kpis) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(15, 2.9 * nrows), squeeze=False)
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        for i, (origin, f) in enumerate(fans[fans.kpi == kpi].groupby("origin")):
            c = ORIGIN_COLOURS[i % len(ORIGIN_COLOURS)]
            f = f.sort_values("year")
            ax.fill_between(f.year, f.p05, f.p95, color=c, alpha=0.15, lw=0)
            ax.fill_between(f.year, f.p25, f.p75, color=c, alpha=0.3, lw=0)
            ax.plot(f.year, f.p50, color=c, lw=1.4, label=f"from {origin}")
        draw_observed(ax, seen[seen.kpi == kpi])
        ax.set_title(kpi, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(kpis) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=6, loc="upper left", ncol=2)
    fig.suptitle("rolling-origin back-tests: fans from each origin and the observations")
    fig.tight_layout()
    plt.show()

# %% [markdown]
# ## What to notice
#
# - **A posterior, not a best value.** The calibration returns parameter sets drawn from the
#   posterior; ensembles draw one per replicate (`run.parameter_uncertainty`, on by default), and
#   the point estimate in the region file is the posterior median. Uncertainty about the
#   parameters is carried into every projection.
# - **Ruling out before weighing.** Implausibility only excludes space where even a generous
#   error budget (emulator, model noise, observation error, discrepancy) cannot reach the data;
#   the likelihood weighs what remains. The result is a region, not a point: every pair inside
#   the black line of the miniature is consistent with the data within the stated errors, and
#   where the line slants the two parameters trade off (more losses, more applications).
# - **The miniature is conditional.** It fixes every other parameter; in the full calibration
#   all free parameters move together, so its regions and marginals can be wider or shifted.
# - **Bounds are data.** "More than 8,500" is a censored observation: it makes simulated values
#   well below 8,500 unlikely and treats all values above it alike. Dropping such figures would
#   discard information; treating them as exact would invent it.
# - **Discrepancy is an assumption.** The shares in `calibration.discrepancy` are stated, not
#   estimated; the engine only widens them (the factor $\lambda \ge 1$) when even the best run
#   misses by more than the stated errors allow. The observations are independent in the
#   likelihood, so a series reported in four years counts as four pieces of evidence (a limit
#   stated in `twin_experiment.md`).
# - **Check the emulator against the model.** The fit section replays the real model with the
#   posterior sets; a misfit there with a good emulator check points to the model or the
#   discrepancy, not the emulator.
# - **Parameters at a bound** (`at_bound`) deserve a look: the data push them to the edge of
#   what was declared plausible.
# - **The back-test is the judge.** Compare each KPI's `coverage90` above with 0.9 and its skills
#   with 0: bands that cover far less than nominal are over-confident even when the median beats
#   the naive forecasters. Check which model version wrote the stored scorecard (printed above)
#   before reading it as the track record of this code.
#
# **References.** Craig, Goldstein, Seheult & Smith (1997), Pressure matching for hydrocarbon
# reservoirs, *Case Studies in Bayesian Statistics III*, 37-93. Vernon, Goldstein & Bower (2010),
# Galaxy formation: a Bayesian uncertainty analysis, *Bayesian Analysis* 5(4), 619-670.
# Andrianakis et al. (2015), Bayesian history matching of complex infectious disease models using
# emulation, *PLoS Computational Biology* 11(1), e1003968. Kennedy & O'Hagan (2001), Bayesian
# calibration of computer models, *JRSS B* 63(3), 425-464. Pukelsheim (1994), The three sigma
# rule, *The American Statistician* 48(2), 88-91. Del Moral, Doucet & Jasra (2006), Sequential
# Monte Carlo samplers, *JRSS B* 68(3), 411-436. Gneiting & Raftery (2007), Strictly
# proper scoring rules, prediction, and estimation, *JASA* 102(477), 359-378.
