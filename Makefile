# cxbench — every entry point a newcomer or CI needs. `make install` is what the others build on.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The first supported Python found (3.11, 3.12 or 3.13); `make install PYTHON=python3.13` to choose.
SUPPORTED_PYTHONS := python3.11 python3.12 python3.13
# (Asked to run, not just looked up: a pyenv shim exists for versions that are not active. Asked
# once, and only until one answers: each shim takes ~0.2 s.)
ifndef PYTHON
PYTHON := $(or $(shell for p in $(SUPPORTED_PYTHONS); do $$p -c "import sys; print(sys.executable)" 2>/dev/null && break; done),python3.11)
endif
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install install-dev browser run demo build serve test test-python test-dbt lint format bench bench-api clean spark-install test-spark

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# Bytecode. Every Python process compiles the modules it imports unless their .pyc files exist,
# and writes none when PYTHONDONTWRITEBYTECODE is set (it is on the shared test machine): Great
# Expectations' import then costs 10 CPU s instead of 4.4, dbt's start 4.9 instead of 2.3.
# - `make install` compiles nothing (compiling the whole venv is ~15 s of a fresh `make run`);
#   instead the commands of `make run`, `demo`, `build` and `serve` write the .pyc files of what
#   they import as they go (WRITE_BYTECODE), so each module is compiled once, by the first run
#   that needs it: `make run` from a fresh clone 60-70 s -> 55-57 s (docs/BENCHMARKS.md, eighth
#   round).
# - `make install-dev` compiles the whole venv (--compile-bytecode, ~30 CPU s): the test suite
#   starts hundreds of processes, whose imports go beyond what `make run` compiled.
WRITE_BYTECODE := PYTHONDONTWRITEBYTECODE=
$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "cxbench needs Python 3.11, 3.12 or 3.13 ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv --without-pip $(VENV)
	$(BIN)/python scripts/install-uv.py
	$(UV) pip sync --python $(BIN)/python --quiet requirements.lock
	$(UV) pip install --python $(BIN)/python --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)  ## create .venv with the pinned lock file (what cxbench runs on) and the cxbench command

# The test and lint tools (the dev extra: pytest, Playwright, mypy, sqlfluff, ruff…) on top of
# `make install`, from requirements-dev.lock (the same pins plus theirs), and the whole venv
# compiled. Kept out of `make run`, which they would slow by ~5 s (docs/BENCHMARKS.md, eighth
# round).
DEV_STAMP := $(VENV)/.dev-installed
$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(UV) pip sync --python $(BIN)/python --quiet --compile-bytecode requirements-dev.lock
	$(UV) pip install --python $(BIN)/python --quiet --no-deps -e .
	@touch $(DEV_STAMP)

install-dev: $(DEV_STAMP)  ## make install, plus the test and lint tools (requirements-dev.lock)

SPARK_STAMP := $(VENV)/.spark-installed
$(SPARK_STAMP): $(DEV_STAMP) requirements-spark.lock
	$(UV) pip sync --python $(BIN)/python --quiet --compile-bytecode requirements-spark.lock
	$(UV) pip install --python $(BIN)/python --quiet --no-deps -e .
	@touch $(SPARK_STAMP)

spark-install: $(SPARK_STAMP)  ## the optional spark extra with the dev tools (requirements-spark.lock) and Java 17 (apt-get as root)
	@if ! command -v java >/dev/null && [ -z "$$JAVA_HOME" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless; \
	  else \
	    echo "Spark needs Java 17: run 'sudo apt-get install -y openjdk-17-jre-headless' (or set JAVA_HOME)."; exit 1; \
	  fi; \
	fi

CHROMIUM ?= /usr/bin/chromium
browser:  ## Debian's chromium for the page tests (apt-get as root; otherwise says how)
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq chromium; \
	  else \
	    echo "The page tests need Debian's Chromium at $(CHROMIUM): run 'sudo apt-get install -y chromium' (or set CHROMIUM=/path/to/chromium)."; \
	  fi; \
	fi

run: install  ## demo data -> build -> serve the API on $(HOST):$(PORT)
	$(WRITE_BYTECODE) $(BIN)/cxbench demo
	$(WRITE_BYTECODE) $(BIN)/cxbench build
	$(WRITE_BYTECODE) $(BIN)/cxbench serve --host $(HOST) --port $(PORT)

demo: install  ## write the demo deliveries into data/landing
	$(WRITE_BYTECODE) $(BIN)/cxbench demo

build: install  ## audit raw -> dbt build -> audit marts -> publish
	$(WRITE_BYTECODE) $(BIN)/cxbench build

serve: install  ## serve the API from the current published snapshot
	$(WRITE_BYTECODE) $(BIN)/cxbench serve --host $(HOST) --port $(PORT)

# The three run at once: alone each leaves a core idle much of the time (mypy is one process,
# pytest's processes wait for servers, builds and their own last module, a build's landing and
# audits are one thread), so side by side they finish minutes sooner than one after the other.
# pytest sets the pace (test_wap's chain of builds is the longest run of work that cannot be
# split), so lint and test-dbt run niced (BACKGROUND): they take the CPU time pytest leaves idle
# instead of slowing it down. --output-sync: each one's output is shown whole when it ends.
BACKGROUND ?=
test: install-dev  ## everything CI runs, at once: lint, pytest, dbt build + tests on the demo, GX suites
	@echo "lint, test-python and test-dbt run at once; each one's output is shown when it ends."
	$(MAKE) --no-print-directory -j 3 --output-sync=target lint test-python test-dbt BACKGROUND="nice -n 10"

# --no-loadscope-reorder: xdist otherwise hands out the files with the most tests first, so the
# slowest ones (test_wheel: 1 test, test_wap: 9) started last and one process ran them alone at
# the end; the conftest's LONG_MODULES order is kept instead.
test-python: install-dev browser  ## pytest on two processes: the real pipeline on small demo data, API, audits, the pages in Chromium
	CXB_CHROMIUM=$(CHROMIUM) $(BIN)/pytest -q -n 2 --dist loadfile --no-loadscope-reorder --durations=30

test-spark: spark-install  ## the demo built on DuckDB and on Spark, every published mart compared cell by cell (not in make test)
	$(BIN)/pytest -q -p no:xdist -s tests/spark

test-dbt: install-dev  ## the demo through `cxbench build`: dbt build (models + tests + unit tests), GX suites, publish
	$(BACKGROUND) ./scripts/test-dbt.sh

lint: install-dev  ## ruff, mypy, sqlfluff
	$(BACKGROUND) $(BIN)/ruff check .
	$(BACKGROUND) $(BIN)/ruff format --check .
	$(BACKGROUND) $(BIN)/mypy
	$(BACKGROUND) $(BIN)/sqlfluff lint models tests --processes 2

format: install-dev  ## apply ruff format and sqlfluff fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/sqlfluff fix models tests --processes 2

# The benches (and test-dbt) on the compiled venv of install-dev: a measured build must not pay
# for compiling its imports.
bench: install-dev  ## performance harness at 1M and 10M answers (not part of make test); BENCH_ARGS="--sizes 1e6"
	$(BIN)/python bench/build_bench.py $(BENCH_ARGS)

bench-api: install-dev  ## API req/s and p50/p99 with wrk on loopback (not part of make test)
	$(BIN)/python bench/api_bench.py

clean:  ## remove the venv, dbt artefacts and local data
	rm -rf $(VENV) target logs dbt_packages warehouse data test-artifacts
