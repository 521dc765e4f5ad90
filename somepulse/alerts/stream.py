"""Feed the detectors of all pages in event-time order and collect transitions: the
worker's surge agent does this live, the acceptance tests over a generated stream."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from somepulse.alerts.detector import AlertConfig, SeriesDetector, Transition
from somepulse.alerts.observe import Observation, observations
from somepulse.domain.signals import classify
from somepulse.schemas.events import EVENT_ADAPTER


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

    def resume(self, ts: int, detectors: Iterable[SeriesDetector]) -> None:
        """After a rebuild from history: continue as if the last observation had been
        at ``ts`` (evaluated up to its bucket, streaks as they were)."""
        for det in detectors:
            if det.rule.source == "reach":
                continue
            nxt = ts - ts % det.rule.step_seconds
            self._next[id(det)] = nxt
            det.restore_streak(nxt)

    def drop(self, page_ids: set[str]) -> None:
        for key in [k for k in self.detectors if k[0] in page_ids]:
            for det in self.detectors.pop(key):
                self._next.pop(id(det), None)

    def feed(self, event: dict[str, Any]) -> list[Transition]:
        """A wire-format event, validated like the worker does."""
        model = EVENT_ADAPTER.validate_python(event)
        signal = classify(model)
        obs = observations([signal]) if signal is not None else []
        if not obs:
            # an event that is no observation still moves time: buckets it closes are
            # decided now, and their transitions recorded like any other
            at = int(model.occurred_at.timestamp())
            out = self.advance(at, self.detectors_for(model.page_id, model.platform))
            self.transitions.extend(out)
            return out
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
