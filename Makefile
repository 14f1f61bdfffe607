# 知財支援ナビ — developer and CI entry points.
#   make run          install if needed, then serve on $(HOST):$(PORT)
#   make test         install if needed, then ruff, mypy, catalog check, pytest (fail fast)
#   make check-cases  run ../shared/cases against a freshly started server
#   make bench        engine benchmark
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

HOST ?= 127.0.0.1
PORT ?= 8000

SHARED ?= ../shared
CASES  ?= $(SHARED)/cases

export TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1

.PHONY: help install run test lint check-cases bench clean

help:
	@echo "make run          serve the app on http://$(HOST):$(PORT) (HOST=, PORT= to change)"
	@echo "make test         ruff, mypy, python -m programs check, pytest"
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
	$(PY) -m pytest

check-cases: $(STAMP)
	PY=$(PY) CASES=$(CASES) CHECK_TOOL=$(SHARED)/tools/check_cases.py scripts/check_cases.sh

bench: $(STAMP)
	$(PY) bench/engine.py

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis build *.egg-info
	find . -path ./.venv -prune -o -name __pycache__ -type d -exec rm -rf {} +
