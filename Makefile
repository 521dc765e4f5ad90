# The README's two commands: `make demo` and `make test`. Both install what they need
# into .venv first (only when pyproject.toml changed since the last install).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit clickhouse integration bench schemas ddl-snapshot config clean system-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/somepulse demo

# Debian's Alertmanager for the alert-delivery tests (a real one, started by the tests)
# and Debian's docker-compose to validate docker-compose.yml (no Docker engine here)
system-deps:
	@command -v prometheus-alertmanager >/dev/null && command -v docker-compose >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    prometheus-alertmanager docker-compose; }

test: lint typecheck system-deps
	$(BIN)/pytest -p no:cacheprovider tests

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit

clickhouse: $(STAMP)
	$(BIN)/pytest tests/clickhouse

integration: $(STAMP) system-deps
	$(BIN)/pytest tests/integration

bench: $(STAMP)
	$(BIN)/somepulse bench

schemas: $(STAMP)
	$(BIN)/python -m somepulse.schemas.export

ddl-snapshot: $(STAMP)
	$(BIN)/python -c 'from somepulse.store.schema import ddl_text; print(ddl_text(), end="")' > tests/snapshots/ddl.sql

config: $(STAMP)
	$(BIN)/somepulse config

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
