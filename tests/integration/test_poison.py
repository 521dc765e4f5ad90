"""Security review D1-D3, end to end on the real broker and worker: messages built to
stop ingestion (a 1.05 MB invalid message, a 1 MB array of integers, 1,000 unique
20 KB kinds) cost bounded dead letters, bounded memory and bounded metric labels, and
a good event sent after them is stored within 10 s."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from pathlib import Path

import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from somepulse.settings import Settings
from somepulse.tools.sql import http_json
from somepulse.tools.stack import Stack
from tests.helpers import interaction, person

from .conftest import sql
from .test_bad_input import produce_raw

pytestmark = pytest.mark.integration


class AnonPeak:
    """Peak anonymous RSS of a process, sampled every 20 ms. Anonymous memory is what
    input can grow; the ~250 MB of chDB's engine binary mapped into the worker (file
    RSS, shared and constant) would hide it inside a plain RSS figure."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_mb, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            status = Path(f"/proc/{self.pid}/status").read_text()
            match = re.search(r"RssAnon:\s+(\d+) kB", status)
            assert match is not None
            self.peak_mb = max(self.peak_mb, int(match.group(1)) / 1024)
            self._stop.wait(0.02)

    def __enter__(self) -> AnonPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def test_poison_messages_cannot_stop_ingestion(stack: Stack, settings: Settings) -> None:
    assert stack.worker is not None
    invalid = b'{"kind": "interaction", "junk": "' + b"x" * 1_050_000  # 1.05 MB, no JSON
    integers = b"[" + b",".join([b"1"] * 500_000) + b"]"  # 1 MB array of integers
    kinds = [orjson.dumps({"kind": f"k{i}" + "z" * 20_000}) for i in range(1_000)]
    good = interaction(1, actor_id=person("p"), occurred_at="2026-01-05T10:00:00Z")
    with AnonPeak(stack.worker.pid) as memory:
        # one key: the good event queues behind the poison on the same partition
        poison = [invalid, integers, *kinds]
        asyncio.run(produce_raw(stack.bootstrap, settings.events_topic, poison, key=b"p"))
        sent = time.monotonic()
        asyncio.run(
            produce_raw(stack.bootstrap, settings.events_topic, [orjson.dumps(good)], key=b"p")
        )
        query = "SELECT count() AS n FROM somepulse.events WHERE event_id = 'e1'"
        while sql(stack, query) != [{"n": 1}]:
            if time.monotonic() - sent > 10:
                pytest.fail("the good event was not stored within 10 s of the poison")
            time.sleep(0.2)
        stored_after = time.monotonic() - sent
        stats = stack.wait_stored(1 + 1_002, timeout=60)
    print(f"good event stored {stored_after:.1f} s after the poison; peak {memory.peak_mb:.0f} MB")
    assert stats.dead_letters == 1_002
    assert stats.dead_by_reason == {
        "message too large": 1,
        "too many events": 1,
        "unknown kind": 1_000,
    }
    assert memory.peak_mb < 500
    metrics = http_json_text(f"{stack.worker_url}/metrics")
    series = [line for line in metrics.splitlines() if line.startswith("somepulse_dead_letters")]
    assert len(series) <= 2 * 12, series  # _total and _created per fixed reason class
    assert http_json(f"{stack.worker_url}/readyz") == {"ready": True, "problems": []}


def http_json_text(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


def test_topics_keep_data_only_as_long_as_configured(stack: Stack, settings: Settings) -> None:
    """Security review R1: dead letters and raw events do not live on the broker for
    its default; retention.ms comes from the settings."""

    async def retention() -> dict[str, str]:
        admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap)
        await admin.start()
        try:
            names = [settings.events_topic, settings.dlq_topic]
            described = await admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, n) for n in names]
            )
        finally:
            await admin.close()
        return {
            name: dict((e[0], e[1]) for e in entries)["retention.ms"]
            for response in described
            for _code, _msg, _type, name, entries in response.resources
        }

    assert asyncio.run(retention()) == {
        settings.events_topic: str(168 * 3_600_000),
        settings.dlq_topic: str(72 * 3_600_000),
    }
