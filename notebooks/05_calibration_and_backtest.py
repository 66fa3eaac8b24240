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
# **Question.** Twelve behavioural parameters (how often firms apply for high-tech status, how
# often they list, how fast the technology market grows, ...) cannot be looked up. How were they
# estimated from Changsha's 2017-2022 statistics, how well does the calibrated model reproduce
# those years, and what does it project for 2023-2025, years it has not seen?
#
# The method is **history matching** (Craig et al. 1997; Andrianakis et al. 2015): start the
# model in 2017, replay 2017-2022 under the policy of the time, and *rule out* every parameter
# set whose simulated series are implausibly far from the observations. What remains is a
# plausible set, not a single best value; ensembles draw one set per replicate.
#
# The full calibration (`python -m scenarios.calibrate`, 1,800 runs, about 3 minutes on 2 cores) is
# done once and its report is stored in `docs/calibration/`. This notebook shows the method on a
# tiny example, then reads the stored report, then runs a small back-test.

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Image, display
from scipy.stats import qmc

import sim
from scenarios.calibrate import (
    fit_table,
    history_config,
    implausibility,
    load_observations,
    plot_fit,
    prior_box,
    simulate,
)
from sim.compose import load_config
from sim.ensemble import run_ensemble
from sim.outputs import backtest_table
from sim.posterior import load_posterior

# %matplotlib inline

OUT = Path(tempfile.mkdtemp(prefix="nb05_"))
REPORT = Path(sim.__file__).resolve().parent.parent / "docs" / "calibration"
HAVE_REPORT = (REPORT / "fit_report.png").exists()  # False in a non-editable install
print("stored calibration report:", REPORT if HAVE_REPORT else "not found (will recompute)")

# %% [markdown]
# ## 1. What is observed, what is free
#
# The observed series (`conf/region/changsha_observed.csv`, with sources, read by
# `sim.observations.load_observed`) of the KPIs in `calibration.kpis`, up to
# `calibration.end_year`. Each observation gets a standard deviation from its confidence
# column (5 %, 10 % or 20 % of the value).

# %%
cfg = load_config(["calibration=quick"])
cal = cfg.calibration
obs = load_observations(cal)
obs.pivot(index="kpi", columns="year", values="value")

# %% [markdown]
# The free parameters, their prior range (the plausible range declared with each parameter in
# `sim/config.py`), the calibrated point estimate and the 5-95 % range of the plausible set
# that ensembles draw from:

# %%
names = list(cal.free)
low, high = prior_box(cfg, names)
posterior = load_posterior(cfg.region.posterior_file)


def value_of(config, name):
    """The value of a dotted config field, e.g. ``region.behaviour.statuses.listing_rate``."""
    for part in name.split("."):
        config = getattr(config, part)
    return config


pd.DataFrame(
    {
        "prior low": low,
        "prior high": high,
        "point estimate": [value_of(cfg, n) for n in names],
        "plausible p05": posterior[names].quantile(0.05).to_numpy(),
        "plausible p95": posterior[names].quantile(0.95).to_numpy(),
    },
    index=[n.removeprefix("region.behaviour.") for n in names],
).round(4)

# %% [markdown]
# ## 2. History matching in miniature
#
# Take two of the free parameters, sample 16 points over their prior box with a Latin hypercube,
# and replay 2017-2022 twice for each point (the same two seeds for every point: common random
# numbers). The other parameters stay at their point estimates. For each point and observation
#
# $$ I = \frac{|\bar y_{\rm sim} - y_{\rm obs}|}{\sqrt{\sigma_{\rm obs}^2 + \sigma_{\rm sim}^2
#        + (0.1\, y_{\rm obs})^2}} $$
#
# (observation error, simulator noise across seeds, and 10 % model discrepancy). A point is
# ruled out when its largest `I` exceeds 3. `history_config` turns the config into the 2017
# replay (base year 2017, the policy of the time, `calibration.people_per_agent` = 4,000 people
# per talent agent in the quick settings).

# %%
pair = ["region.behaviour.statuses.hte_application_rate", "region.behaviour.statuses.listing_rate"]
lo, hi = prior_box(cfg, pair)
points = qmc.scale(qmc.LatinHypercube(d=2, seed=1).random(16), lo, hi)
replay = history_config(cfg)
print("replay:", replay.region.data_file, "->", replay.run.horizon, "| levers:", replay.levers.name)

sims = simulate(replay, pair, points, obs, workers=2)  # shape (points, seeds, observations)
imp = implausibility(sims, obs, cal.discrepancy_share)
demo = pd.DataFrame(points, columns=["hte_application_rate", "listing_rate"])
demo["max I"] = imp.max(axis=1)
demo["worst observation"] = [f"{obs.kpi[j]} {obs.year[j]}" for j in imp.argmax(axis=1)]
demo["ruled out"] = demo["max I"] > cal.implausibility_cut
demo.sort_values("max I").round(4)

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharex=True, sharey=True)
ax = axes[0]
colour = demo["max I"].clip(upper=8)
sc = ax.scatter(
    demo.hte_application_rate, demo.listing_rate, c=colour, cmap="RdYlGn_r", vmin=0, vmax=8
)
fig.colorbar(sc, ax=ax, label="largest implausibility (clipped at 8)")
ax.set_title("this notebook: 16 points, 2 seeds each", fontsize=10)
ax = axes[1]
if HAVE_REPORT:
    samples = pd.read_csv(REPORT / "samples.csv")
    for wave, g in samples.groupby("wave"):
        ax.scatter(g[pair[0]], g[pair[1]], s=8, alpha=0.4, label=f"wave {wave}")
    ok = samples[samples.not_implausible]
    ax.scatter(
        ok[pair[0]], ok[pair[1]], s=14, facecolor="none", edgecolor="k", label="not ruled out"
    )
    ax.scatter(
        posterior[pair[0]], posterior[pair[1]], s=30, marker="*", color="k", label="plausible set"
    )
    ax.legend(fontsize=7, loc="upper left")
ax.set_title("the full calibration: 3 waves x 200 points, 12 parameters", fontsize=10)
for ax in axes:
    ax.set_xlabel("hte_application_rate")
    ax.grid(alpha=0.3)
axes[0].set_ylabel("listing_rate")
fig.tight_layout()
plt.show()

# %% [markdown]
# The full calibration does the same with all twelve parameters at once, in waves: each wave
# re-samples the box around the points not yet ruled out. In two dimensions the non-implausible
# region is a band, not a point: different combinations fit the data equally well.
#
# ## 3. The fit
#
# Replaying 2017-2022 once with each plausible parameter set gives a band per series; the fit
# report compares it with the observations (2 sd error bars). Without the stored report (a
# non-editable install) a smaller version is recomputed here.

# %%
if HAVE_REPORT:
    errors = pd.read_csv(REPORT / "fit_errors.csv")
    bands = pd.read_csv(REPORT / "fit_bands.csv")
    fit_png = REPORT / "fit_report.png"
else:  # 8 plausible sets, one seed each, coarse talent agents: about 10 s
    errors, bands = fit_table(cfg, list(posterior.columns), posterior.head(8), obs, workers=2)
    fit_png = OUT / "fit_report.png"
    plot_fit(errors, bands, fit_png)
    plt.switch_backend("module://matplotlib_inline.backend_inline")  # plot_fit selects Agg
display(Image(filename=str(fit_png), width=900))

# %%
cols = ["kpi", "year", "value", "p05", "p50", "p95", "error_pct", "in_band"]
errors[errors.kpi != "gdp"][cols].round(1)

# %% [markdown]
# ## 4. The back-test
#
# Calibration used data up to 2022. The back-test starts from the 2022 base year and projects
# 2023-2025 with the policy enacted in 2023 (`mode=backtest run.horizon=2025`); when the
# 2023-2025 statistics are published, each observation either falls inside the projected band
# or not. This is the honest test of the model: it has not seen those years.

# %%
bt_cfg = load_config(
    [
        "mode=backtest",
        "run.horizon=2025",
        "run.replicates=16",
        "run.people_per_agent=5000",
        "run.workers=2",
        "run.progress=false",
        "run.plots=false",
    ]
)
result = run_ensemble(bt_cfg)
backtest = backtest_table(result.kpis, bt_cfg.region.base_year)  # what backtest.csv holds
SERIES = ["high_tech_enterprises", "tech_smes", "listed", "little_giants", "rd_expenditure"]
SERIES.append("tech_contract_turnover")
backtest[backtest.kpi.isin(SERIES)].pivot(index="kpi", columns="year", values="p50").round(1)

# %% [markdown]
# Observations published after 2022 go here, as `(kpi, year, value)` rows in KPI units (counts,
# 100m yuan), e.g. `("listed", 2023, ...)`. The table and the chart below pick them up.

# %%
LATER_OBSERVATIONS = []  # fill in when the 2023-2025 statistics are out
later = pd.DataFrame(LATER_OBSERVATIONS, columns=["kpi", "year", "value"])
check = later.merge(backtest, on=["kpi", "year"], how="left")
check["inside 5-95 %"] = check.value.between(check.p05, check.p95)
print(f"{len(check)} later observations, {int(check['inside 5-95 %'].sum())} inside the band")

# %%
fig, axes = plt.subplots(2, 3, figsize=(13, 6.5))
base_values = result.kpis[result.kpis.year == bt_cfg.region.base_year].groupby("kpi").value.first()
for ax, kpi in zip(axes.flat, SERIES, strict=True):
    b = bands[bands.kpi == kpi]
    ax.fill_between(b.year, b.p05, b.p95, color="tab:gray", alpha=0.3, lw=0, label="fit 5-95 %")
    o = obs[obs.kpi == kpi]
    ax.errorbar(o.year, o.value, yerr=2 * o.sd, fmt="o", color="k", ms=4, label="observed (2 sd)")
    p = backtest[backtest.kpi == kpi]
    years = [bt_cfg.region.base_year, *p.year]
    start = base_values[kpi]
    lower, upper = [start, *p.p05], [start, *p.p95]
    ax.fill_between(
        years, lower, upper, color="tab:blue", alpha=0.3, lw=0, label="back-test 5-95 %"
    )
    ax.plot(years, [start, *p.p50], color="tab:blue", label="back-test median")
    lt = later[later.kpi == kpi]
    ax.scatter(lt.year, lt.value, marker="D", color="tab:red", zorder=5, label="observed later")
    ax.axvline(bt_cfg.region.base_year, color="k", lw=0.6, ls=":")
    ax.set_title(kpi, fontsize=10)
    ax.grid(alpha=0.3)
axes[0, 0].legend(fontsize=7, loc="upper left")
fig.suptitle("history (calibration fit, 2017-2022) and back-test projection (2023-2025)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## What to notice
#
# - **Plausible, not best.** History matching rules parameter sets *out*; it does not pick one
#   winner. Many combinations survive (the band in section 2), and the ensembles carry that
#   uncertainty forward by drawing one plausible set per replicate.
# - **Trade-offs show up as misfits.** The fit covers most observations, but R&D expenditure
#   runs too high in 2022 and high-tech enterprises too low: the parameters that would fix one
#   worsen the other (relabelling of R&D by newly certified firms). The README therefore warns
#   that R&D-growth probabilities are optimistic.
# - **Few data points.** Some series have one or two observations; the plausible range of a
#   parameter that only they inform stays wide.
# - **Extrapolation.** Trends fitted to 2017-2022 (for example the technology-contract market,
#   eightfold in five years) are carried forward; the back-test band says what the model
#   expects if nothing changes structurally.
# - **The back-test is the judge.** When the 2023-2025 numbers are published, add them to
#   `LATER_OBSERVATIONS`: an observation outside the band is evidence against the model (or
#   against an exogenous assumption), and roughly 1 in 10 should fall outside by chance.
