"""The YouTube poller against a fake Data API on loopback: the channel, its uploads,
their statistics and comment threads as events; the quota it spends is counted and a
small budget stops it before the limit; a spent quota and a bad key are said plainly."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import ClientSession, web

from somepulse.collectors.youtube.poller import (
    Budget,
    CredentialError,
    QuotaExceeded,
    YouTubePoller,
)
from somepulse.schemas import EVENT_ADAPTER

pytestmark = pytest.mark.integration
CHANNEL = "UCnavTEST000000000000000"  # UC + 22 characters, as pages.toml checks
NOW = datetime(2026, 3, 20, 6, 0, tzinfo=UTC)


def comment(cid: str, author: str, text: str, at: str) -> dict[str, Any]:
    return {"id": cid, "snippet": {"authorChannelId": {"value": author}, "textOriginal": text,
                                   "publishedAt": at, "updatedAt": at}}  # fmt: skip


def fake(error: str | None = None, crowded: bool = False) -> tuple[web.Application, list[str]]:
    calls: list[str] = []
    app = web.Application()

    async def handle(request: web.Request) -> web.Response:
        resource = request.match_info["resource"]
        calls.append(resource)
        if error is not None:
            status = 403 if error == "quotaExceeded" else 400
            return web.json_response(
                {"error": {"code": status, "errors": [{"reason": error}]}}, status=status
            )
        assert request.query["key"] == "k"
        if resource == "channels":
            return web.json_response({"items": [{
                "id": CHANNEL, "statistics": {"subscriberCount": "5120"},
                "contentDetails": {"relatedPlaylists": {"uploads": "UUnav"}}}]})  # fmt: skip
        if resource == "playlistItems":
            return web.json_response({"items": [{"contentDetails": {"videoId": v}}
                                                for v in ("vid2", "vid1")]})  # fmt: skip
        if resource == "videos":
            items = [
                {"id": v,
                 "snippet": {"title": f"Video {v}", "publishedAt": f"2026-03-1{v[-1]}T10:00:00Z"},
                 "statistics": {"viewCount": str(1000 * int(v[-1]))}}
                for v in request.query["id"].split(",")
            ]  # fmt: skip
            return web.json_response({"items": items})
        if resource == "commentThreads" and crowded:  # 7 replies, 5 carried (the API's most)
            replies = [comment(f"t9.r{i}", f"UCp{i}", "Enig", f"2026-03-12T12:0{i}:00Z")
                       for i in range(1, 6)]  # fmt: skip
            return web.json_response({"items": [] if request.query["videoId"] == "vid1" else [{
                "id": "t9", "snippet": {"totalReplyCount": 7, "topLevelComment": comment(
                    "t9", "UCcitizen", "Hvorfor er dette så vanskelig?", "2026-03-12T11:00:00Z")},
                "replies": {"comments": replies}}]})  # fmt: skip
        if resource == "comments":  # by parent, two pages: 4 and then 3 replies
            assert request.query["parentId"] == "t9"
            token = request.query.get("pageToken")
            numbers = range(4, 8) if token is None else range(1, 4)
            page: dict[str, Any] = {"items": [
                comment(f"t9.r{i}", f"UCp{i}", "Enig", f"2026-03-12T12:0{i}:00Z")
                for i in numbers]}  # fmt: skip
            if token is None:
                page["nextPageToken"] = "p2"
            return web.json_response(page)
        if resource == "commentThreads":
            video = request.query["videoId"]
            return web.json_response({"items": [] if video == "vid1" else [{
                "id": "t1", "snippet": {"topLevelComment": comment(
                    "t1", "UCcitizen", "Når kommer pengene?", "2026-03-12T11:00:00Z")},
                "replies": {"comments": [comment("t1.r1", CHANNEL, "Hei! I april.",
                                                 "2026-03-12T12:00:00Z")]}}]})  # fmt: skip
        return web.json_response({}, status=404)

    app.router.add_get("/youtube/v3/{resource}", handle)
    return app, calls


def poll(
    units: int, error: str | None = None, crowded: bool = False
) -> tuple[list[dict[str, Any]], Budget, list[str]]:
    app, calls = fake(error, crowded)
    budget = Budget(units)

    async def go() -> list[dict[str, Any]]:
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            async with ClientSession() as session:
                url = f"http://127.0.0.1:{port}/youtube/v3"
                poller = YouTubePoller(url, "k", CHANNEL, "nav.youtube", budget, videos=2,
                                       session=session)  # fmt: skip
                return await poller.run(NOW)
        finally:
            await runner.cleanup()

    return asyncio.run(go()), budget, calls


def test_videos_comments_and_statistics_within_the_budget() -> None:
    events, budget, calls = poll(units=100)
    for event in events:
        EVENT_ADAPTER.validate_python(event | ({"actor_id": "p1_" + "0" * 32}
                                               if "actor_id" in event else {}))  # fmt: skip
    kinds = sorted((e["kind"], e["event_id"]) for e in events)
    assert kinds == [
        ("interaction", "yt:comment:t1:add"),
        ("metric_snapshot", "yt:statistics.viewCount:vid1:2026-03-20"),
        ("metric_snapshot", "yt:statistics.viewCount:vid2:2026-03-20"),
        ("metric_snapshot", f"yt:subscriberCount:{CHANNEL}:2026-03-20"),
        ("page_reply", "yt:comment:t1.r1:add"),  # the channel's own answer
        ("post_published", "yt:video:vid1:add"),
        ("post_published", "yt:video:vid2:add"),
    ]
    # 1 channel + 1 uploads + 1 statistics + 2 comment pages: 5 units, all counted
    assert budget.spent == 5 == len(calls)


def test_a_small_budget_stops_before_the_limit() -> None:
    _events, budget, calls = poll(units=4)  # no unit left for the second video's comments
    assert budget.spent == 4 == len(calls)
    assert calls == ["channels", "playlistItems", "videos", "commentThreads"]


def test_a_spent_quota_and_a_bad_key_are_said() -> None:
    with pytest.raises(QuotaExceeded, match="quota is spent"):
        poll(100, error="quotaExceeded")
    with pytest.raises(CredentialError, match="refused the API key"):
        poll(100, error="keyInvalid")


def test_replies_beyond_the_five_a_thread_carries_are_fetched_by_parent() -> None:
    events, budget, calls = poll(units=100, crowded=True)
    replies = sorted(e["comment_id"] for e in events if e.get("interaction_type") == "reply")
    assert replies == [f"t9.r{i}" for i in range(1, 8)]  # all seven, each once
    assert {e["parent_comment_id"] for e in events if e.get("interaction_type") == "reply"} == {
        "t9"
    }
    # 5 as before + 2 pages of comments.list
    assert calls[-2:] == ["comments", "comments"] and budget.spent == 7 == len(calls)
    # with one unit fewer, the second page waits for the next run
    _events, budget, calls = poll(units=6, crowded=True)
    assert calls.count("comments") == 1 and budget.spent == 6
