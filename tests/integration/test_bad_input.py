"""Malformed and valid messages mixed: every valid one stored, every bad one in the
dead-letter topic with its reason, and the worker keeps running."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import date
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from somepulse.collectors.replay import ReplayReport, replay_file
from somepulse.collectors.scenario.generator import ScenarioGenerator
from somepulse.settings import Settings
from somepulse.tools.sql import http_json
from somepulse.tools.stack import Stack

from .conftest import publish_scenario, publisher_for, sql

pytestmark = pytest.mark.integration


RAW_ID = "100004567890123"
CITIZEN_WORDS = "Mitt fødselsnummer er 01017012345"


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
        (orjson.dumps(good | {"kind": "shout", "event_id": "x1"}), "unknown kind 'shout'"),
        (
            orjson.dumps(good | {"event_id": "x2", "occurred_at": "2019-03-04T10:00:00"}),
            "timezone info",
        ),
        (orjson.dumps({k: v for k, v in good.items() if k != "event_id"}), "event_id"),
        (orjson.dumps(good | {"event_id": "x3", "surprise": True}), "Extra inputs"),
    ]
    lines = [orjson.dumps(e) for e in valid[1:]]
    # an array line: one good event and one bad one (kept by position)
    lines.append(orjson.dumps([valid[0], good | {"event_id": "x4", "platform": "myspace"}]))
    for raw, _ in bad_lines:
        lines.insert(len(lines) // 2, raw)
    # what cannot be scrubbed is not sent: reported with its line number instead
    lines.insert(3, b'{"kind": "interaction", "event_id": ')
    lines.insert(5, b"42")
    path = tmp_path / "recorded.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")

    async def replay() -> ReplayReport:
        async with publisher_for(stack, settings) as publisher:
            return await replay_file(path, publisher)

    report = asyncio.run(replay())
    assert [s.split(":")[0] for s in report.skipped] == ["line 4", "line 6"]
    assert "invalid JSON" in report.skipped[0] and "not JSON objects" in report.skipped[1]

    # a producer that ignores the rules: bytes that are no JSON, a bare number, and a
    # misspelt event with a raw person id and a citizen's words
    hostile = [
        (b'{"kind": "interaction", "event_id": ', "invalid JSON"),
        (b"42", "must be a JSON object"),
        (
            orjson.dumps(good | {"kind": "Interaction", "actor_id": RAW_ID, "text": CITIZEN_WORDS}),
            "unknown kind 'Interaction'",
        ),
    ]
    asyncio.run(produce_raw(stack.bootstrap, settings.events_topic, [v for v, _ in hostile]))
    expected = [*bad_lines, (b"", "platform"), *hostile]
    stats = stack.wait_stored(len(valid) + len(expected))
    assert stats.dead_letters == len(expected)
    stored = sql(
        stack, "SELECT count() AS n, uniqExact(event_id) AS ids FROM somepulse.events FINAL"
    )
    assert stored == [{"n": len(valid), "ids": len(valid)}]

    letters = asyncio.run(read_topic(stack.bootstrap, settings.dlq_topic, len(expected)))
    reasons = sorted(h["reason"] for h, _ in letters)
    for _, needle in expected:
        assert any(needle in r for r in reasons), (needle, reasons)
    for headers, value in letters:
        assert headers["source_topic"] == settings.events_topic
        assert int(headers["source_offset"]) >= 0 and "source_partition" in headers
        # redacted: no raw id and no citizen's words in any dead letter
        assert RAW_ID.encode() not in value and b"01017012345" not in value
        if headers["reason"].startswith("invalid JSON"):
            assert value == b""  # nothing parsable to redact: its fingerprint only
            assert headers["sha256"] == hashlib.sha256(hostile[0][0]).hexdigest()
    # a bad event inside a batch message: its own bytes, and its position in the batch
    in_batch = [(h, v) for h, v in letters if "platform" in h["reason"]]
    assert len(in_batch) == 1 and "source_index" in in_batch[0][0]
    assert orjson.loads(in_batch[0][1])["event_id"] == "x4"

    # still alive and still storing
    assert stack.worker is not None and stack.worker.poll() is None
    assert http_json(f"{stack.worker_url}/healthz")["status"] == "ok"
    gen = publish_scenario(stack, settings, date(2019, 3, 5), date(2019, 3, 5), scale=0.3)
    stack.wait_stored(len(valid) + len(expected) + gen.truth.events)
    after = sql(stack, "SELECT count() AS n FROM somepulse.events FINAL")[0]["n"]
    assert int(after) == len(valid) + gen.truth.events


async def produce_raw(
    bootstrap: str, topic: str, values: list[bytes], key: bytes | None = None
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=4_000_000)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


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
