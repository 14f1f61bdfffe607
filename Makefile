# 知財支援ナビ — developer and CI entry points.
#   make run          install if needed, then serve on $(HOST):$(PORT)
#   make test         install if needed, then ruff, mypy, catalog check, npm ci (axe-core), pytest (fail fast),
#                     then the dependency audit (pytest includes tests/browser: uvicorn + Debian's /usr/bin/chromium)
#   make audit        pip-audit of the venv: fails on a known vulnerability, warns if the service is unreachable
#   make check-cases  run ../shared/cases against a freshly started server
#   make bench        engine benchmark
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# axe-core for the browser tests (tests/browser), from package-lock.json.
NODE_STAMP := node_modules/.navi-installed
AXE_JS     := node_modules/axe-core/axe.min.js

HOST ?= 127.0.0.1
PORT ?= 8000

SHARED ?= ../shared
CASES  ?= $(SHARED)/cases

export TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1

.PHONY: help install node run test lint audit check-cases bench clean

help:
	@echo "make run          serve the app on http://$(HOST):$(PORT) (HOST=, PORT= to change)"
	@echo "make test         ruff, mypy, python -m programs check, pytest"
	@echo "make audit        pip-audit of the installed dependencies (network; warns when offline)"
	@echo "make check-cases  shared cases ($(CASES)) through the HTTP API"
	@echo "make bench        .venv/bin/python bench/engine.py"
	@echo "make install      create .venv and install the project (only if pyproject.toml changed)"

# The shared install step: create the venv if missing, (re)install only when
# pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml
	@test -x $(PY) || { echo "creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -e '.[dev]'
	@touch $@

install: $(STAMP)

# `npm ci` only when package(-lock).json changed and node_modules does not already hold the pinned
# axe-core (npm ci empties node_modules first, so an offline machine keeps a good copy this way).
# Without npm, or when npm ci fails, the tests decide: without axe-core the accessibility tests fail
# when CI is set and are skipped otherwise.
$(NODE_STAMP): package.json package-lock.json
	@want=$$(sed -n 's/.*"axe-core": *"\([^"]*\)".*/\1/p' package.json | head -n 1); \
	have=$$(sed -n 's/^  "version": *"\([^"]*\)".*/\1/p' node_modules/axe-core/package.json 2>/dev/null | head -n 1); \
	if [ -n "$$want" ] && [ "$$want" = "$$have" ] && [ -f $(AXE_JS) ]; then \
	  echo "axe-core $$have already in node_modules"; touch $@; \
	elif command -v npm >/dev/null 2>&1 && npm ci --prefer-offline --no-audit --no-fund; then \
	  touch $@; \
	else \
	  echo "warning: npm ci did not run or failed; $(AXE_JS) may be missing" >&2; \
	fi

node: $(NODE_STAMP)

run: $(STAMP)
	$(VENV)/bin/uvicorn app.main:app --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy app eligibility matching programs

test: lint
	$(PY) -m programs check
	@tmp=$$(mktemp -d) && export DATABASE_URL="sqlite:///$$tmp/check.db" \
	  && $(VENV)/bin/alembic upgrade head && $(VENV)/bin/alembic check; rc=$$?; rm -rf "$$tmp"; exit $$rc
	$(PY) -m matching evaluate tests/data/labelled
	@$(MAKE) --no-print-directory node
	$(PY) -m pytest
	@$(MAKE) --no-print-directory audit

# Needs PyPI's vulnerability data (network): unreachable → a warning, a known vulnerability → failure.
audit: $(STAMP)
	$(PY) scripts/audit_deps.py

check-cases: $(STAMP)
	PY=$(PY) CASES=$(CASES) CHECK_TOOL=$(SHARED)/tools/check_cases.py scripts/check_cases.sh

bench: $(STAMP)
	$(PY) bench/engine.py

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis build *.egg-info
	find . -path ./.venv -prune -o -name __pycache__ -type d -exec rm -rf {} +
