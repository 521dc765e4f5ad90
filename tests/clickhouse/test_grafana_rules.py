"""The Grafana-managed surge rules return exactly the stream detector's decisions (read
from the verdicts the worker stores), in Grafana's alerting shape; the provisioning file
is current."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from somepulse.alerts.detector import load_alert_config
from somepulse.alerts.grafana_rules import OUT, render, rule_sql
from somepulse.alerts.stream import StreamDetector, verdict_row
from somepulse.collectors.scenario.generator import ScenarioGenerator
from somepulse.collectors.scenario.profiles import PAGES
from somepulse.settings import Settings
from somepulse.store import Store, open_prepared_store
from tests.helpers import scrubbed

pytestmark = pytest.mark.clickhouse
ROOT = Path(__file__).resolve().parents[2]
CONFIG = load_alert_config()
RULES = {r.name: r for r in CONFIG.rules}


def test_provisioning_file_is_current() -> None:
    assert (ROOT / OUT).read_text() == render(), "run `python -m somepulse.alerts.grafana_rules`"
    doc = json.loads((ROOT / OUT).read_text().split("\n", 1)[1])
    rules = {r["labels"]["rule"]: r for r in doc["groups"][0]["rules"]}
    assert set(rules) == set(RULES) | {"source_silent"}
    # silence is the one rule for which no data is not OK
    assert {name for name, r in rules.items() if r["noDataState"] != "OK"} == {"source_silent"}
    assert doc["contactPoints"][0]["receivers"][0]["type"] == "prometheus-alertmanager"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, StreamDetector]]:
    """Two pages' scenario through the stream detector, its decisions stored as the
    worker stores them (``surge_verdicts``)."""
    path: Path = tmp_path_factory.mktemp("grafana")
    store = open_prepared_store(Settings(data_dir=path))  # type: ignore[call-arg]
    detector = StreamDetector(CONFIG)
    detector.verdicts = []
    gen = ScenarioGenerator(date(2019, 1, 1), date(2020, 3, 20), seed=2020, pages=PAGES[:2])
    for event in gen:
        detector.feed(scrubbed(event))
    rows = [orjson.dumps(verdict_row(v)) for v in detector.verdicts]
    for start in range(0, len(rows), 100_000):
        store.insert("surge_verdicts", b"\n".join(rows[start : start + 100_000]))
    yield store, detector
    store.close()


def firing_at(detector: StreamDetector, page: str, rule: str, at: datetime) -> int:
    """From the detector's transitions, computed apart from the table: firing at ``at``?"""
    state = 0
    for t in detector.transitions:
        if t.page_id == page and t.rule.name == rule and t.at <= at:
            state = int(t.state == "firing")
    return state


@pytest.mark.parametrize("rule", ["questions", "comments", "comment_burst", "reach"])
def test_grafana_rules_return_the_detectors_decisions(
    loaded: tuple[Store, StreamDetector], rule: str
) -> None:
    store, detector = loaded
    days = rule == "reach"
    start = datetime(2020, 3, 5, tzinfo=UTC)
    times = [
        start + (timedelta(days=i, hours=12) if days else timedelta(hours=6 * i, minutes=2))
        for i in range(14 if days else 52)
    ]
    times += [datetime(2019, 6, 3, 12, 2, tzinfo=UTC), datetime(2019, 10, 14, 18, 2, tzinfo=UTC)]
    fired = 0
    for now in times:
        sql = rule_sql(RULES[rule], now=f"toDateTime('{now:%Y-%m-%d %H:%M:%S}', 'UTC')")
        frame = store.query(sql)
        # Grafana alerts on SQL only in this shape: string labels and one number
        assert all(list(r) == ["page", "platform", "firing"] for r in frame)
        assert all(isinstance(r["page"], str) for r in frame)
        assert all(isinstance(r["firing"], int | float) for r in frame)
        got = {r["page"]: int(r["firing"]) for r in frame}
        for page in ("nav.foreldrepenger", "nav.jobblyst"):
            # a reach decision is made when the morning's report arrives: the state then
            expected = firing_at(detector, page, rule, now)
            assert got.get(page, 0) == expected, (page, now)
            fired += expected
    if rule in ("questions", "reach"):
        assert fired > 0  # the March 2020 surge is in the compared times
