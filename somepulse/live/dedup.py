"""One deduplication of counted signals per partition: after a crash or a rebalance
the same events arrive again (Kafka is at least once), and live numbers and the surge
detector must not count them twice.

Ids are remembered per page for an event-time horizon behind that page's newest event
(the longest any live state looks back: the question queue's 14 days), so an event
re-sent a day late is still recognised. Per page, because pages of one partition run
at different times: a collector catching up after a week's outage is behind the
partition's other pages, and its events are new, not late.

An event older than its page's horizon (a re-send weeks late, whose id is forgotten;
a back-fill of old history) is not taken live: it cannot be told from a first
delivery, and counting it twice would raise the surge detector's baselines.
ClickHouse stores it (exactly once: the events table replaces by id), and the next
rebuild of live state (start, rebalance) reads it from there.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class _PageIds:
    watermark: int = 0  # the page's newest event time
    by_hour: dict[int, list[str]] = field(default_factory=dict)  # hour -> ids
    hours: list[int] = field(default_factory=list)  # heap of the hours held


class Deduplicator:
    def __init__(self, horizon_seconds: int) -> None:
        self.horizon = horizon_seconds
        self._seen: set[str] = set()
        self._pages: dict[str, _PageIds] = {}

    def first(self, event_id: str, ts: int, page: str = "") -> bool:
        """True the first time an id is seen (and remember it); False for a repeat and
        for an event older than its page's horizon (too late to tell: the module's doc)."""
        ids = self._pages.get(page)
        if ids is None:
            ids = self._pages[page] = _PageIds()
        if event_id in self._seen or ts < ids.watermark - self.horizon:
            return False
        self._seen.add(event_id)
        hour = ts - ts % 3600
        held = ids.by_hour.get(hour)
        if held is None:
            held = ids.by_hour[hour] = []
            heapq.heappush(ids.hours, hour)
        held.append(event_id)
        if ts > ids.watermark:
            ids.watermark = ts
        return True

    def load(self, ids: Iterable[tuple[str, int, str]]) -> None:
        """Ids from ClickHouse (a rebuild): event id, event time, page."""
        for event_id, ts, page in sorted(ids, key=lambda row: row[1]):
            self.first(event_id, ts, page)

    def evict(self) -> None:
        """Forget ids older than their page's horizon (call once per batch): an id is
        forgotten only when an event as old would no longer be taken."""
        for ids in self._pages.values():
            cutoff = ids.watermark - self.horizon
            while ids.hours and ids.hours[0] + 3600 <= cutoff:
                self._seen.difference_update(ids.by_hour.pop(heapq.heappop(ids.hours)))
