"""Integration fixtures: the real embedded broker (Tansu) and a real worker process
writing to real chDB. Nothing here is mocked."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from rich.console import Console

from somepulse.collectors.publisher import KafkaPublisher
from somepulse.collectors.run import replay_scenario
from somepulse.collectors.scenario.generator import ScenarioGenerator
from somepulse.privacy.keys import keyring
from somepulse.settings import Settings
from somepulse.tools.stack import Stack


@pytest.fixture
def stack(settings: Settings) -> Iterator[Stack]:
    with Stack(settings, console=Console(file=io.StringIO())) as running:
        yield running


def sql(stack: Stack, query: str) -> list[dict[str, Any]]:
    return stack.sql(query)


def publisher_for(stack: Stack, settings: Settings, **kw: Any) -> KafkaPublisher:
    return KafkaPublisher(
        stack.bootstrap,
        settings.events_topic,
        pseudonymiser=keyring(settings).current,
        batch_events=settings.collector_batch_events,
        **kw,
    )


def publish_scenario(
    stack: Stack,
    settings: Settings,
    start: date,
    end: date,
    *,
    scale: float = 1.0,
    seed: int = 5,
    speed: float | None = None,
) -> ScenarioGenerator:
    gen = ScenarioGenerator(start, end, seed=seed, scale=scale)

    async def go() -> None:
        async with publisher_for(stack, settings) as publisher:
            await replay_scenario(gen, publisher, speed=speed)

    asyncio.run(go())
    return gen


def stored_daily(stack: Stack) -> dict[tuple[str, str, str], int]:
    rows = sql(
        stack,
        "SELECT page_id, toString(toDate(occurred_at)) AS d, kind, count() AS n "
        "FROM somepulse.events FINAL GROUP BY page_id, d, kind",
    )
    return {(r["page_id"], r["d"], r["kind"]): int(r["n"]) for r in rows}


def truth_daily(gen: ScenarioGenerator) -> dict[tuple[str, str, str], int]:
    return {
        (p, d, k): n
        for p, days in gen.truth.daily.items()
        for d, kinds in days.items()
        for k, n in kinds.items()
    }


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.25)


def sql_cli(settings: Settings, query: str) -> list[dict[str, Any]]:
    """``somepulse sql --format json`` in its own process, as an analyst runs it."""
    import json
    import os
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "somepulse", "sql", "--format", "json", query],
        env={**os.environ, "SOMEPULSE_DATA_DIR": str(settings.data_dir)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    rows: list[dict[str, Any]] = json.loads(out.stdout)
    return rows
