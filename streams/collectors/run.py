"""Running the scenario collector: accelerated replay or live, with a report."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

from streams.collectors.publisher import KafkaPublisher, PublishReport
from streams.collectors.scenario import ScenarioGenerator, iso

DayCallback = Callable[[date, PublishReport], None]


async def replay_scenario(
    gen: ScenarioGenerator,
    publisher: KafkaPublisher,
    *,
    speed: float | None = None,
    on_day: DayCallback | None = None,
) -> PublishReport:
    """Publish day by day. ``speed`` is simulated seconds per wall second (None: as fast
    as the broker takes it); pacing is per simulated day."""
    wall0 = time.monotonic()
    for index, (day, events) in enumerate(gen.days()):
        await publisher.publish(events)
        if on_day is not None:
            on_day(day, publisher.report)
        if speed:
            due = wall0 + (index + 1) * 86_400 / speed
            await asyncio.sleep(max(0.0, due - time.monotonic()))
    return await publisher.flush()


async def run_live(
    gen: ScenarioGenerator,
    publisher: KafkaPublisher,
    *,
    speed: float = 1.0,
    on_day: DayCallback | None = None,
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
                await asyncio.sleep(delay)
            event["occurred_at"] = iso(datetime.now(UTC))
            await publisher.publish([event])
        if on_day is not None:
            on_day(day, publisher.report)
    return await publisher.flush()
