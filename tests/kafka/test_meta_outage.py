"""A broker outage under the Meta webhook receiver, on Apache Kafka as deployed (SASL,
ACLs): 200 while the broker is up, 503 while it is away (Meta will retry), and once it
is back the retried delivery gets 200 — every change of every delivery is on the events
topic afterwards (a delivery answered 503 may be there twice: same event id, storage
keeps one)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import orjson
from aiohttp.test_utils import TestClient, TestServer
from aiokafka import AIOKafkaConsumer

from somepulse.collectors.meta.webhook import WebhookReceiver, signature_of
from somepulse.collectors.publisher import KafkaPublisher
from somepulse.domain.pages import account_index, load_pages
from somepulse.streams.topics import ensure_topics
from tests.kafka.test_kafka_security import as_user
from tests.kafka_broker import KafkaBroker

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "meta"
SECRET = b"meta-app-secret-for-tests"


def test_503_while_the_broker_is_away_and_nothing_lost(kafka: KafkaBroker, tmp_path: Path) -> None:
    worker, collector = as_user(kafka, tmp_path, "worker"), as_user(kafka, tmp_path, "collector")
    asyncio.run(ensure_topics(kafka.bootstrap, worker))
    names = ("feed-comment-add.json", "feed-comment-reply-add.json", "feed-comment-page-reply.json")
    bodies = [(FIXTURES / name).read_bytes() for name in names]

    async def go() -> list[int]:
        statuses = []
        publisher = KafkaPublisher.from_settings(collector, kafka.bootstrap)
        await publisher.start()
        receiver = WebhookReceiver(
            SECRET, "t", lambda events: publisher.deliver(events, 3.0), account_index(load_pages())
        )
        async with TestClient(TestServer(receiver.app())) as client:

            async def post(body: bytes) -> int:
                headers = {"X-Hub-Signature-256": signature_of(body, SECRET)}
                response = await client.post("/webhooks/meta", data=body, headers=headers)
                return response.status

            statuses.append(await post(bodies[0]))
            await asyncio.to_thread(kafka.stop)
            statuses.append(await post(bodies[1]))  # the broker is away
            await asyncio.to_thread(kafka.start)
            # Meta retries the refused delivery until it is taken
            deadline = time.monotonic() + 60
            while (status := await post(bodies[1])) != 200 and time.monotonic() < deadline:
                await asyncio.sleep(1)
            statuses.append(status)
            statuses.append(await post(bodies[2]))
        await publisher.stop()
        return statuses

    assert asyncio.run(go()) == [200, 503, 200, 200]

    async def read_all() -> list[dict[str, Any]]:
        consumer = AIOKafkaConsumer(
            worker.events_topic, bootstrap_servers=kafka.bootstrap, group_id="somepulse-check",
            auto_offset_reset="earliest", **worker.kafka_client_options(),
        )  # fmt: skip
        await consumer.start()
        events: list[dict[str, Any]] = []
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and len({e["event_id"] for e in events}) < 3:
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    for record in records:
                        events.extend(orjson.loads(record.value))
        finally:
            await consumer.stop()
        return events

    ids = {e["event_id"] for e in asyncio.run(read_all())}
    assert ids == {"fb:comment:2001_3001:add", "fb:comment:2001_3002:add",
                   "fb:comment:2001_3003:add"}  # fmt: skip
