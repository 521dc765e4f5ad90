"""The worker's ingest step: process -> sink (+ live cache, dead letters), then return.

The Faust agent calls ``handle`` with a batch of messages and acks them only after it
returns, so every row is stored and every dead letter published before its offset can
be committed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from streams.live import LiveEngagement
from streams.processor import DeadLetter, MessageProcessor
from streams.sink import ClickHouseSink

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
    flushes: int = 0
    last_flush_rows: int = 0
    last_flush_seconds: float = 0.0
    last_flush_at: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class IngestPipeline:
    def __init__(
        self,
        processor: MessageProcessor,
        sink: ClickHouseSink,
        dead_letters: DeadLetterPublisher,
        live: LiveEngagement | None = None,
    ) -> None:
        self.processor = processor
        self.sink = sink
        self.dead_letters = dead_letters
        self.live = live or LiveEngagement(horizon=timedelta(hours=26))
        self.stats = WorkerStats()

    async def handle(self, messages: Sequence[RawMessage]) -> None:
        dead: list[DeadLetter] = []
        for partition, offset, value in messages:
            result = self.processor.process(value, partition, offset)
            self.sink.add(result.rows)
            self.live.add(result.events)
            dead.extend(result.dead)
            if self.sink.full:
                await self._flush()
        if dead:
            await self.dead_letters.publish(dead)
            self.stats.dead_letters += len(dead)
            for letter in dead:
                reason = letter.reason.split(":", 1)[0]
                self.stats.dead_by_reason[reason] = self.stats.dead_by_reason.get(reason, 0) + 1
        await self._flush()
        self.stats.messages += len(messages)

    async def _flush(self) -> None:
        result = await self.sink.flush()
        if result.rows:
            self.stats.flushes += 1
            self.stats.events_stored += result.rows
            self.stats.last_flush_rows = result.rows
            self.stats.last_flush_seconds = result.seconds
            self.stats.last_flush_at = time.time()
