"""A collector survives a broker that is not up yet, and says clearly when it gives up."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from prometheus_client import CollectorRegistry

from somepulse.collectors.publisher import BrokerUnavailable, KafkaPublisher
from somepulse.embedded.broker import EmbeddedBroker, free_port
from somepulse.privacy.pseudonyms import Pseudonymiser
from somepulse.settings import Settings
from somepulse.streams.topics import ensure_topics
from somepulse.telemetry import CollectorMetrics

pytestmark = pytest.mark.integration


def event(i: int) -> dict[str, object]:
    return {
        "kind": "follower_snapshot",
        "event_id": f"f{i}",
        "platform": "linkedin",
        "page_id": "nav.linkedin",
        "occurred_at": "2019-03-01T22:55:00Z",
        "followers": i,
    }


def test_publisher_waits_for_a_late_broker(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    port = free_port()
    retries: list[str] = []
    metrics = CollectorMetrics(CollectorRegistry())

    async def go() -> int:
        publisher = KafkaPublisher(
            f"127.0.0.1:{port}",
            settings.events_topic,
            pseudonymiser=Pseudonymiser(b"k"),
            connect_timeout=30,
            on_retry=retries.append,
            batch_events=3,
            metrics=metrics,
        )
        starting = asyncio.create_task(publisher.start())
        await asyncio.sleep(1.5)
        assert not starting.done()
        broker = EmbeddedBroker(tmp_path / "broker.log", port=port).start()
        try:
            await ensure_topics(broker.bootstrap, settings)
            await starting
            await publisher.publish(event(i) for i in range(10))
            report = await publisher.flush()
            await publisher.stop()
            assert report.events == 10 and report.messages == 4  # batches of 3,3,3,1
            return await count_events(broker.bootstrap, settings.events_topic, 10)
        finally:
            broker.stop()

    assert asyncio.run(go()) == 10
    assert retries and "not up yet" in retries[0]
    # the collector's own metrics, fresh registry: 10 follower snapshots in 4 messages
    sample = metrics.registry.get_sample_value
    assert (
        sample(
            "somepulse_collector_events_published_total",
            {"page": "nav.linkedin", "kind": "follower_snapshot"},
        )
        == 10
    )
    assert (
        sample("somepulse_collector_messages_published_total", {"topic": settings.events_topic})
        == 4
    )
    assert sample("somepulse_collector_connect_retries_total") == len(retries)


def test_publisher_gives_up_with_a_clear_message(tmp_path: Path) -> None:
    port = free_port()

    async def go() -> None:
        publisher = KafkaPublisher(
            f"127.0.0.1:{port}",
            "t",
            pseudonymiser=None,
            connect_timeout=1.0,
            on_retry=lambda _: None,
        )
        await publisher.start()

    with pytest.raises(BrokerUnavailable, match=f"127.0.0.1:{port} is not reachable"):
        asyncio.run(go())


async def count_events(bootstrap: str, topic: str, expected: int) -> int:
    import orjson

    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    seen = 0
    try:
        for _ in range(20):
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    assert record.key == b"nav.linkedin"
                    seen += len(orjson.loads(record.value or b"[]"))
            if seen >= expected:
                break
    finally:
        await consumer.stop()
    return seen


def test_live_mode_stamps_events_with_now(tmp_path: Path) -> None:
    """Live mode publishes each event when its (scaled) time comes, stamped with the
    wall clock: a whole scenario day at 50 000x takes under two seconds here."""
    from datetime import UTC, datetime, timedelta

    import orjson

    from somepulse.collectors.run import run_live
    from somepulse.collectors.scenario.generator import ScenarioGenerator

    settings = Settings(data_dir=tmp_path)
    gen = ScenarioGenerator(datetime.now(UTC).date(), datetime.now(UTC).date(), scale=0.05)

    async def go() -> list[dict[str, object]]:
        with EmbeddedBroker(tmp_path / "broker.log") as broker:
            await ensure_topics(broker.bootstrap, settings)
            publisher = KafkaPublisher(
                broker.bootstrap,
                settings.events_topic,
                pseudonymiser=Pseudonymiser(b"k"),
                batch_events=50,
            )
            async with publisher:
                await run_live(gen, publisher, speed=50_000)
            consumer = AIOKafkaConsumer(
                settings.events_topic,
                bootstrap_servers=broker.bootstrap,
                auto_offset_reset="earliest",
            )
            await consumer.start()
            events: list[dict[str, object]] = []
            try:
                while len(events) < gen.truth.events:
                    for records in (await consumer.getmany(timeout_ms=1000)).values():
                        for r in records:
                            events.extend(orjson.loads(r.value or b"[]"))
            finally:
                await consumer.stop()
            return events

    started = datetime.now(UTC)
    events = asyncio.run(go())
    assert len(events) == gen.truth.events > 0
    stamps = [datetime.fromisoformat(str(e["occurred_at"]).replace("Z", "+00:00")) for e in events]
    assert all(started - timedelta(seconds=1) <= s <= datetime.now(UTC) for s in stamps)
