"""The bench's alert phase needs a surge the worker's detector fires on: its tipping
event lies in the surge's first hours, not in the three weeks before it (when a rule
stopped firing on the bench's traffic the bench failed only when run)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import orjson

from somepulse.alerts.detector import load_alert_config
from somepulse.tools.backtest import Backtest
from somepulse.tools.bench_alert_delivery import HISTORY_DAYS, page_events, split_at_tip


def test_the_bench_surge_fires_within_its_first_hours() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    surge = start + timedelta(days=HISTORY_DAYS, hours=8)  # five times the rate from here
    for page in range(2):
        events = sorted(page_events(f"bench.surge{page:02d}", page, start),
                        key=lambda e: e["occurred_at"])  # fmt: skip
        tip = datetime.fromisoformat(events[split_at_tip(events)]["occurred_at"])
        assert surge < tip <= surge + timedelta(hours=2)


def test_posts_drawing_evenly_all_day_are_no_storm() -> None:
    """The bench's three weeks before its surge: each day's post draws its comments
    evenly all day (Poisson, six an hour), far beyond any decaying course, as a pinned
    or live post does. Nothing pages; without the burst rule's test against what the
    post drew the hour before (``storm_rise_p_value``), a noisy hour of such a post
    paged as a storm on it."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    quiet = start + timedelta(days=HISTORY_DAYS, hours=8)
    events = [
        e for e in page_events("bench.surge00", 0, start) if e["occurred_at"] < quiet.isoformat()
    ]
    events.sort(key=lambda e: e["occurred_at"])
    config = load_alert_config()
    unguarded = replace(
        config, rules=tuple(r.model_copy(update={"storm_rise_p_value": 1.0}) for r in config.rules)
    )
    fired = []
    for c in (config, unguarded):
        bt = Backtest(c, {})
        bt.feed(orjson.dumps(e) for e in events)
        fired.append([t.rule.name for t in bt.transitions if t.state == "firing"])
    assert fired[0] == []
    assert "comment_burst" in fired[1]
