"""The collector's Prometheus metrics: one registry per process, served once on
``SOMEPULSE_COLLECTOR_METRICS_PORT`` (a scheduled collector runs many times in one
process), labelled with the collector's name."""

from __future__ import annotations

from somepulse.settings import Settings
from somepulse.telemetry import CollectorMetrics

_served: CollectorMetrics | None = None


def collector_metrics(settings: Settings, source: str) -> CollectorMetrics:
    global _served
    if _served is None:
        _served = CollectorMetrics().served(settings)
    _served.source = source
    return _served
