# One command each: `make run` (the app's main job, locally), `make test` (set-up, every check,
# every test). Both set up what they need on a fresh machine: venvs from PyPI, Azurite from npm.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

# The second suite runs on Python 3.13, where the Functions host uses Microsoft's library worker.
# tools/find-python looks for one (PATH, pyenv); PYTHON313=/path/to/python3.13 names it, and
# PYTHON313=none leaves the 3.13 suite out on purpose (make test says so).
ifeq ($(origin PYTHON313),undefined)
PYTHON313 := $(shell tools/find-python 3.13)
endif
VENV313 := .venv313
PY313 := $(VENV313)/bin/python
PY313_STAMP := $(VENV313)/.installed

# The pure core's tests run once more in a venv with only pytest and hypothesis (their pins are
# read from requirements-dev.txt), refusing any other import of the project (tests/core/guard.py).
CORE_VENV := .venv-core
CORE_STAMP := $(CORE_VENV)/.installed

# checkov scans infra/ offline, from a venv of its own so its many pins never meet the app's.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

# The docs site (MkDocs + Material, pinned in requirements-docs.txt) builds in a venv of its own;
# the site goes into it too (ignored, never committed).
DOCS_VENV := .venv-docs
DOCS_STAMP := $(DOCS_VENV)/.installed
DOCS_SITE := $(DOCS_VENV)/site

# `make run RUN_ON=3.13`: the demo on the 3.13 venv, through Microsoft's worker (default: .venv).
RUN_ON ?= default
ifeq ($(RUN_ON),3.13)
RUN_PY := $(PY313)
RUN_STAMP := $(PY313_STAMP)
else ifeq ($(RUN_ON),default)
RUN_PY := $(PY)
RUN_STAMP := $(PY_STAMP)
else
$(error RUN_ON is default (python3, .venv) or 3.13 (.venv313), not $(RUN_ON))
endif

ifeq ($(PYTHON313),none)
SUITE_313 := skip-313
else
SUITE_313 := test-313
endif

.PHONY: setup run test test-core test-313 skip-313 scan docs docs-serve test-long check lint bench clean

setup: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(PY313_STAMP): requirements.txt requirements-dev.txt
	@if [ -z "$(PYTHON313)" ]; then \
	  echo "make: no Python 3.13 interpreter found (looked for python3.13 on PATH and in pyenv's versions)."; \
	  echo "make: the 3.13 suite (Microsoft's library worker) cannot run. Install Python 3.13, or name it:"; \
	  echo "make:   make test PYTHON313=/path/to/python3.13    or leave it out on purpose: PYTHON313=none"; \
	  exit 1; \
	fi
	$(PYTHON313) -m venv $(VENV313)
	$(PY313) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(CORE_STAMP): requirements-dev.txt
	$(PYTHON) -m venv $(CORE_VENV)
	grep -E '^(pytest|hypothesis)==' requirements-dev.txt > $(CORE_VENV)/requirements.txt
	$(CORE_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $(CORE_VENV)/requirements.txt
	touch $@

$(CHECKOV_STAMP): requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

$(DOCS_STAMP): requirements-docs.txt
	$(PYTHON) -m venv $(DOCS_VENV)
	$(DOCS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-docs.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## run: Azurite + the Graph emulator (sample tenant), the timer once, sample requests, a summary
run: $(RUN_STAMP) $(NODE_STAMP)
	$(RUN_PY) -m local_runner.demo

## check: format, lint, types and the layers of shared/ (import-linter contracts in pyproject.toml)
check: lint
lint: setup
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

## test: set-up, every check, every test on python3 and on Python 3.13 (the CI profile)
test: lint scan docs test-core
	$(PY) -m pytest -q -n 2 | tee $(VENV)/suite.log
	$(MAKE) --no-print-directory $(SUITE_313)
	$(PY) tools/suite_summary.py $(PY)=$(VENV)/suite.log $(PY313)=$(VENV313)/suite.log

## test-core: the pure core's tests alone, in a venv with only pytest and hypothesis
test-core: $(CORE_STAMP)
	@$(CORE_VENV)/bin/python -m pip freeze --disable-pip-version-check | cut -d= -f1 | sort | tr '\n' ' ' | sed 's/^/test-core: the venv holds only: /'; echo
	CORE_ONLY=1 $(CORE_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/core

## test-313: the types and the whole suite again on Python 3.13 (part of make test)
test-313: $(PY313_STAMP) $(NODE_STAMP)
	$(PY313) -m mypy --python-version 3.13
	$(PY313) -m pytest -q -n 2 | tee $(VENV313)/suite.log

skip-313:
	@mkdir -p $(VENV313)
	@echo "SKIPPED on request (PYTHON313=none): the Python 3.13 suite did not run, so Microsoft's library worker was not tested" | tee $(VENV313)/suite.log

## scan: checkov over infra/ (offline), once per infra/scan/*.parameters.json; fails on any failed
## check, parsing error or bare skip in any of those scans (tools/check_infra.py)
scan: $(CHECKOV_STAMP) setup
	$(PY) tools/check_infra.py $(CHECKOV_VENV)/bin/checkov infra

## docs: the documentation site, built with --strict: a broken link or anchor, a missing page or a
## page left out of mkdocs.yml's nav fails (the site goes to .venv-docs/site, not committed)
# (NO_MKDOCS_2_WARNING: Material prints a banner on every build that it reaches end of life in
# May 2027, Zensical being its successor; CHANGELOG.md and docs/development.md say so once.)
docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(DOCS_VENV)/bin/mkdocs build --strict --quiet --site-dir $(DOCS_SITE)

## docs-serve: the site at http://127.0.0.1:8000, rebuilt as pages change
docs-serve: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(DOCS_VENV)/bin/mkdocs serve --dev-addr 127.0.0.1:8000

## test-long: the longer chaos and fuzzing profiles
test-long: lint
	$(PY) -m pytest -q --long tests/resilience

## bench: benchmarks against their floors; writes BENCHMARKS.md
bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) $(VENV313) $(CORE_VENV) $(CHECKOV_VENV) $(DOCS_VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis
