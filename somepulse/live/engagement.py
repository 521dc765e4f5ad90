"""Live per-minute engagement per page, platform and post: the worker's fast cache.

Not the record (that is ``engagement_1m`` in ClickHouse): it is rebuilt from ClickHouse
when a worker starts, because Faust changelog recovery is not reliable on the embedded
broker. Replays after a crash are recognised by event id within the horizon, so the
cache does not double count them. Minutes are kept in a heap so that eviction touches
only the minutes that leave, not the whole cache (this runs for every batch).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from somepulse.schemas.events import Event
from somepulse.schemas.interactions import Interaction
from somepulse.schemas.messages import Direction, PrivateMessage
from somepulse.schemas.snapshots import InsightsScope, InsightsSnapshot

PostKey = tuple[str, str, str]  # page_id, platform, post_id
MinuteKey = tuple[str, str, str, datetime]
# Minutes are kept as epoch minutes (int): hashing or comparing an aware datetime calls
# its tzinfo's utcoffset() every time, which was a fifth of the worker's CPU.
EpochMinute = int
ENGAGEMENT_TYPES = ("reaction", "comment", "share", "click")
COLUMNS = (
    ("reaction", "reactions"),
    ("comment", "comments"),
    ("reply", "replies"),
    ("share", "shares"),
    ("click", "clicks"),
    ("view", "views"),
    ("question", "questions"),
)
_IN = Direction.IN
_PAGE = InsightsScope.PAGE


def engagement_deltas(event: Event) -> tuple[PostKey, tuple[str, ...]] | None:
    """The counters one event moves (pure), or None if it is not engagement."""
    if type(event) is Interaction:
        # StrEnum members are str already: no .value lookups on the hot path
        names: tuple[str, ...] = (
            (event.interaction_type, "question") if event.is_question else (event.interaction_type,)
        )
        return (event.page_id, event.platform, event.post_id), names
    if type(event) is PrivateMessage and event.direction is _IN and event.is_question:
        return (event.page_id, event.platform, event.post_id or ""), ("question",)
    return None


class LiveEngagement:
    def __init__(self, horizon: timedelta = timedelta(hours=26)) -> None:
        self.horizon = horizon
        self._horizon_minutes = int(horizon.total_seconds() // 60)
        self._minutes: dict[EpochMinute, dict[PostKey, Counter[str]]] = {}
        self._order: list[EpochMinute] = []  # heap of the minutes held
        self._ids: dict[EpochMinute, list[str]] = {}
        self._seen: set[str] = set()
        self._watermark: EpochMinute | None = None
        self.reach: dict[str, tuple[datetime, int]] = {}  # page -> latest daily reach

    def _reach_snapshot(self, event: InsightsSnapshot) -> None:
        known = self.reach.get(event.page_id)
        if known is None or event.occurred_at >= known[0]:
            self.reach[event.page_id] = (event.occurred_at, event.reach)

    @property
    def watermark(self) -> datetime | None:
        """The latest minute counted (event time, UTC)."""
        return None if self._watermark is None else _to_datetime(self._watermark)

    @property
    def minutes(self) -> dict[MinuteKey, Counter[str]]:
        return {
            (*key, _to_datetime(minute)): c
            for minute, posts in self._minutes.items()
            for key, c in posts.items()
        }

    def _minute(self, minute: EpochMinute) -> dict[PostKey, Counter[str]]:
        posts = self._minutes.get(minute)
        if posts is None:
            posts = self._minutes[minute] = {}
            self._ids[minute] = []
            heapq.heappush(self._order, minute)
            if self._watermark is None or minute > self._watermark:
                self._watermark = minute
        return posts

    def add(self, events: Iterable[Event], fresh: list[tuple[Event, int]] | None = None) -> int:
        """Count events not seen before; return how many were counted. ``fresh``, if
        given, receives them (the surge detector counts the same, replay-free)."""
        counted = 0
        seen = self._seen
        for event in events:
            deltas = engagement_deltas(event)
            if deltas is None:
                if type(event) is InsightsSnapshot and event.scope is _PAGE:
                    self._reach_snapshot(event)
                continue
            if event.event_id in seen:
                continue
            ts = int(event.occurred_at.timestamp())  # utcoffset() is slow: once per event
            minute = ts // 60
            posts = self._minute(minute)
            key, names = deltas
            counter = posts.get(key)
            if counter is None:
                counter = posts[key] = Counter()
            for name in names:
                counter[name] += 1
            seen.add(event.event_id)
            self._ids[minute].append(event.event_id)
            counted += 1
            if fresh is not None:
                fresh.append((event, ts))
        return counted

    def evict(self) -> None:
        """Drop minutes older than the horizon (call once per batch)."""
        if self._watermark is None:
            return
        cutoff = self._watermark - self._horizon_minutes
        while self._order and self._order[0] < cutoff:
            minute = heapq.heappop(self._order)
            del self._minutes[minute]
            self._seen.difference_update(self._ids.pop(minute))

    def load(
        self,
        rows: Iterable[dict[str, Any]],
        seen_ids: Iterable[dict[str, Any]],
        reach: Iterable[dict[str, Any]] = (),
    ) -> None:
        """Rebuild from ClickHouse rows of ``v_engagement_1m``, the stored ids and each
        page's latest daily reach."""
        for item in reach:
            at = datetime.fromisoformat(item["at"] + "+00:00")
            self.reach[item["page_id"]] = (at, int(item["reach"]))
        for row in rows:
            posts = self._minute(_from_text(row["m"]))
            counter = posts.setdefault((row["page_id"], row["platform"], row["post_id"]), Counter())
            for name, column in COLUMNS:
                if row[column]:
                    counter[name] = int(row[column])
        for item in seen_ids:
            minute = _from_text(item["m"])
            self._minute(minute)
            self._seen.add(item["event_id"])
            self._ids[minute].append(item["event_id"])

    def windows(self, sizes: tuple[int, ...] = (5, 60)) -> dict[str, dict[str, Any]]:
        """Rolling windows ending at the watermark, per page and platform: engagement,
        shares, questions and virality (shares / the page's latest daily reach)."""
        out: dict[str, dict[str, Any]] = {}
        if self._watermark is None:
            return out
        for minutes in sizes:
            first = self._watermark - minutes + 1
            for minute, posts in self._minutes.items():
                if minute < first:
                    continue
                for (page, platform, _post), counter in posts.items():
                    row = out.setdefault(
                        f"{page}/{platform}", {"page_id": page, "platform": platform}
                    )
                    for name in ("engagement", "shares", "questions"):
                        row.setdefault(f"{name}_{minutes}m", 0)
                    row[f"engagement_{minutes}m"] += sum(counter[t] for t in ENGAGEMENT_TYPES)
                    row[f"shares_{minutes}m"] += counter["share"]
                    row[f"questions_{minutes}m"] += counter["question"]
        for row in out.values():
            reach = self.reach.get(row["page_id"], (None, 0))[1]
            for minutes in sizes:
                shares = row.get(f"shares_{minutes}m", 0)
                row[f"virality_{minutes}m"] = round(shares / reach, 6) if reach else None
        return out

    def page_totals(self, since: datetime | None = None) -> dict[str, dict[str, int]]:
        """Per page: reactions, comments, shares, clicks, questions and engagement."""
        totals: dict[str, Counter[str]] = {}
        first = None if since is None else int(since.timestamp()) // 60
        for minute, posts in self._minutes.items():
            if first is not None and minute < first:
                continue
            for (page, _platform, _post), counter in posts.items():
                totals.setdefault(page, Counter()).update(counter)
        return {
            page: {str(k): n for k, n in c.items()}
            | {"engagement": sum(c[t] for t in ENGAGEMENT_TYPES)}
            for page, c in totals.items()
        }


def _to_datetime(minute: EpochMinute) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)


def _from_text(text: str) -> EpochMinute:
    """'YYYY-MM-DD HH:MM:SS' in UTC (ClickHouse's toString) -> epoch minute."""
    return int(datetime.fromisoformat(text + "+00:00").timestamp()) // 60
