"""The documentation and deployment files agree with the code (PostHog's habit)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from somepulse.settings import Settings, markdown_table

ROOT = Path(__file__).resolve().parents[2]


def test_readme_configuration_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- config-table -->\n(.*?)\n<!-- /config-table -->", readme, re.S)
    assert block is not None
    assert block.group(1) == markdown_table(), "run `somepulse config` and paste it"


def test_readme_has_exactly_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def compose_config() -> dict[str, Any]:
    """The compose file as Debian's docker-compose validates and resolves it."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("docker-compose is not installed (apt-get install docker-compose; make does)")
    out = subprocess.run(
        [binary, "-f", str(ROOT / "docker-compose.yml"), "--profile", "scenario", "config"],
        env={**os.environ, "SOMEPULSE_PSEUDONYM_SECRET": "test"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    doc: dict[str, Any] = yaml.safe_load(out.stdout)
    return doc


def test_compose_topics_and_env_agree_with_settings() -> None:
    compose = compose_config()
    services = compose["services"]
    assert {"kafka", "clickhouse", "worker", "collector"} <= set(services)
    env = services["worker"]["environment"]
    fields = {f"SOMEPULSE_{name.upper()}" for name in Settings.model_fields}
    assert set(env) <= fields, set(env) - fields
    assert env["SOMEPULSE_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert env["SOMEPULSE_CLICKHOUSE_URL"].startswith("http://clickhouse:8123")
    kafka_listeners = services["kafka"]["environment"]["KAFKA_LISTENERS"]
    assert "9092" in kafka_listeners
    assert {"grafana", "prometheus", "alertmanager"} <= set(services)
    # Prometheus scrapes the port the worker listens on; alerts go where Alertmanager is
    prometheus = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    target = prometheus["scrape_configs"][0]["static_configs"][0]["targets"][0]
    assert target == f"worker:{env['SOMEPULSE_WORKER_PORT']}"
    assert env["SOMEPULSE_WORKER_BIND"] == "0.0.0.0"
    assert env["SOMEPULSE_ALERTMANAGER_URL"] == "http://alertmanager:9093"
    assert any("provisioning" in str(v) for v in services["grafana"]["volumes"])
    assert any("users.d" in str(v) for v in services["clickhouse"]["volumes"])
    assert services["collector"]["profiles"] == ["scenario"]
    collector_port = services["collector"]["environment"]["SOMEPULSE_COLLECTOR_METRICS_PORT"]
    assert prometheus["scrape_configs"][1]["static_configs"][0]["targets"] == [
        f"collector:{collector_port}"
    ]
