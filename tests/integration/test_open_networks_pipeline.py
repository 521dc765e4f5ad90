"""Bluesky and Mastodon end to end: each collector, against its fake on loopback,
publishes through the real publisher and the embedded broker to the worker, which maps
the accounts to their pages (pages.toml) and stores what the boards read."""

from __future__ import annotations

import asyncio
import contextlib
import io
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from rich.console import Console

from somepulse.collectors.bluesky.collector import BlueskyCollector
from somepulse.collectors.bluesky.collector import State as BlueskyState
from somepulse.collectors.bluesky.translate import Account as BlueskyAccount
from somepulse.collectors.health import SourceHealth
from somepulse.collectors.mastodon.collector import MastodonCollector
from somepulse.collectors.mastodon.collector import State as MastodonState
from somepulse.collectors.mastodon.translate import Account as MastodonAccount
from somepulse.config import PACKAGED
from somepulse.settings import Settings
from somepulse.tools.stack import Stack
from tests.integration import test_bluesky, test_mastodon
from tests.integration.conftest import publisher_for, sql, wait_for

pytestmark = pytest.mark.integration
DID = "did:plc:navtestaaaaaaaaaaaaaaaaa"
HANDLE = "@nav@social.example.no"
PAGES = f"""
[[page]]
page_id = "nav.mastodon"
name = "NAV (Mastodon)"
platform = "mastodon"
accounts = {{ mastodon = "{HANDLE}" }}
peer_group = "nav"

[[page]]
page_id = "nav.bluesky"
name = "NAV (Bluesky)"
platform = "bluesky"
accounts = {{ bluesky = "{DID}" }}
peer_group = "nav"
"""


@pytest.fixture
def open_stack(settings: Settings, tmp_path: Path) -> Any:
    config = tmp_path / "config"
    config.mkdir()
    (config / "pages.toml").write_text((PACKAGED / "pages.toml").read_text() + PAGES)
    configured = settings.model_copy(update={"config_dir": config})
    with Stack(configured, console=Console(file=io.StringIO())) as stack:
        yield stack, configured


async def _serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


def test_bluesky_and_mastodon_to_clickhouse(open_stack: Any, tmp_path: Path) -> None:
    stack, settings = open_stack

    async def go() -> None:
        publisher = publisher_for(stack, settings)
        await publisher.start()

        async def publish(events: list[dict[str, Any]]) -> None:
            await publisher.deliver(events, 10.0)

        masto_runner, masto_port = await _serve(test_mastodon.FakeInstance().app())
        bsky_runner, bsky_port = await _serve(test_bluesky.Fake(DID).app())
        try:
            await MastodonCollector(
                f"http://127.0.0.1:{masto_port}", "good-token",
                MastodonAccount(test_mastodon.ORG, "nav.mastodon", HANDLE), publish,
                MastodonState.load(tmp_path / "m.json"), sleep=_no_wait,
                health=SourceHealth("mastodon", "mastodon", "nav.mastodon", publish),
            ).run(max_reconnects=1)  # fmt: skip
            await BlueskyCollector(
                f"http://127.0.0.1:{bsky_port}", f"ws://127.0.0.1:{bsky_port}", DID,
                "abcd-efgh-ijkl-mnop", BlueskyAccount(DID, "nav.bluesky"), publish,
                BlueskyState.load(tmp_path / "b.json"), sleep=_no_wait,
                health=SourceHealth("bluesky", "bluesky", "nav.bluesky", publish),
            ).run(max_reconnects=1)  # fmt: skip
        finally:
            await masto_runner.cleanup()
            await bsky_runner.cleanup()
            await publisher.stop()

    asyncio.run(go())
    # 14 events, and at least 5 source statuses from each (up, down at each of 2 drops,
    # up again): 28 stored here, so 24 can be reached before the last delete is stored
    stats = stack.wait_stored(24, timeout=60)
    assert stats.dead_letters == 0, stats.dead_by_reason
    # Bluesky: its post added and deleted (0), a like, a repost, a reply
    # Mastodon: its post, a favourite, a boost, a reply later deleted (1 - 1)
    expected = {"nav.bluesky": (0, 1, 1, 1), "nav.mastodon": (1, 1, 0, 1)}
    daily: dict[str, tuple[int, int, int, int]] = {}

    def counted() -> bool:
        rows = sql(
            stack,
            "SELECT page_id, sum(posts) AS posts, sum(reactions) AS reactions, "
            "sum(comments) AS comments, sum(shares) AS shares FROM somepulse.v_page_daily "
            "WHERE page_id IN ('nav.mastodon', 'nav.bluesky') GROUP BY page_id ORDER BY page_id",
        )
        daily.clear()
        daily.update(
            {r["page_id"]: (r["posts"], r["reactions"], r["comments"], r["shares"]) for r in rows}
        )
        return daily == expected

    with contextlib.suppress(AssertionError):
        wait_for(counted, 30, "both pages' days")
    assert daily == expected  # what was counted after 30 s, if not that
    follows = sql(
        stack,
        "SELECT page_id, value FROM somepulse.v_measures WHERE measure = 'follows' "
        "AND page_id IN ('nav.mastodon', 'nav.bluesky') ORDER BY page_id",
    )
    assert follows == [{"page_id": "nav.bluesky", "value": 321},
                       {"page_id": "nav.mastodon", "value": 1234}]  # fmt: skip
    # both replies asked something (the question detector, at the edge); the Mastodon
    # one was deleted before any answer, so only Bluesky's is waiting
    asked = sql(stack, "SELECT page_id, withdrawn FROM somepulse.v_questions ORDER BY page_id")
    assert asked == [{"page_id": "nav.bluesky", "withdrawn": False},
                     {"page_id": "nav.mastodon", "withdrawn": True}]  # fmt: skip
    waiting = sql(stack, "SELECT page_id FROM somepulse.v_open_questions")
    assert waiting == [{"page_id": "nav.bluesky"}]
    # what the collectors said reached the store: both read again after their drops
    said = sql(stack, "SELECT page_id, collector, state FROM somepulse.v_source_status "
                      "ORDER BY page_id")  # fmt: skip
    assert [(r["page_id"], r["collector"], r["state"]) for r in said] == [
        ("nav.bluesky", "bluesky", "up"), ("nav.mastodon", "mastodon", "up")
    ]  # fmt: skip


async def _no_wait(seconds: float) -> None:
    return None
