"""Feed the detectors of all pages in event-time order and collect transitions: the
worker's surge agent does this live, the acceptance tests over a generated stream."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from streams.alerts.detector import AlertConfig, SeriesDetector, Transition

# page, platform, series, event time (epoch s), value, reported day (epoch s) or None
Observation = tuple[str, str, str, int, float, int | None]


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def observations_of(event: dict[str, Any]) -> list[Observation]:
    """What a wire-format event tells the detector (a question comment is both a
    question and a comment)."""
    kind = event.get("kind")
    page, platform = event["page_id"], event["platform"]
    out: list[Observation] = []
    if event.get("is_question") and (kind == "interaction" or event.get("direction") == "in"):
        out.append((page, platform, "questions", _epoch(event["occurred_at"]), 1.0, None))
    if kind == "interaction":
        source = {"comment": "comments", "share": "shares"}.get(event.get("interaction_type", ""))
        if source:
            out.append((page, platform, source, _epoch(event["occurred_at"]), 1.0, None))
    if kind == "insights_snapshot" and event.get("scope") == "page":
        out.append(
            (
                page,
                platform,
                "reach",
                _epoch(event["occurred_at"]),
                float(event["reach"]),
                _epoch(f"{event['day']}T00:00:00+00:00"),
            )
        )
    return out


class StreamDetector:
    """All detectors of all pages; observe in time order, get transitions."""

    def __init__(self, config: AlertConfig) -> None:
        self.config = config
        self.detectors: dict[tuple[str, str], list[SeriesDetector]] = {}
        self._next: dict[int, int] = {}  # id(detector) -> next bucket to evaluate
        self.transitions: list[Transition] = []

    def detectors_for(self, page: str, platform: str) -> list[SeriesDetector]:
        key = (page, platform)
        if key not in self.detectors:
            self.detectors[key] = [
                SeriesDetector(page, platform, rule) for rule in self.config.rules_for(page)
            ]
        return self.detectors[key]

    def feed(self, event: dict[str, Any]) -> list[Transition]:
        obs = observations_of(event)
        if not obs:
            at = _epoch(event["occurred_at"])
            return self.advance(at, self.detectors_for(event["page_id"], event["platform"]))
        return self.observe(obs)

    def observe(self, observations: Iterable[Observation]) -> list[Transition]:
        out: list[Transition] = []
        for page, platform, source, ts, value, day in observations:
            detectors = self.detectors_for(page, platform)
            out += self.advance(ts, detectors)
            for det in detectors:
                if det.rule.source != source:
                    continue
                if day is None:
                    det.add(ts, value)
                    continue
                first_report = day not in det.buckets
                det.set(day, value)  # a later snapshot of the day revises the figure
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
