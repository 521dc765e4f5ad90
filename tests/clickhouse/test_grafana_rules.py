"""The Grafana-managed rules' SQL, run on chDB with the scenario, gives the stream
detector's verdicts; the provisioning file is current."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from somepulse.alerts.detector import load_alert_config
from somepulse.alerts.grafana_rules import OUT, render, rule_sql
from somepulse.alerts.stream import StreamDetector
from somepulse.collectors.scenario.generator import ScenarioGenerator
from somepulse.collectors.scenario.profiles import PAGES
from somepulse.schemas import EVENT_ADAPTER, row_json
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
    path: Path = tmp_path_factory.mktemp("grafana")
    store = open_prepared_store(Settings(data_dir=path))  # type: ignore[call-arg]
    detector = StreamDetector(CONFIG)
    gen = ScenarioGenerator(date(2019, 1, 1), date(2020, 3, 20), seed=2020, pages=PAGES[:2])
    rows = []
    for event in gen:
        detector.feed(scrubbed(event))
        rows.append(
            row_json(EVENT_ADAPTER.validate_python(orjson.loads(orjson.dumps(event))), 0, 0)
        )
        if len(rows) >= 100_000:
            store.insert("events", b"\n".join(rows))
            rows.clear()
    store.insert("events", b"\n".join(rows))
    yield store, detector
    store.close()


def sql_verdicts(store: Store, rule: str, now: datetime) -> dict[str, tuple[float, float, int]]:
    text = rule_sql(RULES[rule], CONFIG, now=f"toDateTime('{now:%Y-%m-%d %H:%M:%S}', 'UTC')")
    return {
        r["page_id"]: (float(r["observed"]), float(r["baseline"]), int(r["firing"]))
        for r in store.query(text)
    }


@pytest.mark.parametrize("rule", ["questions", "comments", "reach"])
def test_sql_and_stream_detector_agree(loaded: tuple[Store, StreamDetector], rule: str) -> None:
    store, detector = loaded
    days = rule == "reach"
    start = datetime(2020, 3, 5, tzinfo=UTC)
    times = [
        start + (timedelta(days=i) if days else timedelta(hours=6 * i))
        for i in range(14 if days else 52)
    ]
    times += [datetime(2019, 6, 3, 12, tzinfo=UTC), datetime(2019, 10, 14, 18, tzinfo=UTC)]
    fired = 0
    for now in times:
        got = sql_verdicts(store, rule, now)
        for page in ("nav.foreldrepenger", "nav.jobblyst"):
            det = next(d for d in detector.detectors_for(page, "facebook") if d.rule.name == rule)
            last = int(now.timestamp()) - det.rule.step_seconds
            if days:
                last = int(
                    datetime.combine(
                        now.date() - timedelta(days=1), datetime.min.time(), UTC
                    ).timestamp()
                )
            v = det.verdict(last)
            observed, baseline, firing = got[page]
            assert observed == pytest.approx(v.observed), (page, now)
            assert baseline == pytest.approx(v.baseline or 0.0), (page, now)
            assert firing == int(v.condition), (page, now)
            fired += firing
    if rule != "comments":
        assert fired > 0  # the March 2020 surge is in the compared times
