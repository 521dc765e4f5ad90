"""An export imported end to end: LinkedIn's content and followers files through the
publisher, the embedded broker and the worker into the measures analysts read; a second
import of the same files adds nothing."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from rich.console import Console

from somepulse.collectors.exports.run import run_import
from somepulse.collectors.metrics import collector_metrics
from somepulse.settings import Settings
from somepulse.tools.stack import Stack
from tests.integration.conftest import sql, wait_for

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parents[1] / "data" / "exports"
FILES = [DATA / "nav_linkedin_content.csv", DATA / "nav_linkedin_followers.csv"]


def test_linkedin_exports_to_measures(stack: Stack, settings: Settings) -> None:
    for _ in range(2):  # the same files twice
        code = asyncio.run(
            run_import(
                settings, stack.bootstrap, "nav.linkedin", FILES, Console(file=io.StringIO())
            )
        )
        assert code == 0
    # the collector's metrics counted what it published, and when the newest event was
    metrics = collector_metrics(settings, "import")
    published = metrics.registry.get_sample_value(
        "somepulse_collector_events_published_total",
        {"page": "nav.linkedin", "kind": "metric_snapshot"},
    )
    assert published == 16
    assert metrics.registry.get_sample_value(
        "somepulse_collector_last_event_timestamp_seconds", {"source": "import"}
    ) > 0  # fmt: skip
    stats = stack.wait_stored(2 * (6 + 2), timeout=60)
    assert stats.dead_letters == 0, stats.dead_by_reason
    wait_for(
        lambda: sql(stack, "SELECT count() AS n FROM somepulse.events FINAL")[0]["n"] == 8,
        30,
        "eight snapshots, stored once",
    )
    measures = sql(
        stack,
        "SELECT post_id, measure, value FROM somepulse.v_measures "
        "WHERE page_id = 'nav.linkedin' ORDER BY measure, post_id, day",
    )
    assert [(m["measure"], m["value"]) for m in measures] == [
        ("clicks", 388), ("clicks", 201),
        ("follows", 41), ("follows", 37),
        ("shares", 22), ("shares", 11),
        ("views", 12450), ("views", 9120),
    ]  # fmt: skip
