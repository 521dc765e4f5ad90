"""Integration fixtures: the real embedded broker (Tansu) and a real worker process
writing to real chDB. Nothing here is mocked."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from rich.console import Console

from somepulse.collectors.publisher import KafkaPublisher
from somepulse.collectors.run import replay_scenario
from somepulse.collectors.scenario.generator import ScenarioGenerator
from somepulse.privacy.keys import keyring
from somepulse.settings import Settings
from somepulse.tools.stack import Stack


@pytest.fixture
def stack(settings: Settings) -> Iterator[Stack]:
    with Stack(settings, console=Console(file=io.StringIO())) as running:
        yield running


def sql(stack: Stack, query: str) -> list[dict[str, Any]]:
    return stack.sql(query)


def publisher_for(stack: Stack, settings: Settings, **kw: Any) -> KafkaPublisher:
    return KafkaPublisher(
        stack.bootstrap,
        settings.events_topic,
        pseudonymiser=keyring(settings).current,
        batch_events=settings.collector_batch_events,
        **kw,
    )


def publish_scenario(
    stack: Stack,
    settings: Settings,
    start: date,
    end: date,
    *,
    scale: float = 1.0,
    seed: int = 5,
    speed: float | None = None,
) -> ScenarioGenerator:
    gen = ScenarioGenerator(start, end, seed=seed, scale=scale)

    async def go() -> None:
        async with publisher_for(stack, settings) as publisher:
            await replay_scenario(gen, publisher, speed=speed)

    asyncio.run(go())
    return gen


def stored_daily(stack: Stack) -> dict[tuple[str, str, str], int]:
    rows = sql(
        stack,
        "SELECT page_id, toString(toDate(occurred_at)) AS d, kind, count() AS n "
        "FROM somepulse.events FINAL GROUP BY page_id, d, kind",
    )
    return {(r["page_id"], r["d"], r["kind"]): int(r["n"]) for r in rows}


def daily_difference(
    stored: dict[tuple[str, str, str], int], truth: dict[tuple[str, str, str], int]
) -> str:
    """What differs, in a few lines a CI log keeps (a full dict diff is thousands)."""
    keys = sorted(stored.keys() | truth.keys())
    off = [(k, stored.get(k, 0), truth.get(k, 0)) for k in keys if stored.get(k) != truth.get(k)]
    missing = sum(max(t - s, 0) for _, s, t in off)
    extra = sum(max(s - t, 0) for _, s, t in off)
    days = sorted({k[1] for k, _, _ in off})
    lines = [
        f"{missing} events of the scenario not stored, {extra} stored beyond it, "
        f"on {len(off)} (page, day, kind) between {days[0]} and {days[-1]}"
        if off
        else "no difference",
        *(f"  {k}: stored {s}, scenario {t}" for k, s, t in off[:12]),
    ]
    return "\n".join(lines)


def assert_stored_days(stack: Stack, truth: dict[tuple[str, str, str], int]) -> None:
    stored = stored_daily(stack)
    assert stored == truth, daily_difference(stored, truth)


def truth_daily(gen: ScenarioGenerator) -> dict[tuple[str, str, str], int]:
    return {
        (p, d, k): n
        for p, days in gen.truth.daily.items()
        for d, kinds in days.items()
        for k, n in kinds.items()
    }


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.25)


def sql_cli(settings: Settings, query: str) -> list[dict[str, Any]]:
    """``somepulse sql --format json`` in its own process, as an analyst runs it."""
    import json
    import os
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "somepulse", "sql", "--format", "json", query],
        env={**os.environ, "SOMEPULSE_DATA_DIR": str(settings.data_dir)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    rows: list[dict[str, Any]] = json.loads(out.stdout)
    return rows


def assert_stored_exactly(stack: Stack, gen: ScenarioGenerator, timeout: float = 120) -> None:
    """Every event of the generator's ground truth stored once, the rollups adding up to
    it, and the worker's live numbers and question queue equal to ClickHouse's: 0 lost,
    0 double-counted, whatever happened on the way (kills, restarts, rebalances)."""

    truth = truth_daily(gen)

    def all_stored() -> bool:
        # the whole table, not a count of ids: an event that is not the scenario's must
        # not stand in for one that is still on its way
        return stored_daily(stack) == truth

    try:
        wait_for(all_stored, timeout, "every event after the restart")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {daily_difference(stored_daily(stack), truth)}") from None
    stack.wait_stored(0)  # sink drained
    assert_stored_days(stack, truth)
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
