"""Gap back-fill against a fake Graph API on loopback: the page's posts, their comments
(a reply and the page's own answer among them) and an inbox conversation become the
same events, with the same ids, as the webhooks would have delivered."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from somepulse.collectors.meta.backfill import backfill_page
from somepulse.collectors.meta.graph import GraphClient
from somepulse.collectors.meta.translate import translate
from somepulse.domain.pages import account_index, load_pages
from somepulse.schemas import EVENT_ADAPTER

pytestmark = pytest.mark.integration
PAGE = "100000000000101"
ACCOUNTS = account_index(load_pages())
FIXTURES = Path(__file__).resolve().parents[1] / "data" / "meta"
KARI = {"id": "9100000000000001", "name": "Kari Nordmann"}

FEED = [
    {"id": f"{PAGE}_2001", "created_time": "2020-03-12T09:00:00+0000",
     "status_type": "mobile_status_update", "from": {"id": PAGE},
     "message": "Nye regler for foreldrepenger fra 1. april"},
    {"id": f"{PAGE}_2002", "created_time": "2020-03-12T12:00:00+0000",
     "status_type": "added_photos", "from": {"id": PAGE}},
    {"id": f"{PAGE}_1999", "created_time": "2020-03-01T12:00:00+0000", "from": {"id": PAGE}},
]  # fmt: skip
COMMENTS = {
    f"{PAGE}_2001": [
        {"id": "2001_3001", "created_time": "2020-03-12T09:10:00+0000", "from": KARI,
         "message": "Gjelder dette også for fedre som er hjemme?"},
        {"id": "2001_3002", "created_time": "2020-03-12T09:15:00+0000",
         "from": {"id": "9100000000000002"}, "message": "Lurer på det samme",
         "parent": {"id": "2001_3001"}},
        {"id": "2001_3003", "created_time": "2020-03-12T09:40:00+0000", "from": {"id": PAGE},
         "message": "Ja, det gjelder begge.", "parent": {"id": "2001_3001"}},
    ],
}  # fmt: skip
MESSAGES = [
    {"id": "m_AbC123", "created_time": "2020-03-12T11:00:00+0000",
     "from": {"id": "7200000000000001"}, "to": {"data": [{"id": PAGE}]},
     "message": "Hei, når blir foreldrepengene utbetalt?"},
    {"id": "m_Echo1", "created_time": "2020-03-12T11:00:05+0000", "from": {"id": PAGE},
     "to": {"data": [{"id": "7200000000000001"}]}, "message": "Takk for meldingen!"},
]  # fmt: skip


def paged(request: web.Request, items: list[dict[str, Any]]) -> web.Response:
    """Two items a page, ``paging.next`` to the rest (as Meta's cursor paging)."""
    after = int(request.query.get("after", "0"))
    paging = {}
    if after + 2 < len(items):
        paging = {"next": str(request.url.with_query({**request.query, "after": after + 2}))}
    return web.json_response({"data": items[after : after + 2], "paging": paging})


CALLS: list[str] = []


def fake_graph() -> web.Application:
    app = web.Application()

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        CALLS.append(f"{request.method} {request.path}")
        return await handler(request)

    app.middlewares.append(record)

    async def batch(request: web.Request) -> web.Response:
        """Meta's batch: one answer per request, its body as a JSON string."""
        form = await request.post()
        answers = []
        for item in json.loads(str(form["batch"])):
            post = item["relative_url"].split("/")[0]
            items = COMMENTS.get(post, [])
            base = request.url.with_path(f"/v25.0/{post}/comments")
            paging = {"next": str(base.with_query({"after": 2}))} if len(items) > 2 else {}
            answers.append({"code": 200, "body": json.dumps({"data": items[:2], "paging": paging})})
        return web.json_response(answers)

    async def feed(request: web.Request) -> web.Response:
        since, until = int(request.query["since"]), int(request.query["until"])
        posts = [p for p in FEED if since <= _ts(p["created_time"]) < until]
        return paged(request, posts)

    async def comments(request: web.Request) -> web.Response:
        return paged(request, COMMENTS.get(request.match_info["post"], []))

    async def conversations(request: web.Request) -> web.Response:
        return paged(request, [{"id": "t_1", "updated_time": "2020-03-12T11:00:05+0000"}])

    async def messages(request: web.Request) -> web.Response:
        return paged(request, MESSAGES)

    app.router.add_post("/v25.0/", batch)
    app.router.add_get(f"/v25.0/{PAGE}/feed", feed)
    app.router.add_get(f"/v25.0/{PAGE}/conversations", conversations)
    app.router.add_get("/v25.0/t_1/messages", messages)
    app.router.add_get("/v25.0/{post}/comments", comments)
    return app


def _ts(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("+0000", "+00:00")).timestamp())


def test_back_fill_makes_the_webhooks_events() -> None:
    async def go() -> list[dict[str, Any]]:
        runner = web.AppRunner(fake_graph())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            async with GraphClient(f"http://127.0.0.1:{port}/v25.0", "token") as graph:
                return [
                    e async for e in backfill_page(
                        graph, PAGE, ACCOUNTS, date(2020, 3, 12), date(2020, 3, 13))
                ]  # fmt: skip
        finally:
            await runner.cleanup()

    events = asyncio.run(go())
    for event in events:
        EVENT_ADAPTER.validate_python(
            event | {k: "p1_" + "0" * 32 for k in ("actor_id", "thread_id") if k in event}
        )
    kinds = {e["event_id"]: e["kind"] for e in events}
    assert kinds == {
        f"fb:post:{PAGE}_2001:add": "post_published",
        f"fb:post:{PAGE}_2002:add": "post_published",  # the post of 1 March is outside
        "fb:comment:2001_3001:add": "interaction",
        "fb:comment:2001_3002:add": "interaction",
        "fb:comment:2001_3003:add": "page_reply",
        "msg:m_AbC123": "private_message",
        "msg:m_Echo1": "page_reply",
    }
    # what the webhook delivered for the same objects is the same event: stored once
    for name in ("feed-comment-add.json", "feed-comment-page-reply.json",
                 "messenger-message.json"):  # fmt: skip
        (hooked,) = translate(json.loads((FIXTURES / name).read_text()), ACCOUNTS).events
        polled = next(e for e in events if e["event_id"] == hooked["event_id"])
        same = ("kind", "post_id", "comment_id", "interaction_type", "in_reply_to", "actor_id",
                "thread_id", "verb")  # fmt: skip
        assert {k: polled.get(k) for k in same} == {k: hooked.get(k) for k in same}
    photo = next(e for e in events if e["event_id"] == f"fb:post:{PAGE}_2002:add")
    assert photo["format"] == "image"
    # both posts' comments in one batch call; the longer thread went on with paging.next
    assert CALLS.count("POST /v25.0/") == 1
    assert [c for c in CALLS if c.endswith("/comments")] == [f"GET /v25.0/{PAGE}_2001/comments"]
