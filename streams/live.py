"""Live per-minute engagement per page, platform and post: the worker's fast cache.

Not the record (that is ``engagement_1m`` in ClickHouse): it is rebuilt from ClickHouse
when a worker starts, because Faust changelog recovery is not reliable on the embedded
broker. Replays after a crash are recognised by event id within the horizon, so the
cache does not double count them.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from schemas.events import Event
from schemas.interactions import Interaction
from schemas.messages import Direction, PrivateMessage

MinuteKey = tuple[str, str, str, datetime]  # page_id, platform, post_id, minute
ENGAGEMENT_TYPES = ("reaction", "comment", "share", "click")


def minute_of(ts: datetime) -> datetime:
    return ts.replace(second=0, microsecond=0)


def engagement_deltas(events: Iterable[Event]) -> list[tuple[str, MinuteKey, str]]:
    """(event_id, key, counter name) for each event that counts; pure."""
    out = []
    for ev in events:
        if isinstance(ev, Interaction):
            key = (ev.page_id, ev.platform.value, ev.post_id, minute_of(ev.occurred_at))
            out.append((ev.event_id, key, ev.interaction_type.value))
            if ev.is_question:
                out.append((ev.event_id, key, "question"))
        elif isinstance(ev, PrivateMessage) and ev.direction is Direction.IN and ev.is_question:
            key = (ev.page_id, ev.platform.value, ev.post_id or "", minute_of(ev.occurred_at))
            out.append((ev.event_id, key, "question"))
    return out


class LiveEngagement:
    def __init__(self, horizon: timedelta = timedelta(hours=26), max_ids: int = 2_000_000):
        self.horizon = horizon
        self.max_ids = max_ids
        self.minutes: dict[MinuteKey, Counter[str]] = {}
        self._seen: OrderedDict[str, datetime] = OrderedDict()
        self.watermark: datetime | None = None

    def add(self, events: Iterable[Event]) -> int:
        """Count new events; return how many deltas were applied."""
        applied = 0
        for event_id, key, name in engagement_deltas(events):
            seen_key = f"{event_id}/{name}"
            if seen_key in self._seen:
                continue
            self._seen[seen_key] = key[3]
            self.minutes.setdefault(key, Counter())[name] += 1
            applied += 1
            if self.watermark is None or key[3] > self.watermark:
                self.watermark = key[3]
        self._evict()
        return applied

    def _evict(self) -> None:
        if self.watermark is None:
            return
        cutoff = self.watermark - self.horizon
        for key in [k for k in self.minutes if k[3] < cutoff]:
            del self.minutes[key]
        while self._seen and (
            len(self._seen) > self.max_ids or next(iter(self._seen.values())) < cutoff
        ):
            self._seen.popitem(last=False)

    def load(self, rows: Iterable[dict[str, Any]], seen_ids: Iterable[dict[str, Any]]) -> None:
        """Rebuild from ClickHouse rows of ``v_engagement_1m`` and the stored ids."""
        for row in rows:
            minute = datetime.fromisoformat(row["m"] + "+00:00")
            key = (row["page_id"], row["platform"], row["post_id"], minute)
            counter = self.minutes.setdefault(key, Counter())
            for name, column in (("reaction", "reactions"), ("comment", "comments"),
                                 ("reply", "replies"), ("share", "shares"),
                                 ("click", "clicks"), ("view", "views"),
                                 ("question", "questions")):
                if row[column]:
                    counter[name] = int(row[column])
            if self.watermark is None or minute > self.watermark:
                self.watermark = minute
        for item in seen_ids:
            minute = datetime.fromisoformat(item["m"] + "+00:00")
            self._seen[f"{item['event_id']}/{item['name']}"] = minute

    def page_totals(self, since: datetime | None = None) -> dict[str, dict[str, int]]:
        """Per page: reactions, comments, shares, clicks, questions and engagement."""
        totals: dict[str, Counter[str]] = {}
        for (page, _platform, _post, minute), counter in self.minutes.items():
            if since is not None and minute < since:
                continue
            totals.setdefault(page, Counter()).update(counter)
        return {
            page: dict(c) | {"engagement": sum(c[t] for t in ENGAGEMENT_TYPES)}
            for page, c in totals.items()
        }
