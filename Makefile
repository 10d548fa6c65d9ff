# Two commands: `make build` sets everything up and runs `stacks build`;
# `make test` sets everything up (plus dev tools), then runs lint, the type check and the test suite.
# `make test-fast` is the inner loop: unit tests only (no servers, no slow tests).
# Every install step lives here so a fresh clone needs nothing else.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
CHECKOV_VENV ?= .venv-checkov
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
PYTEST_ARGS ?=
# The fast tier leaves out what the markers in pyproject.toml declare slow or server-backed.
FAST_MARKERS := not slow and not integration
# Material for MkDocs prints a banner about its successor on every build.
export NO_MKDOCS_2_WARNING := 1

MAIN_REQS := pyproject.toml setup.py app/requirements.txt requirements/diagrams.txt requirements/deploy.txt
# The wheel ships one package, `stacks` (architecture/, deploy/, templates/ mapped into it); in this
# checkout the repository root goes on the venv's path so `app`, `architecture` and `deploy` import as they are.
CHECKOUT_PTH = $(BIN)/python -c 'import sysconfig, pathlib; pathlib.Path(sysconfig.get_paths()["purelib"], "stacks-checkout.pth").write_text("$(CURDIR)\n")'

.PHONY: build test test-fast setup setup-dev graphviz docker-engine lint format typecheck docs docs-serve clean web chromium bench provider-schemas

build: setup
	$(BIN)/stacks build

test: lint provider-schemas
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: setup-dev provider-schemas
	$(BIN)/python -m pytest -m "$(FAST_MARKERS)" $(PYTEST_ARGS)

setup: graphviz $(VENV)/.stamp-main

setup-dev: setup $(VENV)/.stamp-dev $(CHECKOV_VENV)/.stamp web docker-engine

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade "pip>=24" "setuptools>=70" wheel

$(VENV)/.stamp-main: $(BIN)/python $(MAIN_REQS)
	$(PIP) install -e ".[app,diagrams,deploy]"
	@$(CHECKOUT_PTH)
	@touch $@

$(VENV)/.stamp-dev: $(VENV)/.stamp-main requirements/dev.txt requirements/lint.txt
	$(PIP) install -e ".[app,diagrams,deploy,dev]"
	@touch $@

# checkov pins versions that clash with pulumi's: it gets a virtualenv of its own.
$(CHECKOV_VENV)/.stamp: requirements/checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip --disable-pip-version-check -q install -r requirements/checkov.txt
	@touch $@

# The Terraform schema tests read compact schemas of the real providers, extracted once from the pinned
# cdktn provider wheels (70 MB each, not installed) into .stacks-cache/provider-schemas/.
PROVIDER_SCHEMAS := .stacks-cache/provider-schemas/aws.json .stacks-cache/provider-schemas/gcp.json

provider-schemas: $(PROVIDER_SCHEMAS)

$(PROVIDER_SCHEMAS) &: tests/deploy/provider_schemas.py | $(BIN)/python
	$(BIN)/python tests/deploy/provider_schemas.py

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

# Every benchmark (bench/run.py), one after the other, then the tables of docs/performance.md from
# bench/results.json. `make test` runs each benchmark's --smoke mode (tests/benchmarks).
bench: setup-dev
	$(BIN)/python bench/run.py
	$(BIN)/python bench/tables.py

# The `docker` tests start a private Docker engine (dockerd from Debian's docker.io, never touching
# host networking) and build stand-in base images with debootstrap when no registry is reachable.
# Installing the packages starts no daemon: the test session starts its own and stops it.
DOCKER_PACKAGES := docker.io debootstrap
docker-engine:
	@if command -v dockerd >/dev/null 2>&1 && command -v debootstrap >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing the Docker engine for the docker tests (apt-get install -y $(DOCKER_PACKAGES))"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $(DOCKER_PACKAGES) >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $(DOCKER_PACKAGES) >/dev/null; }; \
	else \
	  echo "dockerd or debootstrap is missing and apt-get is not available: install Docker Engine and debootstrap with your package manager." >&2; exit 1; \
	fi

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m stacks.commands.reference --check

typecheck: setup-dev
	$(BIN)/mypy

format: setup-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The documentation site: the command reference regenerated from the CLI, then a strict build.
docs: setup-dev
	$(BIN)/python -m stacks.commands.reference
	$(BIN)/mkdocs build --strict --site-dir site

docs-serve: docs
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8001

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .stacks-cache site
	rm -rf $(VENV) $(CHECKOV_VENV) .stacks-cache

# The dashboard (web/): Node's packages from the lockfile, the production build, and
# Debian's Chromium for the browser tests (Playwright drives the system browser).
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json

web: web/dist/index.html chromium

web/node_modules/.stamp: web/package.json web/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "Node.js 20.19+ and npm are needed for the dashboard (web/): install them (e.g. apt-get install nodejs npm)." >&2; exit 1; }
	@node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' || \
	  { echo "The dashboard needs Node.js 20.19 or newer (found $$(node --version))." >&2; exit 1; }
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

web/dist/index.html: web/node_modules/.stamp $(WEB_SOURCES)
	cd web && npm run --silent build

chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Chromium for the browser tests (apt-get install -y chromium)"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q chromium >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q chromium >/dev/null; }; \
	else \
	  echo "Chromium is missing and apt-get is not available: install Chromium with your package manager." >&2; exit 1; \
	fi
