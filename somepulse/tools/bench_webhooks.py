"""``somepulse bench webhooks``: how many Meta deliveries the receiver takes per second.

The receiver runs as in production (signature check, translation, question detection,
pseudonymisation, and 200 only after the broker acknowledged every event) in front of
the embedded broker; a load client in another process posts signed deliveries of
``changes`` feed comments each, ``concurrency`` at a time, for ``seconds``. Printed:
deliveries/s, events/s, latency quantiles as the client saw them, and the CPU each
process used. Receiver, broker and client share this machine's cores.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import shutil
import statistics
import time
from typing import Any

import orjson
from aiohttp import ClientSession, TCPConnector
from rich.console import Console
from rich.table import Table

from somepulse.collectors.meta.webhook import WebhookReceiver, serve, signature_of
from somepulse.collectors.publisher import KafkaPublisher
from somepulse.domain.pages import account_index, load_pages
from somepulse.embedded.broker import EmbeddedBroker, free_port
from somepulse.privacy.pseudonyms import Pseudonymiser
from somepulse.settings import Settings
from somepulse.tools.procstat import sample

SECRET = b"bench-secret"
PAGE = "100000000000101"


def delivery(n: int, changes: int) -> bytes:
    base = 1_584_000_000 + n
    return orjson.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": PAGE,
                    "time": base,
                    "changes": [
                        {
                            "field": "feed",
                            "value": {
                                "item": "comment",
                                "verb": "add",
                                "comment_id": f"2001_{n}_{i}",
                                "post_id": f"{PAGE}_2001",
                                "parent_id": f"{PAGE}_2001",
                                "from": {"id": f"91{n % 50_000:08d}{i}", "name": "X"},
                                "created_time": base,
                                "message": "Når kommer pengene?" if i % 3 else "Takk!",
                            },
                        }
                        for i in range(changes)
                    ],
                }
            ],
        }
    )


def _client(url: str, seconds: float, concurrency: int, changes: int, out: Any) -> None:
    async def go() -> list[tuple[float, int]]:
        results: list[tuple[float, int]] = []
        deadline = time.perf_counter() + seconds
        counter = iter(range(10**9))
        async with ClientSession(connector=TCPConnector(limit=concurrency)) as session:

            async def worker() -> None:
                while time.perf_counter() < deadline:
                    body = delivery(next(counter), changes)
                    headers = {"X-Hub-Signature-256": signature_of(body, SECRET),
                               "Content-Type": "application/json"}  # fmt: skip
                    started = time.perf_counter()
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        results.append((time.perf_counter() - started, response.status))

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        return results

    started = time.perf_counter()
    results = asyncio.run(go())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out.put((results, time.perf_counter() - started, usage.ru_utime + usage.ru_stime))


def _receiver_child(bootstrap: str, topic: str, port: int, stop: Any, out: Any) -> None:
    """Another receiver process on the same port (what ``--workers 2`` runs)."""

    async def go() -> None:
        publisher = KafkaPublisher(bootstrap, topic, pseudonymiser=Pseudonymiser(b"b" * 32))
        await publisher.start()
        receiver = WebhookReceiver(
            SECRET, "t", lambda events: publisher.deliver(events, 10.0),
            account_index(load_pages()),
        )  # fmt: skip
        runner = await serve(receiver, "127.0.0.1", port)
        out.put("ready")
        while not stop.is_set():
            await asyncio.sleep(0.1)
        await runner.cleanup()
        await publisher.stop()
        out.put(time.process_time())

    asyncio.run(go())


def run_webhook_bench(
    settings: Settings,
    seconds: float = 20.0,
    concurrency: int = 64,
    changes: int = 10,
    workers: int = 2,
    console: Console | None = None,
) -> dict[str, Any]:
    console = console or Console()
    work = settings.data_dir / "bench-webhooks"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    broker = EmbeddedBroker(work / "broker.log").start()
    port = free_port()
    try:
        figures = asyncio.run(
            _measure(settings, broker.bootstrap, port, seconds, concurrency, changes, workers)
        )
        broker_cpu = _cpu_seconds(broker.pid)
    finally:
        broker.stop()
    figures["broker_cpu_s"] = broker_cpu
    table = Table(title=f"Meta webhook receiver ({workers} processes): {changes} changes "
                        f"per delivery, {concurrency} at a time, {seconds:g} s")  # fmt: skip
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in figures.items():
        table.add_row(name, f"{value:,.1f}" if isinstance(value, float) else f"{value:,}")
    console.print(table)
    return figures


async def _measure(
    settings: Settings,
    bootstrap: str,
    port: int,
    seconds: float,
    concurrency: int,
    changes: int,
    workers: int,
) -> dict[str, Any]:
    publisher = KafkaPublisher(
        bootstrap, settings.events_topic, pseudonymiser=Pseudonymiser(b"b" * 32)
    )
    await publisher.start()
    receiver = WebhookReceiver(
        SECRET, "t", lambda events: publisher.deliver(events, 10.0),
        account_index(load_pages()), max_bytes=settings.webhook_max_bytes,
    )  # fmt: skip
    runner = await serve(receiver, "127.0.0.1", port)
    context = multiprocessing.get_context("spawn")
    stop, child_out = context.Event(), context.Queue()
    children = [
        context.Process(
            target=_receiver_child, args=(bootstrap, settings.events_topic, port, stop, child_out)
        )
        for _ in range(workers - 1)
    ]
    loop = asyncio.get_running_loop()
    for child in children:
        child.start()
        await loop.run_in_executor(None, child_out.get)  # listening
    cpu_before = time.process_time()
    queue: Any = context.Queue()
    client = context.Process(
        target=_client,
        args=(f"http://127.0.0.1:{port}/webhooks/meta", seconds, concurrency, changes, queue),
    )
    client.start()
    results, wall, client_cpu = await asyncio.get_running_loop().run_in_executor(None, queue.get)
    client.join()
    receiver_cpu = time.process_time() - cpu_before
    await runner.cleanup()
    await publisher.stop()
    latencies = sorted(r[0] for r in results if r[1] == 200)
    refused = sum(1 for r in results if r[1] != 200)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 100 else [0.0] * 99
    return {
        "deliveries": len(latencies),
        "refused": refused,
        "deliveries_per_s": len(latencies) / wall,
        "events_per_s": len(latencies) * changes / wall,
        "p50_ms": q[49] * 1000,
        "p99_ms": q[98] * 1000,
        "receiver_cpu_s": receiver_cpu,
        "client_cpu_s": client_cpu,
        "wall_s": wall,
    }


def _cpu_seconds(pid: int | None) -> float:
    got = None if pid is None else sample(pid)
    return 0.0 if got is None else got.cpu_seconds
