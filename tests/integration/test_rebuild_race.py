"""A partition's rebuild when another worker wrote to it: while the rebuild reads, and
between two assignments this worker took for keeping the partition.

ClickHouse gives no snapshot across the rebuild's queries. A worker the group expelled
while it stalled (its session expired) may still store its last batch while the
partition's new holder rebuilds; that batch's commit is refused, so the new holder
reads it again. Here the late batch lands while the surge baselines are read — as a
hook on the real chDB store, at that query — and is then delivered again: the
surge baselines must equal those of a rebuild from a store that held the batch from
the start. Before the ids already counted were read last, they were read before the
baselines, the batch was counted in the baselines *and* again as new on redelivery,
and a burst of comments could page on-call for nothing (seen on Apache Kafka with the
CPU starved: ``tests/kafka/test_kafka_rebalance.py``).

And a worker the group expelled, whose partition another held meanwhile, is assigned
the partition again as if it had kept it: its state lacks what the other stored and
committed. An assignment therefore rebuilds a partition it keeps when the store holds
its events from beyond the offsets this worker's state has seen.

The broker (embedded Tansu) and the store (chDB) are real; the collectors' own
messages are read back from the topic.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from somepulse.collectors.run import replay_scenario
from somepulse.collectors.scenario.generator import ScenarioGenerator
from somepulse.embedded.broker import EmbeddedBroker
from somepulse.live.rebuild import partition_of
from somepulse.settings import Settings
from somepulse.store import Store, open_prepared_store
from somepulse.streams.pipeline import RawMessage
from somepulse.streams.processor import MessageProcessor
from somepulse.streams.topics import ensure_topics
from tests.helpers import TEST_SECRET
from tests.integration.conftest import publisher_for
from tests.integration.test_partitions import Member, comparable

PAGE = "nav.foreldrepenger"
Buckets = dict[tuple[str, str, str], dict[int, float]]


class LateWriter:
    """The real store; the first query that reads the surge's hourly baselines first
    stores the late batch, as the expelled worker's insert would land."""

    def __init__(self, store: Store, late_rows: bytes) -> None:
        self.store, self.late_rows, self.landed = store, late_rows, False
        self.database = store.database

    def query(self, sql: str) -> list[dict[str, Any]]:
        if self.late_rows and not self.landed and "uniqExactMerge(questions)" in sql:
            self.landed = True
            self.store.insert("events", self.late_rows)
        return self.store.query(sql)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


async def read_back(bootstrap: str, topic: str, partition: int) -> list[RawMessage]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        end = (await consumer.end_offsets([tp]))[tp]
        messages: list[RawMessage] = []
        while await consumer.position(tp) < end:
            batch = await consumer.getmany(tp, timeout_ms=1000)
            messages += [(m.partition, m.offset, m.key, m.value) for m in batch.get(tp, [])]
        return messages
    finally:
        await consumer.stop()


async def rebuilt(
    settings: Settings, stored: list[RawMessage], late: RawMessage, race: bool
) -> tuple[Buckets, dict[str, Any]]:
    """Store ``stored`` (and ``late``, unless it is to land mid-rebuild), rebuild the
    partition, deliver ``late`` again: the page's surge buckets and the live numbers."""
    store = open_prepared_store(settings)
    pool = ThreadPoolExecutor(1)
    try:
        processor = MessageProcessor(settings.events_topic)
        late_rows = b"\n".join(processor.process(late[3], late[0], late[1], late[2]).rows)
        rows = [r for m in stored for r in processor.process(m[3], m[0], m[1], m[2]).rows]
        store.insert("events", b"\n".join(rows))
        if not race:
            store.insert("events", late_rows)
        hooked = LateWriter(store, late_rows if race else b"")
        member = Member(settings, "127.0.0.1:1", "unused", hooked, pool)  # type: ignore[arg-type]
        await member.runtime.assign([late[0]])
        await member.consumer.stop()  # never started: the rebuild is driven by hand
        assert hooked.landed == race
        prepared = member.runtime.pipeline.prepare([late])
        await member.surge.handle(prepared.observations)
        return surge_buckets(member), comparable(member)
    finally:
        pool.shutdown()
        store.close()


def the_partition(tmp_path: Path, base: Settings) -> list[RawMessage]:
    """A week of the scenario through the embedded broker; the page's partition."""
    broker = EmbeddedBroker(tmp_path / "broker.log").start()
    try:
        gen = ScenarioGenerator(date(2020, 3, 2), date(2020, 3, 9), seed=11)

        async def publish_and_read() -> list[RawMessage]:
            await ensure_topics(broker.bootstrap, base)
            stack = type("S", (), {"bootstrap": broker.bootstrap})()
            async with publisher_for(stack, base) as publisher:  # type: ignore[arg-type]
                await replay_scenario(gen, publisher)
            partition = partition_of(PAGE, base.topic_partitions)
            return await read_back(broker.bootstrap, base.events_topic, partition)

        return asyncio.run(publish_and_read())
    finally:
        broker.stop()


def surge_buckets(member: Member) -> Buckets:
    return {
        (page, platform, det.rule.name): dict(det.buckets)
        for (page, platform), dets in member.surge.detector.detectors.items()
        if page == PAGE
        for det in dets
    }


async def feed(member: Member, messages: list[RawMessage]) -> None:
    """What the consumer loop does with a batch, but the commit (no group here)."""
    for start in range(0, len(messages), 8):
        prepared = member.runtime.pipeline.prepare(messages[start : start + 8])
        await member.surge.handle(prepared.observations)
        await member.runtime.pipeline.store(prepared)


def test_a_batch_stored_during_the_rebuild_is_not_counted_twice(tmp_path: Path) -> None:
    base = Settings(data_dir=tmp_path / "var", pseudonym_secret=TEST_SECRET)  # type: ignore[call-arg]
    messages = the_partition(tmp_path, base)
    page_messages = [i for i, m in enumerate(messages) if m[2] == PAGE.encode()]
    index = page_messages[-1]  # the page's last batch is the late one
    late = messages[index]
    stored = messages[:index] + messages[index + 1 :]
    events = orjson.loads(late[3] or b"[]")
    comments = sum(e.get("interaction_type") == "comment" for e in events)
    assert comments >= 5, "the late batch must carry comments, or the test proves nothing"

    truth, truth_live = asyncio.run(
        rebuilt(base.model_copy(update={"data_dir": tmp_path / "t"}), stored, late, False)
    )
    raced, raced_live = asyncio.run(
        rebuilt(base.model_copy(update={"data_dir": tmp_path / "r"}), stored, late, True)
    )
    # the rules counting what the late batch holds (comments; the burst rule's remarks)
    assert {key[2] for key in truth} >= {"comments", "comment_burst"}, sorted(truth)
    assert raced == truth, differences(raced, truth)
    assert truth_live["live_pages"] and raced_live == truth_live


def differences(raced: Buckets, truth: Buckets) -> list[str]:
    """The buckets that differ, readably (rule, bucket start UTC: raced vs truth)."""
    out = []
    for key in sorted(raced.keys() | truth.keys()):
        a, b = raced.get(key, {}), truth.get(key, {})
        for bucket in sorted(a.keys() | b.keys()):
            if a.get(bucket) != b.get(bucket):
                at = datetime.fromtimestamp(bucket, UTC).strftime("%d %b %H:%M")
                out.append(f"{key[2]} {at}: {a.get(bucket)} vs {b.get(bucket)}")
    return out[:8]


def test_a_partition_another_held_meanwhile_is_rebuilt(tmp_path: Path) -> None:
    """Worker X holds the partition for its first third; the group expels X and Y
    stores and commits the second third; X is assigned the partition again (to X, it
    never left) and reads on from Y's commit. X must then equal one worker that read
    it all."""
    base = Settings(data_dir=tmp_path / "var", pseudonym_secret=TEST_SECRET)  # type: ignore[call-arg]
    messages = the_partition(tmp_path, base)
    partition = messages[0][0]
    third = len(messages) // 3
    first, second, rest = messages[:third], messages[third : 2 * third], messages[2 * third :]

    async def one_worker(settings: Settings) -> tuple[Buckets, dict[str, Any]]:
        store, pool = open_prepared_store(settings), ThreadPoolExecutor(1)
        try:
            z = Member(settings, "127.0.0.1:1", "unused", store, pool)
            await z.consumer.stop()
            await z.runtime.assign([partition])
            await feed(z, messages)
            return surge_buckets(z), comparable(z)
        finally:
            pool.shutdown()
            store.close()

    async def expelled_and_back(settings: Settings) -> tuple[Buckets, dict[str, Any]]:
        store, pool = open_prepared_store(settings), ThreadPoolExecutor(1)
        try:
            x = Member(settings, "127.0.0.1:1", "unused", store, pool)
            y = Member(settings, "127.0.0.1:1", "unused", store, pool)
            for member in (x, y):
                await member.consumer.stop()
            await x.runtime.assign([partition])
            await feed(x, first)
            kept = x.live.states[partition]
            await x.runtime.assign([partition])  # a rebalance nobody else wrote in
            assert x.live.states[partition] is kept, "a kept partition is not rebuilt"
            await y.runtime.assign([partition])  # the group gave it to Y
            await feed(y, second)
            await x.runtime.assign([partition])  # X rejoins: the same partition again
            assert x.live.states[partition] is not kept, "Y stored beyond what X saw"
            await feed(x, rest)
            return surge_buckets(x), comparable(x)
        finally:
            pool.shutdown()
            store.close()

    truth, truth_live = asyncio.run(
        one_worker(base.model_copy(update={"data_dir": tmp_path / "t"}))
    )
    back, back_live = asyncio.run(
        expelled_and_back(base.model_copy(update={"data_dir": tmp_path / "x"}))
    )
    assert truth_live["live_pages"] and back_live == truth_live
    assert back == truth, differences(back, truth)
