"""``somepulse collect webhooks``: the receiver, its broker connection and its log."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable

from somepulse.collectors.meta.webhook import WebhookReceiver, serve
from somepulse.collectors.publisher import BrokerUnavailable, KafkaPublisher
from somepulse.domain.pages import account_index, load_pages
from somepulse.settings import Settings

log = logging.getLogger(__name__)


def build_receiver(settings: Settings, publisher: KafkaPublisher) -> WebhookReceiver:
    secret, token = settings.meta_secrets()
    accounts = account_index(load_pages(settings.config_file("pages.toml")))
    return WebhookReceiver(
        secret.encode(),
        token,
        lambda events: publisher.deliver(events, settings.webhook_ack_timeout),
        accounts,
        max_bytes=settings.webhook_max_bytes,
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
    publisher = KafkaPublisher.from_settings(settings, bootstrap, on_retry=lambda m: None)
    receiver = build_receiver(settings, publisher)
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
