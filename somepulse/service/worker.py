"""``somepulse worker``: wiring only. Builds the runtime (store, writer, pipeline, live
partitions, surge service), registers the agents and the HTTP endpoint, and runs the
Faust worker until SIGTERM/SIGINT."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import faust
import orjson
from aiohttp import web

from somepulse.alerts.delivery import AlertmanagerClient
from somepulse.alerts.detector import load_alert_config
from somepulse.alerts.service import SurgeService
from somepulse.embedded.broker import LOOPBACK, EmbeddedBroker, free_port
from somepulse.live.state import LivePartitions
from somepulse.service.http import build_http_app
from somepulse.service.runtime import Runtime
from somepulse.settings import Settings
from somepulse.store import Reference, open_prepared_store
from somepulse.streams.agents import register_ingest, register_surge
from somepulse.streams.app import create_app
from somepulse.streams.dead_letters import FaustDeadLetterPublisher
from somepulse.streams.lag import consumer_lag
from somepulse.streams.pipeline import IngestPipeline
from somepulse.streams.processor import MessageProcessor
from somepulse.streams.topics import ensure_topics
from somepulse.streams.writer import ClickHouseWriter
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


def build_runtime(settings: Settings, app: faust.App) -> Runtime:
    reference = Reference.load(settings.config_dir)
    store = open_prepared_store(settings, reference)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse")
    metrics = WorkerMetrics()
    live = LivePartitions({p.page_id: p for p in reference.pages}, assigned=set())
    pipeline = IngestPipeline(
        MessageProcessor(
            settings.events_topic, settings.keep_message_text, settings.max_message_bytes
        ),
        ClickHouseWriter(store, "events", executor, settings.insert_max_rows),
        FaustDeadLetterPublisher(app, settings.dlq_topic),
        live,
        metrics,
    )
    alertmanager = (
        AlertmanagerClient(settings.alertmanager_url) if settings.alertmanager_url else None
    )

    async def publish_alert(key: bytes, value: bytes) -> None:
        await app.producer.send_and_wait(settings.alerts_topic, key, value, None, None, None)

    surge = SurgeService(
        load_alert_config(settings.config_file("alerts.toml")),
        store,
        executor,
        settings.board_url,
        alertmanager,
        publish_alert,
    )
    return Runtime(settings, store, executor, live, pipeline, surge, metrics, alertmanager)


def run_worker(settings: Settings, log_file: Path | None = None) -> None:
    """Run until SIGTERM/SIGINT. Starts an embedded broker when none is configured."""
    from faust import Worker

    broker: EmbeddedBroker | None = None
    bootstrap = settings.kafka_bootstrap
    if bootstrap is None:
        broker = EmbeddedBroker(settings.data_dir / "broker.log").start()
        bootstrap = broker.bootstrap
    app = create_app(settings, bootstrap)
    runtime = build_runtime(settings, app)
    register_ingest(
        app, settings, runtime.pipeline, register_surge(app, runtime.surge), runtime.ready
    )
    if runtime.alertmanager is not None:
        alertmanager = runtime.alertmanager

        @app.task  # type: ignore[untyped-decorator]
        async def _deliver_alerts() -> None:
            await alertmanager.run()

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]  # mode's signal stubs
    async def _on_assigned(app: Any, assigned: Any, **kwargs: Any) -> None:
        await runtime.assign(tp.partition for tp in assigned if tp.topic == settings.events_topic)

    port = settings.worker_port or free_port()

    @app.task  # type: ignore[untyped-decorator]
    async def _serve_http() -> None:
        await ensure_topics(bootstrap, settings)
        http = build_http_app(
            runtime.store,
            runtime.executor,
            lambda: runtime.status().model_dump(mode="json"),
            runtime.ready.is_set,
            lambda: runtime.metrics_text(
                consumer_lag(app.consumer, settings.events_topic, runtime.pipeline.processed)
            ),
            # analysts reach a ClickHouse server directly; the SQL route exists only
            # for the embedded store, which one process owns
            sql_enabled=settings.embedded_store,
        )
        runner = web.AppRunner(http)
        await runner.setup()
        await web.TCPSite(runner, settings.worker_bind, port).start()
        announce(settings.worker_file, port, bootstrap)
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
        runtime.executor.shutdown(wait=True)
        runtime.store.close()
        if broker is not None:
            broker.stop()


def announce(path: Path, port: int, bootstrap: str) -> None:
    """Tell the CLI where this worker listens (pid, port, broker)."""
    path.write_bytes(
        orjson.dumps(
            {"pid": os.getpid(), "port": port, "bootstrap": bootstrap, "started_at": time.time()}
        )
    )
