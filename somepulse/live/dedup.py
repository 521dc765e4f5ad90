"""One deduplication of counted signals per partition: after a crash or a rebalance
the same events arrive again (Kafka is at least once), and live numbers and the surge
detector must not count them twice.

Ids are remembered for an event-time horizon (the longest any live state looks back:
the question queue's 14 days), so an event re-sent a day late is still recognised. An
event older than the horizon (a re-send weeks late, whose id is forgotten) is not
taken live at all: it cannot be told from a first delivery, and counting it twice
would raise the surge detector's baselines. ClickHouse stores it (exactly once: the
events table replaces by id), and a rebuild of live state reads it from there.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable


class Deduplicator:
    def __init__(self, horizon_seconds: int) -> None:
        self.horizon = horizon_seconds
        self._seen: set[str] = set()
        self._by_hour: dict[int, list[str]] = {}  # hour (epoch s) -> ids, for eviction
        self._hours: list[int] = []  # heap of the hours held
        self.watermark = 0

    def first(self, event_id: str, ts: int) -> bool:
        """True the first time an id is seen (and remember it); False for a repeat and
        for an event older than the horizon (too late to tell: the module's doc)."""
        if event_id in self._seen or ts < self.watermark - self.horizon:
            return False
        self._seen.add(event_id)
        hour = ts - ts % 3600
        ids = self._by_hour.get(hour)
        if ids is None:
            ids = self._by_hour[hour] = []
            heapq.heappush(self._hours, hour)
        ids.append(event_id)
        if ts > self.watermark:
            self.watermark = ts
        return True

    def load(self, ids: Iterable[tuple[str, int]]) -> None:
        for event_id, ts in ids:
            self.first(event_id, ts)

    def evict(self) -> None:
        """Forget ids older than the horizon (call once per batch)."""
        cutoff = self.watermark - self.horizon
        while self._hours and self._hours[0] + 3600 <= cutoff:
            self._seen.difference_update(self._by_hour.pop(heapq.heappop(self._hours)))
