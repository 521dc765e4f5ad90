"""SIGKILL the worker in the middle of a stream, restart it: 0 lost, 0 double-counted."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from somepulse.collectors.scenario.generator import ScenarioGenerator
from somepulse.settings import Settings
from somepulse.tools.stack import Stack

from .conftest import assert_stored_exactly, publish_scenario, sql_cli, wait_for

pytestmark = pytest.mark.integration
START, END = date(2019, 3, 1), date(2019, 4, 10)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Every message a batch of its own (``worker_batch_max_bytes``): several batches of
    one take are stored and acked in order, which the kill must not break."""
    return settings.model_copy(update={"worker_batch_max_bytes": 1})


def test_sigkill_mid_stream_loses_and_duplicates_nothing(stack: Stack, settings: Settings) -> None:
    result: dict[str, ScenarioGenerator] = {}
    # ~55k events spread over ~12 s, so the kill lands mid-stream
    speed = ((END - START).days + 1) * 86_400 / 12
    publisher = threading.Thread(
        target=lambda: result.setdefault(
            "gen", publish_scenario(stack, settings, START, END, speed=speed)
        )
    )
    publisher.start()

    wait_for(lambda: stack.stats().events_stored > 8_000, 60, "the first stored events")
    stack.kill_worker()
    killed_at = int(sql_direct_count(settings))
    stack.start_worker()
    publisher.join(120)
    gen = result["gen"]
    assert killed_at < gen.truth.events, "the kill must land before the stream ends"

    assert_stored_exactly(stack, gen)
    stats = stack.stats()
    # rows the new worker wrote beyond what was missing = redelivered, absorbed by dedup
    redelivered = stats.events_stored - (gen.truth.events - killed_at)
    assert redelivered >= 0
    print(
        f"\nkilled with {killed_at} of {gen.truth.events} events stored; the restarted "
        f"worker stored {stats.events_stored}, {redelivered} of them redelivered"
    )


def sql_direct_count(settings: Settings) -> int:
    """Rows on disk right after the kill, read by a short-lived process (the killed
    worker released the chDB lock; the new worker is not up yet)."""
    rows = sql_cli(settings, "SELECT uniqExact(event_id) AS n FROM somepulse.events")
    return int(rows[0]["n"])
