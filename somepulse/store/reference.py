"""Load the page directory and office calendar into ClickHouse (start-up)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import orjson

from somepulse.domain.pages import PageInfo
from somepulse.store.base import Store

CALENDAR_FROM = date(2015, 1, 1)


def sync_pages(store: Store, pages: list[PageInfo], until_year: int | None = None) -> int:
    """Replace the directory and calendar with ``pages``; return calendar rows."""
    db = store.database
    if not pages:
        return 0
    store.insert(
        "pages",
        b"\n".join(
            orjson.dumps(
                {
                    "page_id": p.page_id,
                    "name": p.name,
                    "platform": p.platform,
                    "country": p.country,
                    "tz": p.tz,
                    "opens": p.opens.strftime("%H:%M"),
                    "closes": p.closes.strftime("%H:%M"),
                    "promise_minutes": p.promise_minutes,
                    "peer_group": p.peer_group,
                }
            )
            for p in pages
        ),
    )
    last = date((until_year or datetime.now(UTC).year) + 2, 12, 31)
    rows = [
        orjson.dumps(
            {
                "page_id": p.page_id,
                "day": day.isoformat(),
                "opens_at": opens.strftime("%Y-%m-%d %H:%M:%S"),
                "closes_at": closes.strftime("%Y-%m-%d %H:%M:%S"),
            }
        )
        for p in pages
        for day, opens, closes in p.office_intervals(CALENDAR_FROM, last)
    ]
    # a changed directory may close days that were open: replace, not merge
    store.command(f"TRUNCATE TABLE {db}.office_hours")
    store.insert("office_hours", b"\n".join(rows))
    return len(rows)
