"""The worker's ingest step, in two halves so that they can overlap:

* ``prepare`` (CPU, on the event loop, which the agent's ``prepare_sliced`` hands back
  every 50 ms): process every message into rows and dead letters, classify each event
  once (``domain.signals``), deduplicate it once per partition, and feed the
  partition's live state and the surge observations;
* ``store`` (I/O): publish dead letters, insert rows. The agent acks a batch's
  messages only after its ``store`` returned, so every row is stored and every dead
  letter delivered before its offset can be committed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol

import orjson
from aiokafka.errors import KafkaError
from faust.exceptions import FaustError

from somepulse.alerts.observe import Observation, observations
from somepulse.domain.signals import Signal, classify
from somepulse.live.state import LivePartitions, LiveState
from somepulse.schemas.events import Event
from somepulse.streams.processor import DeadLetter, MessageProcessor
from somepulse.streams.writer import ClickHouseWriter
from somepulse.telemetry import WorkerMetrics

log = logging.getLogger(__name__)
RawMessage = tuple[int, int, bytes | None, bytes | None]  # partition, offset, key, value
MAX_UNKNOWN_NAMES = 20
SLICE_SECONDS = 0.05  # the longest prepare_sliced holds the event loop


class DeadLetterPublisher(Protocol):
    topic: str

    async def publish(self, dead: Sequence[DeadLetter]) -> None:
        """Deliver (and wait for the broker's ack of) every dead letter."""


@dataclass
class IngestStats:
    """Counters of the ingest line (read into ``service.status.WorkerStatus``)."""

    started_at: float = field(default_factory=time.time)
    messages: int = 0
    events_stored: int = 0
    dead_letters: int = 0
    dead_by_reason: dict[str, int] = field(default_factory=dict)
    # events of pages the directory does not know: stored, and named here (at most
    # MAX_UNKNOWN_NAMES of them: the names come from input) so someone looks
    unknown_pages: dict[str, int] = field(default_factory=dict)
    inserts: int = 0
    last_progress_at: float = field(default_factory=time.time)  # last batch prepared
    inflight_rows: int = 0
    last_insert_rows: int = 0
    last_insert_seconds: float = 0.0
    last_insert_at: float = 0.0
    # where the worker's time goes: processing on the loop vs inserting in the thread
    prepare_seconds: float = 0.0
    insert_seconds: float = 0.0


@dataclass
class PreparedBatch:
    rows: list[bytes]
    dead: list[DeadLetter]
    messages: int
    observations: list[Observation] = field(default_factory=list)
    newest: datetime | None = None  # event time of the batch's newest event
    positions: list[tuple[int, int, int]] = field(default_factory=list)  # row -> source


class IngestPipeline:
    def __init__(
        self,
        processor: MessageProcessor,
        writer: ClickHouseWriter,
        dead_letters: DeadLetterPublisher,
        live: LivePartitions,
        metrics: WorkerMetrics,
    ) -> None:
        self.processor = processor
        self.writer = writer
        self.dead_letters = dead_letters
        self.live = live
        self.metrics = metrics
        self.stats = IngestStats()
        self.processed: dict[int, int] = {}  # partition -> last offset prepared (lag)
        self.stopped: str | None = None  # why the ingest agent ended, if it did

    def prepare(self, messages: Sequence[RawMessage]) -> PreparedBatch:
        batch = _Preparing(self)
        for message in messages:
            batch.add(message)
        return batch.finish()

    async def prepare_sliced(self, messages: Sequence[RawMessage]) -> PreparedBatch:
        """``prepare``, handing the event loop back every ``SLICE_SECONDS``: a batch of
        50,000 events takes ~0.8 s, which /stats, /sql, /readyz and the consumer's
        heartbeats would otherwise wait for. The live state takes each message whole."""
        batch = _Preparing(self)
        held = time.perf_counter()
        for n, message in enumerate(messages, 1):
            batch.add(message)
            if n % 8 == 0 and (now := time.perf_counter()) - held > SLICE_SECONDS:
                await asyncio.sleep(0)
                held = time.perf_counter()
                batch.paused += held - now
        return batch.finish()

    async def store(self, batch: PreparedBatch) -> None:
        if batch.dead:
            await self._publish_dead(batch.dead)
        result = await self.writer.write(batch.rows)
        if result.rejected:
            await self._publish_dead(
                [self._rejected(batch, index, reason) for index, reason in result.rejected]
            )
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

    def _flag_unknown(self, events: Sequence[Event]) -> None:
        known, seen = self.live.pages, self.stats.unknown_pages
        for event in events:
            page = event.page_id
            if page in known:
                continue
            self.metrics.unknown_pages.inc()
            name = page if page in seen or len(seen) < MAX_UNKNOWN_NAMES else "(others)"
            seen[name] = seen.get(name, 0) + 1

    async def handle(self, messages: Sequence[RawMessage]) -> None:
        await self.store(self.prepare(messages))

    def _rejected(self, batch: PreparedBatch, index: int, reason: str) -> DeadLetter:
        """A row ClickHouse refused, as a dead letter with its source position."""
        partition, offset = 0, 0
        for first, p, o in batch.positions:
            if first > index:
                break
            partition, offset = p, o
        row = batch.rows[index]
        doc = orjson.loads(row)
        key = str(doc.get("page_id", "")).encode() or None
        return self.processor.letter(
            f"rejected by ClickHouse: {reason}", row, partition, offset, key, None, doc
        )

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
            except FaustError as exc:  # refused as such (size): keep the fingerprints
                log.error("dead letters refused (%s); sending them without values", exc)
                dead = [replace(letter, value=b"") for letter in dead]
        self.stats.dead_letters += len(dead)
        self.metrics.produced.labels(self.dead_letters.topic).inc(len(dead))
        for letter in dead:
            reason = letter.reason_class  # a fixed set: never the input's own text
            self.metrics.dead.labels(reason).inc()
            self.stats.dead_by_reason[reason] = self.stats.dead_by_reason.get(reason, 0) + 1


class _Preparing:
    """One batch being prepared: each message processed into rows and dead letters,
    classified once, deduplicated once per partition and taken by its live state."""

    def __init__(self, pipeline: IngestPipeline) -> None:
        self.pipeline = pipeline
        self.started = time.perf_counter()
        self.rows: list[bytes] = []
        self.dead: list[DeadLetter] = []
        self.fresh: list[Signal] = []
        self.positions: list[tuple[int, int, int]] = []
        self.touched: dict[int, LiveState] = {}
        self.newest: datetime | None = None
        self.messages = 0
        self.left = 0  # messages of partitions no longer held
        self.paused = 0.0  # time others had the event loop (not this batch's work)

    def add(self, message: RawMessage) -> None:
        pipeline = self.pipeline
        partition, offset, key, value = message
        state = self.touched.get(partition)
        if state is None:
            state = pipeline.live.state(partition)
            if state is None:
                # taken before a revoke: left whole to the partition's new holder (its
                # offset is not ours to commit). Stored here, it would reach the store
                # unseen by any surge detector, and the new holder's rebuild would
                # take its hours and days as decided: an alert in them never fired.
                self.left += 1
                return
            self.touched[partition] = state
        self.messages += 1
        pipeline.processed[partition] = offset
        try:
            result = pipeline.processor.process(value, partition, offset, key)
            signals = [s for s in map(classify, result.events) if s is not None]
        except Exception as exc:  # a bug must cost one message, never the agent
            log.exception("processing failed at %d/%d", partition, offset)
            reason = f"internal error: {type(exc).__name__} (see the worker log)"
            letter = pipeline.processor.letter(reason, value or b"", partition, offset, key)
            self.dead.append(letter)
            return
        self.dead.extend(result.dead)
        if not result.events:
            return
        if any(e.page_id not in pipeline.live.pages for e in result.events):
            pipeline._flag_unknown(result.events)
        last = result.events[-1].occurred_at
        self.newest = last if self.newest is None or last > self.newest else self.newest
        self.positions.append((len(self.rows), partition, offset))
        self.rows.extend(result.rows)
        take = state.take
        self.fresh.extend(signal for signal in signals if take(signal))

    def finish(self) -> PreparedBatch:
        pipeline, rows = self.pipeline, self.rows
        if self.left:
            log.info("%d messages of partitions no longer held left to their holder", self.left)
        for state in self.touched.values():
            state.evict()
        stats = pipeline.stats
        stats.inflight_rows += len(rows)
        stats.last_progress_at = time.time()
        stats.prepare_seconds += time.perf_counter() - self.started - self.paused
        topic = pipeline.processor.topic
        pipeline.metrics.messages.labels(topic).inc(self.messages)
        pipeline.metrics.events.labels(topic).inc(len(rows))
        pipeline.metrics.batch.observe(len(rows))
        return PreparedBatch(
            rows, self.dead, self.messages, observations(self.fresh), self.newest, self.positions
        )
