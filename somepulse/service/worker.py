"""``somepulse worker``: the Faust worker with its store, sink and loopback endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from prometheus_client import generate_latest

from somepulse.alerts.delivery import AlertmanagerClient
from somepulse.alerts.detector import load_alert_config
from somepulse.alerts.service import SurgeService
from somepulse.domain.pages import load_pages
from somepulse.embedded.broker import LOOPBACK, EmbeddedBroker, free_port
from somepulse.live.engagement import LiveEngagement
from somepulse.live.questions import LiveQuestions
from somepulse.live.rebuild import rebuild_live, rebuild_questions
from somepulse.service.http import build_http_app
from somepulse.settings import Settings
from somepulse.store import open_store
from somepulse.streams.agents import FaustDeadLetterPublisher, register_ingest, register_surge
from somepulse.streams.app import create_app
from somepulse.streams.pipeline import IngestPipeline
from somepulse.streams.processor import MessageProcessor
from somepulse.streams.topics import ensure_topics
from somepulse.streams.writer import ClickHouseSink
from somepulse.telemetry import WorkerMetrics

log = logging.getLogger(__name__)


def read_worker_file(path: Path) -> dict[str, Any] | None:
    """The running worker's announcement, or None if there is none (or it is stale)."""
    try:
        info: dict[str, Any] = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    try:
        os.kill(int(info["pid"]), 0)
    except (OSError, KeyError, ValueError):
        return None
    return info


def run_worker(settings: Settings, log_file: Path | None = None) -> None:
    """Run until SIGTERM/SIGINT. Starts an embedded broker when none is configured."""
    from faust import Worker

    broker: EmbeddedBroker | None = None
    bootstrap = settings.kafka_bootstrap
    if bootstrap is None:
        broker = EmbeddedBroker(settings.data_dir / "broker.log").start()
        bootstrap = broker.bootstrap
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse")
    store = open_store(settings)
    live = LiveEngagement()
    minutes = rebuild_live(store, live)
    questions = LiveQuestions({p.page_id: p for p in load_pages()})
    open_questions = rebuild_questions(store, questions)
    app = create_app(settings, bootstrap)
    metrics = WorkerMetrics()
    pipeline = IngestPipeline(
        MessageProcessor(
            settings.events_topic, settings.keep_message_text, settings.max_message_bytes
        ),
        ClickHouseSink(store, "events", executor, settings.sink_max_rows),
        FaustDeadLetterPublisher(app, settings.dlq_topic),
        live,
        questions,
        metrics,
    )
    alertmanager = (
        AlertmanagerClient(settings.alertmanager_url) if settings.alertmanager_url else None
    )

    async def publish_alert(key: bytes, value: bytes) -> None:
        await app.producer.send_and_wait(settings.alerts_topic, key, value, None, None, None)

    surge = SurgeService(
        load_alert_config(), store, executor, settings.board_url, alertmanager, publish_alert
    )
    surge_buckets = surge.load()
    register_ingest(app, settings, pipeline, register_surge(app, surge))

    if alertmanager is not None:

        @app.task  # type: ignore[untyped-decorator]
        async def _deliver_alerts() -> None:
            await alertmanager.run()

    assigned = asyncio.Event()
    port = settings.worker_port or free_port()

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]  # mode's signal stubs
    async def _on_assigned(app: Any, assigned_tps: Any, **kwargs: Any) -> None:
        assigned.set()

    def stats() -> dict[str, Any]:
        data = pipeline.stats.as_dict()
        watermark = pipeline.live.watermark
        if watermark is not None:
            data["live_until"] = f"{watermark:%Y-%m-%d %H:%M} UTC"
            data["live_pages"] = pipeline.live.page_totals(since=watermark - timedelta(hours=24))
            data["live_windows"] = pipeline.live.windows()
        data["alerts_recent"] = list(surge.recent)[:20]
        data["alerts_firing"] = len(surge.fired)
        if alertmanager is not None:
            data["alertmanager"] = {
                "delivered": alertmanager.delivered,
                "pending": len(alertmanager.pending),
                "last_latency_seconds": alertmanager.last_latency,
            }
        now = pipeline.questions.watermark
        if now is not None:
            # event time: in live operation it is the wall clock, in a replay the replay's
            data["question_queue"] = pipeline.questions.queue(now, since=now - timedelta(days=7))
            day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
            data["responses_today"] = pipeline.questions.response_times(since=day_start)
        return data

    def metrics_text() -> bytes:
        """Refresh the gauges that are read, not counted, then render."""
        for tp in app.consumer.assignment():
            read = app.consumer._read_offset.get(tp)  # type: ignore[attr-defined]  # last read
            lag = app.consumer.highwater(tp) - (read + 1 if read is not None else 0)
            metrics.lag.labels(str(tp.partition)).set(max(0, lag))
        now = pipeline.questions.watermark
        if now is not None:
            queue = pipeline.questions.queue(now, since=now - timedelta(days=7))
            for page, q in queue.items():
                metrics.open_questions.labels(page).set(q["open"])
        metrics.alert_firing.clear()
        for page, _platform, rule in surge.fired:
            metrics.alert_firing.labels(page, rule).set(1)
        return generate_latest(metrics.registry)

    @app.task  # type: ignore[untyped-decorator]
    async def _serve_http() -> None:
        await ensure_topics(bootstrap, settings)
        runner = web.AppRunner(
            build_http_app(
                store,
                executor,
                stats,
                assigned.is_set,
                metrics_text,
                # analysts reach a ClickHouse server directly; the SQL route exists only
                # for the embedded store, which one process owns
                sql_enabled=settings.embedded_store,
            )
        )
        await runner.setup()
        await web.TCPSite(runner, settings.worker_bind, port).start()
        settings.worker_file.write_bytes(
            orjson.dumps(
                {
                    "pid": os.getpid(),
                    "port": port,
                    "bootstrap": bootstrap,
                    "started_at": time.time(),
                    "rebuilt_minutes": minutes,
                    "rebuilt_open_questions": open_questions,
                    "surge_baseline_buckets": surge_buckets,
                }
            )
        )
        log.warning("worker ready: http://%s:%d, broker %s", LOOPBACK, port, bootstrap)

    # The hot path allocates millions of short-lived, acyclic objects (validated events,
    # rows) that reference counting frees; default GC thresholds would also scan the
    # long-lived live cache over and over. Freeze what start-up built, collect rarely.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    worker = Worker(
        app, loglevel="WARNING", quiet=True, logfile=str(log_file) if log_file else None
    )
    try:
        worker.execute_from_commandline()
    finally:
        with contextlib.suppress(OSError):
            info = read_worker_file(settings.worker_file)
            if info is None or info.get("pid") == os.getpid():
                settings.worker_file.unlink(missing_ok=True)
        executor.shutdown(wait=True)
        store.close()
        if broker is not None:
            broker.stop()
