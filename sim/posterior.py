"""Parameter uncertainty: draw a plausible parameter set per replicate from a calibrated posterior.

The posterior file (``region.posterior_file``, written by ``python -m scenarios.calibrate``)
holds one plausible parameter set per row, one column per dotted parameter name. Replicate ``r``
of a run always gets the same row for the same ``run.seed``, so settings compared with common
random numbers also share their parameter draws.
"""

from __future__ import annotations

import copy
from functools import lru_cache

import numpy as np
import pandas as pd

from agents.params import documented_fields
from sim.config import ConfigError, SimConfig, check
from sim.paths import region_file
from sim.region import CONF_DIR

POSTERIOR_STREAM = 0xCA1  # salt that separates parameter draws from the model's random streams


def with_params(cfg: SimConfig, names: list[str], values) -> SimConfig:
    """A copy of ``cfg`` with dotted numeric fields (``region.behaviour...``, ``levers...``) set.

    Integer fields get the rounded value; the result is not re-validated (call ``check``).

    Raises:
        ConfigError: if a name does not lead to a numeric field.
    """
    out = copy.deepcopy(cfg)
    for name, value in zip(names, values, strict=True):
        *path, leaf = name.split(".")
        obj = out
        try:
            for part in path:
                obj = getattr(obj, part)
            current = getattr(obj, leaf)
        except AttributeError as err:
            raise ConfigError(f"{name} is not a config field") from err
        if isinstance(current, bool) or not isinstance(current, int | float):
            raise ConfigError(f"{name} is not a numeric field (it holds {current!r})")
        setattr(obj, leaf, int(round(value)) if isinstance(current, int) else float(value))
    return out


@lru_cache(maxsize=8)
def load_posterior(file_name: str, config_dirs: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read and check a posterior file (found like every region file: :mod:`sim.paths`).

    An absolute ``region.posterior_file`` points at a posterior outside the config tree, e.g. the
    one a back-test origin calibrated into its run directory (``python -m scenarios.validate``);
    a relative one is looked up in ``config_dirs`` (``region.config_dirs``), then in
    ``conf/region/``.

    Raises:
        ConfigError: missing file, unknown parameter column, non-numeric value or no rows.
    """
    path = region_file(file_name, "region.posterior_file", config_dirs, conf_dir=CONF_DIR)
    try:
        post = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path.name} is not a readable CSV: {err}") from err
    known = {name for name, _, _ in documented_fields(SimConfig().region, "region.")}
    unknown = [c for c in post.columns if c not in known]
    if unknown:
        raise ConfigError(f"{path.name}: unknown parameter columns {unknown}")
    values = post.apply(pd.to_numeric, errors="coerce")
    if post.empty or values.isna().any().any():
        raise ConfigError(f"{path.name}: needs at least one row and numbers in every cell")
    return values


def draw_index(cfg: SimConfig, replicate: int, n_sets: int) -> int:
    """Row of the posterior used by a replicate (depends on run.seed and the replicate only)."""
    rng = np.random.default_rng([cfg.run.seed, replicate, POSTERIOR_STREAM])
    return int(rng.integers(n_sets))


def for_replicate(cfg: SimConfig, replicate: int) -> tuple[SimConfig, int]:
    """The replicate's config with its parameter draw, and the row used (-1 when off).

    Parameters listed in ``run.fixed_parameters`` (e.g. the factors of an experiment) keep the
    config's value; all other posterior columns take the drawn set's values.
    """
    if not (cfg.run.parameter_uncertainty and cfg.region.posterior_file):
        return cfg, -1
    post = load_posterior(cfg.region.posterior_file, tuple(cfg.region.config_dirs))
    k = draw_index(cfg, replicate, len(post))
    drawn = [c for c in post.columns if c not in set(cfg.run.fixed_parameters)]
    return check(with_params(cfg, drawn, post.iloc[k][drawn].to_numpy())), k
