"""Solara's front-end files (Vuetify app, RequireJS, Font Awesome) from the npm registry.

A Solara page loads these from a CDN through the server (``/_solara/cdn/...``), which caches them
in ``solara.settings.assets.proxy_cache_dir`` (``.venv/share/solara/cdn``). Without access to the
CDN the page stays blank, so this module fills that cache from the npm registry with ``npm pack``
(the same files the CDN serves). Run ``python -m scenarios.dashboard.assets`` once after install;
the app also calls :func:`ensure` at start-up, which does nothing when the files are there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

TEMPLATE = "solara.html.j2"


def cache_dir() -> Path:
    """Where the Solara server looks for CDN files before fetching them."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def required() -> list[str]:
    """The npm ``name@version`` of every package the page template loads from the CDN."""
    import ipyvuetify
    import solara.server
    from solara.server import settings

    template = Path(solara.server.__file__).parent / "templates" / TEMPLATE
    found = set(re.findall(r"\{\{cdn\}\}/((?:@[\w.-]+/)?[\w.-]+@[\w.-]+)/", template.read_text()))
    vuetify3 = int(ipyvuetify.__version__.split(".")[0]) >= 3
    app = "@widgetti/solara-vuetify3-app@" if vuetify3 else "@widgetti/solara-vuetify-app@"
    wanted = {s for s in found if not s.startswith("@widgetti/solara-vuetify") or s.startswith(app)}
    if settings.assets.fontawesome_enabled:
        wanted.add(settings.assets.fontawesome_path.strip("/").split("/")[0])
    return sorted(wanted)


def missing(specs: list[str] | None = None) -> list[str]:
    """Packages of ``specs`` (default: :func:`required`) not yet in the cache."""
    root = cache_dir()
    return [s for s in specs or required() if not (root / s / "package.json").exists()]


def fetch(spec: str, npm: str = "npm") -> Path:
    """Download one package with ``npm pack`` and unpack it into the cache.

    Raises:
        RuntimeError: if npm is missing or the registry cannot be reached.
    """
    if shutil.which(npm) is None:
        raise RuntimeError(f"npm not found; install Node.js/npm to fetch {spec}")
    target = cache_dir() / spec
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [npm, "pack", spec, "--pack-destination", tmp, "--silent"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if proc.returncode or not tarballs:
            raise RuntimeError(f"npm pack {spec} failed: {proc.stderr.strip()[-500:]}")
        unpacked = Path(tmp) / "unpacked"
        with tarfile.open(tarballs[0]) as tar:
            tar.extractall(unpacked, filter="data")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(unpacked / "package", partial)
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
    return target


def ensure(log=print) -> list[str]:
    """Fetch every missing package; returns those fetched (an empty list when all are there)."""
    todo = missing()
    for spec in todo:
        log(f"dashboard: fetching front-end package {spec} from the npm registry (once)")
        fetch(spec)
    return todo


if __name__ == "__main__":
    try:
        done = ensure()
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
    print(f"solara assets in {cache_dir()}: " + (f"fetched {', '.join(done)}" if done else "ok"))
