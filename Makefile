# Everything runs from a project-local virtual environment, created on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo airflow screenshots bench test test-tools lint clean wheel matrix lock

# The exact development set: requirements-dev.txt's ranges at the versions of constraints/development.txt.
$(STAMP): requirements.txt requirements-dev.txt constraints/development.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints/development.txt -r requirements-dev.txt
	touch $(STAMP)

## wheel: build dist/iam_lifecycle-<version>-py3-none-any.whl (the iam_lifecycle package and its entry points)
wheel: $(STAMP)
	$(BIN)/uv build --wheel -o dist .
	rm -rf build plugins/*.egg-info

## matrix: the wheel on MWAA 3.2.1 and 3.3.1 (their constraints), Airflow 3.1.8 and the development set;
## one environment: make matrix MATRIX=mwaa-3.2.1 (or mwaa-3.3.1, airflow-3.1.8, development)
matrix: $(STAMP)
	UV=$(BIN)/uv bash scripts/matrix.sh $(MATRIX)

## lock: rewrite constraints/development.txt from a fresh install of requirements-dev.txt (review the diff)
lock:
	bash scripts/lock.sh

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

## test: lint, every test on the development set (first installing PostgreSQL, Redis and docker-compose where they
## are missing) and, beside it, the matrix: the wheel on MWAA 3.2.1 and 3.3.1, Airflow 3.1.8 and the development
## set (scripts/test.sh says what runs where)
test: $(STAMP) lint test-tools
	bash scripts/test.sh

test-tools:
	bash scripts/install-test-tools.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .venv-matrix .airflow .pytest_cache .ruff_cache dist build
