"""YouTube end to end: the poller against its fake Data API, through the publisher and
the embedded broker to the worker, which maps the channel to its page (pages.toml)."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web
from rich.console import Console

from somepulse.collectors.youtube.poller import Budget, YouTubePoller
from somepulse.config import PACKAGED
from somepulse.settings import Settings
from somepulse.tools.stack import Stack
from tests.integration import test_youtube
from tests.integration.conftest import publisher_for, sql, wait_for

pytestmark = pytest.mark.integration
PAGES = f"""
[[page]]
page_id = "nav.youtube"
name = "NAV (YouTube)"
platform = "youtube"
accounts = {{ youtube = "{test_youtube.CHANNEL}" }}
peer_group = "nav"
"""


def test_youtube_to_clickhouse(settings: Settings, tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "pages.toml").write_text((PACKAGED / "pages.toml").read_text() + PAGES)
    configured = settings.model_copy(update={"config_dir": config})
    with Stack(configured, console=Console(file=io.StringIO())) as stack:

        async def go() -> int:
            app, _ = test_youtube.fake()
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            publisher = publisher_for(stack, configured)
            await publisher.start()
            try:
                async with ClientSession() as session:
                    poller = YouTubePoller(
                        f"http://127.0.0.1:{port}/youtube/v3", "k", test_youtube.CHANNEL,
                        "nav.youtube", Budget(100), videos=2, session=session,
                    )  # fmt: skip
                    events: list[dict[str, Any]] = await poller.run(datetime.now(UTC))
                return await publisher.deliver(events, 10.0)
            finally:
                await publisher.stop()
                await runner.cleanup()

        published = asyncio.run(go())
        stats = stack.wait_stored(published, timeout=60)
        assert stats.dead_letters == 0, stats.dead_by_reason
        wait_for(
            lambda: sql(stack, "SELECT count() AS n FROM somepulse.responses")[0]["n"] == 1,
            30,
            "the question and its answer",
        )
        # the citizen asked at 11:00, the channel answered at 12:00: 60 calendar minutes
        answered = sql(stack, "SELECT page_id, is_answered, calendar_minutes "
                              "FROM somepulse.responses")  # fmt: skip
        assert answered == [
            {"page_id": "nav.youtube", "is_answered": True, "calendar_minutes": 60.0}
        ]
        measures = sql(
            stack,
            "SELECT post_id, measure, value FROM somepulse.v_measures "
            "WHERE page_id = 'nav.youtube' ORDER BY measure, post_id",
        )
        assert [(m["post_id"], m["measure"], m["value"]) for m in measures] == [
            ("", "follows", 5120), ("vid1", "video_views", 1000), ("vid2", "video_views", 2000),
        ]  # fmt: skip
