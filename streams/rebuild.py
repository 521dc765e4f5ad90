"""Worker start-up: rebuild the live cache from ClickHouse (the source of truth)."""

from __future__ import annotations

from streams.live import LiveEngagement
from streams.store import Store


def rebuild_live(store: Store, live: LiveEngagement) -> int:
    """Load the last ``live.horizon`` of engagement; return the minutes loaded."""
    db = store.database
    hours = int(live.horizon.total_seconds() // 3600)
    since = f"(SELECT max(minute) FROM {db}.engagement_1m) - INTERVAL {hours} HOUR"
    rows = store.query(
        f"SELECT page_id, platform, post_id, toString(minute) AS m, reactions, comments, "
        f"replies, shares, clicks, views, questions FROM {db}.v_engagement_1m "
        f"WHERE minute >= {since}"
    )
    ids = store.query(
        f"SELECT DISTINCT event_id, toString(toStartOfMinute(occurred_at)) AS m "
        f"FROM {db}.events WHERE (kind = 'interaction' OR (kind = 'private_message' "
        f"AND direction = 'in' AND is_question)) AND occurred_at >= {since}"
    )
    live.load(rows, ids)
    return len(rows)
