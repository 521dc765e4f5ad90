"""What events tell the surge detector: one extraction for the worker and the
backtests (a question comment is both a question and a comment)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from somepulse.schemas.events import Event
from somepulse.schemas.interactions import Interaction
from somepulse.schemas.messages import Direction, PrivateMessage
from somepulse.schemas.snapshots import InsightsScope, InsightsSnapshot

# page, platform, series, event time (epoch s), value, reported day (epoch s) or None
Observation = tuple[str, str, str, int, float, int | None]
_SERIES = {"comment": "comments", "share": "shares"}


def observations(
    counted: Iterable[tuple[Event, int]], events: Iterable[Event]
) -> list[Observation]:
    """Counts from ``counted`` (event, epoch seconds) — in the worker the events the live
    cache counted for the first time, so a replay adds nothing — and reach from the page
    insights among ``events``."""
    out: list[Observation] = []
    for e, ts in counted:
        if isinstance(e, Interaction):
            if e.is_question:
                out.append((e.page_id, e.platform, "questions", ts, 1.0, None))
            source = _SERIES.get(e.interaction_type)
            if source:
                out.append((e.page_id, e.platform, source, ts, 1.0, None))
        elif isinstance(e, PrivateMessage) and e.direction is Direction.IN and e.is_question:
            out.append((e.page_id, e.platform, "questions", ts, 1.0, None))
    for e in events:
        if type(e) is InsightsSnapshot and e.scope is InsightsScope.PAGE:
            day = int(datetime(e.day.year, e.day.month, e.day.day, tzinfo=UTC).timestamp())
            out.append(
                (
                    e.page_id,
                    e.platform,
                    "reach",
                    int(e.occurred_at.timestamp()),
                    float(e.reach),
                    day,
                )
            )
    return out
