"""A collector's health statements: up as a heartbeat at most every 5 minutes (at once
after a failure), each failure said once however often it is retried, and a broker that
refuses the statement never stops the collector."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from somepulse.collectors.health import SourceHealth
from somepulse.schemas import EVENT_ADAPTER


def test_heartbeats_are_spaced_and_failures_said_once() -> None:
    sent: list[dict[str, Any]] = []
    now = [0.0]

    async def publish(events: list[dict[str, Any]]) -> None:
        sent.extend(events)

    health = SourceHealth("bluesky", "bluesky", "nav", publish, clock=lambda: now[0])

    async def day() -> None:
        for t in (0, 60, 299):  # one heartbeat in the first 5 minutes
            now[0] = t
            await health.up()
        now[0] = 300
        await health.up()  # the next one
        for t in (310, 320, 330):  # retried three times, said once
            now[0] = t
            await health.down("Jetstream dropped:\n  connection\treset")
        now[0] = 340
        await health.up()  # back: at once, not 5 minutes after the last up
        await health.broken("refused")
        await health.broken("refused")

    asyncio.run(day())
    assert [e["state"] for e in sent] == ["up", "up", "down", "up", "broken"]
    assert sent[2]["detail"] == "Jetstream dropped: connection reset"  # one clean line
    assert all(e["next_within"] == 300 for e in sent)
    for event in sent:
        EVENT_ADAPTER.validate_python(event)


def test_a_broker_that_is_away_does_not_stop_the_collector() -> None:
    async def refuse(events: list[dict[str, Any]]) -> None:
        raise ConnectionError("broker away")

    health = SourceHealth("youtube", "youtube", "nav", refuse, None)
    asyncio.run(health.up())  # no exception
    assert health.said == []


def test_an_account_no_page_owns_says_nothing() -> None:
    sent: list[dict[str, Any]] = []

    async def publish(events: list[dict[str, Any]]) -> None:
        sent.extend(events)

    asyncio.run(SourceHealth("mastodon", "mastodon", None, publish).broken("refused"))
    assert sent == []


def test_statements_in_one_millisecond_keep_their_order() -> None:
    """A drop and the reconnect's "up" in the same millisecond: the store orders a
    page's statements by occurred_at (to the ms), so the later one must be later."""
    sent: list[dict[str, Any]] = []

    async def publish(events: list[dict[str, Any]]) -> None:
        sent.extend(events)

    frozen = datetime(2026, 12, 6, 9, 30, 0, 123456, tzinfo=UTC)
    health = SourceHealth("bluesky", "bluesky", "nav", publish, wall=lambda: frozen)

    async def flap() -> None:
        await health.up()
        await health.down("Jetstream closed the connection")
        await health.up()

    asyncio.run(flap())
    assert [(e["state"], e["occurred_at"]) for e in sent] == [
        ("up", "2026-12-06T09:30:00.123000+00:00"),
        ("down", "2026-12-06T09:30:00.124000+00:00"),
        ("up", "2026-12-06T09:30:00.125000+00:00"),
    ]
    assert len({e["event_id"] for e in sent}) == 3  # three statements, not one deduplicated
