"""The ingest agent: thin. Takes batches of messages, hands them to the pipeline and
acks them only after the pipeline has stored them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, cast

import faust
from faust.types import EventT

from somepulse.alerts.observe import Observation
from somepulse.alerts.service import SurgeService
from somepulse.settings import Settings
from somepulse.streams.pipeline import IngestPipeline, PreparedBatch

SurgeFeed = Callable[[list[Observation]], Awaitable[None]]


def register_surge(app: faust.App, service: SurgeService) -> SurgeFeed:
    """The surge detector as a Faust agent on an in-memory channel fed by the ingest
    agent with each batch's observations (counted once: replays are filtered). The
    returned feed counts what waits (``SurgeService.backlog``): /stats says when the
    detector has decided everything stored."""
    channel: faust.ChannelT[Any] = app.channel()

    async def surge(stream: faust.StreamT[Any]) -> None:
        async for batch in stream:
            try:
                await service.handle(batch)
            finally:
                service.backlog -= len(batch)

    async def feed(observations: list[Observation]) -> None:
        service.backlog += len(observations)
        await channel.send(value=observations)

    app.agent(channel, name="surge")(surge)
    return feed


def register_ingest(
    app: faust.App,
    settings: Settings,
    pipeline: IngestPipeline,
    surge: SurgeFeed | None = None,
    ready: asyncio.Event | None = None,
) -> Any:
    topic = app.topic(
        settings.events_topic,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.topic_partitions,
    )

    async def ingest(stream: faust.StreamT[bytes]) -> None:
        # noack_take: Faust acks nothing; a batch is acked only after it is stored, so a
        # failed or interrupted insert leaves its offsets uncommitted (redelivered later,
        # absorbed by the idempotent tables). One batch is stored while the next is
        # processed: the insert runs in a thread and releases the GIL.
        async def store_then_ack(prepared: PreparedBatch, events: list[EventT[bytes]]) -> None:
            await pipeline.store(prepared)
            for event in events:
                await stream.ack(event)

        try:
            await consume(stream, store_then_ack)
        except Exception as exc:  # Faust only logs a crashed agent: /readyz shows it
            pipeline.stopped = f"{type(exc).__name__}: {str(exc)[:200]}"
            raise

    async def consume(stream: faust.StreamT[bytes], store_then_ack: Any) -> None:
        inflight: asyncio.Future[None] | None = None
        # noack_take is on faust.Stream (not the StreamT protocol) and yields events,
        # although its annotation says values
        async for taken in cast(faust.Stream[bytes], stream).noack_take(
            settings.worker_batch_max_messages, within=settings.worker_batch_max_seconds
        ):
            if ready is not None:
                await ready.wait()  # partition state is being rebuilt after a rebalance
            for events in by_bytes(
                cast(list[EventT[bytes]], list(taken)), settings.worker_batch_max_bytes
            ):
                prepared = await pipeline.prepare_sliced(
                    [(e.message.partition, e.message.offset, e.key, e.value) for e in events]
                )
                if prepared.observations and surge is not None:
                    await surge(prepared.observations)
                if inflight is not None:
                    await inflight  # inserts and acks stay in order, one batch in flight
                inflight = asyncio.ensure_future(store_then_ack(prepared, events))
        if inflight is not None:
            await inflight

    return app.agent(topic, name="ingest")(ingest)


def by_bytes(events: list[EventT[bytes]], limit: int) -> Iterator[list[EventT[bytes]]]:
    """The taken messages in runs of at most ``limit`` bytes of values (a larger message
    alone): what a batch holds while it is prepared and stored grows with its events,
    not its messages, and a message may carry one event or twenty thousand."""
    run: list[EventT[bytes]] = []
    size = 0
    for event in events:
        value = len(event.value or b"")
        if run and size + value > limit:
            yield run
            run, size = [], 0
        run.append(event)
        size += value
    if run:
        yield run
