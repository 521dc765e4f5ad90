"""``somepulse collect mastodon``: find the token's account and its page, then run."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from aiohttp import ClientSession

from somepulse.collectors.health import SourceHealth
from somepulse.collectors.mastodon.collector import CredentialError, MastodonCollector, State
from somepulse.collectors.mastodon.translate import Account, Event
from somepulse.collectors.metrics import collector_metrics
from somepulse.collectors.publisher import KafkaPublisher
from somepulse.domain.pages import account_index, load_pages
from somepulse.settings import Settings


async def who_am_i(instance: str, token: str) -> tuple[str, str]:
    """The token's own account: its id on the instance and its full handle."""
    url = f"{instance.rstrip('/')}/api/v1/accounts/verify_credentials"
    async with (
        ClientSession() as session,
        session.get(url, headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        if response.status in (401, 403):
            raise CredentialError(
                f"{urlsplit(instance).hostname} refused the access token (HTTP {response.status})"
            )
        response.raise_for_status()
        doc = await response.json()
    acct = str(doc["acct"])
    handle = acct if "@" in acct else f"{acct}@{urlsplit(instance).hostname}"
    return str(doc["id"]), handle


async def run_mastodon(
    settings: Settings, bootstrap: str, instance: str, once: bool, say: Callable[[str], None]
) -> int:
    token = settings.mastodon_access_token()
    pages = account_index(load_pages(settings.config_file("pages.toml")))
    try:
        account_id, handle = await who_am_i(instance, token)
    except CredentialError as exc:
        await _refused_at_start(settings, bootstrap, instance, pages, str(exc))
        raise
    page = pages.get(("mastodon", handle))
    if page is None:
        say(
            f"[yellow]@{handle} is no page's mastodon account in pages.toml: its events "
            "will be dead-lettered as an unknown account[/]"
        )
    state_file = settings.data_dir / "collectors" / f"mastodon-{handle.replace('@', '_')}.json"
    async with KafkaPublisher.from_settings(
        settings, bootstrap, metrics=collector_metrics(settings, "mastodon")
    ) as publisher:

        async def publish(events: list[Event]) -> None:
            await publisher.deliver(events, 30.0)  # the state moves only after the broker

        health = SourceHealth("mastodon", "mastodon", page, publish, None if once else 300)
        collector = MastodonCollector(
            instance, token, Account(account_id, page, "@" + handle), publish,
            State.load(state_file), health=health,
        )  # fmt: skip
        say(f"collecting @{handle} (page {page}) from {instance}; state in {state_file}")
        try:
            await collector.run(once=once)
        except CredentialError:
            collector_metrics(settings, "mastodon").errors.labels("mastodon", "credential").inc()
            raise
    say(f"published {collector.published:,} events, {collector.reconnects} reconnects")
    return 0


async def _refused_at_start(
    settings: Settings, bootstrap: str, instance: str, pages: dict[tuple[str, str], str], why: str
) -> None:
    """The token is refused before it names its account: when one page has a Mastodon
    account on this instance, that page's source is broken (said to the worker)."""
    host = urlsplit(instance).hostname or ""
    owners = {page for (platform, handle), page in pages.items()
              if platform == "mastodon" and handle.endswith("@" + host)}  # fmt: skip
    if len(owners) != 1:
        return
    async with KafkaPublisher.from_settings(settings, bootstrap) as publisher:

        async def publish(events: list[Event]) -> None:
            await publisher.deliver(events, 30.0)

        await SourceHealth("mastodon", "mastodon", owners.pop(), publish).broken(why)
