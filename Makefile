# The project's commands. `make help` lists them. Every target sets up what it needs itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt pyproject.toml | sha1sum | cut -c1-12)
KAFKA_STAMP := .cache/kafka/.fetched
# Headless Chromium for the briefing's rendering test (Debian's package; the script is idempotent).
BROWSER_STAMP := .cache/browser/.chromium
DATA ?= data

.DEFAULT_GOAL := help
.PHONY: help setup demo test test-unit chaos bench lint schemas clean

help: ## list the commands
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# requirements-dev.txt includes requirements.txt: the runtime pins and the development tools.
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@echo "==> setting up $(VENV) from pinned requirements (runtime and development tools)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-* && touch $@

$(KAFKA_STAMP): infra/kafka/pom.xml infra/kafka/fetch.sh
	@bash infra/kafka/fetch.sh

$(BROWSER_STAMP): infra/browser/install-chromium.sh
	@bash infra/browser/install-chromium.sh
	@mkdir -p $(dir $@) && touch $@

setup: $(STAMP) $(KAFKA_STAMP) ## create .venv (requirements.txt and requirements-dev.txt) and fetch the Kafka broker's jars (Java 17 + Maven)

demo: $(STAMP) $(KAFKA_STAMP) ## run the main job on the embedded stack (see README)
	@$(VENV)/bin/safeguarding demo --data-dir $(DATA)

test: $(STAMP) $(KAFKA_STAMP) $(BROWSER_STAMP) ## set up (.venv, the Kafka jars, Chromium) and run the whole test suite
	@$(PY) -m pytest

test-unit: $(STAMP) ## run the tests that need no broker
	@$(PY) -m pytest -m "not integration"

chaos: $(STAMP) $(KAFKA_STAMP) ## kill the worker 10 times and the whole stack once under a partner's load; check nothing was lost
	@$(PY) -m tests.infra.stack.chaos --kills 10 --cases 4000

bench: $(STAMP) ## run the benchmarks; each prints its figures
	@$(PY) -m tests.benchmarks

lint: $(STAMP) ## ruff, mypy (every package) and the import contract of the layers (lint-imports)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/mypy schemas producers streams dashboards infra tests
	@$(VENV)/bin/lint-imports --no-cache

schemas: $(STAMP) ## regenerate the committed JSON Schema files
	@$(PY) -m schemas.export

# cspr-stream-data/ and dbt/target, dbt/logs: where older versions left the stream's and dbt's files.
clean: ## remove everything the project writes: .venv, .cache (Kafka jars too), the data folder, tool caches
	rm -rf $(VENV) .cache $(DATA) .pytest_cache .mypy_cache .ruff_cache .hypothesis tests/artifacts \
		cspr-stream-data dbt/target dbt/logs *.egg-info
