"""Two workers in one consumer group on Apache Kafka (SASL, ACLs), one stopped
mid-stream: its partitions move to the survivor, which rebuilds their state from
ClickHouse; the survivor's live numbers and alerts then equal a single worker's on the
same input. The same group members as the embedded-broker test
(``tests/integration/test_partitions.py``), on the deployed broker."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from somepulse.collectors.publisher import KafkaPublisher
from somepulse.collectors.run import replay_scenario
from somepulse.collectors.scenario.generator import ScenarioGenerator
from somepulse.streams.topics import ensure_topics
from tests.integration.test_partitions import END, START, consume
from tests.kafka.test_kafka_security import as_user
from tests.kafka_broker import KafkaBroker

pytestmark = pytest.mark.kafka


def test_the_survivor_equals_a_single_worker_on_kafka(kafka: KafkaBroker, tmp_path: Path) -> None:
    worker, collector = as_user(kafka, tmp_path, "worker"), as_user(kafka, tmp_path, "collector")
    gen = ScenarioGenerator(START, END, seed=11)

    async def publish() -> None:
        await ensure_topics(kafka.bootstrap, worker)
        async with KafkaPublisher.from_settings(collector, kafka.bootstrap) as publisher:
            await replay_scenario(gen, publisher)

    asyncio.run(publish())
    per_page = {
        page: sum(sum(kinds.values()) for kinds in days.values())
        for page, days in gen.truth.daily.items()
    }
    total = gen.truth.events
    options = worker.kafka_client_options()
    single = worker.model_copy(update={"data_dir": tmp_path / "single"})
    pair = worker.model_copy(update={"data_dir": tmp_path / "pair"})
    # group names inside the worker's ACL (prefix somepulse)
    one, one_alerts, one_events, _ = asyncio.run(
        consume(single, kafka.bootstrap, "somepulse-single", per_page, False, options)
    )
    two, two_alerts, two_events, split = asyncio.run(
        consume(pair, kafka.bootstrap, "somepulse-pair", per_page, True, options)
    )
    print(f"\n{total} events on Kafka; the pair stored {split} of them (the survivor first)")
    assert one_events == two_events == total
    assert one_alerts, "the scenario should fire surge alerts (March 2020)"
    assert two_alerts == one_alerts
    assert two["live_pages"] and two == one
