# Clientele: `make run` starts the local stack, `make test` runs every test.
# Both install what they need first (uv, the locked Python packages, and for tests Chromium).

SHELL := /bin/bash
PORT ?= 3000
SOAK_MINUTES ?= 20
PERSIST ?=
SOAK_RATE ?= 8
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup run test lint typecheck imports unit bench soak openapi catalogs browser-deps clean

$(VENV)/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	uv sync --frozen --python $(PYTHON)
	@touch $@

setup: $(VENV)/.synced catalogs

catalogs: $(VENV)/.synced
	@if [ -d templates/locales ]; then $(VENV)/bin/pybabel compile -d templates/locales -D messages >/dev/null; fi

# PERSIST=1 keeps the data across restarts (.local/moto-state.json); by default every run starts clean.
run: setup
	PORT=$(PORT) PERSIST=$(PERSIST) $(PY) -m infra.local

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.synced
	$(VENV)/bin/mypy

imports: $(VENV)/.synced
	$(VENV)/bin/lint-imports

browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; \
	  else echo "chromium is missing: browser tests will be skipped (apt-get install chromium)"; fi; \
	fi

test: setup browser-deps lint typecheck imports
	$(PY) -m pytest

unit: setup
	$(PY) -m pytest tests/unit tests/template -q

bench: setup
	$(PY) -m tests.bench

# A mixed workload against a fresh local stack on loopback; prints memory, latency per route and 5xx.
soak: setup
	SOAK_MINUTES=$(SOAK_MINUTES) SOAK_RATE=$(SOAK_RATE) $(PY) -m infra.local.soak

openapi: $(VENV)/.synced
	$(PY) -m infra.openapi

clean:
	rm -rf .local test-output .pytest_cache .mypy_cache .ruff_cache
