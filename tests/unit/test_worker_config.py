"""The worker refuses to put the embedded store's SQL on a network interface."""

from __future__ import annotations

from pathlib import Path

import pytest

from somepulse.service.worker import WorkerConfigError, run_worker
from somepulse.settings import Settings


def test_embedded_store_with_a_public_bind_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, worker_bind="0.0.0.0")  # type: ignore[call-arg]
    with pytest.raises(WorkerConfigError, match="must be loopback"):
        run_worker(settings)
    assert not list(tmp_path.iterdir())  # refused before starting or writing anything


def test_replicated_topics_need_two_copies_of_each_write() -> None:
    from somepulse.streams.topics import topic_specs

    one = topic_specs(Settings(topic_replication_factor=1))  # type: ignore[call-arg]
    three = topic_specs(Settings(topic_replication_factor=3))  # type: ignore[call-arg]
    assert all(s.replicas == 1 and "min.insync.replicas" not in s.configs for s in one)
    assert all(s.replicas == 3 and s.configs["min.insync.replicas"] == "2" for s in three)


def test_the_worker_consumer_fetches_with_the_configured_wait() -> None:
    """Faust fixes aiokafka's fetch wait at 1.5 s; on the embedded broker that held each
    event ~0.4 s (Tansu answers a waiting fetch only after about half the wait)."""
    import asyncio

    from somepulse.streams.app import create_app

    async def wait_ms(setting: float | None) -> int:
        app = create_app(Settings(broker_fetch_max_wait=setting), "127.0.0.1:9")  # type: ignore[call-arg]
        consumer = app.consumer._thread._create_worker_consumer(app.transport)  # type: ignore[attr-defined]
        return int(consumer._fetch_max_wait_ms)

    assert asyncio.run(wait_ms(0.1)) == 100
    assert asyncio.run(wait_ms(None)) == 1500  # Apache Kafka answers at once: Faust's


def test_a_stack_on_its_own_broker_gives_the_worker_the_short_fetch_wait(tmp_path: Path) -> None:
    from somepulse.embedded.broker import EmbeddedBroker
    from somepulse.tools.stack import Stack

    own = Stack(Settings(data_dir=tmp_path))  # type: ignore[call-arg]
    own.broker = EmbeddedBroker(tmp_path / "broker.log", port=1)  # not started: only its presence
    assert own.worker_env()["SOMEPULSE_BROKER_FETCH_MAX_WAIT"] == "0.1"
    configured = Stack(Settings(data_dir=tmp_path, broker_fetch_max_wait=0.5))  # type: ignore[call-arg]
    configured.broker = EmbeddedBroker(tmp_path / "broker.log", port=1)
    assert configured.worker_env()["SOMEPULSE_BROKER_FETCH_MAX_WAIT"] == "0.5"
    kafka = Stack(Settings(data_dir=tmp_path, kafka_bootstrap="kafka:9092"))  # type: ignore[call-arg]
    assert "SOMEPULSE_BROKER_FETCH_MAX_WAIT" not in kafka.worker_env()
