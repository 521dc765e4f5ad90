"""Prometheus metrics of the worker (``/metrics`` on its HTTP endpoint): operational
health, not business data. Base units, ``_total``/``_seconds`` names, millisecond
buckets for stream latencies (the client's defaults are seconds-scale)."""

from __future__ import annotations

import platform
from typing import Any

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
)

from somepulse import __version__

MS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# event time -> stored: seconds live, but a replay of history is days behind
E2E_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600, 86400, 30 * 86400)


def standard_metrics(registry: CollectorRegistry, component: str) -> None:
    """What is asked first in an incident (memory, CPU, open files, the version that
    runs): the client's process, platform and GC collectors, and ``somepulse_build_info``
    (``{version, python, component}`` = 1), which the health board and the rules read."""
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(collector)
    Info("somepulse_build", "The running SoMe Pulse release", registry=registry).info(
        {"version": __version__, "python": platform.python_version(), "component": component}
    )


class WorkerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        standard_metrics(r, "worker")
        self.messages = Counter(
            "somepulse_messages_consumed_total", "Kafka messages consumed", ["topic"], registry=r
        )
        self.events = Counter(
            "somepulse_events_consumed_total", "Valid events consumed", ["topic"], registry=r
        )
        self.produced = Counter(
            "somepulse_events_produced_total", "Records the worker produced", ["topic"], registry=r
        )
        self.dead = Counter(
            "somepulse_dead_letters_total", "Dead letters by reason", ["reason"], registry=r
        )
        self.unknown_pages = Counter(
            "somepulse_unknown_page_events_total",
            "Events of pages not in pages.toml (stored, flagged: add the page or find the sender)",
            registry=r,
        )
        self.stored = Counter(
            "somepulse_rows_stored_total", "Rows inserted into ClickHouse", ["table"], registry=r
        )
        self.batch = Histogram(
            "somepulse_batch_events",
            "Events per worker batch",
            buckets=(1, 10, 100, 1_000, 10_000, 100_000, 250_000),
            registry=r,
        )
        self.insert_latency = Histogram(
            "somepulse_insert_latency_seconds",
            "Time of one ClickHouse insert",
            buckets=MS_BUCKETS,
            registry=r,
        )
        self.e2e_latency = Histogram(
            "somepulse_end_to_end_latency_seconds",
            "Event time to stored, newest event of each batch",
            buckets=E2E_BUCKETS,
            registry=r,
        )
        self.lag = Gauge(
            "somepulse_consumer_lag_messages",
            "High watermark minus position",
            ["partition"],
            registry=r,
        )
        self.open_questions = Gauge(
            "somepulse_open_questions",
            "Unanswered questions asked in the last 7 days",
            ["page"],
            registry=r,
        )
        self.alert_firing = Gauge(
            "somepulse_alert_firing", "1 while a surge alert fires", ["page", "rule"], registry=r
        )
        # self-monitoring (deploy/prometheus/rules): a dead or stuck worker must never
        # silently mean "no surges"
        self.last_insert = Gauge(
            "somepulse_last_insert_timestamp_seconds",
            "Wall-clock time of the last ClickHouse insert of events (0: none yet)",
            registry=r,
        )
        self.decisions = Counter(
            "somepulse_detector_decisions_total",
            "Surge decisions made (one per page, rule and ended bucket)",
            registry=r,
        )
        self.detector_backlog = Gauge(
            "somepulse_detector_backlog",
            "Observations stored but not yet decided on by the surge detector "
            "(thousands while history is replayed; alerts wait behind them)",
            registry=r,
        )
        self.delivery_failures = Counter(
            "somepulse_alertmanager_delivery_failures_total",
            "Posts to Alertmanager that failed (retried with backoff)",
            registry=r,
        )
        self.alerts_pending = Gauge(
            "somepulse_alertmanager_pending_alerts",
            "Alert transitions waiting to reach Alertmanager",
            registry=r,
        )
        self._reported: dict[int, float] = {}

    def catch_up(self, counter: Counter, total: float) -> None:
        """Bring a counter up to a total kept by a part that knows nothing of
        Prometheus (the detector, the Alertmanager client)."""
        seen = self._reported.get(id(counter), 0.0)
        if total > seen:
            counter.inc(total - seen)
            self._reported[id(counter)] = total


class CollectorMetrics:
    """A collector's own metrics (served on ``SOMEPULSE_COLLECTOR_METRICS_PORT``)."""

    def served(self, settings: Any) -> CollectorMetrics:
        """Serve them on the configured port and address (nothing when the port is 0)."""
        from prometheus_client import start_http_server

        if settings.collector_metrics_port:
            # the configured address, not prometheus_client's default of every interface
            start_http_server(
                settings.collector_metrics_port, addr=settings.worker_bind, registry=self.registry
            )
        return self

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        standard_metrics(r, "collector")
        self.events = Counter(
            "somepulse_collector_events_published_total",
            "Events published",
            ["page", "kind"],
            registry=r,
        )
        self.messages = Counter(
            "somepulse_collector_messages_published_total",
            "Kafka messages published",
            ["topic"],
            registry=r,
        )
        self.bytes = Counter(
            "somepulse_collector_published_bytes_total", "Bytes published", ["topic"], registry=r
        )
        self.retries = Counter(
            "somepulse_collector_connect_retries_total",
            "Connection attempts to a broker that was not up",
            registry=r,
        )
        self.errors = Counter(
            "somepulse_collector_errors_total",
            "Source errors by kind (credential, quota, unreachable)",
            ["source", "error"],
            registry=r,
        )
        self.quota_left = Gauge(
            "somepulse_collector_quota_left",
            "Quota units left for this run (YouTube)",
            ["source"],
            registry=r,
        )
        self.last_event = Gauge(
            "somepulse_collector_last_event_timestamp_seconds",
            "Event time of the newest event published (the lag is now minus this)",
            ["source"],
            registry=r,
        )
        self.source = "unknown"  # the collector's name, the label of the gauges above
        self.newest_event = 0.0
