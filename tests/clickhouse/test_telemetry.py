"""Prometheus metrics after a known stream, with a fresh registry (real chDB sink)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import orjson
import pytest
from prometheus_client import CollectorRegistry

from somepulse.store import Store
from somepulse.telemetry import WorkerMetrics
from tests.helpers import KeptDeadLetters, interaction, pipeline_on

pytestmark = pytest.mark.clickhouse


def test_metrics_after_a_known_stream(store: Store) -> None:
    registry = CollectorRegistry()
    metrics = WorkerMetrics(registry)
    dead = KeptDeadLetters()
    with ThreadPoolExecutor(1) as executor:
        pipeline = pipeline_on(store, executor, dead, 2, metrics)
        messages = [
            (
                0,
                0,
                b"nav.jobblyst",
                orjson.dumps([interaction(1), interaction(2), interaction(3)]),
            ),  # 3 valid
            (0, 1, b"nav.jobblyst", b"{not json"),  # 1 dead: invalid JSON
            (
                1,
                0,
                b"nav.jobblyst",
                orjson.dumps([interaction(4), {"kind": "shout"}]),
            ),  # 1 + 1 dead
        ]
        asyncio.run(pipeline.handle(messages))

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert value("somepulse_messages_consumed_total", topic="events") == 3
    assert value("somepulse_events_consumed_total", topic="events") == 4
    assert value("somepulse_rows_stored_total", table="events") == 4
    assert value("somepulse_dead_letters_total", reason="invalid JSON") == 1
    # labelled by a fixed reason class, never by the input's own text (the kind)
    assert value("somepulse_dead_letters_total", reason="unknown kind") == 1
    # labelled with the dead-letter topic the publisher really sends to
    assert value("somepulse_events_produced_total", topic="dlq") == 2
    assert value("somepulse_batch_events_count") == 1
    assert value("somepulse_batch_events_sum") == 4
    # 4 rows in inserts of at most 2 rows: 2 inserts, one latency sample per batch
    assert value("somepulse_insert_latency_seconds_count") == 1
    assert value("somepulse_insert_latency_seconds_bucket", le="10.0") == 1
    assert value("somepulse_end_to_end_latency_seconds_count") == 1
    assert len(dead.letters) == 2
    # keyed like their source message: a page's dead letters stay on one partition
    assert {letter.key for letter in dead.letters} == {b"nav.jobblyst"}
