"""SIGKILL the worker in the middle of a stream, restart it: 0 lost, 0 double-counted."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from somepulse.collectors.scenario.generator import ScenarioGenerator
from somepulse.settings import Settings
from somepulse.tools.stack import Stack

from .conftest import publish_scenario, sql, sql_cli, stored_daily, truth_daily, wait_for

pytestmark = pytest.mark.integration
START, END = date(2019, 3, 1), date(2019, 4, 10)


def test_sigkill_mid_stream_loses_and_duplicates_nothing(stack: Stack, settings: Settings) -> None:
    result: dict[str, ScenarioGenerator] = {}
    # ~55k events spread over ~12 s, so the kill lands mid-stream
    speed = ((END - START).days + 1) * 86_400 / 12
    publisher = threading.Thread(
        target=lambda: result.setdefault(
            "gen", publish_scenario(stack, settings, START, END, speed=speed)
        )
    )
    publisher.start()

    wait_for(lambda: stack.stats().events_stored > 8_000, 60, "the first stored events")
    stack.kill_worker()
    killed_at = int(sql_direct_count(settings))
    stack.start_worker()
    publisher.join(120)
    gen = result["gen"]
    assert killed_at < gen.truth.events, "the kill must land before the stream ends"

    def all_stored() -> bool:
        return (
            int(sql(stack, "SELECT uniqExact(event_id) AS n FROM somepulse.events")[0]["n"])
            >= gen.truth.events
        )

    wait_for(all_stored, 120, "every event after the restart")
    stack.wait_stored(0)  # sink drained

    assert stored_daily(stack) == truth_daily(gen)
    totals = sql(
        stack,
        """
        SELECT (SELECT count() FROM somepulse.events FINAL) AS final_rows,
               (SELECT uniqExact(event_id) FROM somepulse.events) AS distinct_ids,
               (SELECT sum(reactions + comments + replies + shares + clicks + views)
                  FROM somepulse.v_engagement_1m) AS rollup_interactions,
               (SELECT sum(questions) FROM somepulse.v_engagement_1m) AS rollup_questions,
               (SELECT sum(reactions + comments + replies + shares + clicks + views)
                  FROM somepulse.v_engagement_1h) AS rollup_1h,
               (SELECT sum(reactions + comments + replies + shares + clicks + views)
                  FROM somepulse.v_engagement_1d) AS rollup_1d
    """,
    )[0]
    interactions = sum(
        k.get("interaction", 0) for d in gen.truth.daily.values() for k in d.values()
    )
    questions = sum(sum(c.values()) for c in gen.truth.questions_monthly.values())
    assert int(totals["final_rows"]) == gen.truth.events
    assert int(totals["distinct_ids"]) == gen.truth.events
    assert int(totals["rollup_interactions"]) == interactions
    assert int(totals["rollup_questions"]) == questions
    assert int(totals["rollup_1h"]) == int(totals["rollup_1d"]) == interactions

    # the restarted worker's live cache (rebuilt from ClickHouse, then fed by the
    # redelivered stream) agrees with ClickHouse: nothing counted twice there either
    stats = stack.stats()
    assert stats.live_until is not None
    until = stats.live_until.removesuffix(" UTC")
    expected = sql(
        stack,
        f"""
        SELECT page_id, sum(reactions + comments + shares + clicks) AS engagement,
               sum(questions) AS questions
        FROM somepulse.v_engagement_1m
        WHERE minute >= toDateTime('{until}:00', 'UTC') - INTERVAL 24 HOUR
        GROUP BY page_id""",
    )
    live = {p: (c["engagement"], c.get("question", 0)) for p, c in stats.live_pages.items()}
    assert live == {r["page_id"]: (int(r["engagement"]), int(r["questions"])) for r in expected}
    # ... and so does its open-question queue (last 7 days of event time)
    queue = sql(
        stack,
        """
        WITH (SELECT max(occurred_at) FROM somepulse.events
              WHERE kind = 'page_reply' OR is_question) AS now
        SELECT page_id, count() AS open FROM somepulse.responses
        WHERE NOT is_answered AND asked_at >= now - INTERVAL 7 DAY GROUP BY page_id""",
    )
    assert {p: q.open for p, q in stats.question_queue.items()} == {
        r["page_id"]: int(r["open"]) for r in queue
    }
    # rows the new worker wrote beyond what was missing = redelivered, absorbed by dedup
    redelivered = stats.events_stored - (gen.truth.events - killed_at)
    assert redelivered >= 0
    print(
        f"\nkilled with {killed_at} of {gen.truth.events} events stored; the restarted "
        f"worker stored {stats.events_stored}, {redelivered} of them redelivered"
    )


def sql_direct_count(settings: Settings) -> int:
    """Rows on disk right after the kill, read by a short-lived process (the killed
    worker released the chDB lock; the new worker is not up yet)."""
    rows = sql_cli(settings, "SELECT uniqExact(event_id) AS n FROM somepulse.events")
    return int(rows[0]["n"])
