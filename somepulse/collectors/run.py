"""Running the scenario collector: accelerated replay or live, with a report.

Ctrl-C (or SIGTERM) sets a stop event that the loops check between days and while
they wait: what was published is flushed and reported, then the caller stops the
rest in order. (Cancelling the task instead could leave aiokafka's producer waiting
on batches that will never be sent.)
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

from somepulse.collectors.publisher import KafkaPublisher, PublishReport
from somepulse.collectors.scenario.generator import ScenarioGenerator, iso

DayCallback = Callable[[date, PublishReport], None]


class Interrupted(Exception):
    """The user asked to stop; what was published has been flushed."""


@contextlib.contextmanager
def stop_on_signals() -> Iterator[asyncio.Event]:
    """An event set by SIGINT/SIGTERM while the block runs (inside a running loop)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        yield stop
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


async def _pause(seconds: float, stop: asyncio.Event | None) -> None:
    if seconds <= 0:
        return
    if stop is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def replay_scenario(
    gen: ScenarioGenerator,
    publisher: KafkaPublisher,
    *,
    speed: float | None = None,
    on_day: DayCallback | None = None,
    stop: asyncio.Event | None = None,
) -> PublishReport:
    """Publish day by day. ``speed`` is simulated seconds per wall second (None: as fast
    as the broker takes it); pacing is per simulated day. Raises ``Interrupted`` (after
    flushing) when ``stop`` is set."""
    wall0 = time.monotonic()
    for index, (day, events) in enumerate(gen.days()):
        await publisher.publish(events)
        if on_day is not None:
            on_day(day, publisher.report)
        if speed:
            await _pause(wall0 + (index + 1) * 86_400 / speed - time.monotonic(), stop)
        if stop is not None and stop.is_set():
            await publisher.flush()
            raise Interrupted(f"stopped on {day}")
    return await publisher.flush()


async def run_live(
    gen: ScenarioGenerator,
    publisher: KafkaPublisher,
    *,
    speed: float = 1.0,
    on_day: DayCallback | None = None,
    stop: asyncio.Event | None = None,
) -> PublishReport:
    """Live mode: each event is published when its (scaled) time comes and stamped with
    the wall clock, as a real collector would see it."""
    wall0 = time.monotonic()
    sim0 = datetime.combine(gen.start, datetime.min.time(), UTC)
    for day, events in gen.days():
        for event in events:
            at = datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00"))
            delay = wall0 + (at - sim0).total_seconds() / speed - time.monotonic()
            if delay > 0:
                await publisher.flush()  # nothing waits in a batch while we sleep
                await _pause(delay, stop)
            if stop is not None and stop.is_set():
                await publisher.flush()
                raise Interrupted(f"stopped on {day}")
            event["occurred_at"] = iso(datetime.now(UTC))
            await publisher.publish([event])
        if on_day is not None:
            on_day(day, publisher.report)
    return await publisher.flush()
