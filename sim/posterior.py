"""Parameter uncertainty: draw a plausible parameter set per replicate from a calibrated posterior.

The posterior file (``region.posterior_file``, written by ``python -m scenarios.calibrate``)
holds one plausible parameter set per row, one column per dotted parameter name. Replicate ``r``
of a run always gets the same row for the same ``run.seed``, so settings compared with common
random numbers also share their parameter draws.
"""

from __future__ import annotations

import copy
import zlib
from functools import lru_cache

import numpy as np
import pandas as pd

from agents.params import documented_fields
from sim.config import ConfigError, SimConfig, check
from sim.lever_evidence import MECHANISMS, parameter_evidence
from sim.paths import region_file
from sim.region import CONF_DIR

POSTERIOR_STREAM = 0xCA1  # salt that separates parameter draws from the model's random streams
ASSUMED_STREAM = 0xA55  # salt of the draws of assumed parameters (``run.assumed_lever_draws``)


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


def assumed_draws(cfg: SimConfig, replicate: int, skip: set[str]) -> dict[str, float]:
    """One draw of every assumed parameter a lever's effect rests on, for a replicate.

    The parameters are those of :data:`sim.lever_evidence.MECHANISMS` (``rests_on``) that
    :func:`sim.lever_evidence.parameter_evidence` calls *assumed* for the region (the default is
    an assumption, hand-set, or calibrated on another city) and that are not in ``skip``
    (posterior columns, ``run.fixed_parameters``). Structural assumed parameters (the weights of
    location choice, exit hazards, ...) stay at their values: the calibrated posterior was
    conditioned on them, and drawing them would move the reference path off the record.

    Each value is drawn from a triangular distribution over the plausible range ``[low, high]``
    with the configured value (clipped into the range) as mode: the assumption stays the most
    likely value, and the range its source text states is what the effect is uncertain over.
    Each parameter has its own generator keyed by ``run.seed``, the replicate and the name, so a
    replicate gets the same values in every setting (common random numbers) whatever else is
    drawn.
    """
    out: dict[str, float] = {}
    behaviour = documented_fields(cfg.region.behaviour, "region.behaviour.")
    levers = {f"region.behaviour.{p}" for m in MECHANISMS.values() for p in m.rests_on}
    for name, value, meta in behaviour:
        if name not in levers or name in skip:
            continue  # not a lever parameter, drawn from the posterior, or fixed
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue  # a switch or a table, not one number
        low, high = float(meta["low"]), float(meta["high"])
        if not high > low:
            continue
        if parameter_evidence(name.removeprefix("region.behaviour."), cfg.region) != "assumed":
            continue
        key = [cfg.run.seed, replicate, ASSUMED_STREAM, zlib.crc32(name.encode())]
        mode = min(max(float(value), low), high)
        out[name] = float(np.random.default_rng(key).triangular(low, mode, high))
    return out


def for_replicate(cfg: SimConfig, replicate: int) -> tuple[SimConfig, int]:
    """The replicate's config with its parameter draw, and the row used (-1 when off).

    Parameters listed in ``run.fixed_parameters`` (e.g. the factors of an experiment) keep the
    config's value; all other posterior columns take the drawn set's values. With
    ``run.assumed_lever_draws`` the assumed parameters of lever effects outside the posterior are
    drawn too (:func:`assumed_draws`).
    """
    fixed = set(cfg.run.fixed_parameters)
    values: dict[str, float] = {}
    k = -1
    if cfg.run.parameter_uncertainty and cfg.region.posterior_file:
        post = load_posterior(cfg.region.posterior_file, tuple(cfg.region.config_dirs))
        k = draw_index(cfg, replicate, len(post))
        values = {c: float(post.iloc[k][c]) for c in post.columns if c not in fixed}
    if cfg.run.assumed_lever_draws:
        posterior_columns = set(values)
        if k >= 0:
            posterior_columns |= set(post.columns)
        values |= assumed_draws(cfg, replicate, posterior_columns | fixed)
    if not values:
        return cfg, k
    return check(with_params(cfg, list(values), list(values.values()))), k
