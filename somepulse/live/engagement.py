"""Live per-minute engagement per page, platform and post: the worker's fast cache.

Not the record (that is ``engagement_1m`` in ClickHouse): it is rebuilt from ClickHouse
when a partition is assigned, because Faust changelog recovery is not reliable on the
embedded broker. It is fed ``Signal``s that ``LiveState`` already deduplicated. Minutes
are kept in a heap so that eviction touches only the minutes that leave, not the whole
cache (this runs for every batch).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from somepulse.domain.signals import COUNTERS, Signal, engagement, virality
from somepulse.store.base import parse_utc

PostKey = tuple[str, str, str]  # page_id, platform, post_id
MinuteKey = tuple[str, str, str, datetime]
# Minutes are kept as epoch minutes (int): hashing or comparing an aware datetime calls
# its tzinfo's utcoffset() every time, which was a fifth of the worker's CPU.
EpochMinute = int


class LiveEngagement:
    def __init__(self, horizon: timedelta = timedelta(hours=26)) -> None:
        self.horizon = horizon
        self._horizon_minutes = int(horizon.total_seconds() // 60)
        self._minutes: dict[EpochMinute, dict[PostKey, Counter[str]]] = {}
        self._order: list[EpochMinute] = []  # heap of the minutes held
        self._watermark: EpochMinute | None = None
        self.reach: dict[str, tuple[int, int]] = {}  # page -> (reported at, latest day reach)
        self.post_reach: dict[tuple[str, str], tuple[int, int]] = {}  # (page, post) -> same
        # (page, post, "shares" | "clicks") -> (reported at, the post's total so far)
        self.post_reported: dict[tuple[str, str, str], tuple[int, int]] = {}

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
            heapq.heappush(self._order, minute)
            if self._watermark is None or minute > self._watermark:
                self._watermark = minute
        return posts

    def add(self, signal: Signal) -> None:
        """Count a first-seen signal (or take a reach figure)."""
        if signal.reach is not None:
            value, at = signal.reach.value, signal.ts
            if signal.reach.measure != "reach":
                key3 = (signal.page_id, signal.post_id, signal.reach.measure)
                _keep_latest(self.post_reported, key3, at, value)
            elif signal.reach.scope == "page":
                _keep_latest(self.reach, signal.page_id, at, value)
            else:
                _keep_latest(self.post_reach, (signal.page_id, signal.post_id), at, value)
            return
        if not signal.counters:
            return
        posts = self._minute(signal.ts // 60)
        key = (signal.page_id, signal.platform, signal.post_id)
        counter = posts.get(key)
        if counter is None:
            counter = posts[key] = Counter()
        sign = signal.sign  # a removal takes back what its item counted
        for name in signal.counters:
            counter[name] += sign

    def evict(self) -> None:
        """Drop minutes older than the horizon (call once per batch)."""
        if self._watermark is None:
            return
        cutoff = self._watermark - self._horizon_minutes
        while self._order and self._order[0] < cutoff:
            del self._minutes[heapq.heappop(self._order)]

    def load(
        self,
        rows: Iterable[dict[str, Any]],
        reach: Iterable[dict[str, Any]] = (),
        post_reach: Iterable[dict[str, Any]] = (),
        post_reported: Iterable[dict[str, Any]] = (),
    ) -> None:
        """Rebuild from ClickHouse rows of ``v_engagement_1m``, the latest reach of
        each page's day and of each post, and posts' reported shares and clicks."""
        for item in post_reported:
            key3 = (item["page_id"], item["post_id"], item["measure"])
            self.post_reported[key3] = (_epoch(item["at"]), int(item["value"]))
        for item in reach:
            self.reach[item["page_id"]] = (_epoch(item["at"]), int(item["reach"]))
        for item in post_reach:
            key = (item["page_id"], item["post_id"])
            self.post_reach[key] = (_epoch(item["at"]), int(item["reach"]))
        for row in rows:
            posts = self._minute(_epoch(row["m"]) // 60)
            counter = posts.setdefault((row["page_id"], row["platform"], row["post_id"]), Counter())
            for name, column in COUNTERS:
                if row[column]:
                    counter[name] = int(row[column])

    def windows(self, sizes: tuple[int, ...] = (5, 60)) -> dict[str, dict[str, Any]]:
        """Rolling windows ending at the watermark, per page and platform: engagement,
        shares and questions."""
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
                    row[f"engagement_{minutes}m"] += engagement(counter)
                    row[f"shares_{minutes}m"] += counter["share"]
                    row[f"questions_{minutes}m"] += counter["question"]
        return out

    def top_posts(self, limit: int = 5) -> dict[str, list[dict[str, Any]]]:
        """Per page, the posts with the most engagement within the horizon, with their
        reach and virality (shares ÷ the post's reach). Shares and clicks are the
        post's reported totals where reported (the rule of ``v_top_posts``), exact for
        posts published within the horizon."""
        per_post: dict[PostKey, Counter[str]] = {}
        for posts in self._minutes.values():
            for key, counter in posts.items():
                per_post.setdefault(key, Counter()).update(counter)
        by_page: dict[str, list[dict[str, Any]]] = {}
        for (page, platform, post), c in per_post.items():
            if not post:
                continue
            counts = Counter(c)
            for measure, name in (("shares", "share"), ("clicks", "click")):
                reported = self.post_reported.get((page, post, measure))
                if reported is not None:
                    counts[name] = reported[1]
            reach = self.post_reach.get((page, post), (0, 0))[1]
            by_page.setdefault(page, []).append(
                {
                    "post_id": post,
                    "platform": platform,
                    "engagement": engagement(counts),
                    "shares": counts["share"],
                    "reach": reach,
                    "virality": virality(counts["share"], reach),
                }
            )
        return {
            page: sorted(rows, key=lambda r: (-r["engagement"], r["post_id"]))[:limit]
            for page, rows in by_page.items()
        }

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
            page: {str(k): n for k, n in c.items()} | {"engagement": engagement(c)}
            for page, c in totals.items()
        }


def _keep_latest(figures: dict[Any, tuple[int, int]], key: Any, at: int, value: int) -> None:
    """A reported figure: the latest snapshot wins (a later one revises, never adds)."""
    known = figures.get(key)
    if known is None or at >= known[0]:
        figures[key] = (at, value)


def _to_datetime(minute: EpochMinute) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)


def _epoch(text: str) -> int:
    return int(parse_utc(text).timestamp())
