# Innovation-ecosystem simulator — developer tasks.
#
#   make install                 create .venv (Python >= 3.12) and install the package + dev tools
#   make run ARGS="..."          run the simulator: .venv/bin/python -m sim $(ARGS)
#   make test PYTEST_ARGS="..."  run the test suite (PYTEST_WORKERS=2 processes, one file each)
#   make dashboard [PORT=8765]   serve the advisor dashboard on 127.0.0.1:$(PORT)
#   make notebooks               open the student notebooks in JupyterLab
#   make lint / make format      ruff check / ruff format
#   make clean                   remove run outputs and caches (keeps .venv)
#   make print-python            show which base interpreter would be used for .venv
#
# Set PY=/path/to/python to force a specific base interpreter.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
VPY         := $(VENV)/bin/python
VPIP        := $(VENV)/bin/pip
RUFF        := $(VENV)/bin/ruff
STAMP       := $(VENV)/.installed
ARGS        ?=
PYTEST_ARGS ?=
# The suite runs test files in parallel (pytest-xdist; a file stays on one worker, so its
# module fixtures are built once): 2 workers on the 2-core CI machine.
PYTEST_WORKERS ?= 2

# ---------------------------------------------------------------------------
# Interpreter discovery (shell snippet, exported to recipes as $FIND_PYTHON).
# Prints the absolute path of the first Python >= 3.12 found, trying in order:
#   $PY (if set), python3.12, python3.13, python3,
#   then each pyenv version starting with 3.12 / 3.13.
# Every candidate is actually executed, so pyenv shims that answer
# "command not found" and interpreters that are too old are skipped.
# ($$ is make's escape for a literal $.)
# ---------------------------------------------------------------------------
define FIND_PYTHON
ok() { "$$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
found() { "$$1" -c 'import sys; print(sys.executable)'; exit 0; }
if [ -n "$${PY:-}" ]; then
  if ok "$$PY"; then found "$$PY"; fi
  echo "error: PY=$$PY is not a working Python >= 3.12" >&2; exit 1
fi
for c in python3.12 python3.13 python3; do
  if ok "$$c"; then found "$$c"; fi
done
if command -v pyenv >/dev/null 2>&1; then
  for v in $$(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[23]([.]|$$)'); do
    p=$$(PYENV_VERSION="$$v" pyenv which python 2>/dev/null) || continue
    if ok "$$p"; then found "$$p"; fi
  done
fi
echo "error: Python >= 3.12 not found (tried python3.12, python3.13, python3, pyenv 3.12/3.13); install one, e.g. 'pyenv install 3.12'" >&2
exit 1
endef
export FIND_PYTHON

.PHONY: help venv install run test lint format clean print-python dashboard notebooks

help:
	@sed -n 's/^#   \(make .*\)/  \1/p' $(firstword $(MAKEFILE_LIST))

print-python:
	@bash -c "$$FIND_PYTHON"

# ---------------------------------------------------------------------------
# Virtualenv. The stamp file depends on pyproject.toml, so the (editable)
# install is redone only when pyproject.toml changes.
# ---------------------------------------------------------------------------
venv: $(STAMP)

$(STAMP): pyproject.toml
	@if [ ! -x $(VPY) ]; then \
	  base=$$(bash -c "$$FIND_PYTHON") || exit 1; \
	  echo "creating $(VENV) with $$base"; \
	  "$$base" -m venv $(VENV) || exit 1; \
	elif ! $(VPY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then \
	  echo "error: $(VENV) uses Python < 3.12; remove it (rm -rf $(VENV)) and re-run" >&2; \
	  exit 1; \
	fi
	$(VPIP) install -q --upgrade pip
	$(VPIP) install -q -e '.[dev]'
	@touch $@

install: venv

# ---------------------------------------------------------------------------
# Everyday tasks
# ---------------------------------------------------------------------------
run: venv
	$(VPY) -m sim $(ARGS)

test: venv
	$(VPY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

PORT ?= 8765

dashboard: venv
	$(VPY) -m scenarios.dashboard.assets
	@echo "dashboard: open http://127.0.0.1:$(PORT) in a browser (Ctrl-C stops it)"
	$(VENV)/bin/solara run scenarios/dashboard/app.py --host 127.0.0.1 --port $(PORT) --production

notebooks: venv
	$(VENV)/bin/jupytext --sync notebooks/*.py >/dev/null 2>&1 || true
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 --no-browser

lint: venv
	$(RUFF) check . && $(RUFF) format --check .

format: venv
	$(RUFF) format .
	$(RUFF) check --fix .

# Removes run outputs, build artefacts and caches; never touches .venv.
clean:
	rm -rf outputs/ multirun/ build/ dist/ .pytest_cache/ .ruff_cache/
	rm -rf *.egg-info
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
