"""The worker's ingest step, in two halves so that they can overlap:

* ``prepare`` (CPU, on the event loop): process every message into rows and dead
  letters, and count engagement into the live cache;
* ``store`` (I/O): publish dead letters, insert rows. The agent acks a batch's
  messages only after its ``store`` returned, so every row is stored and every dead
  letter delivered before its offset can be committed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from aiokafka.errors import KafkaError

from somepulse.alerts.observe import Observation, observations
from somepulse.live.engagement import LiveEngagement
from somepulse.live.questions import LiveQuestions
from somepulse.schemas.events import Event
from somepulse.streams.processor import DeadLetter, MessageProcessor
from somepulse.streams.writer import ClickHouseSink
from somepulse.telemetry import WorkerMetrics

log = logging.getLogger(__name__)
RawMessage = tuple[int, int, bytes | None]  # partition, offset, value


class DeadLetterPublisher(Protocol):
    async def publish(self, dead: Sequence[DeadLetter]) -> None:
        """Deliver (and wait for the broker's ack of) every dead letter."""


@dataclass
class WorkerStats:
    started_at: float = field(default_factory=time.time)
    messages: int = 0
    events_stored: int = 0
    dead_letters: int = 0
    dead_by_reason: dict[str, int] = field(default_factory=dict)
    inserts: int = 0
    inflight_rows: int = 0
    last_insert_rows: int = 0
    last_insert_seconds: float = 0.0
    last_insert_at: float = 0.0
    # where the worker's time goes: processing on the loop vs inserting in the thread
    prepare_seconds: float = 0.0
    insert_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class PreparedBatch:
    rows: list[bytes]
    dead: list[DeadLetter]
    messages: int
    observations: list[Observation] = field(default_factory=list)
    newest: datetime | None = None  # event time of the batch's newest event


class IngestPipeline:
    def __init__(
        self,
        processor: MessageProcessor,
        sink: ClickHouseSink,
        dead_letters: DeadLetterPublisher,
        live: LiveEngagement | None = None,
        questions: LiveQuestions | None = None,
        metrics: WorkerMetrics | None = None,
    ) -> None:
        self.processor = processor
        self.sink = sink
        self.dead_letters = dead_letters
        self.live = live or LiveEngagement()
        self.questions = questions or LiveQuestions({})
        self.metrics = metrics or WorkerMetrics()
        self.stats = WorkerStats()

    def prepare(self, messages: Sequence[RawMessage]) -> PreparedBatch:
        started = time.perf_counter()
        rows: list[bytes] = []
        dead: list[DeadLetter] = []
        obs: list[Observation] = []
        newest = None
        for partition, offset, value in messages:
            result = self.processor.process(value, partition, offset)
            if result.events:
                last = result.events[-1].occurred_at
                newest = last if newest is None or last > newest else newest
            rows.extend(result.rows)
            dead.extend(result.dead)
            fresh: list[tuple[Event, int]] = []
            self.live.add(result.events, fresh)
            self.questions.add(result.events)
            obs += observations(fresh, result.events)
        self.live.evict()
        self.questions.evict()
        self.stats.inflight_rows += len(rows)
        self.stats.prepare_seconds += time.perf_counter() - started
        topic = self.processor.topic
        self.metrics.messages.labels(topic).inc(len(messages))
        self.metrics.events.labels(topic).inc(len(rows))
        self.metrics.batch.observe(len(rows))
        return PreparedBatch(rows, dead, len(messages), obs, newest)

    async def store(self, batch: PreparedBatch) -> None:
        if batch.dead:
            await self._publish_dead(batch.dead)
        result = await self.sink.write(batch.rows)
        stats = self.stats
        stats.inflight_rows -= len(batch.rows)
        stats.messages += batch.messages
        if result.rows:
            self.metrics.stored.labels("events").inc(result.rows)
            self.metrics.insert_latency.observe(result.seconds / max(1, result.inserts))
            if batch.newest is not None:
                lag = (datetime.now(UTC) - batch.newest).total_seconds()
                self.metrics.e2e_latency.observe(max(0.0, lag))
            stats.inserts += result.inserts
            stats.events_stored += result.rows
            stats.last_insert_rows = result.rows
            stats.last_insert_seconds = result.seconds
            stats.insert_seconds += result.seconds
            stats.last_insert_at = time.time()

    async def handle(self, messages: Sequence[RawMessage]) -> None:
        await self.store(self.prepare(messages))

    async def _publish_dead(self, dead: list[DeadLetter]) -> None:
        delay = 0.2
        while True:
            try:
                await self.dead_letters.publish(dead)
                break
            except KafkaError as exc:  # the broker is away: wait, never drop
                log.error("dead-letter publish failed, retrying in %.1f s: %s", delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
        self.stats.dead_letters += len(dead)
        self.metrics.produced.labels(self.processor.dlq_topic).inc(len(dead))
        for letter in dead:
            reason = letter.reason.split(":", 1)[0]
            self.metrics.dead.labels(reason.split(" (", 1)[0][:60]).inc()
            self.stats.dead_by_reason[reason] = self.stats.dead_by_reason.get(reason, 0) + 1
