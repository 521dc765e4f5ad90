"""The Meta webhook receiver: ``GET``/``POST /webhooks/meta`` (Facebook page ``feed``,
Instagram comments, Messenger messages and echoes).

* ``GET``: Meta's subscription handshake — ``hub.mode=subscribe`` and the right
  ``hub.verify_token`` get ``hub.challenge`` back; anything else 403.
* ``POST``: ``X-Hub-Signature-256`` must be ``sha256=`` + HMAC-SHA256 of the raw body
  with the app secret (compared in constant time, before the body is parsed): missing
  401, wrong 403, nothing published. Over the size limit 413, not JSON 400. Otherwise
  the delivery becomes events (``translate``), the question detector reads their text
  and the publisher scrubs every person field, and **200 only once the broker has
  acknowledged every event**; a broker that is away or slow gets 503, which Meta
  retries for 36 hours. A retried delivery makes the same event ids: nothing doubles.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

import orjson
from aiohttp import web

from somepulse.collectors.meta.graph import GraphError
from somepulse.collectors.meta.translate import Event, MentionRef, translate
from somepulse.collectors.publisher import BrokerUnavailable

log = logging.getLogger(__name__)
PATH = "/webhooks/meta"
Deliver = Callable[[Iterable[Event]], Awaitable[int]]
Resolve = Callable[[MentionRef], Awaitable[Event | None]]


@dataclass
class ReceiverStats:
    deliveries: int = 0
    events: int = 0
    refused: dict[int, int] = field(default_factory=dict)  # status -> count
    skipped: dict[str, int] = field(default_factory=dict)  # why a change was left out
    latencies: list[float] = field(default_factory=list)  # seconds, last 10,000

    def refuse(self, status: int) -> None:
        self.refused[status] = self.refused.get(status, 0) + 1


@dataclass
class WebhookReceiver:
    app_secret: bytes
    verify_token: str
    deliver: Deliver  # publishes and waits for the broker's acknowledgement
    accounts: Mapping[tuple[str, str], str]  # (platform, account id) -> page id
    max_bytes: int = 4 * 1024 * 1024
    # looks Instagram mentions up in the Graph API (``mentions.resolve``); without it they
    # are counted as skipped
    resolve_mention: Resolve | None = None
    stats: ReceiverStats = field(default_factory=ReceiverStats)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.max_bytes)
        app.router.add_get(PATH, self.verify)
        app.router.add_post(PATH, self.receive)
        return app

    async def verify(self, request: web.Request) -> web.Response:
        query = request.query
        token = query.get("hub.verify_token", "")
        if query.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token.encode(), self.verify_token.encode()
        ):
            return web.Response(text=query.get("hub.challenge", ""))
        self.stats.refuse(403)
        return web.Response(status=403, text="verification failed\n")

    async def receive(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        if request.content_length is not None and request.content_length > self.max_bytes:
            return self._refuse(413, f"a delivery is at most {self.max_bytes} bytes")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(413, f"a delivery is at most {self.max_bytes} bytes")
        signature = request.headers.get("X-Hub-Signature-256")
        if not signature:
            return self._refuse(401, "X-Hub-Signature-256 missing")
        expected = "sha256=" + hmac.new(self.app_secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            return self._refuse(403, "X-Hub-Signature-256 does not match the body")
        try:
            delivery = orjson.loads(body)
        except orjson.JSONDecodeError:
            return self._refuse(400, "the body is not JSON")
        if not isinstance(delivery, dict):
            return self._refuse(400, "the body is not a JSON object")
        translation = translate(delivery, self.accounts)
        for ref in translation.mentions:
            if self.resolve_mention is None:
                translation.skipped.append("an Instagram mention (no Graph token to look it up)")
                continue
            try:
                found = await self.resolve_mention(ref)
            except GraphError as exc:
                log.warning("an Instagram mention could not be looked up, Meta will retry: %s", exc)
                return self._refuse(503, "the Graph API did not answer; retry later")
            if found is not None:
                translation.events.append(found)
        for why in translation.skipped:
            self.stats.skipped[why] = self.stats.skipped.get(why, 0) + 1
        try:
            if translation.events:
                await self.deliver(translation.events)
        except BrokerUnavailable as exc:
            log.warning("delivery not acknowledged, Meta will retry: %s", exc)
            return self._refuse(503, "the broker did not acknowledge; retry later")
        self.stats.deliveries += 1
        self.stats.events += len(translation.events)
        self.stats.latencies.append(time.perf_counter() - started)
        del self.stats.latencies[:-10_000]
        return web.Response(text="EVENT_RECEIVED")

    def _refuse(self, status: int, why: str) -> web.Response:
        self.stats.refuse(status)
        return web.Response(status=status, text=why + "\n")


async def serve(receiver: WebhookReceiver, host: str, port: int) -> web.AppRunner:
    """Listen on ``host:port``; several receiver processes may share it (SO_REUSEPORT:
    the kernel spreads connections over them, one core each)."""
    runner = web.AppRunner(receiver.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port, reuse_port=True).start()
    return runner


async def run_forever(receiver: WebhookReceiver, host: str, port: int) -> None:
    runner = await serve(receiver, host, port)
    try:
        await asyncio.Event().wait()
    finally:
        with contextlib.suppress(Exception):
            await runner.cleanup()


def signature_of(body: bytes, app_secret: bytes) -> str:
    """The header Meta sends (tests and the load benchmark sign with it)."""
    return "sha256=" + hmac.new(app_secret, body, hashlib.sha256).hexdigest()


__all__ = ["PATH", "WebhookReceiver", "run_forever", "serve", "signature_of"]
