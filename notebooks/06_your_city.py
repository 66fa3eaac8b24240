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
# # 06 Your city: what does it take to model another city?
#
# **Question.** The simulator was built for Changsha, but every city-specific number lives in
# `conf/`. What does it take to run it for another city, and would Changsha's 2023 policy
# package help that city reach *its* targets?
#
# We build **Lakeside**, a fictional city about half Changsha's size (the numbers below are made
# up for the exercise; a real city needs a source for every one of them):
#
# 1. a base-year data table with every required indicator,
# 2. a region config and a targets config, in a config folder of our own that Hydra searches in
#    addition to the project's `conf/`,
# 3. a check that the model reproduces the base year, and two small ensembles,
# 4. what has to be calibrated before the probabilities mean anything.

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from agents.categories import INDUSTRIES, ZONES
from scenarios.calibrate import history_config
from sim.compose import load_config
from sim.config import ConfigError
from sim.ensemble import run_ensemble
from sim.model import InnovationModel
from sim.region import CONF_DIR, REQUIRED, load_base_state
from sim.targets import reachability

# %matplotlib inline

MY_CONF = Path(tempfile.mkdtemp(prefix="nb06_")) / "conf"  # your own config folder
(MY_CONF / "region").mkdir(parents=True)
(MY_CONF / "targets").mkdir()
print("my config folder:", MY_CONF)

# %% [markdown]
# ## 1. The base-year data table
#
# A region's data file has one row per indicator with `value`, `low`, `high` (the range used
# when `run.base_state_uncertainty=true`), `unit` and `basis` (the source). Units follow the
# Chinese statistical bulletins. These are the indicators every region must provide, with
# Changsha's units:

# %%
changsha = pd.read_csv(CONF_DIR / "region" / "changsha_base_2022.csv").set_index("indicator")
changsha.loc[list(REQUIRED), ["value", "unit"]]

# %% [markdown]
# Lakeside's table. `low` and `high` express how sure we are of each number.

# %%
rows = [  # indicator, value, low, high
    ("gdp", 7000, 7000, 7000),
    ("rd_expenditure", 168, 160, 175),
    ("rd_enterprise_share", 80, 76, 84),
    ("innovation_platforms", 900, 800, 1000),
    ("national_innovation_platforms", 45, 40, 50),
    ("five_type_rd_centres", 0, 0, 10),
    ("national_mfg_clusters", 1, 1, 1),
    ("talent_total", 130, 120, 140),
    ("listed_companies", 40, 40, 40),
    ("little_giants", 70, 70, 70),
    ("national_lab_or_big_science", 0, 0, 0),
    ("high_tech_enterprises", 3200, 3100, 3300),
    ("tech_smes", 2500, 2000, 3000),
    ("universities", 30, 30, 30),
    ("students_higher_ed", 35, 33, 37),
    ("national_key_labs", 5, 5, 8),
    ("tech_contract_turnover", 300, 280, 320),
    ("new_home_price", 9000, 8500, 9500),
]
lakeside = pd.DataFrame(rows, columns=["indicator", "value", "low", "high"])
lakeside["unit"] = lakeside.indicator.map(changsha.unit)
lakeside["basis"] = "fictional value for the notebook"
data_file = MY_CONF / "region" / "lakeside_base_2022.csv"
lakeside.to_csv(data_file, index=False)
lakeside.head()

# %% [markdown]
# ## 2. Region and targets configs
#
# The region config extends Changsha's (`defaults: [changsha, _self_]`) and overrides what
# differs: the name, the data file, the composition of the city where data is missing, and the
# exogenous drivers. The categories (industries, zones) are part of the model, so a new city maps
# its places onto them: Lakeside's bonded zone is `ftz_bonded_zone`, everything else is
# `rest_of_city`.
#
# In the project you would save these files as `conf/region/lakeside.yaml` (with the CSV next to
# it and just its file name as `data_file`) and `conf/targets/lakeside.yaml`. Here they go into
# our own folder, which Hydra searches too (`hydra.searchpath`), so the project is not touched.

# %%
industry_shares = dict.fromkeys(INDUSTRIES, 0.05) | {
    "new_materials": 0.20,
    "intelligent_equipment": 0.15,
    "digital": 0.15,
    "other": 0.20,
}
zone_shares = dict.fromkeys(ZONES, 0.0) | {"ftz_bonded_zone": 0.03, "rest_of_city": 0.97}
assert abs(sum(industry_shares.values()) - 1) < 1e-9


def block(mapping, indent=4):
    """A dict as the lines of a YAML block mapping."""
    return "\n".join(f"{' ' * indent}{k}: {v}" for k, v in mapping.items())


region_yaml = f"""\
# Lakeside (fictional), base year 2022. Extends Changsha: behaviour, national drivers.
defaults:
  - changsha
  - _self_
name: lakeside
base_year: 2022
data_file: {data_file}
observed_file: ""       # nothing reported yet: runs are not conditioned, no back-test
track_record_file: ""
population:
  other_rd_firms: 1500
  research_institutes: 40
  new_type_institutions: 20
  flagship_labs: 1
  researchers: 18000
  national_innovation_centres: 1
  national_enterprise_tech_centres: 15
  guidance_fund_capital_yuan: 2.0e9
  vc_funds: 25
  vc_capital_yuan: 1.0e10
  initial_clusters: [new_materials]
  industry_shares:
{block(industry_shares)}
  zone_shares:
{block(zone_shares)}
exogenous:
  gdp_growth: {{value: 0.05, low: 0.035, high: 0.06}}
"""
targets_yaml = """\
name: lakeside
count_from_year: 2023
count_from_quarter: 3
targets:
  - {id: talent, kpi: talent, year: 2025, threshold: 1500000, label: talent stock}
  - {id: hte, kpi: high_tech_enterprises, year: 2025, threshold: 4500, label: high-tech firms}
  - {id: listed, kpi: listed, year: 2026, threshold: 45, label: listed companies}
  - {id: rd_intensity, kpi: rd_intensity, year: 2026, threshold: 3.0, label: R&D intensity}
"""
(MY_CONF / "region" / "lakeside.yaml").write_text(region_yaml)
(MY_CONF / "targets" / "lakeside.yaml").write_text(targets_yaml)
print(region_yaml)

# %% [markdown]
# Compose it like any other config: the group options `region=lakeside` and `targets=lakeside`
# are found in our folder. The typed schema checks every value (shares must sum to 1, categories
# must exist, ...) before anything runs.

# %%
LAKESIDE = [
    f"hydra.searchpath=[file://{MY_CONF}]",
    "region=lakeside",
    "targets=lakeside",
    "run.replicates=8",
    "run.horizon=2026",
    "run.people_per_agent=5000",
    "run.workers=2",
    "run.progress=false",
    "run.plots=false",
]
cfg = load_config([*LAKESIDE, "levers=baseline"])
print(cfg.region.name, "| data:", Path(cfg.region.data_file).name)
print("targets:", [f"{t.id}@{t.year}" for t in cfg.targets.targets])

# %% [markdown]
# A missing or malformed indicator stops the run with one line naming it:

# %%
broken = MY_CONF / "region" / "broken_base_2022.csv"
lakeside[lakeside.indicator != "tech_smes"].to_csv(broken, index=False)
try:
    load_base_state(load_config([*LAKESIDE, f"region.data_file={broken}"]).region)
except ConfigError as err:
    print("ConfigError:", str(err)[:140], "...")

# %% [markdown]
# ## 3. Does the model reproduce the base year?
#
# At step 0 every KPI must equal the data (converted to model units): the base-year populations
# are built so that they add up to the table.

# %%
base = load_base_state(cfg.region)  # values in yuan and persons
model = InnovationModel(cfg, rng=1)
step0 = model.kpi_frame().loc[cfg.region.base_year]
pairs = {  # KPI: (indicator, factor from model units to KPI units)
    "high_tech_enterprises": ("high_tech_enterprises", 1),
    "talent": ("talent_total", 1),
    "listed": ("listed_companies", 1),
    "rd_expenditure": ("rd_expenditure", 1e-8),
    "tech_contract_turnover": ("tech_contract_turnover", 1e-8),
}
pd.DataFrame(
    {
        "data": {kpi: base[ind] * factor for kpi, (ind, factor) in pairs.items()},
        "model at step 0": step0[list(pairs)],
    }
).round(1)

# %% [markdown]
# Now the policy question: Lakeside under its current policy (`baseline`), and Lakeside copying
# Changsha's 2023 package (`enacted_2023`), with the same seeds (common random numbers).

# %%
results = {
    levers: run_ensemble(load_config([*LAKESIDE, f"levers={levers}"]))
    for levers in ("baseline", "enacted_2023")
}
reach = pd.concat(
    {name: reachability(r.kpis, cfg.targets.targets) for name, r in results.items()},
    names=["levers"],
).reset_index(level=0)
display(reach.pivot(index=["target", "year", "threshold"], columns="levers", values="probability"))

# %%
fig, axes = plt.subplots(1, 4, figsize=(15, 3.6))
for ax, t in zip(axes, cfg.targets.targets, strict=True):
    for (name, r), colour in zip(results.items(), ["tab:gray", "tab:blue"], strict=True):
        q = r.kpis[r.kpis.kpi == t.kpi].groupby("year").value.quantile([0.05, 0.5, 0.95]).unstack()
        ax.fill_between(q.index, q[0.05], q[0.95], color=colour, alpha=0.25, lw=0)
        ax.plot(q.index, q[0.5], color=colour, label=name)
    ax.plot(t.year, t.threshold, "D", color="tab:red", label="target")
    ax.set_title(t.label, fontsize=10)
    ax.grid(alpha=0.3)
axes[0].legend(fontsize=8)
fig.suptitle("Lakeside (fictional): median and 5-95 % band, 8 replicates per policy")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 4. What must be calibrated before these numbers mean anything
#
# Lakeside runs, but its behaviour is borrowed. It extends `changsha`, whose behavioural
# parameters sit at their literature defaults; the fitted values of `changsha_calibrated` were
# matched to *Changsha's* 2017-2022 history. (Extending `changsha_calibrated` instead would
# borrow Changsha's fitted values and plausible sets: a transfer assumption to state, not a
# calibration.) For Lakeside you need:
#
# 1. **Sources** for every base-year number (the `basis` column), and the composition
#    assumptions of `population` (firms that are neither high-tech nor tech SMEs, researchers,
#    institutes, funds), whose plausible ranges in `sim/config.py` were set for Changsha.
# 2. **A 2017 base-year file** (`lakeside_base_2017.csv`) and **observed series 2017-2022**
#    (`lakeside_observed.csv`, the layout of `conf/region/changsha_observed.csv`: kpi, year, the
#    figure as published, source and confidence, for high-tech enterprises, tech SMEs, listed
#    companies, little giants, R&D, technology contracts, clusters, GDP).
# 3. **The city's own drivers and policy**: GDP growth by year, the policy in force period by
#    period (`policy_timeline` in the region file; its state at the end of the base year is the
#    reference behaviour is calibrated to) and the new measures (a `conf/levers/lakeside_*.yaml`).
# 4. **Calibration** of the free parameters below, then the back-tests (notebook 05 and
#    `python -m scenarios.validate region=lakeside`, which reads the same observed file):
#
# ```bash
# .venv/bin/python -m scenarios.calibrate region=lakeside \
#     calibration.output_region=lakeside_calibrated calibration.install=true
# ```

# %%
print("free parameters to fit:")
for name in cfg.calibration.free:
    print("  ", name)
try:  # the replay from 2017 looks for the 2017 file, which Lakeside does not have yet
    load_base_state(history_config(cfg).region)
except ConfigError as err:
    print("\nhistory replay:", str(err).split(";")[0])

# %% [markdown]
# ## What to notice
#
# - **A new city is data, not code.** Two YAML files and one CSV were enough to run Lakeside; the
#   typed schema caught malformed input before any run.
# - **The base year is reproduced by construction**, so a good fit at step 0 says nothing about
#   behaviour. Only history matching against the city's own past and a back-test do.
# - **Borrowed behaviour, borrowed conclusions.** The comparison of the two policies uses
#   Changsha-like behaviour (how firms respond to subsidies, how talent responds to housing
#   support). The *direction* of a lever's effect is usually robust; its size and the
#   probabilities of reaching targets are not, until Lakeside is calibrated.
# - **Targets are the city's own.** A target far outside the projected band is a planning
#   question (is the target realistic?), not a modelling one.
# - **Categories are shared.** Industries and zones are model structure named after Changsha's
#   plan; a city with different priority industries or zones must map onto them (or generalise
#   the code).
