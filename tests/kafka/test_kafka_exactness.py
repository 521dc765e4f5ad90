"""Exactness on Apache Kafka as deployed (SASL users, ACLs): the worker SIGKILLed three
times mid-stream, the broker stopped and restarted under a running worker and
collector, and a collector killed mid-publish and restarted. Each time every event of
the generator's ground truth is stored once, the rollups add up to it, and the live
numbers equal ClickHouse's (``assert_stored_exactly``)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import orjson
import pytest
from rich.console import Console

from somepulse.collectors.publisher import KafkaPublisher
from somepulse.collectors.replay import Checkpoint
from somepulse.collectors.scenario.generator import ScenarioGenerator
from somepulse.settings import Settings
from somepulse.tools.stack import Stack
from tests.integration.conftest import assert_stored_exactly, wait_for
from tests.kafka.test_kafka_security import as_user
from tests.kafka_broker import KafkaBroker

pytestmark = pytest.mark.kafka


@pytest.fixture
def kafka(tmp_path: Path) -> Iterator[KafkaBroker]:
    """A broker of each test's own, as a new deployment has. On a shared one, whatever a
    test's worker left unread or uncommitted (a failed test leaves its stream) goes to
    the next test's worker, whose fresh store then holds another scenario's events."""
    broker = KafkaBroker(tmp_path / "kafka").start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def stack(kafka: KafkaBroker, tmp_path: Path) -> Iterator[Stack]:
    with Stack(as_user(kafka, tmp_path, "worker"), console=Console(file=io.StringIO())) as s:
        yield s


def publish(
    collector: Settings,
    bootstrap: str,
    start: date,
    end: date,
    seconds: float,
    seed: int,
    hold: threading.Event | None = None,
) -> ScenarioGenerator:
    """The scenario through the collector's own publisher (idempotent, acks=all),
    spread over about ``seconds`` of wall time so that what the test does lands
    mid-stream. With ``hold``, the last fifth of the days waits until it is set: on a
    slow machine the worker's restarts can outlast a stream of fixed length."""
    gen = ScenarioGenerator(start, end, seed=seed)
    days = (end - start).days + 1
    held_from = days - days // 5

    async def go() -> None:
        async with KafkaPublisher.from_settings(collector, bootstrap) as publisher:
            wall0 = time.monotonic()
            for index, (_, events) in enumerate(gen.days()):
                while hold is not None and index >= held_from and not hold.is_set():
                    await asyncio.sleep(0.1)
                await publisher.publish(events)
                await asyncio.sleep(wall0 + (index + 1) * seconds / days - time.monotonic())
            await publisher.flush()

    asyncio.run(go())
    return gen


def in_background(target: object) -> tuple[threading.Thread, dict[str, object]]:
    out: dict[str, object] = {}

    def run() -> None:
        try:
            out["result"] = target()  # type: ignore[operator]
        except BaseException as exc:  # reported by the test, not lost in the thread
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)  # a failed test must not hang pytest
    thread.start()
    return thread, out


def result(thread: threading.Thread, out: dict[str, object], timeout: float) -> object:
    thread.join(timeout)
    assert not thread.is_alive(), "the publisher did not finish"
    if "error" in out:
        raise AssertionError(f"the publisher failed: {out['error']!r}")
    return out["result"]


def test_the_worker_killed_three_times_loses_and_doubles_nothing(
    kafka: KafkaBroker, stack: Stack, tmp_path: Path
) -> None:
    collector = as_user(kafka, tmp_path, "collector")
    start, end = date(2019, 3, 1), date(2019, 5, 10)
    kills_done = threading.Event()
    thread, out = in_background(
        lambda: publish(collector, kafka.bootstrap, start, end, 60, 21, hold=kills_done)
    )
    kills = []
    for _ in range(3):
        # each (re)started worker stores some thousands, then dies mid-stream
        wait_for(lambda: stack.stats().events_stored > 3_000, 120, "events stored")
        assert thread.is_alive(), "the kill must land mid-stream"
        kills.append(stack.stats().events_stored)
        stack.kill_worker()  # SIGKILL: no commit, no flush, no goodbye
        stack.start_worker()
    kills_done.set()
    gen = result(thread, out, 300)
    assert isinstance(gen, ScenarioGenerator)
    assert len(kills) == 3
    assert_stored_exactly(stack, gen, timeout=300)
    print(f"\n{gen.truth.events} events; the worker was killed three times, at {kills}")


def readyz(stack: Stack) -> tuple[bool, list[str]]:
    try:
        with urllib.request.urlopen(f"{stack.worker_url}/readyz", timeout=5) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read())
    return bool(body["ready"]), list(body["problems"])


def test_the_broker_restarted_under_a_worker_and_a_collector(
    kafka: KafkaBroker, stack: Stack, tmp_path: Path
) -> None:
    """Both reconnect by themselves; /readyz is red while the broker is away and green
    after; nothing is lost or counted twice."""
    collector = as_user(kafka, tmp_path, "collector").model_copy(
        update={"collector_connect_timeout": 180.0}
    )
    start, end = date(2019, 6, 1), date(2019, 7, 20)
    thread, out = in_background(lambda: publish(collector, kafka.bootstrap, start, end, 40, 22))
    wait_for(lambda: stack.stats().events_stored > 10_000, 120, "the first stored events")
    assert readyz(stack) == (True, [])
    kafka.stop()  # same log directory when it comes back
    seen: list[str] = []

    def red() -> bool:
        ready, problems = readyz(stack)
        seen.extend(problems)
        return not ready and any("broker unreachable" in p for p in problems)

    wait_for(red, 60, "/readyz red while the broker is away")
    time.sleep(5)  # the collector keeps trying meanwhile
    kafka.start()
    wait_for(lambda: readyz(stack)[0], 180, "/readyz green once the broker is back")
    gen = result(thread, out, 300)
    assert isinstance(gen, ScenarioGenerator)
    assert_stored_exactly(stack, gen, timeout=300)
    print(
        f"\n{gen.truth.events} events across a broker restart; /readyz said {seen[-1]!r}; "
        f"the worker wrote {stack.stats().events_stored} rows"
    )


def test_a_collector_killed_mid_publish_resumes_without_gaps(
    kafka: KafkaBroker, stack: Stack, tmp_path: Path
) -> None:
    """`somepulse collect jsonl` SIGKILLed after its first checkpoints, then run again on
    the same file: it resumes after the last line the broker acknowledged."""
    gen = ScenarioGenerator(date(2019, 9, 1), date(2019, 10, 31), seed=23)
    source = tmp_path / "history.jsonl"
    with source.open("wb") as fh:
        for event in gen:
            fh.write(orjson.dumps(event) + b"\n")
    collector = as_user(kafka, tmp_path, "collector")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOMEPULSE_")}
    env |= collector.as_env() | {"SOMEPULSE_KAFKA_BOOTSTRAP": kafka.bootstrap}
    command = [sys.executable, "-m", "somepulse", "collect", "jsonl", str(source)]
    checkpoint = Checkpoint.for_file(collector.data_dir / "collectors", source)

    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def progressed() -> bool:
        if first.poll() is not None:
            output = first.stdout.read().decode() if first.stdout else ""
            raise AssertionError(f"the collector ended before the kill: {output[-3000:]}")
        return checkpoint.done() >= 10_000

    wait_for(progressed, 120, "the collector's checkpoints")
    first.send_signal(signal.SIGKILL)
    first.wait()
    resumed_from = checkpoint.done()
    lines = gen.truth.events
    assert 0 < resumed_from < lines, (resumed_from, lines)

    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"resumed after line {resumed_from:,}" in second.stdout
    assert f"replayed {lines - resumed_from:,} lines" in second.stdout
    assert checkpoint.done() == lines
    assert_stored_exactly(stack, gen, timeout=300)
