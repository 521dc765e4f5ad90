"""Live state of one Kafka partition, and the set of partitions a worker holds.

Kafka assigns partitions, and a page's events all go to one partition (keyed by page
id), so state is kept per partition: on revoke a partition's state is dropped, on
assign it is rebuilt from ClickHouse for that partition's pages (``live/rebuild.py``).
Two workers then never both hold a page, and a worker that gains a partition starts
from the record, not from a stale copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from somepulse.domain.pages import PageInfo
from somepulse.domain.signals import Signal, classify
from somepulse.live.dedup import Deduplicator
from somepulse.live.engagement import LiveEngagement
from somepulse.live.questions import LiveQuestions
from somepulse.schemas.events import Event

QUESTION_HORIZON = timedelta(days=14)


@dataclass
class LiveState:
    """Everything live about one partition's pages."""

    pages: dict[str, PageInfo]
    engagement: LiveEngagement = field(default_factory=LiveEngagement)
    questions: LiveQuestions = field(init=False)
    seen: Deduplicator = field(
        default_factory=lambda: Deduplicator(int(QUESTION_HORIZON.total_seconds()))
    )
    page_ids: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.questions = LiveQuestions(self.pages, QUESTION_HORIZON)

    def take(self, signal: Signal) -> bool:
        """Apply one signal; True if it is new (counted signals are deduplicated by
        event id; a reach figure is always taken, a later one revises it)."""
        # counted signals once per event id (a replay must add nothing); a reach figure
        # is taken every time (a later snapshot revises it)
        if signal.reach is None and not self.seen.first(signal.event_id, signal.ts, signal.page_id):
            return False
        self.page_ids.add(signal.page_id)
        self.engagement.add(signal)
        if signal.question is not None or signal.reply is not None or signal.item is not None:
            self.questions.add(signal)
        return True

    def add(self, events: Iterable[Event]) -> list[Signal]:
        """Classify and take events; return the new signals (tests, backtests)."""
        fresh = []
        for event in events:
            signal = classify(event)
            if signal is not None and self.take(signal):
                fresh.append(signal)
        return fresh

    def evict(self) -> None:
        self.engagement.evict()
        self.questions.evict()
        self.seen.evict()


class LivePartitions:
    """The partitions this worker holds, each with its ``LiveState``; read merged
    (pages are disjoint across partitions, so merging is a union)."""

    def __init__(self, pages: dict[str, PageInfo], assigned: set[int] | None = None) -> None:
        self.pages = pages
        self.states: dict[int, LiveState] = {}
        # the partitions Kafka assigned; None: every partition (no group management,
        # as in tests and backtests)
        self.assigned = assigned

    def __iter__(self) -> Iterator[LiveState]:
        return iter(list(self.states.values()))

    def state(self, partition: int) -> LiveState | None:
        """The partition's state; None for a partition no longer assigned (a message
        taken before a revoke: its new owner counts it)."""
        state = self.states.get(partition)
        if state is None:
            if self.assigned is not None and partition not in self.assigned:
                return None
            state = self.states[partition] = LiveState(self.pages)
        return state

    def replace(self, partition: int, state: LiveState) -> None:
        self.states[partition] = state

    def drop(self, partition: int) -> set[str]:
        """Forget a revoked partition; return the pages it held."""
        state = self.states.pop(partition, None)
        return set() if state is None else state.page_ids

    @property
    def watermark(self) -> datetime | None:
        marks = [w for s in self if (w := s.engagement.watermark) is not None]
        return max(marks) if marks else None

    @property
    def question_watermark(self) -> datetime | None:
        marks = [w for s in self if (w := s.questions.watermark) is not None]
        return max(marks) if marks else None

    def page_totals(self, since: datetime | None = None) -> dict[str, dict[str, int]]:
        return _union(s.engagement.page_totals(since) for s in self)

    def windows(self) -> dict[str, dict[str, Any]]:
        return _union(s.engagement.windows() for s in self)

    def top_posts(self, limit: int = 5) -> dict[str, list[dict[str, Any]]]:
        return _union(s.engagement.top_posts(limit) for s in self)

    def queue(self, now: datetime, since: datetime | None = None) -> dict[str, dict[str, Any]]:
        return _union(s.questions.queue(now, since) for s in self)

    def response_times(self, since: datetime) -> dict[str, dict[str, float]]:
        return _union(s.questions.response_times(since) for s in self)


def _union(parts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in parts:
        out.update(part)
    return out
