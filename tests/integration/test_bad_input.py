"""Malformed and valid messages mixed: every valid one stored, every bad one in the
dead-letter topic with its reason, and the worker keeps running."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from somepulse.collectors.replay import replay_file
from somepulse.collectors.scenario.generator import ScenarioGenerator
from somepulse.settings import Settings
from somepulse.tools.sql import http_json
from somepulse.tools.stack import Stack

from .conftest import publish_scenario, publisher_for, sql

pytestmark = pytest.mark.integration


def test_bad_messages_go_to_the_dead_letter_topic(
    stack: Stack,
    settings: Settings,
    tmp_path: Path,
) -> None:
    valid = [
        e
        for _, day in ScenarioGenerator(
            date(2019, 3, 4), date(2019, 3, 4), scale=0.3, seed=9
        ).days()
        for e in day
    ][:40]
    good = dict(valid[0])
    bad_lines: list[tuple[bytes, str]] = [
        (b'{"kind": "interaction", "event_id": ', "invalid JSON"),
        (orjson.dumps(good | {"kind": "mention", "event_id": "x1"}), "unknown kind 'mention'"),
        (
            orjson.dumps(good | {"event_id": "x2", "occurred_at": "2019-03-04T10:00:00"}),
            "timezone info",
        ),
        (orjson.dumps({k: v for k, v in good.items() if k != "event_id"}), "event_id"),
        (b"42", "must be a JSON object"),
        (orjson.dumps(good | {"event_id": "x3", "surprise": True}), "Extra inputs"),
    ]
    lines = [orjson.dumps(e) for e in valid[1:]]
    # an array line: one good event and one bad one (kept by position)
    lines.append(orjson.dumps([valid[0], good | {"event_id": "x4", "platform": "myspace"}]))
    bad_lines.append((b"", "platform"))
    for raw, _ in bad_lines[:-1]:
        lines.insert(len(lines) // 2, raw)
    path = tmp_path / "recorded.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")

    async def replay() -> None:
        async with publisher_for(stack, settings) as publisher:
            await replay_file(path, publisher)

    asyncio.run(replay())
    stats = stack.wait_stored(len(valid) + len(bad_lines))
    assert stats.dead_letters == len(bad_lines)
    stored = sql(
        stack, "SELECT count() AS n, uniqExact(event_id) AS ids FROM somepulse.events FINAL"
    )
    assert stored == [{"n": len(valid), "ids": len(valid)}]

    letters = asyncio.run(read_topic(stack.bootstrap, settings.dlq_topic, len(bad_lines)))
    reasons = sorted(h["reason"] for h, _ in letters)
    for _, needle in bad_lines:
        assert any(needle in r for r in reasons), (needle, reasons)
    for headers, value in letters:
        assert headers["source_topic"] == settings.events_topic
        assert int(headers["source_offset"]) >= 0 and "source_partition" in headers
        if headers["reason"].startswith("invalid JSON"):
            assert value == bad_lines[0][0]  # the original bytes, untouched
    # a bad event inside a batch message: its own bytes, and its position in the batch
    in_batch = [(h, v) for h, v in letters if "platform" in h["reason"]]
    assert len(in_batch) == 1 and "source_index" in in_batch[0][0]
    assert orjson.loads(in_batch[0][1])["event_id"] == "x4"

    # still alive and still storing
    assert stack.worker is not None and stack.worker.poll() is None
    assert http_json(f"{stack.worker_url}/healthz")["status"] == "ok"
    gen = publish_scenario(stack, settings, date(2019, 3, 5), date(2019, 3, 5), scale=0.3)
    stack.wait_stored(len(valid) + len(bad_lines) + gen.truth.events)
    after = sql(stack, "SELECT count() AS n FROM somepulse.events FINAL")[0]["n"]
    assert int(after) == len(valid) + gen.truth.events


async def read_topic(
    bootstrap: str, topic: str, expected: int
) -> list[tuple[dict[str, str], bytes]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    out: list[tuple[dict[str, str], bytes]] = []
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while len(out) < expected and asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for r in records:
                    out.append(({k: v.decode() for k, v in r.headers}, r.value or b""))
    finally:
        await consumer.stop()
    return out
