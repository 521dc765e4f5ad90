"""A collector telling the worker whether it can read a page's source
(``source_status`` events; the states in ``schemas.health``): ``up`` when it reads —
at once after any other state, then at most every ``every`` seconds as a heartbeat —
and ``limited``, ``down`` or ``broken`` with what failed, once per change (a failing
source would otherwise repeat itself every retry). Never raises: a broker that is away
is the publisher's to report, and health must not stop the collector."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 300
TICK = timedelta(milliseconds=1)  # the store keeps occurred_at to the millisecond


@dataclass
class SourceHealth:
    collector: str
    platform: str
    page_id: str | None  # None: an account no page owns (its events are dead-lettered)
    publish: Callable[[list[dict[str, Any]]], Awaitable[Any]]
    next_within: int | None = HEARTBEAT_SECONDS  # None: a single run, no promise
    every: float = HEARTBEAT_SECONDS
    clock: Callable[[], float] = time.monotonic
    wall: Callable[[], datetime] = lambda: datetime.now(UTC)
    said: list[str] = field(default_factory=list)  # states published, for reports
    _state: str | None = None
    _at: float = 0.0
    _last: datetime | None = None  # when the last statement said it was

    @classmethod
    def unheard(cls) -> SourceHealth:
        """Says nothing (tests and tools that run a collector without a broker)."""

        async def nowhere(events: list[dict[str, Any]]) -> None:
            return None

        return cls("none", "none", None, nowhere)

    async def up(self) -> None:
        if self._state == "up" and self.clock() - self._at < self.every:
            return
        await self._say("up", None)

    async def limited(self, why: str) -> None:
        await self._change("limited", why)

    async def down(self, why: str) -> None:
        await self._change("down", why)

    async def broken(self, why: str) -> None:
        await self._change("broken", why)

    async def _change(self, state: str, why: str) -> None:
        if self._state != state:
            await self._say(state, why)

    async def _say(self, state: str, detail: str | None) -> None:
        if self.page_id is None:
            return
        now = self._stamp()
        event: dict[str, Any] = {
            "kind": "source_status",
            "event_id": f"status:{self.collector}:{self.page_id}:{now.timestamp():.6f}",
            "platform": self.platform, "page_id": self.page_id,
            "occurred_at": now.isoformat(), "collector": self.collector, "state": state,
        }  # fmt: skip
        if detail:
            event["detail"] = " ".join(detail.split())[:500]  # one line, no control chars
        if self.next_within is not None:
            event["next_within"] = self.next_within
        try:
            await self.publish([event])
        except Exception as exc:  # health must never stop the collector
            log.warning("%s could not say it is %s: %s", self.collector, state, exc)
            return
        self._state, self._at, self._last = state, self.clock(), now
        self.said.append(state)

    def _stamp(self) -> datetime:
        """The statement's time, to the millisecond and always after the last one's:
        the latest state is read as the last by occurred_at (v_source_status), and a
        "down" and the "up" of an immediate reconnect can fall in the same millisecond."""
        now = self.wall()
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if self._last is not None and now <= self._last:
            now = self._last + TICK
        return now
