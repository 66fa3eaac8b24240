"""A city scaled by a factor: the base-year data file with extensive stocks multiplied.

``sim.region.CONF_DIR`` is fixed, so the benchmark child points it at a temporary directory
holding scaled copies of the region's data file (``region.data_file=bench_x<k>.csv``); composing
the config still reads the real ``conf/``. Firm counts scale through the data file (high-tech
enterprises, tech SMEs) and ``region.population.other_rd_firms``; talent through ``talent_total``.
Money stocks and the other counts scale too, so revenue, R&D intensity and graduate inflow per
agent stay as in the base city and only the number of agents changes.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd

import sim.region
from sim.compose import load_config
from sim.config import SimConfig

SCALED_INDICATORS = (
    "gdp",
    "rd_expenditure",
    "talent_total",
    "high_tech_enterprises",
    "tech_smes",
    "students_higher_ed",
    "listed_companies",
    "little_giants",
    "innovation_platforms",
    "tech_contract_turnover",
)
"""Indicators multiplied by the scale factor (extensive stocks that set agent numbers)."""


def scaled_data_dir(factors: list[int], base_cfg: SimConfig) -> Path:
    """Write ``region/bench_x<k>.csv`` for each factor into a new temporary conf directory.

    Args:
        factors: Scale factors (1 keeps the data as they are).
        base_cfg: Config whose region data file is scaled.

    Returns:
        The temporary directory (to assign to ``sim.region.CONF_DIR``).
    """
    root = Path(tempfile.mkdtemp(prefix="bench_conf_"))
    (root / "region").mkdir()
    source = sim.region.data_path(base_cfg.region)
    shutil.copy(source, root / "region" / source.name)
    df = pd.read_csv(source)
    for k in factors:
        out = df.copy()
        rows = out["indicator"].isin(SCALED_INDICATORS)
        for col in ("value", "low", "high"):
            out[col] = out[col].astype(float)
            out.loc[rows, col] = out.loc[rows, col] * k
        out.to_csv(root / "region" / f"bench_x{k}.csv", index=False)
    return root


def scaled_config(k: int, overrides: list[str]) -> SimConfig:
    """Config of the city scaled by ``k`` (the data file must exist under the patched CONF_DIR)."""
    base = load_config(overrides)
    firms = base.region.population.other_rd_firms * k
    return load_config(
        [
            *overrides,
            f"region.data_file=bench_x{k}.csv",
            f"region.population.other_rd_firms={firms}",
        ]
    )


def use_scaled_data(factors: list[int]) -> Path:
    """Point ``sim.region.CONF_DIR`` at a temporary directory with scaled data files."""
    root = scaled_data_dir(factors, load_config([]))
    sim.region.CONF_DIR = root
    return root
