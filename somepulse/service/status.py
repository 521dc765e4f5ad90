"""The worker's status behind ``/stats``: one typed model, produced in one place
(``Runtime.status``) and read with ``WorkerStatus.model_validate`` by the demo's live
panel, the embedded stack, the bench and the tests (not a dict read by string keys)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QueueStatus(_Model):
    open: int
    oldest_asked_at: str
    oldest_age_minutes: float
    oldest_age_office_minutes: float


class ResponseTimes(_Model):
    answered: int
    median_office_minutes: float
    median_calendar_minutes: float
    mean_office_minutes: float


class AlertmanagerStatus(_Model):
    delivered: int
    pending: int
    last_latency_seconds: float | None


class WorkerStatus(_Model):
    # ingest (IngestStats)
    started_at: float
    messages: int
    events_stored: int
    dead_letters: int
    dead_by_reason: dict[str, int]
    unknown_pages: dict[str, int] = {}
    inserts: int
    last_progress_at: float
    inflight_rows: int
    last_insert_rows: int
    last_insert_seconds: float
    last_insert_at: float
    prepare_seconds: float
    insert_seconds: float
    # partitions this worker holds, and whether their state is rebuilt
    partitions: list[int] = []
    ready: bool = False
    not_ready: list[str] = []  # why /readyz is red
    # live state (event time)
    live_until: str | None = None
    live_pages: dict[str, dict[str, int]] = {}
    live_windows: dict[str, dict[str, Any]] = {}
    live_top_posts: dict[str, list[dict[str, Any]]] = {}
    question_queue: dict[str, QueueStatus] = {}
    responses_today: dict[str, ResponseTimes] = {}
    # alerts
    alerts_recent: list[dict[str, Any]] = []
    alerts_firing: int = 0
    surge_backlog: int = 0  # observations stored but not yet decided on by the detector
    alertmanager: AlertmanagerStatus | None = None
