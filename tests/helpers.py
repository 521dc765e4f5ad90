"""Small builders shared by tests of several layers (no fixtures, no I/O)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import Executor
from typing import Any

from somepulse.live.state import LivePartitions
from somepulse.privacy.pseudonyms import Pseudonymiser
from somepulse.store import Store
from somepulse.streams.pipeline import IngestPipeline
from somepulse.streams.processor import DeadLetter, MessageProcessor
from somepulse.streams.writer import ClickHouseWriter
from somepulse.telemetry import WorkerMetrics

# a pseudonymisation secret for tests (the real minimum length: 32 bytes)
TEST_SECRET = "test-secret-0123456789abcdef-0123456789"


def person(name: str) -> str:
    """A well-formed pseudonym for a test person (``p1_`` + 32 hex, as stored)."""
    return "p1_" + hashlib.md5(name.encode()).hexdigest()


_TEST_KEY = Pseudonymiser(TEST_SECRET.encode())


def scrubbed(event: dict[str, Any]) -> dict[str, Any]:
    """A generator event as a collector publishes it (people's ids pseudonymised)."""
    return _TEST_KEY.scrub(event, keep_text=False)


def interaction(i: int, kind: str = "share", **extra: object) -> dict[str, object]:
    """A valid wire-format interaction (a share unless told otherwise)."""
    return {
        "kind": "interaction",
        "event_id": f"e{i}",
        "platform": "facebook",
        "page_id": "nav.jobblyst",
        "post_id": "p1",
        "occurred_at": "2020-03-12T09:00:00Z",
        "interaction_type": kind,
        "actor_id": person("a"),
    } | extra


class KeptDeadLetters:
    """Where dead letters go in a test: the pipeline's publisher interface, kept."""

    def __init__(self, topic: str = "dlq") -> None:
        self.topic = topic
        self.letters: list[DeadLetter] = []

    async def publish(self, dead: Sequence[DeadLetter]) -> None:
        self.letters.extend(dead)


def pipeline_on(
    store: Store,
    executor: Executor,
    dead: KeptDeadLetters,
    max_rows: int,
    metrics: WorkerMetrics | None = None,
) -> IngestPipeline:
    return IngestPipeline(
        MessageProcessor("events"),
        ClickHouseWriter(store, "events", executor, max_rows),
        dead,
        LivePartitions({}),
        metrics or WorkerMetrics(),
    )
