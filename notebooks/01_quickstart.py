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
# # 01 Quickstart: will Changsha reach its innovation targets?
#
# **Question.** Under the policy measures Changsha enacted in 2023, how likely is each target of
# the city's innovation plan (R&D growth, platforms, R&D centres, talent, listed companies, ...)
# to be reached by 2025 and by 2030?
#
# The simulator answers with an *ensemble*: many replicates of the same city under the same
# policy, each with its own random draws (firm growth, who leaves, national batches, GDP
# growth, ...) and its own plausible set of calibrated parameters. The share of replicates that
# reach a target is the probability of reaching it.
#
# In this notebook you will
#
# 1. compose a configuration with Hydra's compose API,
# 2. run a small ensemble of the `enacted_2023` scenario,
# 3. read the reachability table,
# 4. draw fan charts.

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
from hydra import compose, initialize_config_dir
from IPython.display import Image, display
from omegaconf import OmegaConf

import sim.region
from sim.charts import fan_chart
from sim.compose import load_config, register_schema
from sim.config import ConfigError, to_sim_config
from sim.ensemble import run_ensemble
from sim.kpis import KPI_UNITS
from sim.targets import format_table, reachability

# sim.charts draws its PNG files with the non-interactive Agg backend; switch the
# notebook back to inline figures after importing it.
# %matplotlib inline

OUT = Path(tempfile.mkdtemp(prefix="nb01_"))  # figures go to a temporary folder
print("figures are written to", OUT)

# %% [markdown]
# ## 1. Compose a configuration
#
# Every number of a run lives in the Hydra config tree `conf/`: the region (Changsha's base-year
# data and behaviour), the levers (the policy mix), the targets and the run settings. Hydra
# *composes* one configuration from these groups plus your overrides.
#
# Outside a command-line app we use Hydra's **compose API**. `register_schema()` registers the
# typed schema (`sim/config.py`) that the primary `config.yaml` builds on, and
# `sim.region.CONF_DIR` is the folder that holds `config.yaml`.
#
# The overrides keep this notebook fast: 16 replicates instead of 100, one talent agent for
# 5,000 people instead of 200, and two worker processes.

# %%
OVERRIDES = [
    "levers=enacted_2023",  # the policy mix under study (this is also the default)
    "run.replicates=16",
    "run.people_per_agent=5000",
    "run.workers=2",
    "run.progress=false",
    "run.plots=false",
]

register_schema()
with initialize_config_dir(config_dir=str(sim.region.CONF_DIR), version_base="1.3"):
    dcfg = compose(config_name="config", overrides=OVERRIDES)

print(OmegaConf.to_yaml(dcfg.run))

# %% [markdown]
# `compose` returns an OmegaConf `DictConfig`. `to_sim_config` turns it into the typed,
# validated `SimConfig` dataclass that the model runs on. `sim.compose.load_config` does both
# steps in one call; we use it in the other notebooks.

# %%
cfg = to_sim_config(dcfg)
assert cfg == load_config(OVERRIDES)  # the shortcut gives the same config

lv = cfg.levers
print(f"region: {cfg.region.name}, base year {cfg.region.base_year}")
print(f"levers: {lv.name}, in force from {lv.start_year} Q{lv.start_quarter}")
print(f"rent subsidy for graduates: {lv.rent_subsidy_yuan_per_year.graduate:,.0f} yuan/year")
print(f"{len(cfg.targets.targets)} targets; horizon {cfg.run.horizon}")

# %% [markdown]
# Every field is typed and range-checked, so a mistake stops before anything runs, with one
# line naming the field:

# %%
for bad in ("run.replicates=-3", "run.replicatse=3", "levers=no_such_policy"):
    try:
        load_config([bad])
    except ConfigError as err:
        print(f"{bad:24} -> {str(err)[:120]}")

# %% [markdown]
# ## 2. Run the ensemble
#
# `run_ensemble` runs `run.replicates` replicates to `run.horizon` (2030). Replicate `r` always
# gets the seed `SeedSequence(run.seed).spawn(n)[r]` and the same calibrated parameter set, so
# the run can be repeated exactly and two policies can be compared replicate by replicate
# (notebook 03). The result is tidy: one row per replicate, year and KPI.

# %%
result = run_ensemble(cfg)
print(len(result.errors), "failed replicates")
result.kpis.head()

# %%
result.seeds.head()

# %% [markdown]
# ## 3. Read the reachability table
#
# A target is reached in a replicate when the KPI in the target year is at least the threshold.
# `reachability` counts the replicates that reach it and adds a 95 % Wilson interval for the
# probability, plus the median and the 5-95 % range of the projection.

# %%
reach = reachability(result.kpis, cfg.targets.targets)
cols = ["target", "year", "threshold", "median", "p05", "p95", "probability", "ci_low", "ci_high"]
reach[cols].round(2)

# %% [markdown]
# `make run` prints the same table as text. The interesting rows are the targets that are
# neither certain nor out of reach:

# %%
print(format_table(reach[reach.probability.between(0.05, 0.95)]))

# %% [markdown]
# ## 4. Fan charts
#
# A fan chart shows the median projection with the 25-75 % and 5-95 % bands over replicates,
# and the target as a red diamond. `sim.charts.fan_chart` writes the PNG that `make run`
# puts in its run directory:

# %%
talent_targets = [t for t in cfg.targets.targets if t.kpi == "talent"]
png = fan_chart(result.kpis, "talent", talent_targets, OUT / "fan_talent.png", "talent stock")
display(Image(filename=str(png)))

# %% [markdown]
# The bands are just quantiles over replicates, so you can draw your own. Four targets side by
# side:

# %%
fig, axes = plt.subplots(2, 2, figsize=(10, 6.5), sharex=True)
for ax, kpi in zip(axes.flat, ["talent", "listed", "rd_centres", "platforms"], strict=True):
    q = (
        result.kpis[result.kpis.kpi == kpi]
        .groupby("year")["value"]
        .quantile([0.05, 0.25, 0.5, 0.75, 0.95])
        .unstack()
    )
    ax.fill_between(q.index, q[0.05], q[0.95], alpha=0.2, color="tab:blue", lw=0, label="5-95 %")
    ax.fill_between(q.index, q[0.25], q[0.75], alpha=0.35, color="tab:blue", lw=0, label="25-75 %")
    ax.plot(q.index, q[0.5], color="tab:blue", lw=2, label="median")
    for t in cfg.targets.targets:
        if t.kpi == kpi:
            ax.plot(t.year, t.threshold, "D", color="tab:red")
            row = reach[(reach.target == t.id) & (reach.year == t.year)]
            label = f"P={row.probability.iloc[0]:.2f}"
            ax.annotate(
                label,
                (t.year, t.threshold),
                xytext=(-45, 6),
                textcoords="offset points",
                color="tab:red",
            )
    ax.set_title(f"{kpi} ({KPI_UNITS[kpi]})", fontsize=10)
    ax.grid(alpha=0.3)
axes[0, 0].legend(fontsize=8, loc="upper left")
fig.suptitle(f"enacted_2023, {cfg.run.replicates} replicates: projections and targets")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## What to notice
#
# - **Probabilities, not forecasts.** Each target gets a probability with an interval. With 16
#   replicates the 95 % interval is wide (up to about +-0.25); `make run` uses 100 replicates
#   (about +-0.1). Re-run with `run.replicates=64` and watch the intervals shrink while the
#   medians barely move.
# - **Near and far targets.** Targets whose threshold lies inside the 5-95 % band are
#   genuinely uncertain; a threshold far outside the band is either almost certain or out of
#   reach under this policy, whatever the random draws.
# - **Bands widen with time.** Uncertainty accumulates: the 2030 band is much wider than the 2025
#   one, so a target that is out of reach in 2025 can still be reachable in 2030.
# - **Everything came from the config.** Change `levers=enacted_2023` to `levers=baseline` (the
#   policy before 2023) and run again: the difference is the effect of the 2023 measures.
#   Notebook 03 shows how to compare two policies properly.
