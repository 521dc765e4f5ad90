"""Grafana-managed alert rules generated from ``somepulse/config/alerts.toml``: one rule
per surge rule reading the stream detector's own decisions (``surge_verdicts``, written
by the worker), and the source-silent rule. ``somepulse grafana build`` writes
``deploy/grafana/provisioning/alerting/somepulse.yaml``; a test fails when it is stale,
and another checks on chDB that the rules return exactly what the detector decided, in
the shape Grafana alerts on (string labels and one number).

Why not the model in SQL: the detector fits a baseline per page (shape, level,
dispersion, outages left out) that SQL would have to copy, and two copies drift. The
stream detector is the pager (faster, exact, with hold and hysteresis). These rules put
its state where Grafana users look; they reach Alertmanager labelled
``copy="grafana"``, which routes them to the board, never to on-call a second time
(``deploy/alertmanager/alertmanager.yml``). Their labels are the worker's (``page``,
``platform``, ``rule``, ``metric``, ``severity``) so a person can match one to the other.
If the worker dies they cannot stand in for it (they read its decisions): Prometheus's
``SomePulseWorkerDown`` pages for that (``deploy/prometheus/rules/somepulse.yml``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from somepulse.alerts.detector import AlertConfig, Rule, load_alert_config
from somepulse.alerts.runbook import runbook_url
from somepulse.alerts.silence import SILENCE_THRESHOLD
from somepulse.settings import Settings

# relative to the working directory: `somepulse grafana build` runs in a checkout or in
# the directory an operator mounts into Grafana
OUT = Path("deploy") / "grafana" / "provisioning" / "alerting" / "somepulse.yaml"
DATASOURCE_UID = "somepulse-clickhouse"
# the labels every rule carries: Alertmanager routes the copies to the board, and
# `somepulse grafana push` routes the team's alerts in an agency's own policy tree
COPY_LABELS = {"copy": "grafana", "team": "somepulse"}
# the setting's own default (SOMEPULSE_BOARD_URL), so the committed file is what
# `somepulse grafana build` writes with no configuration
DEFAULT_BOARD_URL: str = Settings.model_fields["board_url"].default


def rule_sql(rule: Rule, db: str = "somepulse", now: str = "now()") -> str:
    """Grafana's alerting shape: the label columns ``page`` and ``platform`` and one
    number, 1 while the stream detector fires the rule for the page (its latest decision
    in ``surge_verdicts`` of the last three days: a page decides only when its events
    move time on, and reported values come a day late), else 0. Grafana and the pager
    cannot disagree: they read one decision."""
    lookback = "INTERVAL 3 DAY"  # a bucket is decided once it has ended: the condition below
    return f"""
SELECT toString(page_id) AS page, toString(platform) AS platform,
       toFloat64(argMax(firing, bucket)) AS firing
FROM {db}.surge_verdicts FINAL
WHERE rule = '{rule.name}' AND bucket > {now} - {lookback}
  AND bucket <= {now} - INTERVAL {rule.step_seconds} SECOND
GROUP BY page, platform
"""


def source_silent_sql(db: str = "somepulse") -> str:
    """Grafana's alerting shape: string labels and exactly one numeric column."""
    return (
        f"SELECT toString(page_id) AS page, toFloat64(expected_events) AS expected_events "
        f"FROM {db}.v_source_silence"
    )


def source_silent_rule(db: str = "somepulse", board_url: str = DEFAULT_BOARD_URL) -> dict[str, Any]:
    """A page quiet for longer than its own rhythm explains (``alerts/silence.py``).
    Unlike the surge rules, no data is not OK here: a query that returns nothing means
    no page had any event for 120 days, or the store is empty — silence everywhere."""
    return {
        "uid": "somepulse-source-silent",
        "title": "SoMe Pulse: a page's source went silent",
        "condition": "B",
        "for": "15m",
        "labels": {"rule": "source_silent", "metric": "events", "severity": "warning"}
        | COPY_LABELS,
        "annotations": {
            "summary": "{{ $labels.page }}: no events for longer than its usual rhythm "
            "explains ({{ $values.A.Value }} expected); check the collector, its token "
            "and the webhook subscription",
            "description": "Expected events from the page's hour-of-week rhythm over 8 weeks; "
            f"pages above {SILENCE_THRESHOLD:g}. The worker pages for it "
            "(SomePulseSourceSilent); this copy is for Grafana's alert list.",
            "runbook_url": runbook_url(board_url, "SomePulseSourceSilent"),
        },
        "noDataState": "Alerting",
        "execErrState": "Error",
        "data": [
            {
                "refId": "A",
                "datasourceUid": DATASOURCE_UID,
                "relativeTimeRange": {"from": 120 * 86400, "to": 0},
                "model": {
                    "refId": "A",
                    "queryType": "table",
                    "format": 1,
                    "editorType": "sql",
                    "rawSql": source_silent_sql(db),
                },
            },
            {
                "refId": "B",
                "datasourceUid": "__expr__",
                "model": {
                    "refId": "B",
                    "type": "threshold",
                    "expression": "A",
                    "conditions": [{"evaluator": {"type": "gt", "params": [SILENCE_THRESHOLD]}}],
                },
            },
        ],
    }


def provisioning(
    config: AlertConfig,
    alertmanager_url: str = "http://alertmanager:9093",
    db: str = "somepulse",
    board_url: str = DEFAULT_BOARD_URL,
) -> dict[str, Any]:
    """Grafana's alerting provisioning document (rule group, contact point, policy)."""
    rules = []
    for rule in config.rules:
        rules.append(
            {
                "uid": f"somepulse-{rule.name.replace('_', '-')}",
                "title": f"SoMe Pulse surge: {rule.summary}",
                "condition": "B",
                "for": "0m",  # the detector held the condition already
                "labels": {
                    "rule": rule.name,
                    "metric": rule.source,
                    "severity": rule.severity,
                }
                | COPY_LABELS,
                "annotations": {
                    "summary": f"{{{{ $labels.page }}}}: {rule.summary} well above the "
                    "usual (the surge detector fires)",
                    "description": "The worker's surge detector decided this (surge_verdicts: "
                    "observed, expected, ratio, tail) and paged for it (SomePulseSurge); "
                    "this copy is for Grafana's alert list.",
                    "runbook_url": runbook_url(board_url, "SomePulseSurge"),
                },
                "noDataState": "OK",
                "execErrState": "Error",
                "data": [
                    {
                        "refId": "A",
                        "datasourceUid": DATASOURCE_UID,
                        "relativeTimeRange": {"from": 3 * 86400, "to": 0},
                        "model": {
                            "refId": "A",
                            "queryType": "table",
                            "format": 1,
                            "editorType": "sql",
                            "rawSql": rule_sql(rule, db).strip(),
                        },
                    },
                    {
                        "refId": "B",
                        "datasourceUid": "__expr__",
                        "model": {
                            "refId": "B",
                            "type": "threshold",
                            "expression": "A",
                            "conditions": [{"evaluator": {"type": "gt", "params": [0]}}],
                        },
                    },
                ],
            }
        )
    rules.append(source_silent_rule(db, board_url))
    return {
        "apiVersion": 1,
        "groups": [
            {
                "orgId": 1,
                "name": "somepulse-surge",
                "folder": "SoMe Pulse",
                "interval": "5m",
                "rules": rules,
            }
        ],
        "contactPoints": [
            {
                "orgId": 1,
                "name": "alertmanager",
                "receivers": [
                    {
                        "uid": "somepulse-alertmanager",
                        "type": "prometheus-alertmanager",
                        "settings": {"url": alertmanager_url},
                    }
                ],
            }
        ],
        # a dedicated Grafana (the compose stack): the whole tree is ours. `grafana push`
        # to an agency's Grafana adds a child route instead (dashboards/push.py)
        "policies": [{"orgId": 1, "receiver": "alertmanager", "group_by": ["alertname", "page"]}],
    }


def render(
    config: AlertConfig | None = None,
    db: str = "somepulse",
    alertmanager_url: str = "http://alertmanager:9093",
    board_url: str = DEFAULT_BOARD_URL,
) -> str:
    # JSON is YAML: Grafana reads it as is, and it needs no YAML library to write
    doc = provisioning(config or load_alert_config(), alertmanager_url, db, board_url)
    return (
        "# generated by `somepulse grafana build` from alerts.toml\n"
        + json.dumps(doc, indent=2, ensure_ascii=False)
        + "\n"
    )
