"""Compose configs with Hydra's compose API (tests, notebooks, ``InnovationModel()``)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from sim.config import ConfigError, SimConfig, key_error, to_sim_config
from sim.paths import user_dirs
from sim.region import CONF_DIR


def register_schema() -> None:
    """Register the typed schema under the name the primary config's defaults list uses."""
    ConfigStore.instance().store(name="base_config", node=SimConfig)


def check_override_keys(overrides: Iterable[str]) -> None:
    """Refuse overrides of keys the schema does not have, with or without Hydra's ``+``.

    Group selections (``levers=baseline``, ``levers@reference_levers=none``) name a field of the
    schema too; ``hydra.*`` keys are Hydra's own. Overrides Hydra cannot parse are left to Hydra,
    which reports them.

    Raises:
        ConfigError: one line with the key, the closest allowed key and the allowed keys.
    """
    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except HydraException:
        return
    for override in parsed:
        key = override.key_or_group
        if key.startswith("hydra") or "/" in key:
            continue
        error = key_error(key)
        if error:
            raise ConfigError(error)


def compose_dict(overrides: Iterable[str] = ()) -> DictConfig:
    """Compose the primary config with Hydra overrides, without running an app.

    Args:
        overrides: Hydra override strings, e.g. ``["levers=platform_push", "run.replicates=20"]``.

    Returns:
        The composed (untyped-checked) DictConfig.

    Raises:
        ConfigError: unknown group option, unknown key or wrong type, in one line.
    """
    overrides = list(overrides)
    check_override_keys(overrides)
    register_schema()
    gh = GlobalHydra.instance()
    was_initialised = gh.is_initialized()
    saved = gh.hydra if was_initialised else None
    if was_initialised:
        gh.clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            cfg = compose(config_name="config", overrides=list(overrides), return_hydra_config=True)
        dirs = user_dirs(cfg.hydra.runtime.config_sources)
        with open_dict(cfg):
            del cfg["hydra"]
        if dirs and not cfg.region.config_dirs:
            cfg.region.config_dirs = dirs
        return cfg
    except (HydraException, OmegaConfBaseException) as err:
        raise ConfigError(" ".join(str(err).split())) from err
    finally:
        if was_initialised:
            gh.clear()
            gh.initialize(saved)


@lru_cache(maxsize=32)
def _load(overrides: tuple[str, ...]) -> SimConfig:
    return to_sim_config(compose_dict(overrides))


def load_config(overrides: Iterable[str] = ()) -> SimConfig:
    """A validated :class:`SimConfig` for the given Hydra overrides (cached, returned as a copy)."""
    return copy.deepcopy(_load(tuple(overrides)))


def to_yaml(cfg: SimConfig) -> str:
    """The full config as YAML (what a researcher can re-run)."""
    return OmegaConf.to_yaml(OmegaConf.structured(cfg))


def overrides_from_kwargs(kwargs: dict[str, Any]) -> list[str]:
    """Hydra override strings from keyword arguments (``levers__adjust_step=0.3`` -> dots)."""
    out = []
    for key, value in kwargs.items():
        key = key.replace("__", ".")
        if isinstance(value, list | tuple):
            value = "[" + ",".join(str(v) for v in value) + "]"
        elif isinstance(value, bool):
            value = str(value).lower()
        out.append(f"{key}={value}")
    return out


def resolve_config(
    config: SimConfig | DictConfig | dict | None, kwargs: dict[str, Any]
) -> SimConfig:
    """Config from an explicit config plus keyword overrides, or from the Changsha defaults.

    Keyword overrides use Hydra syntax with dots (``**{"levers.adjust_step": 0.3}``) or double
    underscores (``levers__adjust_step=0.3``); a group name selects a preset
    (``levers="baseline"``).
    """
    overrides = overrides_from_kwargs(kwargs)
    if config is None:
        return load_config(overrides)
    if not overrides:
        return to_sim_config(config)
    base = (
        OmegaConf.structured(config) if isinstance(config, SimConfig) else OmegaConf.create(config)
    )
    check_override_keys(overrides)
    for ov in overrides:
        key, value = ov.split("=", 1)
        OmegaConf.update(base, key, OmegaConf.create({"v": value})["v"] if value else value)
    return to_sim_config(base)
