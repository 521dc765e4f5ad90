"""The bench's alert phase needs a surge the worker's detector fires on: its tipping
event lies in the surge's first hours, not in the three weeks before it (when a rule
stopped firing on the bench's traffic the bench failed only when run)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from somepulse.tools.bench_alert_delivery import HISTORY_DAYS, page_events, split_at_tip


def test_the_bench_surge_fires_within_its_first_hours() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    surge = start + timedelta(days=HISTORY_DAYS, hours=8)  # five times the rate from here
    for page in range(2):
        events = sorted(page_events(f"bench.surge{page:02d}", page, start),
                        key=lambda e: e["occurred_at"])  # fmt: skip
        tip = datetime.fromisoformat(events[split_at_tip(events)]["occurred_at"])
        assert surge < tip <= surge + timedelta(hours=2)
