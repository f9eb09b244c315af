# Two commands on a fresh machine: `make serve` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Where `riskmap data fetch` copies the public sources from when there is no internet:
# a folder (or http URL) that holds the files under the names config/sources.toml gives them.
RISKMAP_MIRROR ?= $(wildcard $(abspath ../shared/data/upstream))
export RISKMAP_MIRROR
# Port of the dashboard: `make serve PORT=8502`.
PORT ?= 8501

.PHONY: serve test test-fast install prepare bench lint

$(BIN)/riskmap: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(BIN)/riskmap

prepare: install
	$(BIN)/riskmap prepare

serve: prepare
	$(BIN)/riskmap serve --port $(PORT)

# Everything: unit, doctests, the import contract, the real data, the browser (what CI runs).
# The tests without a browser run on both cores; the browser tests and the few whose result
# depends on time (a solver's time limit) run after them, alone.
test: install
	$(BIN)/python -m pytest -q -n 2 -m "not e2e and not serial"
	$(BIN)/python -m pytest -q -m "e2e or serial"

# Under 3 minutes on 2 cores, without ../shared/data and without a browser: what to run while
# working. Tests that read the shared data or drive chromium, and the slow ones, are left out.
test-fast: install
	RISKMAP_SHARED_DATA=/nonexistent CI= $(BIN)/python -m pytest -q -n 2 -p no:cacheprovider \
		-m "not e2e and not slow and not shared_data"

bench: install
	$(BIN)/python -m benchmarks

lint: install
	$(BIN)/ruff check geo models dashboard tests benchmarks
	$(BIN)/lint-imports
