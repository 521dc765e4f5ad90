"""SoMe Pulse watching itself: the Prometheus rules fire on each failure they name and
not on its healthy look-alike (``promtool test rules`` with series worked out by hand,
``data/prometheus_rules_test.yml``), Prometheus's configuration loads them, they read
metrics the worker exports, their runbook links open the right runbook panel, and
Alertmanager routes every kind of alert where this project says it goes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]

from somepulse.alerts.runbook import PANEL_IDS, runbook_url
from somepulse.telemetry import WorkerMetrics

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules" / "somepulse.yml"
ALERTMANAGER = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (make system-deps installs Debian's prometheus)")
    return found


def test_each_rule_fires_on_its_failure_and_not_on_the_look_alike(tmp_path: Path) -> None:
    cases = (ROOT / "tests" / "integration" / "data" / "prometheus_rules_test.yml").read_text()
    (tmp_path / "test.yml").write_text(cases.replace("[RULES]", f"[{RULES}]"))
    out = subprocess.run(
        [tool("promtool"), "test", "rules", str(tmp_path / "test.yml")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS" in out.stdout


def test_every_rule_is_tested() -> None:
    rules = {r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]}
    cases = yaml.safe_load(
        (ROOT / "tests" / "integration" / "data" / "prometheus_rules_test.yml").read_text()
    )
    fired = {
        check["alertname"]
        for case in cases["tests"]
        for check in case["alert_rule_test"]
        if check["exp_alerts"]
    }
    assert fired == rules


def test_prometheus_loads_the_rules_and_scrapes_what_they_read() -> None:
    config = ROOT / "deploy" / "prometheus" / "prometheus.yml"
    doc = yaml.safe_load(config.read_text())
    assert doc["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    jobs = {j["job_name"] for j in doc["scrape_configs"]}
    assert {"somepulse-worker", "alertmanager"} <= jobs
    out = subprocess.run(
        [tool("promtool"), "check", "rules", str(RULES)], capture_output=True, text=True
    )
    assert out.returncode == 0 and "SUCCESS: 8 rules found" in out.stdout, out.stdout
    # the worker's metrics the rules read exist under those names
    # (a counter's family is named without _total; labelled ones have no samples yet)
    exported = {family.name for family in WorkerMetrics().registry.collect()}
    text = RULES.read_text()
    for name in (
        "somepulse_consumer_lag_messages",
        "somepulse_dead_letters_total",
        "somepulse_messages_consumed_total",
        "somepulse_last_insert_timestamp_seconds",
        "somepulse_events_consumed_total",
        "somepulse_detector_decisions_total",
        "somepulse_alertmanager_delivery_failures_total",
    ):
        assert name in text
        assert name.removesuffix("_total") in exported, name


def test_runbook_links_open_the_alerts_own_panel() -> None:
    board = "http://localhost:3000/d/somepulse-duty"
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            assert rule["annotations"]["runbook_url"] == runbook_url(board, rule["alert"])
    assert set(PANEL_IDS) >= {"SomePulseSurge", "SomePulseSourceSilent", "SomePulseSourceDown"}
    assert runbook_url("https://grafana.agency.no/d/somepulse-duty", "SomePulseSurge") == (
        f"https://grafana.agency.no/d/somepulse-runbook?viewPanel={PANEL_IDS['SomePulseSurge']}"
    )


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        # the worker's surge: the pager
        (["alertname=SomePulseSurge", "page=nav.x", "severity=warning"], "on-call"),
        (["alertname=SomePulseSurge", "page=nav.x", "severity=critical"], "on-call"),
        # one post taking off: the board only
        (["alertname=SomePulseSurge", "page=nav.x", "severity=info"], "board"),
        # Grafana's copy of the same decision: never a second page
        (["alertname=SomePulseCopy", "copy=grafana", "page=nav.x", "severity=warning"], "board"),
        (["alertname=SomePulseSourceSilent", "page=nav.x", "severity=warning"], "on-call"),
        # Prometheus about the stack itself
        (["alertname=SomePulseWorkerDown", "severity=critical", "team=somepulse"], "on-call"),
        (["alertname=SomePulseWatchdog", "severity=none", "team=somepulse"], "heartbeat"),
    ],
)
def test_alertmanager_routes_each_kind_of_alert(labels: list[str], receiver: str) -> None:
    out = subprocess.run(
        [tool("amtool"), "config", "routes", "test", f"--config.file={ALERTMANAGER}", *labels],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == receiver
