"""Where a region's data files are found: absolute, or relative to the user's config directories.

Every file a region names (``data_file``, ``observed_file``, ``posterior_file``,
``track_record_file``, a reference city's base file) is resolved by :func:`region_file`:

1. an absolute path is used as it is;
2. a relative path is looked up in each of the user's config directories, in order
   (``region.config_dirs``: the ``file://`` entries of ``hydra.searchpath``, filled in when the
   config is composed), first as ``<dir>/region/<name>`` then as ``<dir>/<name>``;
3. then in the project's own ``conf/region/``.

The first existing file wins; if none exists, the run stops with one line naming the field, the
name and every place looked in. Nothing falls back to another region's file: a name is only ever
looked up as written.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from agents.params import ConfigError

PROJECT_CONF = Path(__file__).resolve().parent.parent / "conf"
"""The project's config directory (``conf/``); its ``region/`` holds the shipped regions."""


def candidates(
    name: str, config_dirs: Iterable[str] = (), conf_dir: Path | None = None
) -> list[Path]:
    """Every place a region file called ``name`` is looked for, in order."""
    path = Path(name).expanduser()
    if path.is_absolute():
        return [path]
    places = []
    for d in config_dirs:
        root = Path(d).expanduser()
        places += [root / "region" / path, root / path]
    places.append((conf_dir or PROJECT_CONF) / "region" / path)
    return places


def region_file(
    name: str,
    field: str,
    config_dirs: Iterable[str] = (),
    conf_dir: Path | None = None,
    must_exist: bool = True,
) -> Path:
    """The path of a region data file named by config field ``field``.

    Args:
        name: The file name or path as written in the config.
        field: The config field that names it (for the error message), e.g.
            ``"region.observed_file"``.
        config_dirs: The user's config directories (``region.config_dirs``).
        conf_dir: The project config directory (default :data:`PROJECT_CONF`).
        must_exist: Raise when no candidate exists; otherwise return the first candidate.

    Returns:
        The first existing candidate.

    Raises:
        ConfigError: ``name`` is empty, or no candidate exists (with ``must_exist``).
    """
    if not name:
        raise ConfigError(f"{field} is empty; name the file (absolute or relative to a config dir)")
    places = candidates(name, config_dirs, conf_dir)
    for p in places:
        if p.is_file():
            return p
    if not must_exist:
        return places[0]
    looked = ", ".join(str(p) for p in places)
    raise ConfigError(f"{field}={name!r} not found; looked in: {looked}")


def hydra_config_dirs() -> list[str]:
    """The user's config directories of the running Hydra app (``file://`` search-path entries).

    Empty outside a Hydra app or when only the project's ``conf/`` is searched.
    """
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return []
    return user_dirs(HydraConfig.get().runtime.config_sources)


def user_dirs(sources: Iterable) -> list[str]:
    """The ``file`` config sources the user added with ``hydra.searchpath``.

    The primary config's own directory is not one of them: it is the project's ``conf/``, or a
    run directory whose saved ``config.yaml`` is re-run (``-cp <run dir>``), which must compose
    to the same config.
    """
    out = []
    for src in sources:
        get = src.get if hasattr(src, "get") else lambda k, s=src: getattr(s, k, "")
        schema, where, provider = get("schema"), get("path"), str(get("provider") or "")
        if schema != "file" or not where or "searchpath" not in provider:
            continue
        if Path(where).resolve() == PROJECT_CONF.resolve():
            continue
        out.append(str(Path(where).resolve()))
    return out
