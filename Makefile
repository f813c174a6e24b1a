# One command each: `make run` (the app's main job, locally), `make test` (set-up, every check,
# every test). Both set up what they need on a fresh machine: a venv from PyPI, Azurite from npm.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: setup run test test-long check lint bench clean

setup: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## run: Azurite + the Graph emulator (sample tenant), the timer once, sample requests, a summary
run: setup
	$(PY) -m local_runner.demo

## check: format, lint, types and the layers of shared/ (import-linter contracts in pyproject.toml)
check: lint
lint: setup
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

## test: set-up, every check, every test (the CI profile)
test: lint
	$(PY) -m pytest -q -n 2

## test-long: the longer chaos and fuzzing profiles
test-long: lint
	$(PY) -m pytest -q --long tests/resilience

## bench: benchmarks against their floors; writes BENCHMARKS.md
bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis
