# Two commands: `make demo` and `make test`. Everything else here is what they call.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= data
DBT_DIR := dbt

.PHONY: demo test test-fast install manifest lint bench ui ui-test clean

install: $(STAMP)

# uv installs the locked set in seconds; pip is the fallback where uv cannot be had.
# --compile-bytecode: uv writes no .pyc by default, and where PYTHONDONTWRITEBYTECODE is set
# (this machine) no process ever does, so every `isadex run`, dbt child and test recompiled
# dagster, pandas and dbt from source (bench/results.md).
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	( $(BIN)/pip install -q uv && \
	  $(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -r requirements.lock ) \
	  || $(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps --no-build-isolation -e . 2>/dev/null \
	  || $(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

# The dbt manifest is prepared here, once, not parsed on every code-location load; and parsed
# again only when a project file is newer (the rule of prepare_manifest in
# defs/warehouse/project.py), so `make ui` in a test never rewrites it under a run that reads it.
MANIFEST := $(DBT_DIR)/target/manifest.json
DBT_SOURCES := $(shell find $(DBT_DIR)/models $(DBT_DIR)/seeds $(DBT_DIR)/macros $(DBT_DIR)/tests \
  -type f 2>/dev/null) $(DBT_DIR)/dbt_project.yml $(DBT_DIR)/profiles.yml
manifest: $(MANIFEST)
$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	cd $(DBT_DIR) && ../$(BIN)/dbt parse --quiet --profiles-dir . --project-dir .
	touch $@

# The command that shows this run in the UI: `make ui`, with DATA when it is not the default.
UI_COMMAND := make ui$(if $(filter-out data,$(DATA)), DATA=$(DATA))

demo: manifest
	rm -rf $(DATA)/landing
	$(BIN)/isadex generate --out $(DATA)/landing --subjects 60 --sites 6 --seed 20261125 --contract-version 1.1
	$(BIN)/isadex run --landing $(DATA)/landing --warehouse $(DATA)/warehouse.duckdb --report-dir $(DATA)/report; \
	  status=$$?; echo; echo "warehouse: $(DATA)/warehouse.duckdb"; echo "report:    $(DATA)/report/"; \
	  echo "UI:        $(UI_COMMAND)"; test $$status -ne 1

# One pytest worker per core (pytest-xdist); the tests that share a built warehouse run in one
# worker (tests/conftest.py, xdist_group), so each warehouse is built once.
test: manifest
	$(BIN)/python -m pytest -q -n auto --dist loadgroup

# tests/unit alone (the `unit` marker, set by folder in tests/conftest.py): no Dagster run, no dbt.
test-fast: manifest
	$(BIN)/python -m pytest -q -m unit

lint: $(STAMP)
	$(BIN)/ruff check dagster_project tests

bench: manifest
	$(BIN)/python bench/run_bench.py

# The UI on the warehouse's own Dagster instance (DAGSTER_HOME, when set, overrides it, as for
# `isadex run`), so it shows every run made on it. Nothing needs activating: the dbt the code
# location runs is found beside the venv's python. UI_ARGS go to `dagster dev` (e.g. -p 3001).
ui: manifest
	@export ISADEX_LANDING="$(abspath $(DATA)/landing)" ISADEX_WAREHOUSE="$(abspath $(DATA)/warehouse.duckdb)" && \
	  home=$$($(BIN)/python -m dagster_project.lib.runtime.dagster_home) && \
	  echo "Dagster instance: $$home" && \
	  DAGSTER_HOME="$$home" exec $(BIN)/dagster dev -w workspace.yaml $(UI_ARGS)

# The UI in headless Chromium (also part of `make test`); screenshots land in $(DATA)/ui-screenshots.
ui-test: manifest
	ISADEX_SCREENSHOT_DIR=$(DATA)/ui-screenshots $(BIN)/python -m pytest -q tests/e2e/test_dagster_ui.py

clean:
	rm -rf $(DATA) $(DBT_DIR)/target $(DBT_DIR)/logs
