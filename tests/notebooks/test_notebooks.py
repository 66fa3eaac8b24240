"""Every student notebook runs top to bottom (so none can silently break).

The notebooks are stored as jupytext percent scripts (``notebooks/NN_name.py``). Each is converted
with jupytext and executed by nbclient on the ``python3`` kernel of this interpreter, in a
temporary working directory, so files a notebook writes never land in the source tree. Each test
also checks cheaply that the notebook drew at least one figure and printed no error.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("ipykernel")
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel  # noqa: E402

from tests.helpers import ROOT  # noqa: E402

NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.py"))
KERNEL = "python3"
TIMEOUT_PER_CELL = 300  # seconds
BUDGET_SECONDS = 120  # each notebook must run in under 2 minutes on a 2-core machine
PYTHON_ALIASES = {
    "python",
    f"python{sys.version_info.major}",
    f"python{sys.version_info.major}.{sys.version_info.minor}",
}

PROBE = """\
import sys as _sys
print("KERNEL_PYTHON=" + _sys.executable)
if "sim.executors" in _sys.modules:
    _sys.modules["sim.executors"]._shutdown_pools()
"""
"""Appended to each executed copy: which interpreter the kernel ran on; then the worker pool is
closed before the kernel shuts down (ipykernel interrupts leftover child processes, which would
print their tracebacks)."""


def _kernel_python() -> str | None:
    """The interpreter the ``python3`` kernelspec starts (jupyter_client maps "python" to us)."""
    try:
        argv = KernelSpecManager().get_kernel_spec(KERNEL).argv
    except NoSuchKernel:
        return None
    return sys.executable if argv[0] in PYTHON_ALIASES else argv[0]


def _is_this_python(path: str | None) -> bool:
    # abspath, not realpath: a venv's python is a symlink to the base interpreter
    return path is not None and os.path.abspath(path) == os.path.abspath(sys.executable)


def _install_kernelspec(*where: str) -> None:
    cmd = [sys.executable, "-m", "ipykernel", "install", *where, "--name", KERNEL]
    subprocess.run(cmd, check=True, capture_output=True)


@pytest.fixture(scope="session")
def kernel(tmp_path_factory) -> Iterator[str]:
    """A ``python3`` kernelspec that starts this interpreter.

    If the kernelspec found first does not, one is installed into ``sys.prefix`` (the venv); if a
    user-level kernelspec still shadows it, one in a temporary directory is put first on
    ``JUPYTER_PATH`` for this session.
    """
    with pytest.MonkeyPatch.context() as mp:
        if not _is_this_python(_kernel_python()):
            _install_kernelspec("--sys-prefix")
        if not _is_this_python(_kernel_python()):
            prefix = tmp_path_factory.mktemp("kernel")
            _install_kernelspec("--prefix", str(prefix))
            paths = [str(prefix / "share" / "jupyter"), os.environ.get("JUPYTER_PATH", "")]
            mp.setenv("JUPYTER_PATH", os.pathsep.join(p for p in paths if p))
        found = _kernel_python()
        assert _is_this_python(found), f"kernelspec {KERNEL!r} starts {found}, not {sys.executable}"
        yield KERNEL


def test_notebooks_exist():
    names = [p.stem for p in NOTEBOOKS]
    assert names == [
        "01_quickstart",
        "02_inside_the_agents",
        "03_levers",
        "04_sweeps_and_sensitivity",
        "05_calibration_and_backtest",
        "06_your_city",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_a_paired_percent_script(path):
    """`make notebooks` pairs each script with a local .ipynb; only the script is in git."""
    nb = jupytext.reads(path.read_text(encoding="utf-8"), fmt="py:percent")
    assert nb.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    assert nb.metadata["jupytext"]["text_representation"]["format_name"] == "percent"
    assert "*.ipynb" in (NOTEBOOK_DIR / ".gitignore").read_text().split()


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, kernel, tmp_path):
    nb = jupytext.reads(path.read_text(encoding="utf-8"), fmt="py:percent")
    assert nb.metadata["kernelspec"]["name"] == KERNEL
    kinds = [c.cell_type for c in nb.cells]
    assert kinds[0] == "markdown" and nb.cells[0].source.startswith("# "), "title first"
    assert "markdown" in kinds[1:] and "code" in kinds
    assert any("What to notice" in c.source for c in nb.cells if c.cell_type == "markdown")
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    before = _source_files()

    client = nbclient.NotebookClient(
        nb,
        timeout=TIMEOUT_PER_CELL,
        kernel_name=kernel,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError (with the failing cell) if any cell fails
    seconds = time.perf_counter() - start
    print(f"{path.stem}: {seconds:.1f} s")

    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    text = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
    assert f"KERNEL_PYTHON={sys.executable}" in text, "the kernel ran another interpreter"
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, "the notebook drew no figure"
    assert seconds < BUDGET_SECONDS, f"{path.stem} took {seconds:.0f} s (budget {BUDGET_SECONDS})"
    assert _source_files() == before, "the notebook wrote into notebooks/"


def _source_files() -> list[str]:
    """Files in notebooks/ other than the local .ipynb copies that `make notebooks` creates."""
    return sorted(p.name for p in NOTEBOOK_DIR.iterdir() if ".ipynb" not in p.name)
