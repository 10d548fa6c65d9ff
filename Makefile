# Two commands: `make build` sets everything up and runs `stacks build`;
# `make test` sets everything up (plus dev tools) and runs the test suite.
# Every install step lives here so a fresh clone needs nothing else.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
CHECKOV_VENV ?= .venv-checkov
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
PYTEST_ARGS ?=

MAIN_REQS := pyproject.toml app/requirements.txt requirements/diagrams.txt requirements/deploy.txt

.PHONY: build test setup setup-dev graphviz lint clean

build: setup
	$(BIN)/stacks build

test: setup-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

setup: graphviz $(VENV)/.stamp-main

setup-dev: setup $(VENV)/.stamp-dev $(CHECKOV_VENV)/.stamp

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade "pip>=24" "setuptools>=70" wheel

$(VENV)/.stamp-main: $(BIN)/python $(MAIN_REQS)
	$(PIP) install -e ".[app,diagrams,deploy]"
	@touch $@

$(VENV)/.stamp-dev: $(VENV)/.stamp-main requirements/dev.txt
	$(PIP) install -e ".[app,diagrams,deploy,dev]"
	@touch $@

# checkov pins versions that clash with pulumi's: it gets a virtualenv of its own.
$(CHECKOV_VENV)/.stamp: requirements/checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip --disable-pip-version-check -q install -r requirements/checkov.txt
	@touch $@

graphviz:
	@if command -v dot >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Graphviz (apt-get install -y graphviz fonts-dejavu-core)"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q graphviz fonts-dejavu-core >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q graphviz fonts-dejavu-core >/dev/null; }; \
	else \
	  echo "Graphviz is missing and apt-get is not available: install Graphviz (the 'dot' command) with your package manager." >&2; exit 1; \
	fi

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .stacks-cache
