# Clientele: `make run` starts the local stack, `make test` runs every test.
# Both install what they need first (uv, the locked Python packages, and for tests Chromium).

SHELL := /bin/bash
PORT ?= 3000
SOAK_MINUTES ?= 20
PERSIST ?=
WORKERS_PER_FUNCTION ?=
LOCAL_ISOLATION ?=
SOAK_RATE ?= 8
LOAD_MINUTES ?= 2
LOAD_RATE ?= 6
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
SAM_CLI_VERSION ?= 1.170.0
AWS_REGION ?= eu-west-1
export SAM_CLI_TELEMETRY := 0
export UV_PYTHON_DOWNLOADS := never
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup run test test-stack lint typecheck imports unit bench soak load openapi catalogs browser-deps clean requirements sam sam-build

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 22

$(VENV)/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	@uv sync --frozen --quiet --python $(PYTHON)
	@touch $@

setup: $(VENV)/.synced catalogs ## install the locked Python packages and compile the catalogs

catalogs: $(VENV)/.synced ## compile the translations (en, fr, nl)
	@if [ -d templates/locales ]; then $(VENV)/bin/pybabel -q compile -d templates/locales -D messages; fi

# PERSIST=1 keeps the data across restarts (.local/moto-state.json); by default every run starts clean.
# Each function runs in worker processes (WORKERS_PER_FUNCTION at most, default 3); LOCAL_ISOLATION=thread
# runs every handler in the one process instead, for a debugger.
run: setup ## start the local stack on PORT (3000); PERSIST=1 keeps the data
	@PORT=$(PORT) PERSIST=$(PERSIST) WORKERS_PER_FUNCTION=$(WORKERS_PER_FUNCTION) LOCAL_ISOLATION=$(LOCAL_ISOLATION) \
	  $(PY) -m infra.local

lint: $(VENV)/.synced ## ruff: lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.synced ## mypy
	$(VENV)/bin/mypy

imports: $(VENV)/.synced ## the layered import contract
	$(VENV)/bin/lint-imports

browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; \
	  else echo "chromium is missing: browser tests will be skipped (apt-get install chromium)"; fi; \
	fi

test: setup lint typecheck imports ## every test but those of make test-stack
	$(PY) -m pytest -m "not stack and not browser"

# Slow checks CI runs once, after make test: the tests marked `stack` or `browser`, each against a local stack
# started as `make run` starts it (over HTTP): Chromium with axe on every hosted page, schemathesis over every
# operation (stateless and stateful), the races on parallel worker processes, persistence across a restart,
# the clean stop under load, the server itself, the README's commands.
test-stack: setup browser-deps ## the tests against a local stack over HTTP: Chromium, schemathesis, races, restart
	$(PY) -m pytest -m "stack or browser"

unit: setup ## the unit and template tests only
	$(PY) -m pytest tests/unit tests/template -q

bench: setup ## the benchmarks: AWS calls and timings per operation
	$(PY) -m tests.bench

# A mixed workload against a fresh local stack on loopback; prints memory, latency per route and 5xx.
soak: setup ## a mixed workload against a fresh local stack (SOAK_MINUTES)
	SOAK_MINUTES=$(SOAK_MINUTES) SOAK_RATE=$(SOAK_RATE) $(PY) -m infra.local.soak

# Mixed traffic for LOAD_MINUTES against a fresh local stack on loopback, then a check of the books.
load: setup ## mixed traffic against a fresh local stack, then a check of the books
	LOAD_MINUTES=$(LOAD_MINUTES) LOAD_RATE=$(LOAD_RATE) $(PY) -m infra.local.load

openapi: $(VENV)/.synced ## regenerate the OpenAPI document
	$(PY) -m infra.openapi

# The shared layer's runtime dependencies, exported from uv.lock for sam build (a test checks they agree).
requirements: $(VENV)/.synced ## export the layer's requirements from uv.lock
	uv export --frozen --no-dev --no-emit-project --format requirements-txt -q -o layers/clientele/requirements.txt

# aws-sam-cli in its own virtualenv (its pins clash with the project's), installed with pip.
$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "aws-sam-cli==$(SAM_CLI_VERSION)"
	@touch $@

sam: $(SAM_VENV)/.installed

# What an operator runs before `sam deploy`: lint the template, then build every function and layer
# for python3.12 on arm64 into .aws-sam/build (no Docker, no Python 3.12 needed).
sam-build: setup sam ## validate the template and build for deployment
	$(SAM) validate --lint --region $(AWS_REGION)
	PYBABEL="$(CURDIR)/$(VENV)/bin/pybabel" $(SAM) build --region $(AWS_REGION)

clean: ## remove local state and build output
	rm -rf .local test-output .pytest_cache .mypy_cache .ruff_cache .aws-sam
