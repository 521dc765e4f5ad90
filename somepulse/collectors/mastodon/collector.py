"""``somepulse collect mastodon``: the account's streaming user stream, with a REST
back-fill after every gap, and a state file so a restart resumes where it stopped.

* **Back-fill** (at start and after every disconnect): notifications and the account's
  own statuses newer than the last ids seen (``since_id``, paged by ``max_id``), and the
  account's ``followers_count`` as a metric snapshot.
* **Stream**: ``GET /api/v1/streaming?stream=user`` over WebSocket (the token in the
  ``Authorization`` header, never in a URL that could be logged); ``update``,
  ``notification``, ``delete`` and ``status.update`` become events as they come.
  A dropped connection is retried with exponential backoff (1 s to 60 s) after a
  back-fill of what the gap missed; the same object has the same event id either way.
* **State** (``last_notification_id``, ``last_status_id``, the recent statuses for
  deletes) is written atomically (a temporary file renamed over the old one) after every
  publish, so a crash loses nothing the broker did not acknowledge and repeats nothing
  it did (and a repeat would be the same event ids).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientTimeout, WSMsgType

from somepulse.collectors.health import SourceHealth
from somepulse.collectors.mastodon.translate import (
    Account,
    Event,
    Seen,
    from_notification,
    from_status,
    removal,
)
from somepulse.collectors.streaming import collect_streaming, write_json_atomically

log = logging.getLogger(__name__)
Publish = Callable[[list[Event]], Awaitable[Any]]


class CredentialError(ValueError):
    """The instance refused the token (401/403): a person must act."""


@dataclass
class State:
    path: Path
    last_notification_id: str | None = None
    last_status_id: str | None = None
    seen: Seen = field(default_factory=Seen)

    @classmethod
    def load(cls, path: Path) -> State:
        state = cls(path)
        if path.exists():
            doc = json.loads(path.read_text())
            state.last_notification_id = doc.get("last_notification_id")
            state.last_status_id = doc.get("last_status_id")
            for sid, item in (doc.get("seen") or {}).items():
                state.seen.items[sid] = item
        return state

    def save(self) -> None:
        write_json_atomically(self.path, {
            "last_notification_id": self.last_notification_id,
            "last_status_id": self.last_status_id,
            "seen": self.seen.as_dict(),
        })  # fmt: skip

    def note_status(self, sid: str) -> None:
        if self.last_status_id is None or int(sid) > int(self.last_status_id):
            self.last_status_id = sid

    def note_notification(self, nid: str) -> None:
        if self.last_notification_id is None or int(nid) > int(self.last_notification_id):
            self.last_notification_id = nid


@dataclass
class MastodonCollector:
    base_url: str  # https://instance
    token: str
    account: Account
    publish: Publish
    state: State
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    health: SourceHealth = field(default_factory=SourceHealth.unheard)
    published: int = 0
    reconnects: int = 0
    rate_limited: int = 0
    _session: ClientSession | None = None

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def run(self, once: bool = False, max_reconnects: int | None = None) -> None:
        async with ClientSession(timeout=ClientTimeout(total=None, sock_connect=30)) as session:
            self._session = session
            await collect_streaming(
                self.backfill, self.stream, self.backfill, self.sleep, CredentialError, once,
                max_reconnects, self._reconnected, "Mastodon stream", self.health,
            )  # fmt: skip

    def _reconnected(self) -> int:
        self.reconnects += 1
        return self.reconnects

    async def backfill(self) -> None:
        events: list[Event] = []
        params = {"limit": "40"}
        if self.state.last_notification_id:
            params["since_id"] = self.state.last_notification_id
        notes = await self._all("/api/v1/notifications", params)
        for note in sorted(notes, key=lambda n: int(n["id"])):
            event = from_notification(note, self.account, self.state.seen)
            if event is not None:
                events.append(event)
            self.state.note_notification(str(note["id"]))
        params = {"limit": "40"}
        if self.state.last_status_id:
            params["since_id"] = self.state.last_status_id
        statuses = await self._all(f"/api/v1/accounts/{self.account.account_id}/statuses", params)
        for status in sorted(statuses, key=lambda s: int(s["id"])):
            event = from_status(status, self.account, self.state.seen)
            if event is not None:
                events.append(event)
            self.state.note_status(str(status["id"]))
        profile = await self._get(f"/api/v1/accounts/{self.account.account_id}", {})
        if isinstance(profile.get("followers_count"), int):
            events.append(self._followers(profile["followers_count"]))
        await self._publish(events)

    async def stream(self) -> None:
        assert self._session is not None
        url = f"{self.base_url.rstrip('/')}/api/v1/streaming?stream=user"
        async with self._session.ws_connect(url, headers=self._headers, heartbeat=30) as ws:
            while True:
                try:
                    message = await ws.receive(timeout=60)
                except TimeoutError:
                    await self._publish([])  # quiet: the heartbeat still says "up"
                    continue
                if message.type != WSMsgType.TEXT:
                    break
                await self._handle(json.loads(message.data))
        raise ConnectionError("the stream closed")

    async def _handle(self, message: dict[str, Any]) -> None:
        kind, payload = message.get("event"), message.get("payload")
        event: Event | None = None
        now = datetime.now(UTC).isoformat()
        if kind == "delete" and isinstance(payload, str):
            event = removal(payload, now, self.account, self.state.seen)
        elif isinstance(payload, str):
            doc = json.loads(payload)
            if kind == "update":
                event = from_status(doc, self.account, self.state.seen)
                self.state.note_status(str(doc["id"])) if _own(doc, self.account) else None
            elif kind == "status.update":
                event = from_status(doc, self.account, self.state.seen, verb="edit")
            elif kind == "notification":
                event = from_notification(doc, self.account, self.state.seen)
                self.state.note_notification(str(doc["id"]))
        await self._publish([event] if event is not None else [])

    async def _publish(self, events: list[Event]) -> None:
        if events:
            await self.publish(events)
            self.published += len(events)
        await self.health.up()  # at most every 5 minutes, at once after a failure
        self.state.save()  # after the broker took them: a crash before repeats, never loses

    def _followers(self, count: int) -> Event:
        now = datetime.now(UTC)
        return self.account.base() | {
            "kind": "metric_snapshot",
            "event_id": f"mast:followers:{self.account.account_id}:{now.date()}",
            "occurred_at": now.isoformat(), "scope": "page", "metric": "followers_count",
            "period": "total", "day": now.date().isoformat(), "value": count,
            "source": "poll", "fetched_at": now.isoformat(),
        }  # fmt: skip

    async def _get(self, path: str, params: dict[str, str]) -> Any:
        assert self._session is not None
        url = f"{self.base_url.rstrip('/')}{path}"
        for _ in range(6):
            async with self._session.get(url, params=params, headers=self._headers) as response:
                if response.status in (401, 403):
                    raise CredentialError(
                        f"the Mastodon instance refused the access token (HTTP "
                        f"{response.status}): renew it and put it in "
                        "SOMEPULSE_MASTODON_TOKEN_FILE"
                    )
                if response.status == 429:  # rate limited: wait until the window resets
                    self.rate_limited += 1
                    await self.health.limited(f"{response.url.path}: HTTP 429, waiting")
                    await self.sleep(_reset_in(response.headers.get("X-RateLimit-Reset")))
                    continue
                response.raise_for_status()
                return await response.json()
        raise ConnectionError(f"{path}: still rate limited after six waits")

    async def _all(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """Every item newer than ``since_id``, newest pages first (``max_id`` paging)."""
        out: list[dict[str, Any]] = []
        query = dict(params)
        while True:
            page = await self._get(path, query)
            if not isinstance(page, list) or not page:
                return out
            out.extend(item for item in page if isinstance(item, dict))
            oldest = min(int(item["id"]) for item in page)
            query = dict(params) | {"max_id": str(oldest)}
            if len(page) < int(params.get("limit", "40")):
                return out


def _own(status: dict[str, Any], account: Account) -> bool:
    return str((status.get("account") or {}).get("id", "")) == account.account_id


def _reset_in(reset: str | None, now: datetime | None = None) -> float:
    """Seconds until Mastodon's rate-limit window resets (``X-RateLimit-Reset``, ISO
    8601); a minute when the header is missing or odd, never more than five."""
    if not reset:
        return 60.0
    try:
        at = datetime.fromisoformat(reset.replace("Z", "+00:00"))
    except ValueError:
        return 60.0
    seconds = (at - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 1.0), 300.0)
