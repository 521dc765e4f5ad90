"""``somepulse bench``: the embedded stack's sustained throughput and latency.

1. Throughput: N scenario events (pre-generated, pseudonymised and packed in page
   batches, so the generator's own cost is not measured) are published as fast as the
   broker takes them while the worker consumes; the clock stops when the worker has
   stored the last one. Broker, worker, chDB and publisher share this machine's cores.
2. Latency: a steady rate (default 5 000 events/s) of events stamped with the wall
   clock; one probe event per tick is polled for in ClickHouse through the worker's
   SQL endpoint, so "queryable" means a real query found it. Also reported: the
   ``ingested_at - occurred_at`` quantiles over every event (insert time, no polling).

Size: the default 600 000 events are twenty months of the scenario's seven pages. A
larger ``--events`` keeps those months and makes the pages busier (the generator's
scale), so that more events means more traffic, not more history for the detector to
replay. ``--history N`` stores N copies of the run's events before it starts, each
moved back two years (``seed_history``): the worker's memory must not grow with what
ClickHouse holds.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import shutil
import statistics
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from somepulse.collectors.scenario.generator import ScenarioGenerator, iso
from somepulse.privacy.pseudonyms import Pseudonymiser
from somepulse.settings import Settings
from somepulse.store import Store, open_prepared_store
from somepulse.streams.processor import MessageProcessor
from somepulse.tools.bench_alert_delivery import AlertRecorder, alert_delivery
from somepulse.tools.procstat import MemoryWatch, sample, thread_cpu
from somepulse.tools.stack import Stack

BASE_EVENTS = 600_000  # the scenario's twenty months at its own scale
HISTORY_SHIFT_DAYS = 730  # each stored copy two years before the next: no overlap


def run_bench(
    settings: Settings,
    events: int,
    rate: int,
    latency_seconds: float,
    console: Console,
    bootstrap: str | None = None,
    history: int = 0,
) -> dict[str, Any]:
    """``bootstrap``: a running Kafka (SASL from the SOMEPULSE_KAFKA_* settings) instead
    of the embedded broker. Its topics outlive the run, so the bench uses a topic and a
    consumer group of its own each time (inside the worker's ACL prefix)."""
    if history and bootstrap:
        raise ValueError("--history seeds the embedded store: not with --bootstrap")
    bench_dir = settings.data_dir / "bench"
    shutil.rmtree(bench_dir, ignore_errors=True)
    update: dict[str, Any] = {"data_dir": bench_dir}
    if bootstrap:
        run = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        update |= {
            "kafka_bootstrap": bootstrap,
            "events_topic": f"somepulse.bench.{run}",
            "consumer_group": f"somepulse-bench-{run}",
        }
    bench_settings = settings.model_copy(update=update)
    console.print(f"preparing {events:,} scenario events…")
    messages, count = prepare_messages(events, settings)
    results: dict[str, Any] = {"history_copies": history}
    if history:
        results["history_rows"] = seed_history(bench_settings, messages, history, console)
    recorder = AlertRecorder()
    env = {"SOMEPULSE_ALERTMANAGER_URL": recorder.url}
    try:
        with Stack(bench_settings, console=console, worker_env=env) as stack:
            topic = bench_settings.events_topic
            assert stack.worker is not None
            with MemoryWatch(stack.worker.pid) as memory:
                memory.phase = "ready"  # its state rebuilt, nothing of the run yet
                time.sleep(1.0)
                memory.phase = "throughput"
                results |= asyncio.run(throughput(stack, topic, messages, count, console))
                memory.phase = "latency"
                results |= asyncio.run(latency(stack, topic, rate, latency_seconds, console))
                memory.phase = "alerts"
                results |= asyncio.run(alerts(stack, topic, recorder, console))
            results["worker_peak_anon_mb"] = memory.peak_anon_bytes / 2**20
            results["worker_peak_file_mb"] = memory.peak_file_bytes / 2**20
            results["worker_peak_anon_mb_by_phase"] = {
                phase: peak / 2**20 for phase, peak in memory.phase_peaks.items()
            }
            for name, pid in stack_processes(stack).items():  # the peak over every phase
                if (last := sample(pid)) is not None:
                    results[f"{name}_peak_rss_mb"] = last.peak_rss_bytes / 2**20
    finally:
        recorder.close()
    results["broker"] = f"Apache Kafka at {bootstrap}" if bootstrap else "embedded (Tansu)"
    show(results, console)
    (settings.data_dir / "bench.json").write_bytes(
        orjson.dumps(results, option=orjson.OPT_INDENT_2)
    )
    return results


def prepare_messages(target: int, settings: Settings) -> tuple[list[tuple[bytes, bytes]], int]:
    scale = max(1.0, target / BASE_EVENTS)  # busier pages, the same months
    gen = ScenarioGenerator(date(2019, 2, 1), date(2021, 12, 31), seed=99, scale=scale)
    scrub = Pseudonymiser(b"bench").scrub
    pending: dict[str, list[dict[str, Any]]] = {}
    out: list[tuple[bytes, bytes]] = []
    n = 0
    for event in gen:
        scrub(event, keep_text=False)
        batch = pending.setdefault(event["page_id"], [])
        batch.append(event)
        n += 1
        if len(batch) >= settings.collector_batch_events:
            out.append((event["page_id"].encode(), orjson.dumps(pending.pop(event["page_id"]))))
        if n >= target:
            break
    out.extend((page.encode(), orjson.dumps(batch)) for page, batch in pending.items())
    return out, n


def seed_history(
    settings: Settings, messages: list[tuple[bytes, bytes]], copies: int, console: Console
) -> int:
    """Store ``copies`` copies of the run's events (and their rollups) before the worker
    starts, copy k moved back k x two years with its own event ids; return the rows
    stored. The worker then starts on that history (its rebuild reads the newest).

    The store is written from a child process, never from this one: a process that once
    loaded chDB keeps its library mapped, and the kernel does not reclaim a page another
    process maps, so the worker's reclaim of the engine's start-up pages
    (``store.chdb.release_engine_pages``) failed for everything the seeding had touched:
    the worker's peak with 16 copies counted ~95 MB more library pages. In a deployment
    no other process maps the worker's chDB (commands reach it over HTTP)."""
    spawn = multiprocessing.get_context("spawn")  # a fork would copy this process
    with ProcessPoolExecutor(1, mp_context=spawn) as child:
        child.submit(_seed_open, settings, messages).result()
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"storing {copies} copies of history", total=copies)
            for k in range(1, copies + 1):
                child.submit(_seed_copy, k).result()
                progress.update(task, completed=k)
        stored = child.submit(_seed_close).result()
    console.print(f"history: {stored:,} events stored before the run ({copies} copies)")
    return stored


_seed_store: Store | None = None  # the child's (``seed_history``)


def _seed_open(settings: Settings, messages: list[tuple[bytes, bytes]]) -> None:
    global _seed_store
    store = _seed_store = open_prepared_store(settings)
    processor = MessageProcessor(settings.events_topic)
    store.command(f"CREATE TABLE {store.database}.bench_seed AS {store.database}.events")
    rows: list[bytes] = []
    for offset, (key, value) in enumerate(messages):
        rows.extend(processor.process(value, 0, offset, key).rows)
        if len(rows) >= settings.insert_max_rows or offset == len(messages) - 1:
            store.insert("bench_seed", b"\n".join(rows))
            rows.clear()


def _seed_copy(k: int) -> None:
    assert _seed_store is not None
    db, days = _seed_store.database, k * HISTORY_SHIFT_DAYS
    _seed_store.command(
        f"INSERT INTO {db}.events SELECT * REPLACE ("
        f"concat(event_id, '~h{k}') AS event_id, "
        f"occurred_at - toIntervalDay({days}) AS occurred_at, "
        f"day - toIntervalDay({days}) AS day) FROM {db}.bench_seed"
    )


def _seed_close() -> int:
    assert _seed_store is not None
    db = _seed_store.database
    try:
        stored = int(_seed_store.query(f"SELECT count() AS n FROM {db}.events")[0]["n"])
        _seed_store.command(f"DROP TABLE {db}.bench_seed")
    finally:
        _seed_store.close()
    return stored


def _producer(stack: Stack) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=stack.bootstrap,
        acks="all",
        enable_idempotence=False,
        linger_ms=5,
        max_batch_size=1_048_576,  # within Apache Kafka's message.max.bytes
        max_request_size=4_194_304,
        **stack.settings.kafka_client_options(),  # SASL of a deployed broker
    )


async def throughput(
    stack: Stack, topic: str, messages: list[tuple[bytes, bytes]], count: int, console: Console
) -> dict[str, Any]:
    producer = _producer(stack)
    await producer.start()
    base = stack.stats().events_stored
    processes = stack_processes(stack)
    before = {name: sample(pid) for name, pid in processes.items()}
    worker_pid = processes.get("worker")
    threads_before = None if worker_pid is None else thread_cpu(worker_pid)
    analyst = AnalystProbe(stack)
    started = time.perf_counter()
    analyst.start()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("throughput: published / stored", total=count * 2)
        futures = []
        published = 0
        for key, value in messages:
            futures.append(await producer.send(topic, value, key=key))
            published += value.count(b'"event_id"')
            if len(futures) >= 500:
                await asyncio.gather(*futures)
                futures.clear()
                progress.update(task, completed=published)
        await asyncio.gather(*futures)
        await producer.stop()
        publish_seconds = time.perf_counter() - started
        slowest = 0.0  # the worker's HTTP shares its event loop: a stall shows here
        while True:
            asked = time.perf_counter()
            stored = stack.stats(timeout=300.0).events_stored - base
            slowest = max(slowest, time.perf_counter() - asked)
            progress.update(task, completed=count + stored)
            if stored >= count:
                break
            await asyncio.sleep(0.05)
    seconds = time.perf_counter() - started
    answers = analyst.stop()
    worker = stack.stats()
    usage: dict[str, Any] = {}
    for name, pid in processes.items():
        first, last = before[name], sample(pid)
        if first is not None and last is not None:
            usage[f"{name}_cores"] = (last.cpu_seconds - first.cpu_seconds) / seconds
    # where the worker's cores went: its event loop's share of the time, and the cores
    # of its insert and analyst threads, chDB's threads and merges (issue 17's question:
    # which stage limits, and do the stages use both cores)
    threads_after = None if worker_pid is None else thread_cpu(worker_pid)
    if threads_before is not None and threads_after is not None:
        for kind, cpu in threads_after.items():
            usage[f"worker_{kind}_cores"] = (cpu - threads_before[kind]) / seconds
    return usage | {
        "worker_prepare_seconds": worker.prepare_seconds,
        "worker_insert_seconds": worker.insert_seconds,
        "events": count,
        "messages": len(messages),
        "publish_seconds": publish_seconds,
        "end_to_end_seconds": seconds,
        "events_per_second": count / seconds,
        "slowest_stats_seconds": slowest,
        "analyst_queries": len(answers),
        "analyst_p50_seconds": _quantile(answers, 0.5),
        "analyst_max_seconds": answers[-1] if answers else float("nan"),
    }


class AnalystProbe:
    """An analyst's small query through the worker's ``/sql`` every quarter second
    while the burst is stored: it runs on its own read-only connection, so it must not
    wait for the inserts (issue 17). Answer times, sorted."""

    QUERY = (
        "SELECT count() AS n, max(occurred_at) AS newest FROM somepulse.events "
        "WHERE page_id = 'nav.foreldrepenger' AND occurred_at >= '2020-03-01'"
    )

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.times: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            asked = time.perf_counter()
            self.stack.sql(self.QUERY)
            self.times.append(time.perf_counter() - asked)

    def stop(self) -> list[float]:
        self._stop.set()
        self._thread.join(30)
        return sorted(self.times)


def stack_processes(stack: Stack) -> dict[str, int]:
    """The processes whose CPU and memory the bench reports (an external broker's
    are not visible from here)."""
    out = {"bench": os.getpid()}
    if stack.worker is not None:
        out["worker"] = stack.worker.pid
    if stack.broker is not None and stack.broker.pid is not None:
        out["broker"] = stack.broker.pid
    return out


async def latency(
    stack: Stack, topic: str, rate: int, seconds: float, console: Console
) -> dict[str, Any]:
    tick = 0.05
    per_tick = max(1, int(rate * tick))
    pages = [f"bench.page{i}" for i in range(4)]
    probes: dict[str, float] = {}
    found: dict[str, float] = {}
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set() or len(found) < len(probes):
            pending = [p for p in list(probes) if p not in found]
            if pending:
                ids = ",".join(f"'{p}'" for p in pending[:500])
                rows = stack.sql(
                    f"SELECT event_id FROM somepulse.events WHERE page_id = "
                    f"'bench.probe' AND event_id IN ({ids})"
                )
                now = time.perf_counter()
                for row in rows:
                    found.setdefault(row["event_id"], now)
            if stop.is_set() and time.perf_counter() > deadline_after_stop[0]:
                break
            time.sleep(0.02)

    deadline_after_stop = [float("inf")]
    poller = threading.Thread(target=poll, daemon=True)
    producer = _producer(stack)
    await producer.start()
    poller.start()
    start = time.perf_counter()
    sent = 0
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"latency: steady {rate:,} events/s", total=seconds)
        n = 0
        while (now := time.perf_counter()) - start < seconds:
            stamp = iso(datetime.now(UTC))
            batch = [
                {
                    "kind": "interaction",
                    "event_id": f"lat-{n}-{i}",
                    "platform": "facebook",
                    "page_id": pages[i % 4],
                    "post_id": "bench-post",
                    "occurred_at": stamp,
                    "interaction_type": "click",
                    "actor_id": "p1_bench",
                }
                for i in range(per_tick - 1)
            ]
            for page in pages:
                rows = [e for e in batch if e["page_id"] == page]
                if rows:
                    await producer.send(topic, orjson.dumps(rows), key=page.encode())
            probe_id = f"probe-{n}"
            probe = {
                "kind": "interaction",
                "event_id": probe_id,
                "platform": "facebook",
                "page_id": "bench.probe",
                "post_id": "bench-post",
                "occurred_at": stamp,
                "interaction_type": "click",
                "actor_id": "p1_bench",
            }
            probes[probe_id] = time.perf_counter()
            await producer.send(topic, orjson.dumps(probe), key=b"bench.probe")
            sent += per_tick
            n += 1
            progress.update(task, completed=now - start)
            await asyncio.sleep(max(0.0, start + n * tick - time.perf_counter()))
    await producer.flush()
    elapsed = time.perf_counter() - start
    await producer.stop()
    deadline_after_stop[0] = time.perf_counter() + 30
    stop.set()
    poller.join(40)
    waits = sorted(found[p] - probes[p] for p in probes if p in found)
    stored = stack.sql(
        "SELECT quantiles(0.5, 0.99)(dateDiff('millisecond', occurred_at, ingested_at)) AS q "
        "FROM somepulse.events WHERE post_id = 'bench-post'"
    )[0]["q"]
    return {
        "latency_rate_target": rate,
        "latency_rate_actual": sent / elapsed,
        "probes": len(probes),
        "probes_found": len(waits),
        "p50_ms": 1000 * _quantile(waits, 0.5),
        "p99_ms": 1000 * _quantile(waits, 0.99),
        "max_ms": 1000 * waits[-1] if waits else float("nan"),
        "insert_p50_ms": stored[0],
        "insert_p99_ms": stored[1],
    }


async def alerts(
    stack: Stack, topic: str, recorder: AlertRecorder, console: Console, pages: int = 30
) -> dict[str, Any]:
    producer = _producer(stack)
    waits = await alert_delivery(stack, producer, topic, recorder, pages, console)
    return {
        "alert_pages": pages,
        "alerts_arrived": len(waits),
        "alert_p50_ms": 1000 * _quantile(waits, 0.5),
        "alert_p99_ms": 1000 * _quantile(waits, 0.99),
        "alert_max_ms": 1000 * waits[-1] if waits else float("nan"),
    }


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return (
        statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]
        if q < 1
        else values[-1]
    )


def show(results: dict[str, Any], console: Console) -> None:
    table = Table(title=f"SoMe Pulse pipeline benchmark ({results['broker']} + Faust + chDB)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_row(
        "sustained end-to-end", f"{results['events_per_second']:,.0f} events/s", "≥ 150 000"
    )
    if results.get("history_copies"):
        table.add_row(
            "  stored before the run",
            f"{results['history_rows']:,} events ({results['history_copies']}x)",
            "",
        )
    table.add_row("  events / messages", f"{results['events']:,} / {results['messages']:,}", "")
    for name in ("worker", "broker", "bench"):
        if f"{name}_cores" in results:
            table.add_row(
                f"  {name}: cores used / peak memory",
                f"{results[f'{name}_cores']:.2f} / {results[f'{name}_peak_rss_mb']:,.0f} MB",
                "worker ≤ 600 MB" if name == "worker" else "",
            )
    if "worker_peak_anon_mb" in results:
        table.add_row(
            "  worker's peak: own memory · mapped files (libraries)",
            f"{results['worker_peak_anon_mb']:,.0f} MB · {results['worker_peak_file_mb']:,.0f} MB",
            "",
        )
    if phases := results.get("worker_peak_anon_mb_by_phase"):
        table.add_row(
            "  own memory's peak by phase",
            " · ".join(f"{phase} {mb:,.0f}" for phase, mb in phases.items()) + " MB",
            "",
        )
    if "worker_main_cores" in results:
        table.add_row(
            "  worker: event loop busy · chDB · merges · other threads",
            f"{results['worker_main_cores']:.0%} · {results['worker_engine_cores']:.2f} · "
            f"{results['worker_merges_cores']:.2f} · {results['worker_python_cores']:.2f} cores",
            "",
        )
    table.add_row(
        "  worker's slowest answer meanwhile",
        f"{results.get('slowest_stats_seconds', 0):.1f} s",
        "",
    )
    if results.get("analyst_queries"):
        table.add_row(
            "  an analyst's query meanwhile: p50 / slowest",
            f"{results['analyst_p50_seconds']:.2f} s / {results['analyst_max_seconds']:.2f} s",
            "",
        )
    table.add_row(
        "  publish only", f"{results['events'] / results['publish_seconds']:,.0f} events/s", ""
    )
    table.add_row(
        "  worker: processing / inserting",
        f"{results['worker_prepare_seconds']:.1f} s / {results['worker_insert_seconds']:.1f} s",
        "",
    )
    table.add_row(
        "steady rate",
        f"{results['latency_rate_actual']:,.0f} events/s",
        f"{results['latency_rate_target']:,}",
    )
    table.add_row("publish → queryable p50", f"{results['p50_ms']:,.0f} ms", "")
    table.add_row("publish → queryable p99", f"{results['p99_ms']:,.0f} ms", "≤ 1 000")
    table.add_row("  probes found", f"{results['probes_found']:,} of {results['probes']:,}", "")
    table.add_row(
        "event time → inserted p50 / p99",
        f"{results['insert_p50_ms']:,.0f} / {results['insert_p99_ms']:,.0f} ms",
        "",
    )
    table.add_row(
        "tipping event → Alertmanager p50 / p99",
        f"{results['alert_p50_ms']:,.0f} / {results['alert_p99_ms']:,.0f} ms",
        "≤ 1 000",
    )
    table.add_row(
        "  surges alerted", f"{results['alerts_arrived']} of {results['alert_pages']}", ""
    )
    console.print(table)


if __name__ == "__main__":  # pragma: no cover
    run_bench(Settings(), 600_000, 5_000, 20.0, Console())
