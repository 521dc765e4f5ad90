"""A page that normally has traffic going quiet is noticed against its own rhythm at
those hours of the week, and a quiet page that is always quiet is not. Hand-worked on
traffic relative to now (the views look at the current time)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from somepulse.alerts.grafana_rules import source_silent_sql
from somepulse.alerts.silence import SILENCE_SQL, SilenceWatch
from somepulse.schemas import EVENT_ADAPTER, row_json
from somepulse.store import Store
from tests.helpers import person

pytestmark = pytest.mark.clickhouse


def test_silence_is_measured_against_the_pages_usual_traffic(store: Store) -> None:
    now = datetime.now(UTC)
    if now.minute == 59 and now.second > 30:  # the view reads now() a few seconds later
        time.sleep(61 - now.second)
    hour0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    rows = []
    # both pages: two comments in every hour (at :10 and :40) for 60 days; Jobblyst's
    # stop 6 hours ago, Foreldrepenger's in the last hour
    for page, stop in (("nav.jobblyst", 6), ("nav.foreldrepenger", 1)):
        for h in range(stop, 60 * 24):
            for minute in (10, 40):
                at = hour0 - timedelta(hours=h) + timedelta(minutes=minute)
                event = {
                    "kind": "interaction", "event_id": f"{page}-{h}-{minute}",
                    "platform": "facebook", "page_id": page, "post_id": "p1",
                    "occurred_at": at.isoformat(), "interaction_type": "reaction",
                    "reaction_type": "like", "actor_id": person(f"{h}"),
                }  # fmt: skip
                rows.append(row_json(EVENT_ADAPTER.validate_python(event), 0, len(rows)))
    store.insert("events", b"\n".join(rows))
    silence = {
        r["page_id"]: r
        for r in store.query(
            "SELECT page_id, silent_minutes, expected_events FROM somepulse.v_source_silence"
        )
    }
    # Jobblyst's last comment was at hour0 - 6 h + 40 min: the whole hours since are
    # hour0 - 5 h … hour0 - 1 h, five of them, each with 2 comments in all 8 weeks before
    # (16 / 8 = 2 per hour): 10 expected, none seen
    assert silence["nav.jobblyst"]["expected_events"] == 10.0
    # Foreldrepenger's last one was within the last whole hour: nothing expected yet
    assert silence["nav.foreldrepenger"]["expected_events"] == 0.0
    last = hour0 - timedelta(hours=6) + timedelta(minutes=40)
    minutes = (datetime.now(UTC) - last).total_seconds() / 60
    assert abs(silence["nav.jobblyst"]["silent_minutes"] - minutes) <= 1.5
    health = store.query(
        "SELECT page_id, source, minutes_since_last_event FROM somepulse.v_source_health "
        "ORDER BY page_id"
    )
    assert [(r["page_id"], r["source"]) for r in health] == [
        ("nav.foreldrepenger", "people"),
        ("nav.jobblyst", "people"),
    ]

    # the worker's watch pages Jobblyst (10 expected > 8), once
    watch = SilenceWatch()
    fired = watch.check(store.query(SILENCE_SQL.format(db="somepulse")), now)
    assert [(key, "endsAt" in alert) for key, alert in fired] == [
        ("source_silent:nav.jobblyst", False)
    ]
    assert "expected 10" in fired[0][1]["annotations"]["summary"]
    assert watch.check(store.query(SILENCE_SQL.format(db="somepulse")), now) == []
    # Grafana's rule reads the same: string labels and exactly one numeric column
    frame = store.query(source_silent_sql())
    assert {r["page_id"]: r["expected_events"] for r in frame} == {
        "nav.jobblyst": 10.0,
        "nav.foreldrepenger": 0.0,
    }
    assert all(isinstance(r["page_id"], str) and len(r) == 2 for r in frame)
    # people are back: the silence resolves
    event = {
        "kind": "interaction", "event_id": "back", "platform": "facebook",
        "page_id": "nav.jobblyst", "post_id": "p1", "occurred_at": now.isoformat(),
        "interaction_type": "reaction", "reaction_type": "like", "actor_id": person("b"),
    }  # fmt: skip
    store.insert("events", row_json(EVENT_ADAPTER.validate_python(event), 0, 1))
    resolved = watch.check(store.query(SILENCE_SQL.format(db="somepulse")), now)
    assert [(key, "endsAt" in alert) for key, alert in resolved] == [
        ("source_silent:nav.jobblyst", True)
    ]
