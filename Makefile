# Everything runs from a project-local virtual environment, created on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo airflow screenshots bench test test-tools lint clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## demo: offboard a seeded user end to end on a local moto server and Slack stand-in
demo: $(STAMP)
	$(BIN)/python -m local.demo

## airflow: the whole Airflow (standalone) with the DAGs, on local AWS/Slack stand-ins and a seeded user; Ctrl-C stops
airflow: $(STAMP)
	$(BIN)/python -m local.standalone

## screenshots: run one offboarding on the standalone Airflow and save UI screenshots to docs/screenshots/
screenshots: $(STAMP)
	$(BIN)/python -m local.screenshots

## bench: measure IAM calls, latency and parse times on local moto servers; writes BENCHMARKS.md (~8 min)
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

## test: lint, then every test (first installing PostgreSQL, Redis and docker-compose where they are missing)
test: $(STAMP) lint test-tools
	$(BIN)/python -m pytest

test-tools:
	bash scripts/install-test-tools.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .airflow .pytest_cache .ruff_cache
