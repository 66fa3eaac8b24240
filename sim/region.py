"""Load and validate a region's base-year data file (the agents are built in :mod:`sim.build`).

The data file is a CSV with columns ``indicator, value, low, high, unit, basis`` (the Changsha file
is a copy of ``shared/data/changsha/base_2022.csv``). Units follow the Chinese statistical
bulletins: 100m yuan, 10k persons, percent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents.params import ConfigError

if TYPE_CHECKING:
    from sim.config import RegionConfig

CONF_DIR = Path(__file__).resolve().parent.parent / "conf"

REQUIRED = {
    "gdp": 1e8,
    "rd_expenditure": 1e8,
    "rd_enterprise_share": 0.01,
    "innovation_platforms": 1.0,
    "national_innovation_platforms": 1.0,
    "five_type_rd_centres": 1.0,
    "national_mfg_clusters": 1.0,
    "talent_total": 1e4,
    "listed_companies": 1.0,
    "little_giants": 1.0,
    "national_lab_or_big_science": 1.0,
    "high_tech_enterprises": 1.0,
    "tech_smes": 1.0,
    "universities": 1.0,
    "students_higher_ed": 1e4,
    "national_key_labs": 1.0,
    "tech_contract_turnover": 1e8,
    "new_home_price": 1.0,
}
"""Indicators a region file must have, with the factor converting its unit to yuan / persons."""


@dataclass
class BaseState:
    """Base-year stocks in model units (yuan, persons, counts, shares)."""

    values: dict[str, float]
    low: dict[str, float]
    high: dict[str, float]

    def __getitem__(self, key: str) -> float:
        return self.values[key]

    def drawn(self, rng: np.random.Generator) -> BaseState:
        """A copy with every stock drawn from its (low, value, high) triangular range."""
        vals = {}
        for k, v in self.values.items():
            lo, hi = self.low[k], self.high[k]
            vals[k] = float(rng.triangular(lo, min(max(v, lo), hi), hi)) if hi > lo else v
        return BaseState(vals, self.low, self.high)


def data_path(region: RegionConfig) -> Path:
    """Path of the region's base-year data file."""
    return CONF_DIR / "region" / region.data_file


def load_base_state(region: RegionConfig) -> BaseState:
    """Read and validate the region's base-year data file.

    Args:
        region: Region config (``data_file`` and ``base_state`` column).

    Returns:
        Stocks converted to model units.

    Raises:
        ConfigError: missing file, missing or repeated indicator, non-numeric or negative value.
    """
    path = data_path(region)
    if not path.exists():
        available = sorted(p.name for p in path.parent.glob("*.csv"))
        raise ConfigError(
            f"region.data_file={region.data_file!r} not found for region.base_year="
            f"{region.base_year}; available files: {available}"
        )
    df = pd.read_csv(path)
    for col in ("indicator", "value", "low", "high"):
        if col not in df.columns:
            raise ConfigError(
                f"{path.name}: column {col!r} is missing; need indicator,value,low,high"
            )
    dup = df["indicator"][df["indicator"].duplicated(keep=False)]
    if len(dup):
        name = dup.iloc[0]
        lines = [i + 2 for i in dup.index[dup == name]]  # header is line 1
        raise ConfigError(
            f"{path.name}: indicator {name!r} appears {len(lines)} times (lines "
            f"{', '.join(map(str, lines))}); each indicator must appear once"
        )
    df = df.set_index("indicator")
    missing = [k for k in REQUIRED if k not in df.index]
    if missing:
        raise ConfigError(
            f"{path.name}: indicator {missing[0]!r} is missing (required: {list(REQUIRED)})"
        )
    out = {}
    for name in ("value", "low", "high"):
        col = pd.to_numeric(df[name], errors="coerce")
        vals = {}
        for key, factor in REQUIRED.items():
            v = col.get(key)
            if v is None or not np.isfinite(v):
                raise ConfigError(
                    f"{path.name}: {key}.{name}={df.loc[key, name]!r} is not a number"
                )
            if v < 0:
                raise ConfigError(f"{path.name}: {key}.{name}={v} is negative; stocks must be >= 0")
            vals[key] = float(v) * factor
        out[name] = vals
    chosen = out[region.base_state]
    return BaseState(chosen, out["low"], out["high"])
