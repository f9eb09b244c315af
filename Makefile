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

.PHONY: serve test install prepare bench lint

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

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m benchmarks

lint: install
	$(BIN)/ruff check geo models dashboard tests benchmarks
