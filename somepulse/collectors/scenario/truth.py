"""The scenario's ground truth: exact counts of what the generator emitted, kept
apart from the pipeline so that tests compare the stored numbers with an independent
tally."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

WireEvent = dict[str, Any]
_PAGE_REACH = frozenset({"page_impressions_unique", "uniqueImpressionsCount"})
_SHARES_CLICKS = {"shares": "shares", "post_clicks": "clicks", "shareCount": "shares",
                  "clickCount": "clicks"}  # fmt: skip


@dataclass
class GroundTruth:
    """Exact counts of what the generator emitted: per UTC day and kind, and questions
    per month both by UTC and by the page's local calendar (what the views report)."""

    seed: int
    start: date
    end: date
    scale: float
    zones: dict[str, ZoneInfo] = field(default_factory=dict)
    daily: dict[str, dict[str, Counter[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Counter))
    )
    questions_monthly: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    questions_monthly_local: dict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    reach_daily: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    # shares and clicks as platforms report them, per page, local month and measure: the
    # growth of each post's lifetime total (counted on the day it reports on), or a
    # page's daily figure
    reported_monthly: dict[str, dict[str, Counter[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Counter))
    )
    _post_totals: dict[tuple[str, str, str], int] = field(default_factory=dict)
    events: int = 0

    def count(self, event: WireEvent) -> None:
        self.events += 1
        page, kind = event["page_id"], event["kind"]
        day = event["occurred_at"][:10]
        self.daily[page][day][kind] += 1
        if event.get("is_question"):
            self.questions_monthly[page][day[:7]] += 1
            at = datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00"))
            local = at.astimezone(self.zones.get(page, UTC))
            self.questions_monthly_local[page][f"{local:%Y-%m}"] += 1
        if kind == "insights_snapshot" and event["scope"] == "page":
            # later snapshots of the same day revise earlier ones: the last one counts
            self.reach_daily[page][event["day"]] = event["reach"]
        if kind == "metric_snapshot":
            self._metric(page, event)

    def _metric(self, page: str, event: WireEvent) -> None:
        metric, value, day = event["metric"], int(event["value"]), event["day"]
        if metric in _PAGE_REACH:
            self.reach_daily[page][day] = value
        measure = _SHARES_CLICKS.get(metric)
        if measure is None:
            return
        if event["period"] == "lifetime":
            key = (page, event["post_id"], metric)
            value, self._post_totals[key] = value - self._post_totals.get(key, 0), value
        self.reported_monthly[page][day[:7]][measure] += value

    def reach_monthly(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for page, days in self.reach_daily.items():
            months: Counter[str] = Counter()
            for day, reach in days.items():
                months[day[:7]] += reach
            out[page] = dict(sorted(months.items()))
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "scale": self.scale,
            "events": self.events,
            "daily": {
                p: {d: dict(sorted(c.items())) for d, c in sorted(days.items())}
                for p, days in sorted(self.daily.items())
            },
            "questions_monthly": {
                p: dict(sorted(c.items())) for p, c in sorted(self.questions_monthly.items())
            },
            "questions_monthly_local": {
                p: dict(sorted(c.items())) for p, c in sorted(self.questions_monthly_local.items())
            },
            "reach_monthly": self.reach_monthly(),
            "reported_monthly": {
                p: {m: dict(sorted(c.items())) for m, c in sorted(months.items())}
                for p, months in sorted(self.reported_monthly.items())
            },
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(orjson.dumps(self.as_dict(), option=orjson.OPT_INDENT_2))
