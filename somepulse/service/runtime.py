"""The worker's runtime: the collaborators wired together, the partition life cycle
(assign → rebuild from ClickHouse, revoke → drop) and the one producer of its status.

Kept apart from Faust's start-up (``worker.py``) so that the wiring reads top to
bottom and every piece can be built in a test without a broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from prometheus_client import generate_latest

from somepulse.alerts.delivery import AlertmanagerClient
from somepulse.alerts.service import SurgeService
from somepulse.live.rebuild import (
    known_pages,
    pages_of,
    rebuild_state,
    remember_counted,
    stored_mark,
)
from somepulse.live.state import LivePartitions, LiveState
from somepulse.service.readiness import Readiness
from somepulse.service.status import WorkerStatus
from somepulse.settings import Settings
from somepulse.store import Store
from somepulse.store.chdb import EnginePageWatch
from somepulse.streams.pipeline import IngestPipeline
from somepulse.telemetry import WorkerMetrics

log = logging.getLogger(__name__)
T = TypeVar("T")
REBUILD_ATTEMPTS = 3  # reads that disagree: a late writer's one batch, or merges


@dataclass
class Runtime:
    settings: Settings
    store: Store
    executor: ThreadPoolExecutor
    live: LivePartitions
    pipeline: IngestPipeline
    surge: SurgeService
    metrics: WorkerMetrics
    alertmanager: AlertmanagerClient | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    lag: Callable[[], dict[int, int]] = dict
    readiness: Readiness = field(init=False)
    rebuilt: dict[int, int] = field(default_factory=dict)  # partition -> pages rebuilt
    # partition -> the highest offset its last rebuild read from the store
    covered: dict[int, int] = field(default_factory=dict)
    broker_down_since: float | None = None  # set by the broker probe (probe_broker)
    # chDB's library pages (embedded store only): handed back after each rebuild, and
    # again when the engine's first work has read more of them (``check_engine_pages``)
    engine_pages: EnginePageWatch = field(default_factory=EnginePageWatch)

    async def assign(self, partitions: Iterable[int]) -> None:
        """Kafka's new assignment (the whole set): drop what left, rebuild what came,
        and rebuild a partition kept when the store holds its events from beyond what
        this state has seen. The group may have expelled this worker while it stalled
        (its session expired) and given its partitions to another meanwhile, which
        stored and committed events this state never saw; from here that looks like
        keeping the partition (seen on Apache Kafka: offsets 8-12 of a partition this
        worker "kept"). A kept partition nobody else wrote to keeps its state: a worker
        expelled again and again (a starved CPU) would otherwise rebuild each time and
        never get on.

        Ingestion waits meanwhile (``ready``): the consumer may already fetch the
        partitions, and their events must meet the rebuilt state, not be overwritten
        by it."""
        self.ready.clear()
        new = set(partitions)
        held = set(self.live.assigned or ())
        for partition in held - new:
            self.surge.drop(self.live.drop(partition))
        loop = asyncio.get_running_loop()
        count = self.settings.topic_partitions
        page_ids = await loop.run_in_executor(self.executor, known_pages, self.store)
        rebuilt = []
        for partition in sorted(new):
            pages = pages_of(partition, count, page_ids)
            if partition in held:
                mark = await loop.run_in_executor(
                    self.executor, stored_mark, self.store, partition, pages
                )
                seen = max(
                    self.covered.get(partition, -1), self.pipeline.processed.get(partition, -1)
                )
                if mark.offset <= seen:
                    continue
                log.warning(
                    "partition %d: stored up to offset %d by another worker, this state "
                    "has seen up to %d: rebuilding it", partition, mark.offset, seen,
                )  # fmt: skip
                self.surge.drop(self.live.drop(partition))
            self.live.replace(partition, await self._rebuild(partition, pages))
            self.rebuilt[partition] = len(pages)
            rebuilt.append(partition)
        self.live.assigned = new
        log.warning("partitions %s assigned (rebuilt %s)", sorted(new), rebuilt)
        if self.settings.embedded_store:  # the engine is open and the rebuild done
            await loop.run_in_executor(self.executor, self.engine_pages.release)
        self.ready.set()

    async def _rebuild(self, partition: int, pages: list[str]) -> LiveState:
        """The partition's live state and surge baselines from ClickHouse, read again
        if events were stored meanwhile. ClickHouse has no snapshot across the reads,
        and a worker that lost the partition without noticing yet (the group expelled
        it while it stalled) may still store its last batch; its commit is refused, so
        the batch comes again here. Landed between two reads, it would be in one count
        and not the other: a burst paged for nothing, or a live count short. Such a
        writer has one batch in hand, so a second read agrees."""
        loop = asyncio.get_running_loop()

        def run(fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
            return loop.run_in_executor(self.executor, fn, *args)

        for attempt in range(1, REBUILD_ATTEMPTS + 1):
            mark = await run(stored_mark, self.store, partition, pages)
            self.covered[partition] = mark.offset
            state = await run(rebuild_state, self.store, self.live.pages, pages)
            self.surge.drop(set(pages))
            await run(self.surge.load, pages)
            # last: if the reads still disagree, a late batch is counted nowhere rather
            # than twice (seen, and not new when it comes again)
            await run(remember_counted, self.store, state, pages)
            if await run(stored_mark, self.store, partition, pages) == mark:
                break
            log.warning(
                "partition %d: events stored while it was rebuilt (by a worker that lost "
                "it?), attempt %d of %d",
                partition, attempt, REBUILD_ATTEMPTS,
            )  # fmt: skip
        return state

    def __post_init__(self) -> None:
        self.readiness = Readiness(
            self.settings.ready_max_lag_messages,
            self.settings.ready_stall_seconds,
            self.settings.ready_lag_grace_seconds,
        )

    def not_ready(self) -> list[str]:
        """Why ``/readyz`` is red (empty: ready)."""
        try:
            lag = self.lag()
        except Exception:  # no consumer yet (start-up): no lag known
            lag = {}
        return self.readiness.problems(
            now=time.time(),
            rebuilding=not self.ready.is_set(),
            stopped=self.pipeline.stopped,
            lag=lag,
            last_progress=self.pipeline.stats.last_progress_at,
            broker_down_since=self.broker_down_since,
        )

    async def check_engine_pages(self) -> None:
        """Hand back chDB's library pages if its first work read more of them. In a
        thread of its own: an insert need not wait for the kernel's walk."""
        if not (self.settings.embedded_store and self.ready.is_set()):
            return
        if await asyncio.to_thread(self.engine_pages.check):
            log.info("chDB library pages handed back (%d so far)", self.engine_pages.handbacks)

    async def probe_broker(self, bootstrap: str, timeout: float = 3.0) -> bool:
        """Does any bootstrap server accept a connection? Kafka's clients retry
        silently while a broker is away; the probe lets ``/readyz`` say so."""
        for server in bootstrap.split(","):
            host, _, port = server.strip().rpartition(":")
            try:
                _, writer = await asyncio.wait_for(
                    asyncio.open_connection(host.strip("[]"), int(port)), timeout
                )
            except (OSError, TimeoutError, ValueError):
                continue
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            self.broker_down_since = None
            return True
        if self.broker_down_since is None:
            self.broker_down_since = time.time()
        return False

    def status(self) -> WorkerStatus:
        live = self.live
        data = dict(self.pipeline.stats.__dict__)
        data["partitions"] = sorted(live.assigned or ())
        data["not_ready"] = self.not_ready()
        data["ready"] = not data["not_ready"]
        watermark = live.watermark
        if watermark is not None:
            data["live_until"] = f"{watermark:%Y-%m-%d %H:%M} UTC"
            data["live_pages"] = live.page_totals(since=watermark - timedelta(hours=24))
            data["live_windows"] = live.windows()
            data["live_top_posts"] = live.top_posts()
        now = live.question_watermark
        if now is not None:
            # event time: in live operation it is the wall clock, in a replay the replay's
            data["question_queue"] = {
                page: q | {"oldest_asked_at": q["oldest_asked_at"].isoformat()}
                for page, q in live.queue(now, since=now - timedelta(days=7)).items()
            }
            day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
            data["responses_today"] = live.response_times(since=day_start)
        data["alerts_recent"] = list(self.surge.recent)[:20]
        data["alerts_firing"] = len(self.surge.fired)
        data["surge_backlog"] = self.surge.backlog
        if self.alertmanager is not None:
            data["alertmanager"] = {
                "delivered": self.alertmanager.delivered,
                "pending": len(self.alertmanager.pending),
                "last_latency_seconds": self.alertmanager.last_latency,
            }
        return WorkerStatus.model_validate(data)

    def metrics_text(self, lag: dict[int, int]) -> bytes:
        """Refresh the gauges that are read, not counted, then render."""
        metrics = self.metrics
        for partition, value in lag.items():
            metrics.lag.labels(str(partition)).set(value)
        now = self.live.question_watermark
        if now is not None:
            for page, q in self.live.queue(now, since=now - timedelta(days=7)).items():
                metrics.open_questions.labels(page).set(q["open"])
        metrics.alert_firing.clear()
        for page, _platform, rule in self.surge.fired:
            metrics.alert_firing.labels(page, rule).set(1)
        metrics.last_insert.set(self.pipeline.stats.last_insert_at)
        metrics.catch_up(metrics.decisions, self.surge.decisions)
        metrics.detector_backlog.set(self.surge.backlog)
        if self.alertmanager is not None:
            metrics.catch_up(metrics.delivery_failures, self.alertmanager.failures)
            metrics.alerts_pending.set(len(self.alertmanager.pending))
        return generate_latest(metrics.registry)
