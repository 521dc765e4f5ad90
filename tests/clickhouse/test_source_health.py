"""A page that normally has traffic going quiet is noticed against its own rhythm at
those hours of the week, and a quiet page that is always quiet is not. Hand-worked on
traffic relative to now (the views look at the current time)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from somepulse.alerts.grafana_rules import source_silent_sql
from somepulse.alerts.silence import SILENCE_SQL, STATUS_SQL, SilenceWatch, SourceWatch
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
    assert {r["page"]: r["expected_events"] for r in frame} == {
        "nav.jobblyst": 10.0,
        "nav.foreldrepenger": 0.0,
    }
    assert all(isinstance(r["page"], str) and len(r) == 2 for r in frame)
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


def status(page: str, collector: str, state: str, minutes_ago: float, **extra: Any) -> bytes:
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    event = {
        "kind": "source_status", "event_id": f"{page}-{collector}-{minutes_ago}",
        "platform": "bluesky", "page_id": page, "occurred_at": at.isoformat(),
        "collector": collector, "state": state,
    } | extra  # fmt: skip
    return row_json(EVENT_ADAPTER.validate_python(event), 0, 0)


def test_what_collectors_say_about_their_sources_pages_when_a_person_must_act(
    store: Store,
) -> None:
    beat = {"next_within": 300}
    rows = [
        # a: up, then broken 2 minutes ago — pages at once
        status("a", "bluesky", "up", 30, **beat),
        status("a", "bluesky", "broken", 2, detail="Bluesky refused the app password", **beat),
        # b: down for 40 minutes (two retries said nothing new; the first down counts)
        status("b", "bluesky", "up", 60, **beat),
        status("b", "bluesky", "down", 40, detail="Jetstream dropped", **beat),
        status("b", "bluesky", "down", 20, detail="Jetstream dropped again", **beat),
        # c: down 5 minutes ago, then up again — fine
        status("c", "bluesky", "down", 5, detail="Jetstream dropped", **beat),
        status("c", "bluesky", "up", 1, **beat),
        # d: a daemon's last heartbeat 45 minutes ago — it stopped
        status("d", "bluesky", "up", 45, **beat),
        # e: a single run 45 minutes ago that promised nothing — no alert
        status("e", "meta-insights", "up", 45),
        # f: rate limited for 30 minutes — not yet (an hour)
        status("f", "youtube", "limited", 30, detail="quota spent", next_within=21600),
    ]
    store.insert("events", b"\n".join(rows))
    got = {
        r["page_id"]: r
        for r in store.query(
            "SELECT page_id, collector, state, detail, "
            "dateDiff('minute', state_since, now()) AS minutes, minutes_since_heard "
            "FROM somepulse.v_source_status"
        )
    }
    assert {p: (r["state"], r["minutes"]) for p, r in got.items()} == {
        "a": ("broken", 2), "b": ("down", 40), "c": ("up", 1), "d": ("up", 45),
        "e": ("up", 45), "f": ("limited", 30),
    }  # fmt: skip
    assert got["b"]["detail"] == "Jetstream dropped again"  # the latest word
    # people's activity views leave the collectors' statements out
    assert store.query("SELECT count() AS n FROM somepulse.v_source_health")[0]["n"] == 0

    watch = SourceWatch(board_url="http://grafana/d/health")
    now = datetime.now(UTC)
    fired = watch.check(store.query(STATUS_SQL.format(db="somepulse")), now)
    summaries = {key: alert["annotations"]["summary"] for key, alert in fired}
    assert summaries == {
        "source_down:a:bluesky": "a: the bluesky collector cannot read bluesky: Bluesky "
        "refused the app password; a person must act",
        "source_down:b:bluesky": "b: the bluesky collector has failed to read bluesky for "
        "40 min: Jetstream dropped again",
        "source_down:d:bluesky": "d: the bluesky collector has said nothing for 45 min: is "
        "it still running?",
    }
    assert fired[0][1]["labels"] == {
        "alertname": "SomePulseSourceDown", "page": "a", "rule": "source_down",
        "collector": "bluesky", "severity": "warning",
    }  # fmt: skip
    assert watch.check(store.query(STATUS_SQL.format(db="somepulse")), now) == []  # once
    # a's collector reads again: its alert resolves, the others stay
    store.insert("events", status("a", "bluesky", "up", 0, **beat))
    resolved = watch.check(store.query(STATUS_SQL.format(db="somepulse")), now)
    assert [(key, "endsAt" in alert) for key, alert in resolved] == [
        ("source_down:a:bluesky", True)
    ]
