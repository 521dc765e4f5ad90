# The README's two commands: `make demo` and `make test`. Both install what they need
# into .venv first (only when pyproject.toml changed since the last install).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lock lint typecheck unit clickhouse integration kafka bench schemas ddl-snapshot config clean system-deps docs

# Dependencies from the lock file, every artifact checked against its SHA-256 (security
# review V1); then the project itself without resolving anything again. setuptools is
# upgraded past CVE-2025-47273 (V2).
$(STAMP): pyproject.toml requirements/dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip 'setuptools>=78.1.1'
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# Re-resolve both lock files (after a change to pyproject.toml's dependencies).
lock: $(STAMP)
	$(BIN)/pip install --quiet 'uv>=0.9'
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra embedded --extra board \
	  --generate-hashes --universal \
	  --python-version 3.11 -q -o requirements/dev.lock
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --universal \
	  --python-version 3.11 -q -o requirements/worker.lock

# generated documentation and deploy files: the SQL column reference, Grafana's boards
# and rules (tests fail when any is stale)
docs: $(STAMP)
	$(BIN)/python -m somepulse.tools.sql_doc
	$(BIN)/somepulse grafana build

demo: $(STAMP)
	$(BIN)/somepulse demo

# Debian's Alertmanager for the alert-delivery tests (a real one, started by the tests),
# Debian's Prometheus for promtool (the self-monitoring rules are unit-tested with it),
# Debian's docker-compose to validate docker-compose.yml (no Docker engine here), and
# Java 17 + Maven for Apache Kafka in tests/kafka (jars from Maven Central, cached)
system-deps:
	@command -v prometheus-alertmanager >/dev/null && command -v docker-compose >/dev/null \
	  && command -v promtool >/dev/null \
	  && command -v java >/dev/null && command -v mvn >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    prometheus-alertmanager prometheus docker-compose openjdk-17-jre-headless maven; }

test: lint typecheck system-deps
	$(BIN)/pytest -p no:cacheprovider --durations=15 tests

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

kafka: $(STAMP) system-deps
	$(BIN)/pytest tests/kafka

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
