"""Run the detector over a recorded or generated stream, in event-time order (what the
worker does live), and collect its transitions: the acceptance tests and
``somepulse alerts --backtest`` use it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from streams.alerts.detector import AlertConfig, SeriesDetector, Transition


def series_of(event: dict[str, Any]) -> str | None:
    """The detector series an event feeds (counts), if any."""
    kind = event.get("kind")
    if event.get("is_question") and (kind == "interaction" or event.get("direction") == "in"):
        return "questions"
    if kind == "interaction":
        return {"comment": "comments", "share": "shares"}.get(event.get("interaction_type", ""))
    return None


class StreamDetector:
    """All detectors of all pages; feed events in time order, get transitions."""

    def __init__(self, config: AlertConfig) -> None:
        self.config = config
        self.detectors: dict[tuple[str, str], list[SeriesDetector]] = {}
        self._next: dict[int, int] = {}  # id(detector) -> next bucket to evaluate
        self.transitions: list[Transition] = []

    def _for(self, page: str, platform: str) -> list[SeriesDetector]:
        key = (page, platform)
        if key not in self.detectors:
            self.detectors[key] = [
                SeriesDetector(page, platform, rule) for rule in self.config.rules_for(page)
            ]
        return self.detectors[key]

    def feed(self, event: dict[str, Any]) -> list[Transition]:
        at = datetime.fromisoformat(str(event["occurred_at"]).replace("Z", "+00:00"))
        ts = int(at.timestamp())
        detectors = self._for(event["page_id"], event["platform"])
        out = self.advance(ts, detectors)
        source = series_of(event)
        for det in detectors:
            if source is not None and det.rule.source == source:
                det.add(ts)
            elif (
                det.rule.source == "reach"
                and event.get("kind") == "insights_snapshot"
                and event.get("scope") == "page"
            ):
                day = int(datetime.fromisoformat(str(event["day"]) + "T00:00:00+00:00").timestamp())
                first_report = day not in det.buckets
                det.set(day, float(event["reach"]))
                if first_report:  # decided when the day's figure first arrives
                    t = det.evaluate(day)
                    if t is not None:
                        out.append(t)
        self.transitions.extend(out)
        return out

    def advance(self, ts: int, detectors: Iterable[SeriesDetector]) -> list[Transition]:
        """Evaluate every completed bucket of the count rules up to ``ts``."""
        out = []
        for det in detectors:
            if det.rule.source == "reach":
                continue
            step = det.rule.step_seconds
            current = ts - ts % step
            nxt = self._next.get(id(det), current)
            while nxt < current:
                t = det.evaluate(nxt)
                if t is not None:
                    out.append(t)
                nxt += step
            self._next[id(det)] = nxt
        return out
