"""Publishing to Kafka with aiokafka: per-page batches, keyed by page id.

Small events cost Faust ~200 µs each as single messages; packed as a JSON array of up
to ``batch_events`` events of one page, one message carries hundreds. A page's events
stay in one partition and in order, which response matching needs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError

from somepulse.collectors.edge import detect_question
from somepulse.privacy.keys import keyring
from somepulse.privacy.pseudonyms import Pseudonymiser
from somepulse.settings import Settings
from somepulse.telemetry import CollectorMetrics

log = logging.getLogger(__name__)


class BrokerUnavailable(RuntimeError):
    pass


@dataclass
class PublishReport:
    events: int = 0
    messages: int = 0
    bytes: int = 0
    by_page: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    @property
    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def summary(self) -> str:
        rate = self.events / self.seconds if self.seconds else 0.0
        kinds = ", ".join(f"{k} {n:,}" for k, n in self.by_kind.most_common())
        return (
            f"published {self.events:,} events in {self.messages:,} messages "
            f"({self.bytes / 1e6:.1f} MB) in {self.seconds:.1f} s = {rate:,.0f} events/s; "
            f"{kinds}"
        )


def resendable(exc: KafkaError) -> bool:
    """Not delivered in time, or a broker that is away: worth sending again. Anything
    else (a message the broker refuses) would fail again."""
    return isinstance(exc, KafkaTimeoutError) or exc.retriable


class KafkaPublisher:
    def __init__(
        self,
        bootstrap: str,
        topic: str,
        *,
        pseudonymiser: Pseudonymiser,
        keep_text: bool = False,
        batch_events: int = 250,
        max_message_bytes: int = 1_048_576,
        connect_timeout: float = 60.0,
        on_retry: Callable[[str], None] | None = None,
        metrics: CollectorMetrics | None = None,
        client_options: dict[str, Any] | None = None,
        idempotent: bool = False,
    ) -> None:
        self.bootstrap, self.topic = bootstrap, topic
        # Kafka's idempotent producer: a send retried after a lost acknowledgement is
        # written once, in order. Apache Kafka only: Tansu lacks InitProducerId
        self._idempotent = idempotent
        self._pseudonymiser = pseudonymiser
        self._keep_text = keep_text
        self._batch_events = batch_events
        self._max_bytes = max_message_bytes
        self._connect_timeout = connect_timeout
        self._client_options = client_options or {}  # SASL of a deployed broker
        self._on_retry = on_retry or (lambda msg: log.warning("%s", msg))
        self.metrics = metrics
        self._pending: dict[str | None, list[Any]] = {}
        # sent, not yet acknowledged: (future, key, value) — kept to send again if the
        # broker goes away before it acknowledges
        self._inflight: list[tuple[asyncio.Future[Any], bytes | None, bytes]] = []
        self._producer: AIOKafkaProducer | None = None
        self.report = PublishReport()

    @classmethod
    def from_settings(cls, settings: Settings, bootstrap: str, **extra: Any) -> KafkaPublisher:
        """The collector as configured: pseudonymisation key, text policy, batch and
        message limits, connect timeout."""
        return cls(
            bootstrap,
            settings.events_topic,
            pseudonymiser=keyring(settings).current,
            keep_text=settings.keep_message_text,
            batch_events=settings.collector_batch_events,
            max_message_bytes=settings.max_message_bytes,
            connect_timeout=settings.collector_connect_timeout,
            client_options=settings.kafka_client_options(),
            idempotent=not settings.embedded_broker,
            **extra,
        )

    async def start(self) -> None:
        """Connect, retrying with backoff while the broker is not up yet."""
        deadline = time.monotonic() + self._connect_timeout
        delay, attempt = 0.25, 0
        while True:
            attempt += 1
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap,
                acks="all",
                enable_idempotence=self._idempotent,
                linger_ms=5,
                # one batch within the broker's message.max.bytes (Apache Kafka's 1 MiB
                # default; Tansu has none): batches fill up while a broker is away
                max_batch_size=self._max_bytes,
                max_request_size=4 * self._max_bytes,
                request_timeout_ms=30_000,
                **self._client_options,
            )
            try:
                await producer.start()
            except KafkaConnectionError as exc:
                await producer.stop()
                delay = await self._back_off(
                    delay,
                    deadline,
                    5.0,
                    exc,
                    f"Kafka broker at {self.bootstrap} is not reachable after {attempt} "
                    f"attempts over {self._connect_timeout:.0f} s",
                    f"broker at {self.bootstrap} not up yet (attempt {attempt}), "
                    f"retrying in {delay:.1f} s",
                )
                continue
            self._producer = producer
            self.report = PublishReport()
            return

    async def publish(self, events: Iterable[dict[str, Any]]) -> None:
        """Queue events (questions detected, pseudonymised, citizens' text dropped) and
        send full page batches. Every object is scrubbed here, whatever it holds:
        nothing leaves a collector with a person's platform id in it."""
        for event in events:
            detect_question(event)  # reads the text the scrub drops
            self._pseudonymiser.scrub(event, keep_text=self._keep_text)
            page = event.get("page_id") if isinstance(event.get("page_id"), str) else None
            batch = self._pending.setdefault(page, [])
            batch.append(event)
            self.report.by_page[str(page)] += 1
            self.report.by_kind[str(event.get("kind"))] += 1
            if self.metrics is not None and event.get("kind") != "source_status":
                self.metrics.events.labels(str(page), str(event.get("kind"))).inc()
            if len(batch) >= self._batch_events:
                await self._send(page, self._pending.pop(page))
        await self._reap(limit=2_000)

    async def deliver(self, events: Iterable[dict[str, Any]], timeout: float = 10.0) -> int:
        """Send these events now, apart from any batch being filled, and return once the
        broker acknowledged every one (a webhook may answer 200 only then). Raises
        ``BrokerUnavailable`` when it does not within ``timeout`` seconds."""
        if self._producer is None:
            raise BrokerUnavailable(f"not connected to the broker at {self.bootstrap} yet")
        producer = self._producer
        by_page: dict[str | None, list[Any]] = {}
        for event in events:
            detect_question(event)
            self._pseudonymiser.scrub(event, keep_text=self._keep_text)
            page = event.get("page_id") if isinstance(event.get("page_id"), str) else None
            by_page.setdefault(page, []).append(event)
            if self.metrics is not None and event.get("kind") != "source_status":
                self.metrics.events.labels(str(page), str(event.get("kind"))).inc()
                self._mark_time(event)

        async def send_all() -> int:
            sent = []
            for page, batch in by_page.items():
                key = page.encode() if page else None
                for start in range(0, len(batch), self._batch_events):
                    value = orjson.dumps(batch[start : start + self._batch_events])
                    sent.append(await producer.send(self.topic, value, key=key))
            await asyncio.gather(*sent)
            return sum(len(b) for b in by_page.values())

        try:
            count = await asyncio.wait_for(send_all(), timeout)
        except (TimeoutError, KafkaError) as exc:
            raise BrokerUnavailable(
                f"the broker at {self.bootstrap} did not acknowledge within {timeout:g} s: "
                f"{exc or type(exc).__name__}"
            ) from exc
        self.report.events += count
        return count

    def _mark_time(self, event: dict[str, Any]) -> None:
        assert self.metrics is not None
        try:
            at = datetime.fromisoformat(str(event.get("occurred_at")).replace("Z", "+00:00"))
        except ValueError:
            return
        if at.timestamp() > self.metrics.newest_event:
            self.metrics.newest_event = at.timestamp()
            self.metrics.last_event.labels(self.metrics.source).set(at.timestamp())

    async def flush(self) -> PublishReport:
        for page in list(self._pending):
            await self._send(page, self._pending.pop(page))
        await self._reap(limit=0)
        if self._producer is not None:
            await self._producer.flush()
        self.report.finished = time.monotonic()
        return self.report

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def _send(self, page: str | None, batch: list[Any]) -> None:
        if not batch:
            return
        value = orjson.dumps(batch)
        if len(value) > self._max_bytes and len(batch) > 1:
            half = len(batch) // 2
            await self._send(page, batch[:half])
            await self._send(page, batch[half:])
            return
        await self._send_bytes(page.encode() if page else None, value, events=len(batch))

    async def _send_bytes(self, key: bytes | None, value: bytes, events: int) -> None:
        if self._producer is None:
            raise RuntimeError("publisher not started")
        future = await self._producer.send(self.topic, value, key=key)
        self._inflight.append((future, key, value))
        self.report.messages += 1
        self.report.bytes += len(value)
        if self.metrics is not None:
            self.metrics.messages.labels(self.topic).inc()
            self.metrics.bytes.labels(self.topic).inc(len(value))
        self.report.events += events

    async def _reap(self, limit: int) -> None:
        """Wait for delivery once more than ``limit`` sends are in flight (bounded memory,
        and a failed delivery surfaces here instead of vanishing). What the broker did
        not acknowledge (it went away: a restart, a network cut) is sent again until it
        is, for as long as the connect timeout allows: a broker restart costs a collector
        a pause, not its run, and no event is skipped."""
        if len(self._inflight) <= limit:
            return
        inflight, self._inflight = self._inflight, []
        results = await asyncio.gather(*(f for f, _, _ in inflight), return_exceptions=True)
        failed = []
        for (_, key, value), outcome in zip(inflight, results, strict=True):
            if isinstance(outcome, KafkaError) and resendable(outcome):
                failed.append((key, value, outcome))
            elif isinstance(outcome, KafkaError):
                raise BrokerUnavailable(
                    f"the broker at {self.bootstrap} refused a message: {outcome}"
                ) from outcome
            elif isinstance(outcome, BaseException):
                raise outcome
        if failed:
            await self._send_again(failed)

    async def _send_again(self, failed: list[tuple[bytes | None, bytes, KafkaError]]) -> None:
        if self._producer is None:
            raise RuntimeError("publisher not started")
        deadline = time.monotonic() + self._connect_timeout
        delay = 0.5
        self._on_retry(
            f"the broker at {self.bootstrap} did not acknowledge {len(failed)} messages "
            f"({failed[0][2]}); sending them again"
        )
        for key, value, _ in failed:
            while True:
                try:
                    await (await self._producer.send(self.topic, value, key=key))
                    break
                except KafkaError as exc:
                    failure = (
                        f"delivery to {self.bootstrap} failed for {self._connect_timeout:.0f} s"
                    )
                    if not resendable(exc):
                        raise BrokerUnavailable(f"{failure}: {exc}") from exc
                    delay = await self._back_off(delay, deadline, 10.0, exc, failure)

    async def _back_off(
        self,
        delay: float,
        deadline: float,
        cap: float,
        exc: KafkaError,
        failure: str,
        retrying: str | None = None,
    ) -> float:
        """Wait ``delay`` before the next attempt and return the one after it; give up
        (``failure``: exc) when that would pass the deadline. Both the connect and the
        re-send loops go through here."""
        if time.monotonic() + delay > deadline:
            raise BrokerUnavailable(f"{failure}: {exc}") from exc
        if self.metrics is not None:
            self.metrics.retries.inc()
        if retrying is not None:
            self._on_retry(retrying)
        await asyncio.sleep(delay)
        return min(delay * 2, cap)

    async def __aenter__(self) -> KafkaPublisher:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                await self.flush()
        finally:
            await self.stop()
