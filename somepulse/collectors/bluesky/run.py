"""``somepulse collect bluesky --page P``: the page's DID from pages.toml, then run."""

from __future__ import annotations

from collections.abc import Callable

from somepulse.collectors.bluesky.collector import BlueskyCollector, CredentialError, State
from somepulse.collectors.bluesky.translate import Account, Event
from somepulse.collectors.health import SourceHealth
from somepulse.collectors.metrics import collector_metrics
from somepulse.collectors.publisher import KafkaPublisher
from somepulse.domain.pages import load_pages
from somepulse.schemas.base import Platform
from somepulse.settings import Settings


async def run_bluesky(
    settings: Settings, bootstrap: str, page_id: str, once: bool, say: Callable[[str], None]
) -> int:
    page = next((p for p in load_pages(settings.config_file("pages.toml"))
                 if p.page_id == page_id), None)  # fmt: skip
    if page is None or Platform.BLUESKY not in page.accounts:
        raise ValueError(f"pages.toml has no page {page_id!r} with a bluesky account (its DID)")
    did = page.accounts[Platform.BLUESKY]
    state_file = settings.data_dir / "collectors" / f"bluesky-{did.replace(':', '_')}.json"
    async with KafkaPublisher.from_settings(
        settings, bootstrap, metrics=collector_metrics(settings, "bluesky")
    ) as publisher:

        async def publish(events: list[Event]) -> None:
            await publisher.deliver(events, 30.0)  # the state moves only after the broker

        health = SourceHealth("bluesky", "bluesky", page.page_id, publish,
                              None if once else 300)  # fmt: skip
        collector = BlueskyCollector(
            settings.bluesky_service, settings.bluesky_jetstream, did,
            settings.bluesky_password(), Account(did, page.page_id), publish,
            State.load(state_file), health=health,
        )  # fmt: skip
        say(f"collecting {did} (page {page.page_id}); state in {state_file}")
        try:
            await collector.run(once=once)
        except CredentialError:
            collector_metrics(settings, "bluesky").errors.labels("bluesky", "credential").inc()
            raise
    say(f"published {collector.published:,} events, {collector.reconnects} reconnects")
    return 0
