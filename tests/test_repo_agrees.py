"""The documentation and deployment files agree with the code (PostHog's habit)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml  # type: ignore[import-untyped]

from streams.cli import settings_table
from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_readme_configuration_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- config-table -->\n(.*?)\n<!-- /config-table -->", readme, re.S)
    assert block is not None
    assert block.group(1) == settings_table(), "run `somepulse config` and paste it"


def test_readme_has_exactly_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_compose_topics_and_env_agree_with_settings() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"kafka", "clickhouse", "worker", "collector"} <= set(services)
    env = services["worker"]["environment"]
    fields = {f"SOMEPULSE_{name.upper()}" for name in Settings.model_fields}
    assert set(env) <= fields, set(env) - fields
    assert env["SOMEPULSE_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert env["SOMEPULSE_CLICKHOUSE_URL"].startswith("http://clickhouse:8123")
    kafka_listeners = services["kafka"]["environment"]["KAFKA_LISTENERS"]
    assert "9092" in kafka_listeners
