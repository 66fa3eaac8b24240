"""A third city from a data folder and three YAML files, without touching Python.

``Riverton`` lives in a temporary config dir (``hydra.searchpath``): its own industries and zones
(names the code has never seen, no bonded zone), a base-year file with values as published and
indicators estimated from Changsha, an observed file, its targets and its lever preset. It runs
end to end through ``python -m sim``; each silent fallback of issue 16 is refused or reported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from agents.params import ConfigError
from scenarios.calibrate import install_dir, load_observations
from sim.compose import load_config
from sim.model import InnovationModel
from sim.region import load_base_state

BASE = """indicator,value,low,high,unit,basis
gdp,>5000,,,100m yuan,published lower bound
resident_population,500,,,10k persons,census
rd_expenditure,~120,,,100m yuan,approximate
rd_enterprise_share,80,,,% of R&D expenditure,survey
innovation_platforms,,,,count,estimated
national_innovation_platforms,30-50,,,count,a published range
five_type_rd_centres,0,,,count,none
national_mfg_clusters,1,,,count,one cluster
talent_total,,,,10k persons,estimated
listed_companies,30+,,,count,a lower bound
little_giants,40,,,count,list
national_lab_or_big_science,0,,,count,none
high_tech_enterprises,"2,100",,,count,published
tech_smes,3000+,,,count,a lower bound
universities,20,,,count,list
students_higher_ed,25,,,10k persons,bulletin
national_key_labs,3,,,count,list
tech_contract_turnover,,,,100m yuan,estimated
new_home_price,8000,7000,9000,yuan per m2,listing sites
"""

OBSERVED = """kpi,year,published,factor,unit,indicator,source_url,quote,confidence,note
high_tech_enterprises,2023,"2,400+",1,count,hte,https://example.org/a,q,high,test
rd_expenditure,2024,~140,1,100m yuan,rd,https://example.org/b,q,medium,test
"""

REGION = """defaults:
  - /levers@_global_.levers: riverton_2023
  - /targets@_global_.targets: riverton
  - _self_
name: riverton
base_year: 2022
data_file: data/riverton_base_${region.base_year}.csv
observed_file: data/riverton_observed.csv
estimates:
  reference_region: changsha
  reference_data_file: changsha_base_2022.csv
  by: {innovation_platforms: gdp, talent_total: resident_population, tech_contract_turnover: gdp}
population:
  industry_shares: {river_logistics: 0.3, fine_chemicals: 0.3, software: 0.2, everything_else: 0.2}
  catch_all_industry: everything_else
  zone_shares: {port_district: 0.4, old_town: 0.6}
  initial_clusters: [river_logistics]
exogenous:
  gdp_growth: {value: 0.05, low: 0.03, high: 0.07}
policy_timeline:
  - start_year: 2017
    start_quarter: 1
    label: national tax rates only
    preset: riverton_2023
    levers: {super_deduction_rate: 0.75}
  - start_year: 2023
    start_quarter: 1
    label: 2023 programme
    preset: riverton_2023
"""

TARGETS = """name: riverton
targets:
  - {id: high_tech_enterprises, kpi: high_tech_enterprises, year: 2025, threshold: 2600,
     kind: target, label: "HTE"}
  - {id: listed, kpi: listed, year: 2026, threshold: 35, kind: target, label: "listed"}
"""

LEVERS = """defaults: [none, _self_]
name: riverton_2023
start_year: 2023
start_quarter: 1
super_deduction_rate: 1.0
guidance_fund_yuan_per_year: 300000000
"""


@pytest.fixture()
def riverton(tmp_path) -> Path:
    """A user config dir: region/, targets/, levers/ YAML files and a data/ folder."""
    root = tmp_path / "riverton_conf"
    for sub in ("region", "targets", "levers", "data"):
        (root / sub).mkdir(parents=True)
    (root / "data" / "riverton_base_2022.csv").write_text(BASE)
    (root / "data" / "riverton_observed.csv").write_text(OBSERVED)
    (root / "region" / "riverton.yaml").write_text(REGION)
    (root / "targets" / "riverton.yaml").write_text(TARGETS)
    (root / "levers" / "riverton_2023.yaml").write_text(LEVERS)
    subprocess.run(
        [sys.executable, "-m", "sim.observations", str(root / "data" / "riverton_observed.csv")]
        + ["--write"],
        check=True,
        capture_output=True,
    )
    return root


def overrides(root: Path, *more: str) -> list[str]:
    return [f"hydra.searchpath=[file://{root}]", "region=riverton", *more]


def test_the_city_composes_from_its_own_files_with_its_own_structure(riverton):
    cfg = load_config(overrides(riverton))
    assert cfg.region.config_dirs == [str(riverton.resolve())]
    assert cfg.targets.name == "riverton" and len(cfg.targets.targets) == 2
    assert cfg.levers.name == "riverton_2023" and cfg.levers.guidance_fund_yuan_per_year == 3e8
    base = load_base_state(cfg.region)
    assert base["gdp"] == 5000e8 and base.high["gdp"] == pytest.approx(5500e8)  # ">5000"
    assert base.low["rd_expenditure"] == pytest.approx(120e8 * 0.95)  # "~120"
    assert base["national_innovation_platforms"] == 40  # "30-50": midpoint
    assert base["listed_companies"] == 30 and base.high["listed_companies"] == pytest.approx(33)
    ratio = 5000 / 13966.11
    assert base["innovation_platforms"] == pytest.approx(2100 * ratio)
    assert set(base.estimated) == {"innovation_platforms", "talent_total", "tech_contract_turnover"}
    model = InnovationModel(cfg, rng=np.random.default_rng(1))
    assert model.places.industries == (
        "river_logistics",
        "fine_chemicals",
        "software",
        "everything_else",
    )
    assert model.places.bonded_zone == -1 and model.places.arrival_zone_code == -1
    f = model.firms
    assert not f.bonded[: f.n].any()  # no bonded zone: no firm gets bonded R&D
    shares = np.bincount(f.zone[: f.n], minlength=2) / f.n
    assert np.allclose(shares, [0.4, 0.6], atol=0.03)


def test_the_city_runs_end_to_end_and_reports_what_it_borrowed(riverton, tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "sim", *overrides(riverton)]
        + ["run.replicates=3", "run.people_per_agent=4000", "run.horizon=2026"]
        + ["run.workers=1", "run.plots=false", f"hydra.run.dir={out}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert any(line.startswith("high_tech_enterprises") and " 2025 " in line for line in lines)
    assert any(line.startswith("listed") and " 2026 " in line for line in lines)
    borrowed = [line for line in lines if "rest on another city's figures" in line]
    estimated = [line for line in lines if "are estimated, not published" in line]
    assert len(borrowed) == 1 and len(estimated) == 1  # printed once, not per replicate
    saved = yaml.safe_load((out / "config.yaml").read_text())
    inherited = saved["region"]["inherited_parameters"]
    assert inherited and all("changsha" in line for line in inherited)
    assert any("little_giant_city_share" in line for line in inherited)
    done = json.loads((out / "done.json").read_text())
    assert set(done["estimated_indicators"]) == {
        "innovation_platforms",
        "talent_total",
        "tech_contract_turnover",
    }
    reach = pd.read_csv(out / "reachability.csv")
    assert set(reach.target) == {"high_tech_enterprises", "listed"}


def test_another_citys_targets_are_refused(riverton):
    with pytest.raises(ConfigError, match="targets of 'changsha', not of region 'riverton'"):
        load_config(overrides(riverton, "targets=changsha"))
    with pytest.raises(ConfigError, match="targets of 'changsha', not of region 'hefei'"):
        load_config(["region=hefei", "targets=changsha"])


def test_a_region_without_targets_is_refused(riverton):
    region = riverton / "region" / "riverton.yaml"
    region.write_text(region.read_text().replace("  - /targets@_global_.targets: riverton\n", ""))
    with pytest.raises(ConfigError, match="region 'riverton' brings no targets"):
        load_config(overrides(riverton))


def test_calibration_without_the_regions_observed_file_is_refused(riverton):
    cfg = load_config(overrides(riverton, "region.observed_file="))
    with pytest.raises(ConfigError, match="calibration.observed_file is empty"):
        load_observations(cfg.calibration, config_dirs=cfg.region.config_dirs)
    cfg = load_config(
        overrides(riverton, "calibration.base_year=2022", "validation.origins=[2023]")
    )
    obs = load_observations(cfg.calibration, config_dirs=cfg.region.config_dirs)
    assert set(obs.kpi) == {"high_tech_enterprises", "rd_expenditure"}  # its own, by its names


def test_another_regions_posterior_is_refused(riverton):
    region = riverton / "region" / "lakeside.yaml"
    region.write_text("defaults: [changsha_calibrated, _self_]\nname: lakeside\n")
    (riverton / "targets" / "lakeside.yaml").write_text("name: lakeside\ntargets: []\n")
    with pytest.raises(ConfigError, match="calibrated for changsha, not for region 'lakeside'"):
        load_config(overrides(riverton, "region=lakeside", "targets=lakeside"))
    # Without the posterior, every calibrated value it keeps is listed as Changsha's.
    cfg = load_config(
        overrides(riverton, "region=lakeside", "targets=lakeside", "region.posterior_file=")
    )
    calibrated = load_config().region.calibrated_parameters
    named = {line.split(" (")[0] for line in cfg.region.inherited_parameters}
    assert set(calibrated) <= named


def test_big_science_above_the_flagship_labs_is_refused(riverton):
    data = riverton / "data" / "riverton_base_2022.csv"
    data.write_text(
        data.read_text().replace("national_lab_or_big_science,0,", "national_lab_or_big_science,5,")
    )
    cfg = load_config(overrides(riverton, "region.population.flagship_labs=4"))
    with pytest.raises(ConfigError, match="national_lab_or_big_science=5 is more than"):
        InnovationModel(cfg, rng=np.random.default_rng(0))


def test_data_paths_may_be_absolute(riverton):
    data = riverton / "data" / "riverton_base_2022.csv"
    cfg = load_config(overrides(riverton, f"region.data_file={data}"))
    assert load_base_state(cfg.region)["gdp"] == 5000e8


def test_install_writes_where_the_user_says(riverton, tmp_path):
    cfg = load_config(overrides(riverton))
    assert install_dir(cfg) == riverton.resolve() / "region"  # the user's config dir
    cfg.calibration.install_dir = str(tmp_path / "elsewhere")
    assert install_dir(cfg) == tmp_path / "elsewhere"
    shipped = load_config(["region=hefei"])
    assert install_dir(shipped).parts[-2:] == ("conf", "region")  # the project's own regions


def test_hefei_is_a_shipped_region_with_its_own_targets_policy_and_calibration():
    cfg = load_config(["region=hefei_calibrated", "run.people_per_agent=4000", "run.horizon=2025"])
    assert (cfg.region.name, cfg.targets.name, cfg.levers.name) == ("hefei", "hefei", "hefei")
    assert cfg.region.calibrated_for == "hefei" and cfg.region.posterior_file
    assert {t.kpi for t in cfg.targets.targets} >= {"high_tech_enterprises", "listed", "rd_growth"}
    assert cfg.levers.guidance_fund_yuan_per_year == 2.2e9  # its own instruments, not Changsha's
    assert cfg.levers.rent_subsidy_yuan_per_year.graduate == 0.0
    own = set(cfg.region.calibrated_parameters)
    assert not own & {line.split(" (")[0] for line in cfg.region.inherited_parameters}
    base = load_base_state(cfg.region)
    assert base["rd_expenditure"] == 469.5e8 and base.published["gdp"] == "lower"
    assert "talent_total" in base.estimated and "high_tech_enterprises" not in base.estimated
    model = InnovationModel(cfg, rng=np.random.default_rng(2))
    model.run_model()
    frame = model.kpi_frame()
    assert frame.loc[frame.index[0], "clusters"] == 1  # intelligent voice (2021)
    assert model.places.bonded_zone == -1 and "intelligent_voice_ai" in model.places.industries
    assert (frame.high_tech_enterprises.diff().dropna() > 0).all()
