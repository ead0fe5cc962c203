# Every target builds its virtualenv first when it is missing or older than pyproject.toml or the pinned
# constraints, so `make demo` and `make test` work on a fresh clone with only Python 3.10+ installed.

# The newest Airflow line is the default. Any line and Python can be asked for:
# `make test AIRFLOW_VERSION=3.1.8 PYTHON_VERSION=3.10` (scripts/find-python.sh finds the interpreter).
PYTHON ?= python3
AIRFLOW_VERSION ?= 3.3.2
PYTHON_VERSION ?=
LATEST_AIRFLOW := 3.3.2
# The newest patch of every supported line, each pinned by constraints/airflow-<version>.txt.
AIRFLOW_LINES := 3.1.8 3.2.2 3.3.2
# A line with a date is pinned as of the day after its release: the set Airflow itself ran with (resolved
# today, Airflow 3.2.2 takes cadwyn 9 and FastAPI 0.165, under which its own Execution API fails). The other
# lines are pinned as of the day `make constraints` ran; Airflow 3.3 caps FastAPI below 0.137 itself.
EXCLUDE_NEWER_3.2.2 := 2026-05-30T00:00:00Z
UV_VERSION := 0.13.9

ifeq ($(AIRFLOW_VERSION)$(PYTHON_VERSION),$(LATEST_AIRFLOW))
VENV := .venv
else
VENV := .venv-airflow-$(AIRFLOW_VERSION)$(if $(PYTHON_VERSION),-py$(PYTHON_VERSION))
endif
CONSTRAINTS := constraints/airflow-$(AIRFLOW_VERSION).txt
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV := $(BIN)/uv
PYTEST_ARGS ?=
# SUITE=core is the suite without what needs a whole deployment or a browser: tests/deployment (a real
# scheduler, API server and DAG processor, and Airflow's UI in Chromium) and tests/docs (the site in Chromium).
# CI runs the whole suite on the newest line and Python 3.11, and the core suite on every other pair.
SUITE ?= whole
ifeq ($(SUITE),core)
SUITE_ARGS := -m "not distributed and not integration and not ui" --ignore=tests/deployment --ignore=tests/docs
else ifeq ($(SUITE),whole)
SUITE_ARGS := -m "not distributed"
else
$(error SUITE is "whole" (the default) or "core", not "$(SUITE)")
endif

.DEFAULT_GOAL := help
.PHONY: help venv test lint format demo bench bench-quick soak integration integration-distributed ui-check screenshots dist \
	docs docs-serve constraints clean system-test

help:
	@echo "make demo        run the example DAG against the bundled sandbox, offline"
	@echo "make test        run the whole test suite; AIRFLOW_VERSION=3.1.8 PYTHON_VERSION=3.10 SUITE=core for another line"
	@echo "make lint        ruff (with Airflow's AIR rules), mypy --strict and the import-linter contracts"
	@echo "make bench       calls, grants, credits, time and memory against the sandbox; rewrites benchmarks/RESULTS.md (about 20 min)"
	@echo "make bench-quick every benchmark scenario at toy sizes (what CI runs)"
	@echo "make soak        200,000 ids under the soak fault profile, with token expiry and a forced lock-out"
	@echo "make integration a real Airflow deployment (scheduler, API server, DAG processor) runs a mapped DAG"
	@echo "make integration-distributed  CeleryExecutor on PostgreSQL and Redis, two workers, one sandbox org"
	@echo "make system-test one temporary tag on one record of a live Bigin account (docs/system-test.md); skipped without one"
	@echo "make ui-check    Airflow's UI in headless Chromium: the connection form and a run's XComs"
	@echo "make screenshots the UI check, saving docs/connection-form.png and docs/xcom-results.png"
	@echo "make docs        the documentation site into site/, strictly: a broken link or example DAG fails it"
	@echo "make docs-serve  the documentation site on http://127.0.0.1:8000, rebuilt on every change"
	@echo "make dist        build the sdist and the wheel into dist/"
	@echo "make constraints regenerate the pinned constraints of every Airflow line ($(AIRFLOW_LINES))"

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -f $(CONSTRAINTS) || { echo "error: no $(CONSTRAINTS); the supported lines are $(AIRFLOW_LINES)" >&2; exit 1; }
	@test -x $(BIN)/python || { python=$$(PYTHON=$(PYTHON) scripts/find-python.sh $(PYTHON_VERSION)) && \
		echo "==> creating $(VENV) with $$python" && $$python -m venv $(VENV); }
	@echo "==> installing the development environment into $(VENV) (Airflow $(AIRFLOW_VERSION), $$($(BIN)/python -V), pinned by $(CONSTRAINTS))"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	@$(UV) pip install --quiet --python $(BIN)/python --constraint $(CONSTRAINTS) --editable ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

# The UI check in the suite drives Debian's Chromium, and the sandbox's export line is run through zsh as
# well as bash; the scripts install them only when they are missing. The distributed deployment test needs
# PostgreSQL and Redis and runs on its own: `make integration-distributed`.
test: $(STAMP)
	@[ $(SUITE) = core ] || scripts/ensure-chromium.sh || \
		echo "warning: no Chromium, so the UI check will fail (see scripts/ensure-chromium.sh)"
	@scripts/ensure-debian-package.sh zsh zsh || echo "warning: no zsh, so the zsh cases of tests/sandbox/test_cli.py will fail in CI"
	$(BIN)/pytest $(SUITE_ARGS) $(PYTEST_ARGS)

demo: $(STAMP)
	$(BIN)/python -m demo.run_demo

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.run --quick

soak: $(STAMP)
	$(BIN)/python -m tests.reliability.soak --full

integration: $(STAMP)
	$(BIN)/pytest -m integration tests/deployment

# Against a live Bigin account named by AIRFLOW_CONN_BIGIN_SYSTEM_TEST and BIGIN_SYSTEM_TEST_RECORD_ID;
# without them every test is skipped, saying so (docs/system-test.md).
system-test: $(STAMP)
	$(BIN)/pytest tests/system -ra $(PYTEST_ARGS)

# The test starts its own PostgreSQL cluster, Redis and Airflow processes on 127.0.0.1 and stops them all.
integration-distributed: $(STAMP)
	scripts/ensure-postgres.sh
	scripts/ensure-redis.sh
	$(BIN)/pytest -m distributed tests/distributed $(PYTEST_ARGS)

ui-check: $(STAMP)
	scripts/ensure-chromium.sh
	$(BIN)/pytest -m ui tests/deployment

screenshots: $(STAMP)
	scripts/ensure-chromium.sh
	BIGIN_UI_SCREENSHOTS=docs $(BIN)/pytest -m ui tests/deployment

# MkDocs Material; --strict turns every warning (a broken link or anchor, a missing snippet, a docstring that
# names no parameter) into a failure, and docs/hooks/ stops the build on an example DAG that does not import.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

docs-serve: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Only `build` and `twine` (pinned by the constraints), in a virtualenv of its own: no Airflow, no development
# tools. It builds the sdist, then the wheel from that sdist, each backend in an isolated environment of its
# own, and `twine check --strict` reads both as the index will (the README must render).
BUILD_VENV := .venv-build
BUILD_STAMP := $(BUILD_VENV)/.installed

$(BUILD_STAMP): $(CONSTRAINTS)
	@test -x $(BUILD_VENV)/bin/python || $(PYTHON) -m venv $(BUILD_VENV)
	@$(BUILD_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --constraint $(CONSTRAINTS) build twine
	@touch $(BUILD_STAMP)

dist: $(BUILD_STAMP)
	rm -rf dist
	$(BUILD_VENV)/bin/python -m build --outdir dist .
	$(BUILD_VENV)/bin/twine check --strict dist/*

# Pins the whole development environment of every line, for every Python the provider supports, as Airflow
# recommends. uv keeps what the file already pins unless a requirement changed; a line with a release date is
# resolved as of that day. Needs the registry; run it when a dependency changes and commit the result.
constraints: $(STAMP)
	@for version in $(AIRFLOW_LINES); do \
		echo "==> constraints/airflow-$$version.txt"; \
		echo "apache-airflow==$$version" > .constraints-override.txt; \
		exclude_newer=; \
		$(foreach v,$(AIRFLOW_LINES),$(if $(EXCLUDE_NEWER_$(v)),[ $$version != $(v) ] || exclude_newer="--exclude-newer $(EXCLUDE_NEWER_$(v))";)) \
		$(UV) pip compile --quiet --universal --python-version 3.10 --extra dev $$exclude_newer \
			--override .constraints-override.txt --no-emit-package airflow-provider-bigin \
			--output-file constraints/airflow-$$version.txt pyproject.toml || exit 1; \
	done; rm -f .constraints-override.txt

clean:
	rm -rf .venv .venv-airflow-* .venv-build dist build site .mypy_cache .ruff_cache .pytest_cache
