"""Dashboards as code: built JSON is current, provisioning is consistent, and every
ClickHouse panel's SQL runs on chDB with the scenario and returns what the panel needs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pytest
import yaml  # type: ignore[import-untyped]

from somepulse.collectors.scenario.generator import ScenarioGenerator
from somepulse.collectors.scenario.profiles import PAGES
from somepulse.dashboards.boards import BOARDS
from somepulse.dashboards.build import OUT_DIR, render
from somepulse.dashboards.builder import PromTarget, SqlTarget, with_database
from somepulse.dashboards.macros import expand
from somepulse.schemas import EVENT_ADAPTER, row_json
from somepulse.settings import Settings
from somepulse.store import Store, open_prepared_store
from somepulse.telemetry import WorkerMetrics
from tests.helpers import scrubbed

ROOT = Path(__file__).resolve().parents[2]
PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"


def test_built_dashboards_are_current() -> None:
    on_disk = {p.name: p.read_text() for p in (ROOT / OUT_DIR).glob("*.json")}
    assert on_disk == render(), "run `somepulse grafana build`"


def test_provisioning_is_consistent() -> None:
    sources = yaml.safe_load((PROVISIONING / "datasources" / "somepulse.yaml").read_text())
    uids = {d["uid"] for d in sources["datasources"]}
    assert {d["type"] for d in sources["datasources"]} == {
        "grafana-clickhouse-datasource",
        "prometheus",
    }
    for board in BOARDS:
        for panel in board.to_json()["panels"]:
            assert panel["datasource"]["uid"] in uids, panel["title"]
            for target in panel["targets"]:
                assert target["datasource"]["uid"] in uids
    providers = yaml.safe_load((PROVISIONING / "dashboards" / "somepulse.yaml").read_text())
    assert providers["providers"][0]["folder"] == "SoMe Pulse"
    alerting = yaml.safe_load((PROVISIONING / "alerting" / "somepulse.yaml").read_text())
    for rule in alerting["groups"][0]["rules"]:
        assert rule["data"][0]["datasourceUid"] in uids


def test_health_panels_use_metrics_the_worker_exports() -> None:
    names = {m.name for m in WorkerMetrics().registry.collect()}
    exported = names | {f"{n}_total" for n in names} | {f"{n}_bucket" for n in names}
    for board in BOARDS:
        for panel in board.panels:
            for target in panel.targets:
                if isinstance(target, PromTarget):
                    used = {
                        w
                        for w in target.expr.translate(str.maketrans("()[]", "    ")).split()
                        if w.startswith("somepulse_")
                    }
                    assert used <= exported, (panel.title, used - exported)


@pytest.fixture(scope="module")
def scenario_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = open_prepared_store(Settings(data_dir=tmp_path_factory.mktemp("boards")))  # type: ignore[call-arg]
    rows = [
        row_json(EVENT_ADAPTER.validate_python(scrubbed(e)), 0, 0)
        for e in ScenarioGenerator(date(2019, 3, 1), date(2020, 3, 20), seed=1, pages=PAGES[:2])
    ]
    for start in range(0, len(rows), 100_000):
        store.insert("events", b"\n".join(rows[start : start + 100_000]))
    store.insert(
        "alerts",
        orjson.dumps(
            {
                "alert_id": "nav.foreldrepenger/facebook/questions/1",
                "state": "firing",
                "at": "2020-03-12T22:00:00+00:00",
                "decided_at": "2020-03-12T22:00:01+00:00",
                "page_id": "nav.foreldrepenger",
                "platform": "facebook",
                "rule": "questions",
                "metric": "questions",
                "severity": "warning",
                "observed": 67,
                "baseline": 42,
                "ratio": 1.6,
                "p_value": 0.0001,
                "summary": "incoming questions at 67",
            }
        ),
    )
    yield store
    store.close()


RANGES = {
    "somepulse-duty": (datetime(2020, 3, 12, tzinfo=UTC), datetime(2020, 3, 19, 12, tzinfo=UTC)),
    "somepulse-analyst": (datetime(2019, 3, 1, tzinfo=UTC), datetime(2020, 3, 20, tzinfo=UTC)),
}
CASES = [
    (b.uid, p.title, i, t)
    for b in BOARDS
    if b.uid in RANGES
    for p in b.panels
    for i, t in enumerate(p.targets)
] + [
    (b.uid, "annotations", i, a)
    for b in BOARDS
    if b.uid in RANGES
    for i, a in enumerate(b.annotations)
]


@pytest.mark.clickhouse
@pytest.mark.parametrize(
    ("uid", "title", "index", "target"), CASES, ids=[f"{c[0]}:{c[1]}:{c[2]}" for c in CASES]
)
def test_every_panel_query_returns_rows(
    scenario_store: Store, uid: str, title: str, index: int, target: SqlTarget
) -> None:
    start, end = RANGES[uid]
    sql = expand(
        with_database(target.sql, "somepulse"),
        start,
        end,
        3600,
        {"page": ["nav.foreldrepenger", "nav.jobblyst"], "platform": ["facebook"]},
    )
    rows = scenario_store.query(sql)
    assert rows, f"{title}: no rows"
    if target.format == "time_series":
        assert "time" in rows[0]
        assert any(isinstance(v, int | float) for k, v in rows[0].items() if k != "time")
    json.dumps(rows)  # what Grafana gets must be plain JSON
