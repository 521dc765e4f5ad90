"""Security review C6 on Apache Kafka as docker-compose.yml deploys it: only
authenticated clients get in, a collector may write events and nothing else, and the
worker, with its own user, stores a scenario exactly."""

from __future__ import annotations

import asyncio
import io
from datetime import date
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError
from rich.console import Console

from somepulse.collectors.publisher import KafkaPublisher
from somepulse.collectors.run import replay_scenario
from somepulse.collectors.scenario.generator import ScenarioGenerator
from somepulse.settings import Settings
from somepulse.tools.stack import Stack
from tests.helpers import TEST_SECRET
from tests.kafka_broker import KafkaBroker


def as_user(kafka: KafkaBroker, tmp_path: Path, user: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        data_dir=tmp_path / "var",
        pseudonym_secret=TEST_SECRET,
        kafka_bootstrap=kafka.bootstrap,
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_username=user,
        kafka_password_file=kafka.password_file(user),
    )


def test_only_authenticated_users_get_in(kafka: KafkaBroker, tmp_path: Path) -> None:
    async def connect(**options: object) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=kafka.bootstrap, request_timeout_ms=5_000, **options
        )
        try:
            await producer.start()
        finally:
            await producer.stop()

    with pytest.raises(KafkaError):
        asyncio.run(connect())  # no SASL at all
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password-0123")
    settings = as_user(kafka, tmp_path, "collector").model_copy(
        update={"kafka_password_file": wrong}
    )
    with pytest.raises(KafkaError):
        asyncio.run(connect(**settings.kafka_client_options()))
    asyncio.run(connect(**as_user(kafka, tmp_path, "collector").kafka_client_options()))


def test_the_worker_stores_what_the_collector_sends_and_the_collector_reads_nothing(
    kafka: KafkaBroker, tmp_path: Path
) -> None:
    worker = as_user(kafka, tmp_path, "worker")
    collector = as_user(kafka, tmp_path, "collector")
    gen = ScenarioGenerator(date(2019, 3, 4), date(2019, 3, 4), seed=5, scale=0.3)
    with Stack(worker, console=Console(file=io.StringIO())) as stack:  # creates the topics

        async def publish() -> None:
            async with KafkaPublisher.from_settings(collector, kafka.bootstrap) as publisher:
                await replay_scenario(gen, publisher, speed=None)

        asyncio.run(publish())
        stack.wait_stored(gen.truth.events)
        stored = stack.sql("SELECT count() AS n FROM somepulse.events FINAL")
        assert stored == [{"n": gen.truth.events}]

    options = collector.kafka_client_options()

    async def read(topic: str) -> None:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=kafka.bootstrap,
            group_id="somepulse-sneak",
            auto_offset_reset="earliest",
            request_timeout_ms=10_000,
            **options,
        )
        await consumer.start()
        try:
            await consumer.getmany(timeout_ms=5_000)
        finally:
            await consumer.stop()

    for topic in (worker.events_topic, worker.dlq_topic):
        with pytest.raises(KafkaError, match=r"Authorization|authoriz"):
            asyncio.run(read(topic))

    async def create_topic() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap, **options)
        await admin.start()
        try:
            response = await admin.create_topics([NewTopic("somepulse.sneaky", 1, 1)])
            codes = [code for _, code, *_ in response.topic_errors]  # type: ignore[attr-defined]
            if any(codes):
                raise KafkaError(f"topic creation refused: Authorization codes {codes}")
        finally:
            await admin.close()

    with pytest.raises(KafkaError, match="Authorization"):
        asyncio.run(create_topic())

    async def write_dead_letter() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, **options)
        await producer.start()
        try:
            await producer.send_and_wait(worker.dlq_topic, orjson.dumps({"fake": 1}))
        finally:
            await producer.stop()

    with pytest.raises(KafkaError):
        asyncio.run(write_dead_letter())


def test_topics_are_created_with_their_partitions_and_retention(
    kafka: KafkaBroker, tmp_path: Path
) -> None:
    """As the worker creates them on Kafka: the events topic with its partitions, and
    each topic's retention from the settings (dead letters short: three days)."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    from somepulse.streams.topics import ensure_topics

    worker = as_user(kafka, tmp_path, "worker")
    asyncio.run(ensure_topics(kafka.bootstrap, worker))

    async def described() -> tuple[dict[str, int], dict[str, dict[str, str]]]:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=kafka.bootstrap, **worker.kafka_client_options()
        )
        await admin.start()
        try:
            names = [worker.events_topic, worker.dlq_topic, worker.alerts_topic]
            topics = await admin.describe_topics(names)
            configs = await admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, n) for n in names]
            )
        finally:
            await admin.close()
        partitions = {t["topic"]: len(t["partitions"]) for t in topics}
        settings = {
            name: {e[0]: e[1] for e in entries}
            for response in configs
            for _code, _msg, _type, name, entries in response.resources
        }
        return partitions, settings

    partitions, configs = asyncio.run(described())
    assert partitions == {worker.events_topic: 4, worker.dlq_topic: 1, worker.alerts_topic: 1}
    assert {name: c["retention.ms"] for name, c in configs.items()} == {
        worker.events_topic: str(168 * 3_600_000),
        worker.dlq_topic: str(72 * 3_600_000),
        worker.alerts_topic: str(30 * 24 * 3_600_000),
    }
