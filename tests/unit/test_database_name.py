"""SOMEPULSE_CLICKHOUSE_DATABASE reaches everything that names the database:
dashboards, Grafana alert rules and the ClickHouse grants of the deployed stack."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from somepulse.alerts.detector import load_alert_config
from somepulse.alerts.grafana_rules import provisioning
from somepulse.dashboards.build import render

ROOT = Path(__file__).resolve().parents[2]


def sql_strings(doc: object) -> list[str]:
    text = json.dumps(doc)
    return re.findall(r"(?:FROM|JOIN)\s+([a-z_]+)\.", text)


def test_dashboards_read_the_configured_database() -> None:
    read = set()
    for name, text in render("agency_x").items():
        schemas = sql_strings(json.loads(text))
        read.update(schemas)
        assert set(schemas) <= {"agency_x"}, name
    assert read == {"agency_x"}
    assert "somepulse." not in "".join(render("agency_x").values()).replace("somepulse.json", "")


def test_alert_rules_read_the_configured_database() -> None:
    doc = provisioning(load_alert_config(), db="agency_x")
    schemas = sql_strings(doc)
    assert schemas and set(schemas) == {"agency_x"}


def test_a_database_name_is_not_sql() -> None:
    with pytest.raises(ValueError, match="not a ClickHouse database name"):
        render("x; DROP TABLE events")


def test_grants_follow_the_database_setting() -> None:
    users = (ROOT / "deploy" / "clickhouse" / "users.d" / "somepulse.xml").read_text()
    compose = (ROOT / "docker-compose.yml").read_text()
    grants = re.findall(r'<query from_env="([A-Z_]+)"\s*/>', users)
    assert grants, "grants must come from the environment"
    for env in grants:
        line = re.search(rf"^\s+{env}: (.+)$", compose, re.M)
        assert line is not None, env
        assert "${SOMEPULSE_CLICKHOUSE_DATABASE:-somepulse}.*" in line.group(1)
    assert "GRANT SELECT ON somepulse" not in users
