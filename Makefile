# One command each: `make run` (the app's main job, locally), `make test` (set-up, every check,
# every test). Both set up what they need on a fresh machine: a venv from PyPI, Azurite from npm.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# checkov scans infra/ offline, from a venv of its own so its many pins never meet the app's.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

.PHONY: setup run test scan test-long check lint bench clean

setup: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(CHECKOV_STAMP): requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## run: Azurite + the Graph emulator (sample tenant), the timer once, sample requests, a summary
run: setup
	$(PY) -m local_runner.demo

## check: format, lint and types
check: lint
lint: setup
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .
	$(PY) -m mypy

## test: set-up, every check, every test (the CI profile)
test: lint scan
	$(PY) -m pytest -q -n 2

## scan: checkov over infra/ (offline); fails on any failed check, parsing error or bare skip
scan: $(CHECKOV_STAMP) setup
	$(PY) tools/check_infra.py $(CHECKOV_VENV)/bin/checkov infra

## test-long: the longer chaos and fuzzing profiles
test-long: lint
	$(PY) -m pytest -q --long tests/resilience

## bench: benchmarks against their floors; writes BENCHMARKS.md
bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis
