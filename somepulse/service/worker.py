"""``somepulse worker``: wiring only. Builds the runtime (store, writer, pipeline, live
partitions, surge service), registers the agents and the HTTP endpoint, and runs the
Faust worker until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faust
import orjson
from aiohttp import web

from somepulse.alerts.delivery import AlertmanagerClient
from somepulse.alerts.detector import load_alert_config
from somepulse.alerts.service import SurgeService
from somepulse.alerts.silence import SILENCE_SQL, STATUS_SQL, SilenceWatch, SourceWatch
from somepulse.domain.pages import account_index
from somepulse.domain.signals import use_catalogue
from somepulse.embedded.broker import EmbeddedBroker, free_port
from somepulse.live.state import LivePartitions
from somepulse.privacy.keys import configured_keyring
from somepulse.privacy.pseudonyms import Pseudonymiser
from somepulse.service.http import build_http_app, is_loopback
from somepulse.service.runtime import Runtime
from somepulse.settings import Settings
from somepulse.store import Reference, open_prepared_store, open_read_only
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


def worker_pseudonymiser(settings: Settings) -> Pseudonymiser | None:
    """The key the worker pseudonymises stray raw ids with. One machine (embedded store)
    shares its collectors' key, created on first use; deployed, the worker uses a key
    only when one is given to it (collectors need it, the worker need not): then raw
    ids are dead-lettered without their value instead."""
    ring = configured_keyring(settings, create=settings.embedded_store)
    return None if ring is None else ring.current


def build_runtime(settings: Settings, app: faust.App) -> Runtime:
    reference = Reference.load(settings.config_dir)
    use_catalogue(list(reference.metrics))  # which reported metrics are reach, live
    store = open_prepared_store(settings, reference)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse")
    metrics = WorkerMetrics()
    live = LivePartitions({p.page_id: p for p in reference.pages}, assigned=set())
    pipeline = IngestPipeline(
        MessageProcessor(
            settings.events_topic,
            settings.keep_message_text,
            settings.max_message_bytes,
            worker_pseudonymiser(settings),
            account_index(list(reference.pages)),
        ),
        ClickHouseWriter(store, "events", executor, settings.insert_max_rows),
        FaustDeadLetterPublisher(app, settings.dlq_topic),
        live,
        metrics,
    )
    alertmanager = (
        AlertmanagerClient(
            settings.alertmanager_url,
            token=settings.alertmanager_bearer(),
            ca_file=str(settings.alertmanager_ca_file) if settings.alertmanager_ca_file else None,
        )
        if settings.alertmanager_url
        else None
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
        {p.page_id: p for p in reference.pages},
    )
    return Runtime(settings, store, executor, live, pipeline, surge, metrics, alertmanager)


def run_worker(settings: Settings, log_file: Path | None = None) -> None:
    """Run until SIGTERM/SIGINT. Starts an embedded broker when none is configured."""
    from faust import Worker

    if settings.embedded_store and not is_loopback(settings.worker_bind):
        # /sql is the embedded store's only door; it must not face a network
        raise WorkerConfigError(
            f"refusing to serve the embedded store's SQL on {settings.worker_bind}: "
            "SOMEPULSE_WORKER_BIND must be loopback (127.0.0.1) unless "
            "SOMEPULSE_CLICKHOUSE_URL points at a ClickHouse server"
        )
    broker: EmbeddedBroker | None = None
    bootstrap = settings.kafka_bootstrap
    if bootstrap is None:
        broker = EmbeddedBroker(settings.data_dir / "broker.log").start()
        bootstrap = broker.bootstrap
        settings = settings.on_own_embedded_broker()
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

        watches = (
            (SilenceWatch(board_url=settings.board_url), SILENCE_SQL),
            (SourceWatch(board_url=settings.board_url), STATUS_SQL),
        )

        @app.timer(interval=300.0)  # type: ignore[untyped-decorator]
        async def _watch_sources() -> None:
            loop = asyncio.get_running_loop()
            for watch, sql in watches:
                query = sql.format(db=settings.clickhouse_database)
                rows = await loop.run_in_executor(runtime.executor, runtime.store.query, query)
                for key, alert in watch.check(rows, datetime.now(UTC)):
                    alertmanager.submit(key, alert)

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]  # mode's signal stubs
    async def _on_assigned(app: Any, assigned: Any, **kwargs: Any) -> None:
        await runtime.assign(tp.partition for tp in assigned if tp.topic == settings.events_topic)

    port = settings.worker_port or free_port()
    token = secrets.token_urlsafe(32)  # per start; only the 0600 worker file holds it
    analysts = ThreadPoolExecutor(max_workers=2, thread_name_prefix="analyst-sql")
    read_only = open_read_only(settings) if settings.embedded_store else None

    runtime.lag = lambda: consumer_lag(
        app.consumer, settings.events_topic, runtime.pipeline.processed
    )

    @app.timer(interval=2.0)  # type: ignore[untyped-decorator]
    async def _probe_broker() -> None:
        await runtime.probe_broker(bootstrap)

    @app.timer(interval=5.0)  # type: ignore[untyped-decorator]
    async def _engine_pages() -> None:
        await runtime.check_engine_pages()

    @app.task  # type: ignore[untyped-decorator]
    async def _serve_http() -> None:
        await ensure_topics(bootstrap, settings)
        http = build_http_app(
            # analysts reach a ClickHouse server directly; the SQL route exists only
            # for the embedded store, which one process owns
            read_only,
            analysts,
            lambda: runtime.status().model_dump(mode="json"),
            runtime.not_ready,
            lambda: runtime.metrics_text(runtime.lag()),
            token,
        )
        runner = web.AppRunner(http)
        await runner.setup()
        await web.TCPSite(runner, settings.worker_bind, port).start()
        announce(settings.worker_file, port, bootstrap, token)
        log.warning("worker ready: http://%s:%d, broker %s", settings.worker_bind, port, bootstrap)

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
        try:
            runtime.surge.close()
        except Exception:  # the store may be what failed: say so, and stop anyway
            log.exception("the surge detector's last decisions were not stored")
        analysts.shutdown(wait=False, cancel_futures=True)
        if read_only is not None:
            read_only.close()
        runtime.store.close()
        if broker is not None:
            broker.stop()


class WorkerConfigError(RuntimeError):
    """A configuration the worker refuses to start with."""


def announce(path: Path, port: int, bootstrap: str, token: str) -> None:
    """Tell the CLI where this worker listens (pid, port, broker) and the token of its
    ``/sql``: a new file, readable by this user only (0600), so other local users can
    neither read the token nor swap the file."""
    doc = orjson.dumps(
        {
            "pid": os.getpid(),
            "port": port,
            "bootstrap": bootstrap,
            "started_at": time.time(),
            "token": token,
        }
    )
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(doc)
