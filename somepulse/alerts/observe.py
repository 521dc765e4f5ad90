"""What signals tell the surge detector: one extraction for the worker and the
backtests (a question comment is both a question and a comment)."""

from __future__ import annotations

from collections.abc import Iterable

from somepulse.domain.signals import Signal

# page, platform, series, event time (epoch s), value, reported day (epoch s) or None,
# and the post a count belongs to ("" when none)
Observation = tuple[str, str, str, int, float, int | None, str]
# per-person counts only: shares and clicks are reported totals, never counted here
_SERIES = {"comment": "comments", "question": "questions"}


def observations(signals: Iterable[Signal]) -> list[Observation]:
    """Counts from first-seen signals (the worker deduplicated them, so a replay adds
    nothing), the reach of a page's day from its insights snapshots, and collectors'
    word that a page's source went down (1) or came back (0)."""
    out: list[Observation] = []
    for s in signals:
        if s.source_down is not None:  # hours a source was down are not zeros
            out.append((s.page_id, s.platform, "source", s.ts, float(s.source_down), None, ""))
            continue
        if s.reach is not None:
            if s.reach.scope == "page" and s.reach.measure == "reach":
                value = float(s.reach.value)
                out.append((s.page_id, s.platform, "reach", s.ts, value, s.reach.day_ts, ""))
            continue
        if s.sign < 0:
            continue  # a removal: the surge was the arrivals, not what is left of them
        for name in s.counters:
            series = _SERIES.get(name)
            if series is not None:
                out.append((s.page_id, s.platform, series, s.ts, 1.0, None, s.post_id))
        if "comment" in s.counters and "question" not in s.counters:
            out.append((s.page_id, s.platform, "remarks", s.ts, 1.0, None, s.post_id))
    return out
