"""The insights poller against a fake Graph API on loopback that answers like Meta's:
daily page values ending at the next day, posts in pages of two with ``paging.next``,
usage headers, a transient error, an expired token and an unknown metric."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web

from somepulse.collectors.meta.graph import ConfigError, GraphClient, SourceBroken
from somepulse.collectors.meta.insights import Plan, PollReport, poll_page, windows
from somepulse.schemas import EVENT_ADAPTER

pytestmark = pytest.mark.integration
PAGE = "100000000000101"
NOW = datetime(2026, 3, 20, 6, 0, tzinfo=UTC)
PLAN = Plan(
    {"page_total_media_view_unique": "day", "page_follows": "total"},
    {
        "post_total_media_view_unique": "lifetime",
        "post_clicks": "lifetime",
        "shares": "lifetime",
        "total_video_views": "lifetime",
    },
)


def value(metric: str, day: date) -> int:
    return (1000 if metric.endswith("unique") else 50_000) + day.day


class FakeGraph:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.fail_next = {"code": 4, "message": "(#4) Application request limit reached"}
        self.usage = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v25.0/{object}/insights", self.insights)
        app.router.add_get("/v25.0/{object}/published_posts", self.posts)
        app.router.add_get("/v25.0/{object}/video_insights", self.video)
        return app

    def _headers(self) -> dict[str, str]:
        return {"X-App-Usage": f'{{"call_count": {self.usage}, "total_time": 5}}'}

    def _error(self, code: int, message: str) -> web.Response:
        body = {"error": {"message": message, "type": "OAuthException", "code": code,
                          "fbtrace_id": "AbC"}}  # fmt: skip
        return web.json_response(body, status=400, headers=self._headers())

    async def insights(self, request: web.Request) -> web.Response:
        q, obj = request.query, request.match_info["object"]
        self.calls.append(f"{obj}/insights {q.get('metric')}")
        if q.get("access_token") == "expired":
            return self._error(190, "Error validating access token: Session has expired")
        if self.fail_next:
            error, self.fail_next = self.fail_next, {}
            return self._error(error["code"], error["message"])
        metrics = q["metric"].split(",")
        if any(m.startswith("page_bogus") for m in metrics):
            return self._error(100, "(#100) The value must be a valid insights metric")
        if obj != PAGE:  # a post: lifetime totals
            data = [{"name": m, "period": "lifetime", "values": [{"value": 7 * len(m)}]}
                    for m in metrics]  # fmt: skip
            return web.json_response({"data": data}, headers=self._headers())
        since = datetime.fromtimestamp(int(q["since"]), UTC).date()
        until = datetime.fromtimestamp(int(q["until"]), UTC).date()
        days = [since + timedelta(days=i) for i in range((until - since).days)]
        data = [
            {"name": m, "period": "day",
             "values": [{"value": value(m, d),
                         "end_time": f"{d + timedelta(days=1)}T08:00:00+0000"} for d in days]}
            for m in metrics
        ]  # fmt: skip
        return web.json_response({"data": data, "paging": {}}, headers=self._headers())

    async def video(self, request: web.Request) -> web.Response:
        self.calls.append(f"{request.match_info['object']}/video_insights")
        data = [{"name": "total_video_views", "period": "lifetime", "values": [{"value": 321}]}]
        return web.json_response({"data": data}, headers=self._headers())

    async def posts(self, request: web.Request) -> web.Response:
        self.calls.append("published_posts")
        offset = int(request.query.get("after", "0"))
        posts = [
            {"id": f"{PAGE}_{n}", "created_time": "2026-03-18T09:00:00+0000"}
            | ({"shares": {"count": n * 10}} if n != 3 else {})
            | (
                {"attachments": {"data": [{"media_type": "video", "target": {"id": "v2"}}]}}
                if n == 2
                else {}
            )
            for n in (1, 2, 3)
        ]
        page = posts[offset : offset + 2]
        paging = {}
        if offset + 2 < len(posts):
            paging = {"next": f"{request.url.with_query({**request.query, 'after': offset + 2})}"}
        return web.json_response({"data": page, "paging": paging}, headers=self._headers())


async def _serve(fake: FakeGraph) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/v25.0"


async def collect(events: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e async for e in events]


def poll(fake: FakeGraph, token: str = "good", plan: Plan = PLAN) -> tuple[Any, ...]:
    slept: list[float] = []

    async def no_wait(seconds: float) -> None:
        slept.append(seconds)

    async def go() -> tuple[Any, ...]:
        runner, url = await _serve(fake)
        report = PollReport()
        try:
            async with GraphClient(url, token, sleep=no_wait) as graph:
                events = await collect(
                    poll_page(graph, PAGE, "nav.foreldrepenger", plan, date(2026, 3, 17),
                              date(2026, 3, 19), NOW, report)
                )  # fmt: skip
        finally:
            await runner.cleanup()
        return events, report, slept

    return asyncio.run(go())


def test_page_and_post_totals_become_snapshots_with_provenance() -> None:
    fake = FakeGraph()
    fake.usage = 90  # near the budget: the client slows down
    events, report, slept = poll(fake)
    for event in events:
        EVENT_ADAPTER.validate_python(event)
    page = {(e["metric"], e["day"]): e["value"] for e in events if e["scope"] == "page"}
    assert page == {
        ("page_total_media_view_unique", "2026-03-17"): 1017,
        ("page_total_media_view_unique", "2026-03-18"): 1018,
        ("page_follows", "2026-03-17"): 50_017,
        ("page_follows", "2026-03-18"): 50_018,
    }
    posts = {(e["post_id"][-1], e["metric"]): e["value"] for e in events if e["scope"] == "post"}
    assert posts[("1", "shares")] == 10 and posts[("2", "shares")] == 20
    assert posts[("3", "shares")] == 0  # no shares field: nobody shared it
    assert posts[("1", "post_clicks")] == 7 * len("post_clicks")
    assert report.posts == 3  # two pages of posts, followed by paging.next
    # the video post's plays, from its video's own insights edge
    assert posts[("2", "total_video_views")] == 321
    assert {k for k in posts if k[1] == "total_video_views"} == {("2", "total_video_views")}
    assert "v2/video_insights" in fake.calls
    first = events[0]
    assert (first["source"], first["api_version"], first["fetched_at"]) == (
        "poll", "v25.0", NOW.isoformat())  # fmt: skip
    # the transient error (#4) was retried once after 0.5-1 s (backoff with jitter), and
    # at 90 % of the budget every call waited 1 + 29 x (90 - 75) / 25 = 18.4 s first
    assert len([s for s in slept if 0.5 <= s <= 1]) == 1
    assert [round(s, 1) for s in slept if s > 1] == [18.4] * (len(slept) - 1)
    # a second poll of the same days makes the same ids: storage keeps the latest fetch
    again, _, _ = poll(FakeGraph())
    assert {e["event_id"] for e in again} == {e["event_id"] for e in events}


def test_an_expired_token_says_so() -> None:
    with pytest.raises(SourceBroken, match="access token expired or was revoked"):
        poll(FakeGraph(), token="expired")


def test_an_unknown_metric_is_named() -> None:
    fake = FakeGraph()
    fake.fail_next = {}
    plan = Plan({"page_total_media_view_unique": "day", "page_bogus_metric": "day"}, {})
    with pytest.raises(ConfigError, match="'page_bogus_metric'"):
        poll(fake, plan=plan)


def test_back_fill_windows_are_at_most_90_days_and_two_years() -> None:
    cut = windows(date(2023, 1, 1), date(2026, 3, 20), today=date(2026, 3, 20))
    assert cut[0][0] == date(2024, 3, 20)  # two years back at most
    assert all(end - start <= timedelta(days=90) for start, end in cut)
    assert cut[-1][1] == date(2026, 3, 20) and len(cut) == 9
