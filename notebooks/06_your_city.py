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
# **Question.** The simulator was built for Changsha, but a city is data, not code. What is the
# least you must supply to run it for another city, and what does the model then tell you about
# that city's own targets?
#
# We follow the guide [docs/your_city.md](../docs/your_city.md) step by step and build
# **Lakeside**, a fictional city about half Changsha's size. Its numbers are made up for the
# exercise, but they have the shape of real published data: some figures are exact, some are
# bounds (">60"), ranges or approximate ("~78"), and four are not published at all. Lakeside has
# its own industries and zones and no bonded zone. Everything goes into a config folder of our
# own, which Hydra searches in addition to the project's `conf/`; the project is not touched.
#
# 1. the base-year data file (the minimum),
# 2. the region config: structure, estimates, composition, drivers, policy,
# 3. the targets file and the lever presets,
# 4. the observed file,
# 5. compose and check,
# 6. a small ensemble and its reachability,
# 7. what rests on another city,
# 8. calibration and validation (commands).

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from scenarios.calibrate import history_config, install_dir, load_observations
from sim.compose import load_config
from sim.config import ConfigError
from sim.ensemble import run_ensemble
from sim.observations import load_observed, write_derived
from sim.provenance import notes
from sim.region import CONF_DIR, REQUIRED, load_base_state
from sim.targets import reachability

# %matplotlib inline

MY_CONF = Path(tempfile.mkdtemp(prefix="nb06_")) / "conf"  # your own config folder
for group in ("region", "targets", "levers", "calibration", "validation"):
    (MY_CONF / group).mkdir(parents=True)
print("my config folder:", MY_CONF)


def save(name: str, text: str) -> None:
    """Write one file of my config folder (``name`` relative to it)."""
    (MY_CONF / name).write_text(text, encoding="utf-8")
    print("wrote", name)


# %% [markdown]
# ## 1. The minimum: one base-year data file
#
# One row per indicator, columns `indicator, value, low, high, unit, basis`. Units follow the
# Chinese statistical bulletins (100m yuan, 10k persons, percent). These indicators are required
# (`sim.region.REQUIRED`, with the factor that converts the file's unit to yuan or persons);
# `resident_population` is needed as well when an estimate is scaled by population:

# %%
units = pd.read_csv(CONF_DIR / "region" / "changsha_base_2022.csv").set_index("indicator").unit
pd.DataFrame({"unit": units[list(REQUIRED)], "to model units": pd.Series(REQUIRED)})

# %% [markdown]
# Lakeside's file. Write `value` **as the source printed it** and leave `low` and `high` blank:
# `"3,200+"` and `">60"` are lower bounds (taken as at most 10 % above), `"~78"` and `"约2500"` are
# approximate (+-5 %), `"40-55"` is a range. Four indicators are not published: their value is
# blank, and the region config says how to estimate them (step 2). The `basis` column names the
# source of every number.

# %%
rows = [  # indicator, value as published, unit, basis
    ("gdp", "7,012.5", "100m yuan", "2022 statistical bulletin (fictional)"),
    ("resident_population", "~705", "10k persons", "year-end 2022, rounded in the bulletin"),
    ("rd_expenditure", "168.3", "100m yuan", "2022 R&D bulletin"),
    ("rd_enterprise_share", "~78", "% of R&D expenditure", "'enterprises about 78 %'"),
    ("innovation_platforms", "", "count", "not published; estimated (region.estimates)"),
    ("national_innovation_platforms", "40-55", "count", "'40 to 55' in two reports"),
    ("five_type_rd_centres", "0", "count", "no such registration programme"),
    ("national_mfg_clusters", "1", "count", "rail equipment, national batch 2022"),
    ("talent_total", "", "10k persons", "not published; estimated (region.estimates)"),
    ("listed_companies", "41", "count", "exchange lists, end-2022"),
    ("little_giants", ">60", "count", "'more than 60 national little giants'"),
    ("national_lab_or_big_science", "0", "count", "none"),
    ("high_tech_enterprises", "3,200+", "count", "'3,200+ high-tech enterprises'"),
    ("tech_smes", "约2500", "count", "'约2500家' (about 2,500)"),
    ("universities", "28", "count", "higher-education institutions"),
    ("students_higher_ed", "36.5", "10k persons", "education bulletin"),
    ("national_key_labs", "5", "count", "ministry list"),
    ("tech_contract_turnover", "", "100m yuan", "not published; estimated (region.estimates)"),
    ("new_home_price", "", "yuan per m2", "not published; estimated (region.estimates)"),
]
data = pd.DataFrame(rows, columns=["indicator", "value", "unit", "basis"])
data.insert(2, "low", "")
data.insert(3, "high", "")
data.to_csv(MY_CONF / "region" / "lakeside_base_2022.csv", index=False)
display(data)

# %% [markdown]
# ## 2. The region config
#
# `region/lakeside.yaml` in our folder. Each block is explained in the guide; in short:
#
# - **defaults**: the region selects its own lever preset and its own targets;
# - **files**: relative names are looked up in our folder (`region/`, then the folder itself),
#   then in the project's `conf/region/`. Here the data file is ours, the reference city's file
#   (`changsha_base_2022.csv`) is the project's;
# - **estimates**: the four unpublished indicators, each scaled from Changsha by GDP, resident
#   population or GDP per capita, with a range widened by 30 %;
# - **population**: Lakeside's own industries and zones with their shares (an assumption here,
#   as for Hefei), the catch-all industry, no bonded zone (`special_zones: {}`), where arriving
#   R&D centres settle, the cluster it already has, and the counts the data file lacks;
# - **exogenous**: its own GDP growth; the national series are the same for every city (copied
#   from `conf/region/changsha.yaml`);
# - **policy_timeline**: the policy in force period by period; its state at the end of the base
#   year is the reference the behaviour responds to.

# %%
region_yaml = """\
# Lakeside (fictional), base year 2022.
defaults:
  - /levers@_global_.levers: lakeside      # conf/levers/lakeside.yaml of my folder
  - /targets@_global_.targets: lakeside    # conf/targets/lakeside.yaml of my folder
  - _self_
name: lakeside
base_year: 2022
data_file: lakeside_base_${region.base_year}.csv
observed_file: lakeside_observed.csv
track_record_file: ""                      # no back-test yet
estimates:
  reference_region: changsha
  reference_data_file: changsha_base_2022.csv   # same base year; the project's file
  by:
    innovation_platforms: gdp
    talent_total: resident_population
    tech_contract_turnover: gdp
    new_home_price: gdp_per_capita
  widen: 0.3
population:
  industry_shares: {rail_equipment: 0.12, battery_materials: 0.15, agri_food_tech: 0.08,
                    industrial_software: 0.15, other: 0.50}
  catch_all_industry: other
  zone_shares: {lakeshore_high_tech_zone: 0.30, university_town: 0.10, rest_of_city: 0.60}
  special_zones: {}                        # no bonded zone: bonded levers act on nothing
  centre_arrival_zone: lakeshore_high_tech_zone
  initial_clusters: [rail_equipment]
  flagship_labs: 1                         # >= national_lab_or_big_science of the data file
  research_institutes: 30
  new_type_institutions: 20
  researchers: 15000
  other_rd_firms: 1500
  national_innovation_centres: 1
  national_enterprise_tech_centres: 15
  guidance_fund_capital_yuan: 2.0e9
  vc_funds: 25
  vc_capital_yuan: 1.0e10
exogenous:
  gdp_growth: {value: 0.05, low: 0.035, high: 0.065}
  gdp_growth_by_year: {2018: 0.071, 2019: 0.065, 2020: 0.031, 2021: 0.088, 2022: 0.047}
  # national series, the same for every city (conf/region/changsha.yaml gives their sources)
  listing_window: {2018: 0.25, 2019: 0.47, 2020: 1.02, 2021: 1.22, 2022: 1.0, 2023: 0.73,
                   2024: 0.25, 2025: 0.35, 2026: 0.5}
  listing_window_later: {value: 0.6, low: 0.3, high: 1.0}
  little_giant_batch: {2018: 0, 2019: 248, 2020: 1584, 2021: 2930, 2022: 4357, 2023: 3671,
                       2024: 3000}
  little_giant_batch_later: {value: 3000, low: 2000, high: 4500}
  cluster_round_years: [2019, 2021, 2022, 2024, 2025, 2027, 2030]
  national_key_lab_rounds: {2023: 1.0}
  national_key_lab_rounds_later: {value: 0.05, low: 0.0, high: 0.3}
policy_timeline:
  - {start_year: 2018, start_quarter: 1, preset: lakeside, levers: {super_deduction_rate: 0.75},
     label: "2018: city talent scheme; super-deduction 75 %", source: "Caishui [2018] No. 99"}
  - {start_year: 2021, start_quarter: 1, levers: {super_deduction_rate: 0.9125},
     label: "2021: 100 % for manufacturing", source: "MOF/STA Announcement 2021 No. 13"}
  - {start_year: 2022, start_quarter: 4, levers: {super_deduction_rate: 1.0},
     label: "2022 Q4: 100 % for all firms", source: "MOF/STA/MOST Announcement 2022 No. 28"}
"""
save("region/lakeside.yaml", region_yaml)

# %% [markdown]
# ## 3. Targets and lever presets
#
# The targets file must carry the region's name: a region is only ever scored against its own
# targets. The lever preset `lakeside` is the local policy in force (on top of `none`, the
# national instruments only); `lakeside_talent_push` is a new measure to test, from 2024.

# %%
targets_yaml = """\
name: lakeside
count_from_year: 2023
count_from_quarter: 1
targets:
  - {id: high_tech_enterprises, kpi: high_tech_enterprises, year: 2025, threshold: 4500,
     kind: target, label: "high-tech enterprises 4,500"}
  - {id: rd_intensity, kpi: rd_intensity, year: 2025, threshold: 2.8, kind: target,
     label: "R&D intensity 2.8 % of GDP"}
  - {id: listed, kpi: listed, year: 2026, threshold: 55, kind: target, label: "listed companies 55"}
  - {id: talent, kpi: talent, year: 2030, threshold: 2400000, kind: target,
     label: "talent stock 2.4 million"}
"""
levers_yaml = """\
defaults:
  - none
  - _self_
name: lakeside
start_year: 2023
start_quarter: 1
super_deduction_rate: 1.0
rd_post_subsidy_rate: 0.03
rent_subsidy_yuan_per_year: {graduate: 6000}
guidance_fund_yuan_per_year: 500000000
"""
push_yaml = """\
defaults:
  - lakeside
  - _self_
name: lakeside_talent_push
start_year: 2024
start_quarter: 1
rent_subsidy_yuan_per_year: {young: 10000, graduate: 15000}
housing_eligibility_months: 6
"""
save("targets/lakeside.yaml", targets_yaml)
save("levers/lakeside.yaml", levers_yaml)
save("levers/lakeside_talent_push.yaml", push_yaml)

# %% [markdown]
# ## 4. The observed file
#
# What the city reported after its base years, one row per published figure (`kpi, year,
# published, factor, ..., source_url, quote, confidence`): it is what a calibration fits and a
# back-test scores. Write `published` as printed; `python -m sim.observations <file> --write`
# (here `write_derived`) fills in `value, low, high, kind`. Bounds stay bounds (`high = inf`).

# %%
observed = pd.DataFrame(
    [
        ("high_tech_enterprises", 2021, ">2800", 1, "count", "high_tech_enterprises", "medium"),
        ("high_tech_enterprises", 2022, "3,200+", 1, "count", "high_tech_enterprises", "high"),
        ("rd_expenditure", 2021, "151.0", 1, "100m yuan", "rd_expenditure", "high"),
        ("rd_expenditure", 2022, "168.3", 1, "100m yuan", "rd_expenditure", "high"),
        ("listed", 2021, "36", 1, "count", "listed_companies", "medium"),
        ("talent", 2022, "约180", 1e4, "10k persons", "talent_total", "low"),
    ],
    columns=["kpi", "year", "published", "factor", "unit", "indicator", "confidence"],
)
observed["source_url"] = "https://example.org/lakeside"  # (fictional)
observed.to_csv(MY_CONF / "region" / "lakeside_observed.csv", index=False)
write_derived(MY_CONF / "region" / "lakeside_observed.csv")
load_observed(MY_CONF / "region" / "lakeside_observed.csv")[
    ["kpi", "year", "value", "low", "high", "kind", "confidence"]
]

# %% [markdown]
# ## 5. Compose and check
#
# `hydra.searchpath` adds our folder; `region=lakeside` is then found there and brings its
# levers and targets. The typed schema checks every value (shares sum to 1, the roles name an
# industry or zone of the city, ranges, money levers against the city's GDP) before anything
# runs. `region.config_dirs` is filled in from the search path.

# %%
LAKESIDE = [
    f"hydra.searchpath=[file://{MY_CONF}]",
    "region=lakeside",
    "run.replicates=8",
    "run.people_per_agent=8000",
    "run.workers=2",
    "run.progress=false",
    "run.plots=false",
]
cfg = load_config(LAKESIDE)
print(f"region {cfg.region.name}, levers {cfg.levers.name}, targets {cfg.targets.name}")
print("config dirs:", cfg.region.config_dirs)
print("industries:", list(cfg.region.population.industry_shares))
print("reference policy (end of 2022):", cfg.reference_levers.name)

# %% [markdown]
# The base year as the model reads it, in the file's units: what was published as a bound,
# range or approximation, and what was estimated, with the rule that gave it.

# %%
base = load_base_state(cfg.region)
to_file = {k: v / REQUIRED[k] for k, v in base.values.items()}
table = pd.DataFrame(
    {
        "value": to_file,
        "low": {k: v / REQUIRED[k] for k, v in base.low.items()},
        "high": {k: v / REQUIRED[k] for k, v in base.high.items()},
    }
).round(1)
table["form"] = pd.Series(base.published).reindex(table.index).fillna("exact")
table.loc[list(base.estimated), "form"] = "estimated"
display(table[table.form != "exact"])
for key, rule in base.estimated.items():
    print(f"{key}: {rule}")

# %% [markdown]
# Mistakes stop before anything runs, with one line naming the field. Scoring Lakeside against
# Changsha's targets, a cluster industry the city does not have, or a zone it does not have:

# %%
for bad in (
    "targets=changsha",
    "region.population.initial_clusters=[construction_machinery]",
    "region.population.centre_arrival_zone=ftz_bonded_zone",
):
    try:
        load_config([*LAKESIDE, bad])
    except ConfigError as err:
        print(f"{bad}\n  -> {str(err)[:160]}")

# %% [markdown]
# ## 6. A small ensemble and its reachability
#
# Lakeside under its policy in force (`lakeside`) and with the talent push from 2024, same seeds
# (common random numbers). Eight replicates at 8,000 people per talent agent keep this quick;
# the intervals are correspondingly wide.

# %%
results = {
    levers: run_ensemble(load_config([*LAKESIDE, f"levers={levers}"]))
    for levers in ("lakeside", "lakeside_talent_push")
}
reach = pd.concat(
    {name: reachability(r.kpis, cfg.targets.targets) for name, r in results.items()},
    names=["levers"],
).reset_index(level=0)
display(reach.pivot(index=["target", "year", "threshold"], columns="levers", values="probability"))
reach[reach.levers == "lakeside"][["target", "year", "threshold", "median", "p05", "p95"]].round(1)

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
# ## 7. What rests on another city
#
# Lakeside's behaviour is the prior: every behavioural parameter whose default was calibrated
# on Changsha, or set from Changsha's figures, is still Changsha's. The run lists them
# (`region.inherited_parameters`, saved in every run's `config.yaml`), and `python -m sim` prints
# one `note:` line per kind of borrowed evidence, the lines below. We set `research_institutes`
# and `flagship_labs`, so these Changsha figures are not on the list; the composition counts
# marked "assumption" (`vc_capital_yuan`, ...) are never on it, even where their defaults were
# sized for Changsha (the guide, section 7).

# %%
for line in notes(cfg, base):
    print("note:", line)
print(f"\n{len(cfg.region.inherited_parameters)} inherited parameters:")
for line in cfg.region.inherited_parameters:
    print("  ", line.split(" (")[0])

# %% [markdown]
# ## 8. Calibration and validation
#
# Fitting Lakeside's own behaviour needs its record: a base-year file of an earlier year (the
# replay starts there) and the observed file. A calibration preset names the years and the
# parameters the record can inform (thin records: few of them, as `conf/calibration/hefei.yaml`
# does); a validation preset names the back-test origins, which must come after the calibration's
# base year (the default origins 2019-2023 do not, so it is needed even to calibrate). Here we
# only compose them and look at what they would use; a calibration takes minutes to hours.

# %%
save(
    "calibration/lakeside.yaml",
    """\
defaults:
  - default
  - _self_
base_year: 2020
end_year: 2022
free:
  - region.behaviour.statuses.hte_application_rate
  - region.behaviour.statuses.hte_loss_rate
  - region.behaviour.statuses.listing_rate
  - region.behaviour.firm.rd_elasticity_long_run
implausibility_rank: 1
""",
)
save(
    "validation/lakeside.yaml",
    """\
defaults:
  - default
  - _self_
origins: [2021]     # after calibration.base_year; calibrated on 2020-2021, scored on 2022
lead_years: 1
""",
)
cal_cfg = load_config([*LAKESIDE, "calibration=lakeside", "validation=lakeside"])
display(load_observations(cal_cfg.calibration, config_dirs=cal_cfg.region.config_dirs))
print("installs into:", install_dir(cal_cfg))
try:  # the replay from 2020 needs lakeside_base_2020.csv, which we have not written
    load_base_state(history_config(cal_cfg).region)
except ConfigError as err:
    print("history replay:", str(err).split(";")[0])

# %% [markdown]
# With `lakeside_base_2020.csv` written (and `region.estimates_by_year.2020` for what that year
# lacks), the commands are:
#
# ```bash
# D=file:///abs/path/to/my/conf
# .venv/bin/python -m scenarios.calibrate "hydra.searchpath=[$D]" region=lakeside \
#     calibration=lakeside validation=lakeside calibration.install=true
#     # -> <my conf>/region/lakeside_calibrated.yaml and lakeside_calibrated_posterior.csv
# .venv/bin/python -m scenarios.validate "hydra.searchpath=[$D]" region=lakeside_calibrated \
#     calibration=lakeside validation=lakeside           # one origin, 2021, scored on 2022
# .venv/bin/python -m sim "hydra.searchpath=[$D]" region=lakeside_calibrated
# ```

# %% [markdown]
# ## What to notice
#
# - **A new city is data, not code.** Five small files in a folder of our own (data, region,
#   targets, two lever presets) and an observed file were enough; the city's industries and
#   zones are its own names, and a city without a bonded zone simply has none.
# - **Published forms stay what they were.** A bound or an approximate figure becomes a range,
#   and an unpublished indicator becomes an estimate from a named city, recorded with its rule
#   in the run record (`done.json`: `published_forms`, `estimated_indicators`). Nothing is
#   filled in silently.
# - **Borrowed behaviour, borrowed conclusions.** Until Lakeside is calibrated on its own
#   record, the difference between the two policies is Changsha's behaviour applied to
#   Lakeside's base year. The direction of a lever's effect is usually robust; its size and the
#   probabilities are not. The inherited-parameter list says exactly which numbers those are.
# - **Targets are the city's own.** Lakeside cannot be scored against Changsha's targets; a
#   target far outside the projected band is a planning question (is it realistic?), not a
#   modelling one.
# - **The base year is reproduced by construction**, so a good fit at step 0 says nothing about
#   behaviour. Only a calibration on the city's own past and a back-test do.
