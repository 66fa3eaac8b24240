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
# # 03 Levers: what does one lever buy, and at what cost?
#
# **Question.** Starting from the policy enacted in 2023, the city turns up *one* lever. How much
# more of the KPI that lever aims at does it get by 2026, and what does each extra unit cost the
# city's budget?
#
# The difficulty: two ensembles differ by chance as well as by the lever. The simulator removes
# most of the chance with **common random numbers** (CRN): replicate `r` of every setting uses
# the same seed and the same calibrated parameter set, so `variant[r] - baseline[r]` is the
# lever's effect in one possible future, and the spread of these paired differences is much
# smaller than the spread of the KPI itself.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from scenarios.compare import cost_per_unit, mean_difference_interval
from sim.compose import load_config
from sim.ensemble import run_ensemble

# %matplotlib inline

# %% [markdown]
# ## 1. The baseline and three one-lever variants
#
# Small and fast: 12 replicates to 2026 at 5,000 people per talent agent. Each variant changes
# one lever of `enacted_2023` with a Hydra override, and names the KPI it aims at.

# %%
YEAR = 2026
BASE = [
    "levers=enacted_2023",
    "run.replicates=12",
    "run.horizon=2026",
    "run.people_per_agent=5000",
    "run.workers=2",
    "run.progress=false",
    "run.plots=false",
]
LEVERS = {
    "rent subsidy, graduates: 9k -> 20k yuan/yr": (
        "levers.rent_subsidy_yuan_per_year.graduate=20000",
        "talent",
        "person",
    ),
    "platform award, provincial: 0.2m -> 1m yuan": (
        "levers.platform_award_yuan.provincial_municipal=1000000",
        "platforms",
        "platform",
    ),
    "R&D-centre award: 10 % -> 30 % of investment": (
        "levers.centre_award_investment_share=0.3",
        "rd_centres",
        "R&D centre",
    ),
}


def run(overrides):
    """Run one setting; KPIs in YEAR and cumulative local public cost, one row per replicate."""
    cfg = load_config(BASE + overrides)
    res = run_ensemble(cfg)
    kpis = res.kpis[res.kpis.year == YEAR].pivot(index="replicate", columns="kpi", values="value")
    local = res.costs[~res.costs.lever.str.startswith("national_")]
    local = local[local.year > cfg.region.base_year]
    kpis["local_cost_yuan"] = local.groupby("replicate").yuan.sum()
    return kpis


baseline = run([])
variants = {name: run([override]) for name, (override, _, _) in LEVERS.items()}
baseline[["talent", "platforms", "rd_centres", "local_cost_yuan"]].describe().round(0)

# %% [markdown]
# ## 2. Paired differences and cost per unit
#
# For each lever: the mean paired difference of its KPI with a 95 % t-interval, the mean extra
# local cost over 2023-2026 (national tax expenditure is not the city's budget and is left out),
# and the cost per extra unit (cumulative extra cost 2023-2026 divided by the extra stock in
# 2026). `mean_difference_interval` and `cost_per_unit` are the functions
# `python -m scenarios.compare` uses.

# %%
rows = []
for name, (_, kpi, unit) in LEVERS.items():
    diff = variants[name][kpi] - baseline[kpi]
    mean, low, high = mean_difference_interval(diff.to_numpy())
    extra_cost = (variants[name].local_cost_yuan - baseline.local_cost_yuan).mean()
    rows.append(
        {
            "lever": name,
            "kpi": kpi,
            "baseline mean": baseline[kpi].mean(),
            "extra units": mean,
            "ci low": low,
            "ci high": high,
            "extra cost (m yuan)": extra_cost / 1e6,
            "yuan per extra unit": cost_per_unit(extra_cost, mean, baseline[kpi].mean()),
            "unit": unit,
        }
    )
effects = pd.DataFrame(rows).set_index("lever")
effects.round(1)

# %% [markdown]
# A lever also moves KPIs it does not aim at (through the labour market, spillovers and
# firms' growth). The mean paired difference of every target KPI, in % of its baseline mean:

# %%
target_kpis = ["talent", "platforms", "rd_centres", "listed", "little_giants", "rd_expenditure"]
base_mean = baseline[target_kpis].mean()
side = pd.DataFrame(
    {
        name: (v[target_kpis] - baseline[target_kpis]).mean() / base_mean * 100
        for name, v in variants.items()
    }
).T
side.round(2)

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 4))
for ax, (name, (_, kpi, unit)) in zip(axes, LEVERS.items(), strict=True):
    diff = variants[name][kpi] - baseline[kpi]
    jitter = np.random.default_rng(0).uniform(-0.08, 0.08, len(diff))
    ax.scatter(jitter, diff, alpha=0.6, label="one replicate")
    row = effects.loc[name]
    err = [[row["extra units"] - row["ci low"]], [row["ci high"] - row["extra units"]]]
    ax.errorbar(
        0.3,
        row["extra units"],
        yerr=err,
        fmt="D",
        color="tab:red",
        capsize=5,
        label="mean, 95 % CI",
    )
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlim(-0.4, 0.7)
    ax.set_xticks([])
    ax.set_title(f"{name}\n{row['yuan per extra unit']:,.0f} yuan per extra {unit}", fontsize=9)
    ax.set_ylabel(f"extra {kpi} in {YEAR} (variant - baseline)")
    ax.grid(alpha=0.3)
axes[0].legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 3. Why common random numbers matter
#
# Run the rent-subsidy variant again with a *different* root seed: now replicate `r` of the
# variant and of the baseline live in different futures, and the differences mix the lever's
# effect with chance.

# %%
name = next(iter(LEVERS))
override, kpi, _ = LEVERS[name]
independent = run([override, "run.seed=1"])
paired = variants[name][kpi] - baseline[kpi]
unpaired = independent[kpi] - baseline[kpi]
pd.DataFrame(
    {
        "mean": [paired.mean(), unpaired.mean()],
        "sd of the differences": [paired.std(), unpaired.std()],
    },
    index=["same seeds (CRN)", "independent seeds"],
).round(0)

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
ax = axes[0]
for r in baseline.index:
    same = [baseline.loc[r, kpi], variants[name].loc[r, kpi]]
    other = [baseline.loc[r, kpi], independent.loc[r, kpi]]
    ax.plot([0, 1], same, "o-", color="tab:blue", alpha=0.5)
    ax.plot([2, 3], other, "o-", color="tab:gray", alpha=0.5)
ax.set_xticks([0, 1, 2, 3], ["baseline", "variant\n(same seeds)", "baseline", "variant\n(seed 1)"])
ax.set_ylabel(f"{kpi} in {YEAR}")
ax.set_title("each line joins replicate r of two settings", fontsize=10)
ax = axes[1]
edges = np.linspace(min(paired.min(), unpaired.min()), max(paired.max(), unpaired.max()), 25)
ax.hist(unpaired / 1e3, bins=edges / 1e3, alpha=0.6, color="tab:gray", label="independent seeds")
ax.hist(paired / 1e3, bins=edges / 1e3, alpha=0.8, color="tab:blue", label="common random numbers")
ax.set_xlabel(f"variant - baseline, {kpi} in {YEAR} (thousands)")
ax.set_title("distribution of the differences", fontsize=10)
ax.legend(fontsize=8)
for ax in axes:
    ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## What to notice
#
# - **Paired differences are precise.** With CRN the differences for the rent subsidy cluster
#   tightly around their mean; with independent seeds their spread is many times larger, so the
#   same 12 replicates could not even tell the sign of the effect for smaller levers. Every
#   comparison in this project (`scenarios.compare`, sweeps, sensitivity) uses CRN.
# - **Cost per unit is a ratio of two uncertain numbers.** The extra cost includes everything the
#   lever changes (more talent also claims more housing support), and the ratio is only as good as
#   the denominator: when the CI of the extra units is wide or touches zero, the cost per unit is
#   not meaningful.
# - **Units differ.** Yuan per person, per platform and per R&D centre cannot be ranked against
#   each other; compare levers on the *same* target, or on the probability of reaching all
#   targets (notebook 04).
# - **Side effects are small but not zero.** A lever aimed at one KPI moves others a little:
#   more talent means more start-ups and R&D staff, more platforms and centres mean more
#   innovation through spillovers, and innovation feeds growth, listings and little giants. Part
#   of these moves is noise: once a lever changes what one firm does, the random draws of the
#   following quarters fall on slightly different firms, so CRN aligns the replicates closely
#   but not perfectly.
# - **Try it.** Change a variant's value (e.g. the rent subsidy to 30k), the year, or add a lever
#   (`levers.first_home_subsidy_yuan.graduate=100000`) and see whether its cost per person beats
#   the rent subsidy.
