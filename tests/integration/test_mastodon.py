"""The Mastodon collector against a fake instance on loopback (REST and the streaming
API over WebSocket): back-fill, the stream, a dropped connection with what happened in
the gap back-filled, an edit, a delete, the state file on restart, an expired token."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from somepulse.collectors.health import SourceHealth
from somepulse.collectors.mastodon.collector import CredentialError, MastodonCollector, State
from somepulse.collectors.mastodon.translate import Account
from somepulse.schemas import EVENT_ADAPTER

pytestmark = pytest.mark.integration
SAID: list[dict[str, Any]] = []  # the last run's source_status events
ORG, CITIZEN, OTHER = "109000000000000001", "109000000000000555", "109000000000000777"


def status(sid: int, who: str, html: str, at: str, **extra: Any) -> dict[str, Any]:
    return {"id": str(sid), "created_at": at, "account": {"id": who, "acct": "x"},
            "content": html, "in_reply_to_id": None, "in_reply_to_account_id": None,
            "reblog": None, "media_attachments": [], "edited_at": None} | extra  # fmt: skip


OWN = status(100, ORG, "<p>Nye regler for foreldrepenger</p>", "2026-03-12T09:00:00.000Z")
REPLY = status(101, CITIZEN, "<p>@nav Når kommer pengene?</p>", "2026-03-12T09:10:00.000Z",
               in_reply_to_id="100", in_reply_to_account_id=ORG)  # fmt: skip
EDITED = REPLY | {"content": "<p>@nav Når kommer pengene for mars?</p>",
                  "edited_at": "2026-03-12T09:12:00.000Z"}  # fmt: skip
NOTES = [
    {"id": "10", "type": "favourite", "created_at": "2026-03-12T09:05:00.000Z",
     "account": {"id": OTHER}, "status": OWN},
    {"id": "11", "type": "mention", "created_at": "2026-03-12T09:10:00.000Z",
     "account": {"id": CITIZEN}, "status": REPLY},
    {"id": "12", "type": "reblog", "created_at": "2026-03-12T09:20:00.000Z",
     "account": {"id": OTHER}, "status": OWN},
]  # fmt: skip


class FakeInstance:
    def __init__(self, limited: int = 0) -> None:
        self.connections = 0
        self.visible_notes = 1  # what the REST API knows so far
        self.limited = limited  # answer this many requests 429 first

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v1/notifications", self.notifications)
        app.router.add_get(f"/api/v1/accounts/{ORG}/statuses", self.statuses)
        app.router.add_get(f"/api/v1/accounts/{ORG}", self.profile)
        app.router.add_get("/api/v1/streaming", self.streaming)
        return app

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == "Bearer good-token"

    async def notifications(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": "The access token is invalid"}, status=401)
        if self.limited:
            self.limited -= 1
            reset = "2000-01-01T00:00:00.000Z"  # already past: wait the minimum
            return web.json_response({"error": "Too many requests"}, status=429,
                                     headers={"X-RateLimit-Reset": reset})  # fmt: skip
        since = int(request.query.get("since_id", "0"))
        newer = [n for n in NOTES[: self.visible_notes] if int(n["id"]) > since]
        return web.json_response(sorted(newer, key=lambda n: -int(n["id"])))

    async def statuses(self, request: web.Request) -> web.Response:
        since = int(request.query.get("since_id", "0"))
        return web.json_response([OWN] if since < 100 else [])

    async def profile(self, request: web.Request) -> web.Response:
        return web.json_response({"id": ORG, "followers_count": 1234})

    async def streaming(self, request: web.Request) -> web.WebSocketResponse:
        assert self._authorised(request) and request.query["stream"] == "user"
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connections += 1
        if self.connections == 1:
            self.visible_notes = 2
            await ws.send_str(json.dumps({"stream": ["user"], "event": "notification",
                                          "payload": json.dumps(NOTES[1])}))  # fmt: skip
            await ws.send_str(json.dumps({"stream": ["user"], "event": "status.update",
                                          "payload": json.dumps(EDITED)}))  # fmt: skip
            self.visible_notes = 3  # a boost while the connection is down
        else:
            await ws.send_str(json.dumps({"stream": ["user"], "event": "delete",
                                          "payload": "101"}))  # fmt: skip
        await ws.close()  # the connection drops
        return ws


def run(fake: FakeInstance, state_file: Path, token: str = "good-token",
        once: bool = False) -> tuple[list[dict[str, Any]], MastodonCollector]:  # fmt: skip
    published: list[dict[str, Any]] = []
    slept: list[float] = []
    SAID.clear()

    async def publish(events: list[dict[str, Any]]) -> None:
        published.extend(events)

    async def say(events: list[dict[str, Any]]) -> None:
        SAID.extend(events)

    async def no_wait(seconds: float) -> None:
        slept.append(seconds)

    async def go() -> MastodonCollector:
        runner = web.AppRunner(fake.app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        collector = MastodonCollector(
            f"http://127.0.0.1:{port}", token, Account(ORG, "nav.mastodon"), publish,
            State.load(state_file), sleep=no_wait,
            health=SourceHealth("mastodon", "mastodon", "nav.mastodon", say),
        )  # fmt: skip
        try:
            await collector.run(once=once, max_reconnects=1)
        finally:
            await runner.cleanup()
        return collector

    collector = asyncio.run(go())
    return published, collector


def test_stream_gap_edit_delete_and_restart(tmp_path: Path) -> None:
    fake = FakeInstance()
    events, collector = run(fake, tmp_path / "mastodon.json")
    summary = [(e["event_id"], e["kind"], e.get("verb"), e.get("interaction_type"))
               for e in events if e["kind"] != "metric_snapshot"]  # fmt: skip
    assert summary == [
        ("mast:notification:10", "interaction", None, "reaction"),  # back-fill at start
        ("mast:status:100:add", "post_published", "add", None),
        ("mast:status:101:add", "interaction", "add", "comment"),  # the stream
        ("mast:status:101:edit:2026-03-12T09:12:00.000Z", "interaction", "edit", "comment"),
        ("mast:notification:12", "interaction", None, "share"),  # the gap, back-filled
        ("mast:status:101:remove", "interaction", "remove", "comment"),  # delete: an id only
    ]
    assert collector.reconnects == 2 and fake.connections == 2
    assert [e["state"] for e in SAID] == ["up", "down", "up", "down", "up"]
    assert SAID[1]["detail"] == "Mastodon stream dropped: the stream closed"
    comment = next(e for e in events if e["event_id"] == "mast:status:101:add")
    assert (comment["post_id"], comment["actor_id"], comment["text"]) == (
        "100", CITIZEN, "@nav Når kommer pengene?")  # fmt: skip
    followers = [e for e in events if e["kind"] == "metric_snapshot"]
    assert {(e["metric"], e["value"]) for e in followers} == {("followers_count", 1234)}
    for event in events:  # as the worker will take them, once the publisher scrubbed them
        EVENT_ADAPTER.validate_python(
            event | {k: "p1_" + "0" * 32 for k in ("actor_id",) if k in event}
        )
    # a restart resumes from the state file: nothing again
    state = json.loads((tmp_path / "mastodon.json").read_text())
    assert (state["last_notification_id"], state["last_status_id"]) == ("12", "100")
    again, _ = run(fake, tmp_path / "mastodon.json", once=True)
    assert [e["kind"] for e in again] == ["metric_snapshot"]


def test_an_expired_token_is_said_plainly(tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match="refused the access token"):
        run(FakeInstance(), tmp_path / "state.json", token="expired")
    assert [(e["page_id"], e["state"]) for e in SAID] == [("nav.mastodon", "broken")]
    assert "renew it" in SAID[0]["detail"] and "expired" not in SAID[0]["detail"]


def test_rate_limiting_waits_for_the_window_and_loses_nothing(tmp_path: Path) -> None:
    events, collector = run(FakeInstance(limited=2), tmp_path / "state.json", once=True)
    assert collector.rate_limited == 2
    assert [e["state"] for e in SAID] == ["limited", "up"]  # said once, not per retry
    assert "mast:notification:10" in {e["event_id"] for e in events}
