"""The Bluesky collector against a fake PDS (XRPC over HTTP) and a fake Jetstream
(WebSocket) on loopback: own posts from the stream (a create, an edit, a delete after a
dropped connection, resumed from the cursor), what others did from notifications (read
again after the gap), followers from the profile, a refused app password."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from somepulse.collectors.bluesky.collector import BlueskyCollector, CredentialError, State
from somepulse.collectors.bluesky.translate import Account, post_uri
from somepulse.collectors.health import SourceHealth
from somepulse.schemas import EVENT_ADAPTER

pytestmark = pytest.mark.integration
DID, CITIZEN = "did:plc:navtest00000000000000000", "did:plc:kari000000000000000000000"
POST = post_uri(DID, "3kaa")
RUNS: list[BlueskyCollector] = []  # the last run's collector, for its counters
SAID: list[dict[str, Any]] = []  # the last run's source_status events


def commit(operation: str, time_us: int, did: str = DID, **record: Any) -> str:
    body: dict[str, Any] = {"rev": "x", "operation": operation,
                            "collection": "app.bsky.feed.post", "rkey": "3kaa"}  # fmt: skip
    if record:
        body |= {"record": {"$type": "app.bsky.feed.post"} | record, "cid": "bafy"}
    return json.dumps({"did": did, "time_us": time_us, "kind": "commit", "commit": body})


REPLY = {"uri": f"at://{CITIZEN}/app.bsky.feed.post/3kbb", "cid": "c1",
         "author": {"did": CITIZEN, "handle": "kari.bsky.social"}, "reason": "reply",
         "record": {"$type": "app.bsky.feed.post", "text": "Når kommer pengene?",
                    "createdAt": "2026-03-12T09:10:00.000Z",
                    "reply": {"root": {"uri": POST}, "parent": {"uri": POST}}},
         "indexedAt": "2026-03-12T09:10:01.000Z", "isRead": False}  # fmt: skip
LIKE = {"uri": f"at://{CITIZEN}/app.bsky.feed.like/3kcc", "cid": "c2",
        "author": {"did": CITIZEN}, "reason": "like", "reasonSubject": POST,
        "record": {"$type": "app.bsky.feed.like", "createdAt": "2026-03-12T09:11:00.000Z",
                   "subject": {"uri": POST}},
        "indexedAt": "2026-03-12T09:11:01.000Z", "isRead": False}  # fmt: skip
REPOST = {"uri": f"at://{CITIZEN}/app.bsky.feed.repost/3kdd", "cid": "c3",
          "author": {"did": CITIZEN}, "reason": "repost", "reasonSubject": POST,
          "record": {"$type": "app.bsky.feed.repost", "createdAt": "2026-03-12T09:30:00.000Z"},
          "indexedAt": "2026-03-12T09:30:01.000Z", "isRead": False}  # fmt: skip


class Fake:
    def __init__(self, did: str = DID, limited: int = 0) -> None:
        self.did = did
        self.limited = limited  # answer this many notification reads 429 first
        self.notes = [LIKE, REPLY]  # newest first
        self.connections: list[str] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/xrpc/com.atproto.server.createSession", self.session)
        app.router.add_get("/xrpc/app.bsky.notification.listNotifications", self.notifications)
        app.router.add_get("/xrpc/app.bsky.actor.getProfile", self.profile)
        app.router.add_get("/subscribe", self.jetstream)
        return app

    async def session(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body["password"] != "abcd-efgh-ijkl-mnop":
            return web.json_response({"error": "AuthenticationRequired"}, status=401)
        return web.json_response({"accessJwt": "jwt", "refreshJwt": "r", "did": DID})

    async def notifications(self, request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer jwt"
        if self.limited:
            self.limited -= 1
            return web.json_response({"error": "RateLimitExceeded"}, status=429,
                                     headers={"RateLimit-Reset": "0"})  # fmt: skip
        return web.json_response({"notifications": self.notes})

    async def profile(self, request: web.Request) -> web.Response:
        return web.json_response({"did": self.did, "followersCount": 321})

    async def jetstream(self, request: web.Request) -> web.WebSocketResponse:
        assert request.query["wantedDids"] == self.did
        self.connections.append(request.query.get("cursor", ""))
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        if len(self.connections) == 1:
            await ws.send_str(commit("create", 1773306000000000, self.did, text="Nye regler",
                                     createdAt="2026-03-12T09:00:00.000Z"))  # fmt: skip
            await ws.send_str(commit("update", 1773306300000000, self.did,
                                     text="Nye regler fra april",
                                     createdAt="2026-03-12T09:00:00.000Z"))  # fmt: skip
            self.notes = [REPOST, LIKE, REPLY]  # a repost while the connection is down
        else:
            await ws.send_str(commit("delete", 1773309600000000, self.did))
        await ws.close()
        return ws


def run(fake: Fake, state: Path, password: str = "abcd-efgh-ijkl-mnop") -> list[dict[str, Any]]:
    published: list[dict[str, Any]] = []
    RUNS.clear()
    SAID.clear()

    async def publish(events: list[dict[str, Any]]) -> None:
        published.extend(events)

    async def say(events: list[dict[str, Any]]) -> None:
        SAID.extend(events)

    async def no_wait(seconds: float) -> None:
        return None

    async def go() -> None:
        runner = web.AppRunner(fake.app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        collector = BlueskyCollector(
            f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", "nav.bsky.social", password,
            Account(DID, None), publish, State.load(state), poll_seconds=30, sleep=no_wait,
            health=SourceHealth("bluesky", "bluesky", "nav.bluesky", say),
        )  # fmt: skip
        RUNS.append(collector)
        try:
            await collector.run(max_reconnects=1)
        finally:
            await runner.cleanup()

    asyncio.run(go())
    return published


def test_posts_from_jetstream_and_what_others_did_from_notifications(tmp_path: Path) -> None:
    fake = Fake()
    events = run(fake, tmp_path / "bluesky.json")
    summary = [(e["event_id"], e["kind"], e.get("interaction_type") or e.get("verb"))
               for e in events if e["kind"] != "metric_snapshot"]  # fmt: skip
    assert summary == [
        (f"bsky:{REPLY['uri']}:add", "interaction", "comment"),  # oldest first
        (f"bsky:{LIKE['uri']}:add", "interaction", "reaction"),
        (f"bsky:{POST}:add", "post_published", "add"),  # Jetstream
        (f"bsky:{POST}:edit:1773306300000000", "post_published", "edit"),
        (f"bsky:{REPOST['uri']}:add", "interaction", "share"),  # the gap, caught up
        (f"bsky:{POST}:remove", "post_published", "remove"),  # resumed from the cursor
    ]
    assert fake.connections == ["", "1773306300000000"]
    reply = events[0]
    assert (reply["post_id"], reply["comment_id"], reply["text"]) == (
        POST, REPLY["uri"], "Når kommer pengene?")  # fmt: skip
    assert {e["value"] for e in events if e["kind"] == "metric_snapshot"} == {321}
    for event in events:
        EVENT_ADAPTER.validate_python(
            {"page_id": "from.account"} | event
            | {k: "p1_" + "0" * 32 for k in ("actor_id",) if k in event}
        )  # fmt: skip
    state = json.loads((tmp_path / "bluesky.json").read_text())
    assert state == {"cursor_us": 1773309600000000, "last_indexed_at": REPOST["indexedAt"]}
    # source health: up at start, down at each drop (with why), up again once caught up
    assert [e["state"] for e in SAID] == ["up", "down", "up", "down", "up"]
    assert SAID[1]["detail"] == "Jetstream dropped: Jetstream closed the connection"
    for event in SAID:
        EVENT_ADAPTER.validate_python(event)


def test_a_refused_app_password_is_said_plainly(tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match="refused the app password"):
        run(Fake(), tmp_path / "state.json", password="wrong")
    # the worker hears it: the source is broken, and why (no password in it)
    assert [(e["page_id"], e["collector"], e["state"]) for e in SAID] == [
        ("nav.bluesky", "bluesky", "broken")
    ]
    assert "make a new one" in SAID[0]["detail"] and "wrong" not in SAID[0]["detail"]


def test_rate_limiting_waits_for_the_window_and_loses_nothing(tmp_path: Path) -> None:
    events = run(Fake(limited=2), tmp_path / "state.json")
    assert RUNS[0].rate_limited == 2
    assert [e["state"] for e in SAID][:2] == ["limited", "up"]  # said once, not per retry
    assert f"bsky:{LIKE['uri']}:add" in {e["event_id"] for e in events}
