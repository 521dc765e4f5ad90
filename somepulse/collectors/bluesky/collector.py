"""``somepulse collect bluesky``: Jetstream for the account's own posts, notifications for
what others do, the profile for followers; a state file to resume.

* **Own posts**: Jetstream's WebSocket (``/subscribe?wantedDids=<did>&
  wantedCollections=app.bsky.feed.post``, no authentication), resumed from the last
  ``time_us`` cursor after a drop or a restart, reconnecting after 1 s doubling to 60 s.
* **What others do**: ``app.bsky.notification.listNotifications`` with a session made
  from an app password (``com.atproto.server.createSession``), read at start, after
  every drop, and whenever the stream is quiet for ``poll_seconds`` — newest first,
  until the last one already seen (``indexedAt``).
* **Followers**: ``app.bsky.actor.getProfile`` → ``followersCount`` as a metric snapshot.
* **State** (Jetstream cursor, last notification time) is replaced atomically after the
  broker acknowledged the events.
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

from somepulse.collectors.bluesky.translate import (
    POSTS,
    Account,
    Event,
    from_commit,
    from_notification,
)
from somepulse.collectors.health import SourceHealth
from somepulse.collectors.streaming import collect_streaming, write_json_atomically

log = logging.getLogger(__name__)
Publish = Callable[[list[Event]], Awaitable[Any]]


class CredentialError(ValueError):
    """The app password was refused: a person must act."""


@dataclass
class State:
    path: Path
    cursor_us: int | None = None
    last_indexed_at: str | None = None

    @classmethod
    def load(cls, path: Path) -> State:
        if not path.exists():
            return cls(path)
        doc = json.loads(path.read_text())
        return cls(path, doc.get("cursor_us"), doc.get("last_indexed_at"))

    def save(self) -> None:
        write_json_atomically(
            self.path, {"cursor_us": self.cursor_us, "last_indexed_at": self.last_indexed_at}
        )


@dataclass
class BlueskyCollector:
    service: str  # the account's PDS or https://bsky.social: sessions and notifications
    jetstream: str  # e.g. wss://jetstream2.us-east.bsky.network
    identifier: str  # the handle or DID
    app_password: str
    account: Account
    publish: Publish
    state: State
    poll_seconds: float = 60.0
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    health: SourceHealth = field(default_factory=SourceHealth.unheard)
    published: int = 0
    reconnects: int = 0
    rate_limited: int = 0
    _session: ClientSession | None = None
    _jwt: str | None = None

    async def run(self, once: bool = False, max_reconnects: int | None = None) -> None:
        async with ClientSession(timeout=ClientTimeout(total=None, sock_connect=30)) as session:
            self._session = session
            await collect_streaming(
                self._start, self.stream, self.backfill, self.sleep, CredentialError, once,
                max_reconnects, self._reconnected, "Jetstream", self.health,
            )  # fmt: skip

    async def _start(self) -> None:
        await self.login()
        await self.backfill()

    def _reconnected(self) -> int:
        self.reconnects += 1
        return self.reconnects

    async def login(self) -> None:
        assert self._session is not None
        url = f"{self.service.rstrip('/')}/xrpc/com.atproto.server.createSession"
        body = {"identifier": self.identifier, "password": self.app_password}
        async with self._session.post(url, json=body) as response:
            if response.status in (400, 401):
                raise CredentialError(
                    f"Bluesky refused the app password for {self.identifier} "
                    f"(HTTP {response.status}): make a new one and put it in "
                    "SOMEPULSE_BLUESKY_APP_PASSWORD_FILE"
                )
            response.raise_for_status()
            self._jwt = str((await response.json())["accessJwt"])

    async def backfill(self) -> None:
        """Notifications newer than the last seen, oldest first; the followers count."""
        fresh: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params = {"limit": "50"} | ({"cursor": cursor} if cursor else {})
            page = await self._get("app.bsky.notification.listNotifications", params)
            notes = page.get("notifications") or []
            newer = [n for n in notes if not self._seen(n)]
            fresh.extend(newer)
            cursor = page.get("cursor")
            if not cursor or len(newer) < len(notes) or not notes:
                break
        events = [e for n in reversed(fresh) if (e := from_notification(n, self.account))]
        if fresh:
            self.state.last_indexed_at = max(str(n["indexedAt"]) for n in fresh)
        profile = await self._get("app.bsky.actor.getProfile", {"actor": self.account.did})
        if isinstance(profile.get("followersCount"), int):
            events.append(self._followers(profile["followersCount"]))
        await self._publish(events)

    async def stream(self) -> None:
        assert self._session is not None
        url = (f"{self.jetstream.rstrip('/')}/subscribe?wantedDids={self.account.did}"
               f"&wantedCollections={POSTS}")  # fmt: skip
        if self.state.cursor_us is not None:
            url += f"&cursor={self.state.cursor_us}"
        async with self._session.ws_connect(url, heartbeat=30) as ws:
            while True:
                try:
                    message = await ws.receive(timeout=self.poll_seconds)
                except TimeoutError:
                    await self.backfill()  # quiet: what did others do meanwhile?
                    continue
                if message.type != WSMsgType.TEXT:
                    break
                doc = json.loads(message.data)
                event = from_commit(doc, self.account)
                if isinstance(doc.get("time_us"), int):
                    self.state.cursor_us = doc["time_us"]
                await self._publish([event] if event is not None else [])
        raise ConnectionError("Jetstream closed the connection")

    def _seen(self, note: dict[str, Any]) -> bool:
        last = self.state.last_indexed_at
        return last is not None and str(note.get("indexedAt")) <= last

    async def _publish(self, events: list[Event]) -> None:
        if events:
            await self.publish(events)
            self.published += len(events)
        await self.health.up()  # at most every 5 minutes, at once after a failure
        self.state.save()

    def _followers(self, count: int) -> Event:
        now = datetime.now(UTC)
        return self.account.base() | {
            "kind": "metric_snapshot",
            "event_id": f"bsky:followers:{self.account.did}:{now.date()}",
            "occurred_at": now.isoformat(), "scope": "page", "metric": "followersCount",
            "period": "total", "day": now.date().isoformat(), "value": count,
            "source": "poll", "fetched_at": now.isoformat(),
        }  # fmt: skip

    async def _get(self, method: str, params: dict[str, str]) -> dict[str, Any]:
        assert self._session is not None
        url = f"{self.service.rstrip('/')}/xrpc/{method}"
        relogged = False
        for _ in range(8):
            headers = {"Authorization": f"Bearer {self._jwt}"}
            async with self._session.get(url, params=params, headers=headers) as response:
                if response.status == 401 and not relogged:
                    relogged = True
                    await self.login()  # the access token lives minutes: a new session
                    continue
                if response.status == 429:  # rate limited: wait for RateLimit-Reset
                    self.rate_limited += 1
                    await self.health.limited(f"{response.url.path}: HTTP 429, waiting")
                    await self.sleep(_reset_in(response.headers.get("RateLimit-Reset")))
                    continue
                response.raise_for_status()
                doc = await response.json()
                return doc if isinstance(doc, dict) else {}
        raise ConnectionError(f"{method}: refused or rate limited again and again")


def _reset_in(reset: str | None) -> float:
    """Seconds until the rate-limit window resets (``RateLimit-Reset``: epoch seconds);
    a minute when missing, never more than five."""
    try:
        seconds = float(reset or "") - datetime.now(UTC).timestamp()
    except ValueError:
        return 60.0
    return min(max(seconds, 1.0), 300.0)
