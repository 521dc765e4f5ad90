"""``somepulse collect youtube --page P``: one run within its share of the day's quota."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout

from somepulse.collectors.health import SourceHealth
from somepulse.collectors.metrics import collector_metrics
from somepulse.collectors.publisher import KafkaPublisher
from somepulse.collectors.youtube.poller import (
    CredentialError,
    QuotaExceeded,
    YouTubePoller,
    budget_per_run,
)
from somepulse.domain.pages import load_pages
from somepulse.schemas.base import Platform
from somepulse.settings import Settings


async def run_youtube(
    settings: Settings,
    bootstrap: str,
    page_id: str,
    runs_per_day: int,
    videos: int,
    say: Callable[[str], None],
) -> int:
    page = next((p for p in load_pages(settings.config_file("pages.toml"))
                 if p.page_id == page_id), None)  # fmt: skip
    if page is None or Platform.YOUTUBE not in page.accounts:
        raise ValueError(f"pages.toml has no page {page_id!r} with a youtube account (its channel)")
    budget = budget_per_run(runs_per_day, settings.youtube_daily_quota)
    poller = YouTubePoller(
        settings.youtube_api_url, settings.youtube_key(), page.accounts[Platform.YOUTUBE],
        page.page_id, budget, videos=videos,
    )  # fmt: skip
    metrics = collector_metrics(settings, "youtube")
    async with (
        KafkaPublisher.from_settings(settings, bootstrap, metrics=metrics) as publisher,
        ClientSession(timeout=ClientTimeout(total=60)) as session,
    ):

        async def publish(events: list[dict[str, Any]]) -> None:
            await publisher.deliver(events, 30.0)

        # a run promises the next within its share of the day (cron or a timer runs it)
        health = SourceHealth("youtube", "youtube", page.page_id, publish, 86_400 // runs_per_day)
        poller.session = session
        try:
            events = await poller.run(datetime.now(UTC))
        except QuotaExceeded as exc:
            metrics.errors.labels("youtube", "quota").inc()
            await health.limited(str(exc))
            raise
        except CredentialError as exc:
            metrics.errors.labels("youtube", "credential").inc()
            await health.broken(str(exc))
            raise
        except (ClientError, TimeoutError) as exc:
            await health.down(f"YouTube's API did not answer: {exc or type(exc).__name__}")
            raise
        finally:
            metrics.quota_left.labels("youtube").set(budget.units - budget.spent)
        await publish(events)
        await health.up()
    say(
        f"{len(events):,} events; quota: {budget.spent} of this run's {budget.units} units "
        f"({runs_per_day} runs a day of {settings.youtube_daily_quota:,})"
    )
    return 0
