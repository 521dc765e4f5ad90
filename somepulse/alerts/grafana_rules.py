"""Grafana-managed alert rules generated from ``somepulse/config/alerts.toml`` (the second path
in deployments): the same windows, baselines, ratio, Poisson tail and volume as the
stream detector, as ClickHouse SQL. ``python -m somepulse.alerts.grafana_rules`` writes
``deploy/grafana/provisioning/alerting/somepulse.yaml``; a test fails when it is
stale, and another runs the SQL against chDB and compares the verdicts with the
stream detector's.

Grafana's ``for`` is the hold; Grafana has no hysteresis, so these rules resolve as
soon as the condition fails (the stream detector is the path with hysteresis).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from somepulse.alerts.detector import AlertConfig, Rule, load_alert_config
from somepulse.alerts.silence import SILENCE_THRESHOLD

# relative to the working directory: `somepulse grafana build` runs in a checkout or in
# the directory an operator mounts into Grafana
OUT = Path("deploy") / "grafana" / "provisioning" / "alerting" / "somepulse.yaml"
DATASOURCE_UID = "somepulse-clickhouse"
COUNT_COLUMNS = {"questions": "questions", "comments": "comments"}


def _per_page(config: AlertConfig, rule: Rule, field: str) -> str:
    default = getattr(rule, field)
    branches = [
        f"page_id = '{page}', {changes[field]}"
        for page, changes in sorted(config.overrides.items())
        if field in changes
    ]
    return f"multiIf({', '.join(branches)}, {default})" if branches else str(default)


def _poisson_sf_sql(k: str, lam: str) -> str:
    """P(X >= k), X ~ Poisson(lam): one minus the lower tail summed in log space."""
    return (
        f"if({k} <= 0, 1.0, if({lam} <= 0, 0.0, greatest(0.0, 1 - arraySum(arrayMap("
        f"i -> exp(-{lam} + i * log({lam}) - lgamma(i + 1)), range(toUInt64({k})))))))"
    )


def rule_sql(rule: Rule, config: AlertConfig, db: str = "somepulse", now: str = "now()") -> str:
    """One row per page and platform: observed, baseline, ratio, p_value, firing (0/1)."""
    if rule.source == "reach":
        series = (
            f"SELECT page_id, toString(platform) AS platform, "
            f"toDateTime(day, 'UTC') AS b, toFloat64(reach) AS n "
            f"FROM {db}.v_page_reach_daily"
        )
        end, span = "toDateTime(toDate(now_), 'UTC')", f"INTERVAL {rule.window} DAY"
    elif rule.step == "hour":
        series = (
            f"SELECT page_id, toString(platform) AS platform, hour AS b, "
            f"toFloat64(sum({COUNT_COLUMNS[rule.source]})) AS n "
            f"FROM {db}.v_engagement_1h GROUP BY page_id, platform, b"
        )
        end, span = "toStartOfHour(now_)", f"INTERVAL {rule.window} HOUR"
    else:
        series = (
            f"SELECT page_id, toString(platform) AS platform, "
            f"toStartOfFiveMinutes(minute) AS b, "
            f"toFloat64(sum({COUNT_COLUMNS[rule.source]})) AS n "
            f"FROM {db}.v_engagement_1m GROUP BY page_id, platform, b"
        )
        end, span = "toStartOfFiveMinutes(now_)", f"INTERVAL {rule.window * 5} MINUTE"
    weeks = range(1, rule.trailing_weeks + 1)
    week_sums = "".join(
        f"               sumIf(n, b >= win_end - INTERVAL {k} WEEK - {span} "
        f"AND b < win_end - INTERVAL {k} WEEK) AS w{k},\n"
        for k in weeks
    )
    week_list = ", ".join(f"w{k}" for k in weeks)
    covered = ", ".join(f"first <= win_end - INTERVAL {k} WEEK - {span}" for k in weeks)
    d = rule.dispersion
    p_value = (
        "1.0"
        if rule.max_p_value >= 1
        else _poisson_sf_sql(f"round(observed / {d})", f"(baseline / {d})")
    )
    return f"""
WITH {now} AS now_, {end} AS win_end
SELECT page_id, platform, observed, baseline,
       if(baseline > 0, observed / baseline, if(observed > 0, inf, 1.0)) AS ratio,
       {p_value} AS p_value,
       toUInt8(has_baseline AND ratio >= {rule.threshold}
               AND p_value <= {rule.max_p_value}
               AND observed >= {_per_page(config, rule, "min_volume")}) AS firing
FROM (
    SELECT page_id, platform, observed,
           arrayFilter((v, ok) -> ok, [{week_list}], [{covered}]) AS weeks_ok,
           length(weeks_ok) >= {rule.min_history_weeks} AS has_baseline,
           if(has_baseline AND first <= win_end - INTERVAL 364 DAY - {span},
              greatest(arrayAvg(weeks_ok), last_year),
              if(has_baseline, arrayAvg(weeks_ok), 0)) AS baseline
    FROM (
        SELECT page_id, platform, minIf(b, n > 0) AS first,
{week_sums}               sumIf(n, b >= win_end - {span} AND b < win_end) AS observed,
               sumIf(n, b >= win_end - INTERVAL 364 DAY - {span}
                        AND b < win_end - INTERVAL 364 DAY) AS last_year
        FROM ({series})
        WHERE b < win_end
        GROUP BY page_id, platform
    )
)
"""


def _duration(rule: Rule, steps: int) -> str:
    minutes = steps * rule.step_seconds // 60
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def source_silent_sql(db: str = "somepulse") -> str:
    """Grafana's alerting shape: string labels and exactly one numeric column."""
    return (
        f"SELECT toString(page_id) AS page_id, toFloat64(expected_events) AS expected_events "
        f"FROM {db}.v_source_silence"
    )


def source_silent_rule(db: str = "somepulse") -> dict[str, Any]:
    """A page quiet for longer than its own rhythm explains (``alerts/silence.py``).
    Unlike the surge rules, no data is not OK here: a query that returns nothing means
    no page had any event for 120 days, or the store is empty — silence everywhere."""
    return {
        "uid": "somepulse-source-silent",
        "title": "SoMe Pulse: a page's source went silent",
        "condition": "B",
        "for": "15m",
        "labels": {"rule": "source_silent", "metric": "events", "severity": "warning"},
        "annotations": {
            "summary": "{{ $labels.page_id }}: no events for longer than its usual rhythm "
            "explains ({{ $values.A.Value }} expected); check the collector, its token "
            "and the webhook subscription",
            "description": "Expected events from the page's hour-of-week rhythm over 8 weeks; "
            f"pages above {SILENCE_THRESHOLD:g}. See docs/alerts.md (source silent).",
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
    config: AlertConfig, alertmanager_url: str = "http://alertmanager:9093", db: str = "somepulse"
) -> dict[str, Any]:
    """Grafana's alerting provisioning document (rule group, contact point, policy)."""
    rules = []
    for rule in config.rules:
        rules.append(
            {
                "uid": f"somepulse-{rule.name.replace('_', '-')}",
                "title": f"SoMe Pulse surge: {rule.summary}",
                "condition": "B",
                "for": _duration(rule, rule.hold),
                "labels": {
                    "alertname": "SomePulseSurge",
                    "rule": rule.name,
                    "metric": rule.source,
                    "severity": rule.severity,
                },
                "annotations": {
                    "summary": f"{{{{ $labels.page_id }}}}: {rule.summary} above "
                    f"{rule.threshold}x the usual",
                    "description": "Same window last year and same hour of week over the last "
                    f"{rule.trailing_weeks} weeks; see docs/alerts.md.",
                },
                "noDataState": "OK",
                "execErrState": "Error",
                "data": [
                    {
                        "refId": "A",
                        "datasourceUid": DATASOURCE_UID,
                        "relativeTimeRange": {"from": 400 * 86400, "to": 0},
                        "model": {
                            "refId": "A",
                            "queryType": "table",
                            "format": 1,
                            "editorType": "sql",
                            "rawSql": rule_sql(rule, config, db).strip(),
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
    rules.append(source_silent_rule(db))
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
        "policies": [
            {"orgId": 1, "receiver": "alertmanager", "group_by": ["alertname", "page_id", "metric"]}
        ],
    }


def render(
    config: AlertConfig | None = None,
    db: str = "somepulse",
    alertmanager_url: str = "http://alertmanager:9093",
) -> str:
    # JSON is YAML: Grafana reads it as is, and it needs no YAML library to write
    doc = provisioning(config or load_alert_config(), alertmanager_url, db)
    return (
        "# generated by `somepulse grafana build` from alerts.toml\n"
        + json.dumps(doc, indent=2, ensure_ascii=False)
        + "\n"
    )
