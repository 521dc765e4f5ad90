"""``somepulse collect webhooks``: the receiver, its broker connection and its log."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from typing import Any

from somepulse.collectors.health import SourceHealth
from somepulse.collectors.meta.backfill import backfill_page
from somepulse.collectors.meta.graph import GraphClient, SourceBroken
from somepulse.collectors.meta.insights import PollReport, plan_from, poll_page
from somepulse.collectors.meta.mentions import resolve
from somepulse.collectors.meta.translate import Event, Translation
from somepulse.collectors.meta.webhook import WebhookReceiver, serve
from somepulse.collectors.metrics import collector_metrics
from somepulse.collectors.publisher import BrokerUnavailable, KafkaPublisher
from somepulse.domain.measures import load_catalogue
from somepulse.domain.pages import PageInfo, account_index, load_pages
from somepulse.schemas.base import Platform
from somepulse.settings import Settings

log = logging.getLogger(__name__)


def build_receiver(
    settings: Settings, publisher: KafkaPublisher, graph: GraphClient | None = None
) -> WebhookReceiver:
    secret, token = settings.meta_secrets()
    accounts = account_index(load_pages(settings.config_file("pages.toml")))
    return WebhookReceiver(
        secret.encode(),
        token,
        lambda events: publisher.deliver(events, settings.webhook_ack_timeout),
        accounts,
        max_bytes=settings.webhook_max_bytes,
        resolve_mention=None if graph is None else (lambda ref: resolve(graph, ref)),
    )


async def connect_forever(publisher: KafkaPublisher, say: Callable[[str], None]) -> None:
    """Until the broker is there: deliveries meanwhile get 503 and Meta retries."""
    while True:
        try:
            await publisher.start()
            say(f"connected to the broker at {publisher.bootstrap}")
            return
        except BrokerUnavailable as exc:
            say(f"{exc}; webhooks answer 503 until it is reachable")
            await asyncio.sleep(5)


def run_receivers(
    settings: Settings,
    bootstrap: str,
    host: str,
    port: int,
    workers: int,
    say: Callable[[str], None],
) -> None:
    """``workers`` receiver processes on one port (one core each); the first in this one."""
    context = multiprocessing.get_context("spawn")
    others = [
        context.Process(
            # the same environment makes the same settings (secrets are never pickled)
            target=_receiver_process,
            args=(bootstrap, host, port),
            daemon=True,
        )
        for _ in range(workers - 1)
    ]
    for process in others:
        process.start()
    try:
        asyncio.run(run_webhooks(settings, bootstrap, host, port, say))
    finally:
        for process in others:
            process.terminate()
            process.join(timeout=5)


def _receiver_process(bootstrap: str, host: str, port: int) -> None:
    asyncio.run(run_webhooks(Settings(), bootstrap, host, port, log.warning))


async def run_webhooks(
    settings: Settings, bootstrap: str, host: str, port: int, say: Callable[[str], None]
) -> None:
    publisher = KafkaPublisher.from_settings(
        settings,
        bootstrap,
        on_retry=lambda m: None,
        metrics=collector_metrics(settings, "meta-webhooks"),
    )
    graph = None
    if settings.meta_access_token is not None or settings.meta_access_token_file is not None:
        graph = await GraphClient(settings.meta_graph_url, settings.meta_token()).__aenter__()
    receiver = build_receiver(settings, publisher, graph)
    runner = await serve(receiver, host, port)
    say(f"Meta webhooks on http://{host}:{port}/webhooks/meta (put TLS in front of it)")
    connecting = asyncio.create_task(connect_forever(publisher, say))
    try:
        while True:
            await asyncio.sleep(60)
            stats = receiver.stats
            say(
                f"{stats.deliveries:,} deliveries, {stats.events:,} events, "
                f"refused {stats.refused or 'none'}"
            )
    finally:
        connecting.cancel()
        await runner.cleanup()
        await publisher.stop()
        if graph is not None:
            await graph.__aexit__(None, None, None)


async def run_insights(
    settings: Settings,
    bootstrap: str,
    only_pages: list[str],
    since: date,
    until: date,
    say: Callable[[str], None],
) -> int:
    """Poll every Facebook page of pages.toml (or ``only_pages``); 0 when all went
    well, 3 when a page's token or permission is broken (said, and alerted)."""
    pages = facebook_pages(settings, only_pages)
    plan = plan_from(load_catalogue(settings.config_file("metrics.toml")), date.today())
    report = PollReport()

    def events_of(graph: GraphClient, page: PageInfo) -> AsyncIterator[Event]:
        account = page.accounts[Platform.FACEBOOK]
        now = datetime.now(UTC)
        return poll_page(graph, account, page.page_id, plan, since, until, now, report)

    _, graph, broken = await publish_per_page(
        settings, bootstrap, pages, "meta-insights", events_of,
        lambda page_id, _: f"{page_id}: {report.snapshots:,} snapshots so far, "
        f"{report.posts:,} posts",
        say,
    )  # fmt: skip
    say(
        f"{report.snapshots:,} snapshots from {len(pages)} pages in {report.windows} windows; "
        f"{graph.calls:,} Graph calls, {graph.waited:.0f} s spent waiting for Meta"
    )
    return said_broken(broken, say)


def facebook_pages(settings: Settings, only_pages: list[str]) -> list[PageInfo]:
    pages = [
        p
        for p in load_pages(settings.config_file("pages.toml"))
        if Platform.FACEBOOK in p.accounts and (not only_pages or p.page_id in only_pages)
    ]
    if not pages:
        raise ValueError("no page with a facebook account in pages.toml matches")
    return pages


async def publish_per_page(
    settings: Settings,
    bootstrap: str,
    pages: list[PageInfo],
    source: str,
    events_of: Callable[[GraphClient, PageInfo], AsyncIterator[Event]],
    progress: Callable[[str, int], str],
    say: Callable[[str], None],
    next_within: int | None = None,
) -> tuple[int, GraphClient, list[str]]:
    """A Graph poller's loop over the pages: publish in batches of 500; a page whose
    token or permission is broken is said, counted and alerted, and the others go on.
    Returns the events published, the client (its call counts) and the broken pages."""
    broken: list[str] = []
    published = 0
    metrics = collector_metrics(settings, source)
    async with (
        KafkaPublisher.from_settings(settings, bootstrap, metrics=metrics) as publisher,
        GraphClient(settings.meta_graph_url, settings.meta_token()) as graph,
    ):

        async def say_health(events: list[dict[str, Any]]) -> None:
            await publisher.deliver(events, 30.0)

        for page in pages:
            # a single run promises no next one (cron may run it): no heartbeat expected
            health = SourceHealth(source, "facebook", page.page_id, say_health, next_within)
            try:
                batch = []
                async for event in events_of(graph, page):
                    batch.append(event)
                    if len(batch) >= 500:
                        await publisher.publish(batch)
                        published += len(batch)
                        batch = []
                await publisher.publish(batch)
                published += len(batch)
                await health.up()
            except SourceBroken as exc:
                metrics.errors.labels(source, "credential").inc()
                broken.append(f"{page.page_id}: {exc}")
                await health.broken(f"cannot read Meta: {exc}")  # the worker pages on it
            say(progress(page.page_id, published))
    return published, graph, broken


def said_broken(broken: list[str], say: Callable[[str], None]) -> int:
    for problem in broken:
        say(f"[red]{problem}[/]")
    return 3 if broken else 0


async def run_backfill(
    settings: Settings,
    bootstrap: str,
    only_pages: list[str],
    since: date,
    until: date,
    say: Callable[[str], None],
    next_within: int | None = None,
) -> int:
    """Publish what webhooks missed on the pages' Facebook accounts in [since, until);
    ``next_within``: seconds to the next scheduled run, promised in its health events."""
    pages = facebook_pages(settings, only_pages)
    accounts = account_index(pages)
    skipped = Translation()

    def events_of(graph: GraphClient, page: PageInfo) -> AsyncIterator[Event]:
        account = page.accounts[Platform.FACEBOOK]
        return backfill_page(graph, account, accounts, since, until, skipped)

    published, graph, broken = await publish_per_page(
        settings, bootstrap, pages, "meta-backfill", events_of,
        lambda page_id, n: f"{page_id}: {n:,} events so far", say, next_within,
    )  # fmt: skip
    say(
        f"back-filled {published:,} events ({since} to {until}) from {len(pages)} pages with "
        f"{graph.calls:,} Graph calls; {len(skipped.skipped):,} objects left out"
    )
    return said_broken(broken, say)
