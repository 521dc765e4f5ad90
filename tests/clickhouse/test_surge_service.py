"""The surge service's decisions reach ``surge_verdicts`` (what Grafana's rules read):
in batches while it runs, and the rest when the worker stops."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from somepulse.alerts.detector import SeriesDetector, load_alert_config
from somepulse.alerts.observe import observations
from somepulse.alerts.service import SurgeService
from somepulse.alerts.stream import StreamDetector
from somepulse.domain.signals import classify
from somepulse.live.state import LiveState
from somepulse.schemas import EVENT_ADAPTER, row_json
from somepulse.store import Reference, Store
from tests.helpers import person
from tests.unit.test_one_post import history


def verdict(bucket: int, firing: bool) -> dict[str, object]:
    return {"page_id": "nav.foreldrepenger", "platform": "facebook", "rule": "questions",
            "bucket": bucket, "observed": 412.0, "expected": 170.0, "ratio": 412 / 170,
            "p_value": 1e-9, "dispersion": 1.4, "condition": True, "firing": firing}  # fmt: skip


def test_decisions_not_yet_flushed_are_stored_at_stop(store: Store) -> None:
    with ThreadPoolExecutor(1) as pool:
        service = SurgeService(load_alert_config(), store, pool, "http://grafana/d/x")
        assert service.detector.verdicts is not None
        service.detector.verdicts += [verdict(1584007200, False), verdict(1584010800, True)]
        asyncio.run(service.flush_verdicts())  # fewer than 5,000 and within 10 s: waits
        db = store.database
        count = f"SELECT count() AS n FROM {db}.surge_verdicts"
        assert store.query(count)[0]["n"] == 0
    service.close()
    rows = store.query(
        f"SELECT toString(bucket) AS b, firing FROM {db}.surge_verdicts FINAL ORDER BY bucket"
    )
    assert [(r["b"], bool(r["firing"])) for r in rows] == [
        ("2020-03-12 10:00:00", False),
        ("2020-03-12 11:00:00", True),
    ]
    service.close()  # nothing left: nothing written twice
    assert store.query(count)[0]["n"] == 2


def test_a_restarted_detector_knows_how_much_one_post_usually_holds(store: Store) -> None:
    """Rebuilt from the hourly rollup after a restart, the questions rule holds the
    busiest posts' shares of the last four weeks' windows exactly as the live detector
    that counted the same events (``Rule.one_post``; the hand-worked page of
    ``tests/unit/test_one_post.py``: the usual share is 12 of 24), so a restarted
    worker does not page one post's rise it would not have paged running."""
    page = "nav.jobblyst"
    pages = {p.page_id: p for p in Reference.load().pages}
    events = [question_event(page, i, t, post) for i, (t, post) in enumerate(sorted(history()))]
    models = [EVENT_ADAPTER.validate_python(e) for e in events]
    store.insert("events", b"\n".join(row_json(m, 0, i) for i, m in enumerate(models)))

    live = StreamDetector(load_alert_config(), pages)
    state = LiveState({})
    live.observe(observations([s for s in map(classify, models) if s and state.take(s)]))
    with ThreadPoolExecutor(1) as pool:
        service = SurgeService(load_alert_config(), store, pool, "http://grafana/d/x", pages=pages)
        service.load([page])
        service.close()

    def questions(detector: StreamDetector) -> SeriesDetector:
        dets = detector.detectors[(page, "facebook")]
        return next(d for d in dets if d.rule.name == "questions")

    restored, counted = questions(service.detector), questions(live)
    assert len(counted.top_shares) == 28 * 24 + 1  # four weeks of hourly decisions
    assert list(restored.top_shares) == list(counted.top_shares)
    assert restored.usual_busiest_share() == counted.usual_busiest_share() == 0.5


def question_event(page: str, i: int, ts: int, post: str) -> dict[str, object]:
    """A question under ``post``, or one to the page's Messenger inbox (no post)."""
    occurred = datetime.fromtimestamp(ts + i % 60, UTC).isoformat()
    base = {"event_id": f"q{i}", "page_id": page, "occurred_at": occurred, "is_question": True}
    if not post:
        return base | {
            "kind": "private_message", "platform": "messenger", "direction": "in",
            "message_id": f"m{i}", "thread_id": person(f"t{i}"), "actor_id": person(f"a{i}"),
        }  # fmt: skip
    return base | {
        "kind": "interaction", "platform": "facebook", "post_id": post,
        "interaction_type": "comment", "comment_id": f"c{i}", "actor_id": person(f"a{i}"),
    }  # fmt: skip
