"""Feed the detectors of all pages in event-time order and collect transitions: the
worker's surge agent does this live, the acceptance tests over a generated stream."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from somepulse.alerts.detector import AlertConfig, SeriesDetector, Transition
from somepulse.alerts.model import Calendar
from somepulse.alerts.observe import Observation, observations
from somepulse.domain.pages import PageInfo, closed_days
from somepulse.domain.signals import classify
from somepulse.schemas.events import EVENT_ADAPTER

GAP = 2 * 86_400  # no observation at all for two days: the page's data is missing
# series judged for the page as a whole: people's questions come to a page through its
# comments and its inbox, which platforms deliver apart (a Facebook page's private
# messages are Messenger's), and the rule is about the page's questions, all of them
PAGE_WIDE = frozenset({"questions"})


class StreamDetector:
    """All detectors of all pages; observe in time order, get transitions."""

    def __init__(self, config: AlertConfig, pages: Mapping[str, PageInfo] | None = None) -> None:
        self.config = config
        self.pages = pages or {}
        self.detectors: dict[tuple[str, str], list[SeriesDetector]] = {}
        self._next: dict[int, int] = {}  # id(detector) -> next bucket to evaluate
        self._calendars: dict[str, Calendar] = {}
        self._down_since: dict[str, int] = {}  # page -> when its source went down
        self._last_seen: dict[str, int] = {}  # page -> its newest observation (event time)
        self.transitions: list[Transition] = []
        # every decision, for the surge_verdicts table (None: not kept, as in backtests)
        self.verdicts: list[dict[str, Any]] | None = None

    def _decided(self, det: SeriesDetector) -> None:
        v = det.last_verdict
        if self.verdicts is None or v is None:
            return
        self.verdicts.append({
            "page_id": det.page_id, "platform": det.platform, "rule": det.rule.name,
            "bucket": v.bucket, "observed": v.observed, "expected": v.baseline,
            "ratio": None if v.ratio is None or v.ratio == float("inf") else v.ratio,
            "p_value": v.p_value, "dispersion": v.dispersion, "condition": v.condition,
            "firing": det.firing,
        })  # fmt: skip

    def calendar(self, page: str) -> Calendar:
        """The page's hours and closed days (its time zone and country's holidays)."""
        if page not in self._calendars:
            info = self.pages.get(page)
            self._calendars[page] = (
                Calendar(ZoneInfo(info.tz), closed_days(info.country)) if info else Calendar()
            )
        return self._calendars[page]

    def platform_of(self, page: str, platform: str, source: str) -> str:
        """The detectors' platform for an observation: a page-wide series is judged on
        the page's own platform (its directory entry), whichever channel it came by."""
        if source in PAGE_WIDE:
            info = self.pages.get(page)
            if info is not None:
                return info.platform.value
        return platform

    def detectors_for(self, page: str, platform: str) -> list[SeriesDetector]:
        key = (page, platform)
        if key not in self.detectors:
            calendar = self.calendar(page)
            self.detectors[key] = [
                SeriesDetector(page, platform, rule, calendar=calendar)
                for rule in self.config.rules_for(page)
            ]
        return self.detectors[key]

    def source(self, page: str, ts: int, down: bool) -> None:
        """A collector said the page's source went down or came back: the hours between
        are neither zeros nor counts for any of the page's rules."""
        if down:
            self._down_since.setdefault(page, ts)
            return
        since = self._down_since.pop(page, None)
        if since is not None:
            for (p, _), detectors in self.detectors.items():
                if p == page:
                    for det in detectors:
                        det.mark_unknown(since, ts + 3600)  # and the hour it came back in

    def resume(self, ts: int, detectors: Iterable[SeriesDetector]) -> None:
        """After a rebuild from history: continue as if the last observation had been
        at ``ts`` (evaluated up to its bucket, streaks as they were)."""
        for det in detectors:
            if det.rule.source == "reach":
                continue
            nxt = ts - ts % det.rule.step_seconds
            self._next[id(det)] = nxt
            det.restore_shares(nxt)  # before the streak: its verdicts read them
            det.restore_streak(nxt)

    def state_size(self) -> int:
        """Numbers held for all pages (buckets, outage marks, posts' courses, the last
        window's counts per post): what must stay flat as history grows."""
        return sum(
            len(d.buckets) + len(d.unknown) + len(d.posts) + len(d.top_shares)
            + sum(len(t.counts) for t in d.posts.values())
            + sum(len(c) for c in d.by_post.values())
            for detectors in self.detectors.values()
            for d in detectors
        )  # fmt: skip

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
        for page, platform, source, ts, value, day, post in observations:
            if source == "source":
                self.source(page, ts, value > 0)
                continue
            platform = self.platform_of(page, platform, source)
            detectors = self.detectors_for(page, platform)
            seen = self._last_seen.get(page)
            if seen is not None and ts - seen >= GAP:
                # nothing at all from the page for days: a gap the detector can see
                # (a collector that stopped without a word), not days of zeros
                for det in detectors:
                    det.mark_unknown(seen - seen % 3600 + 3600, ts - ts % 3600)
            if seen is None or ts > seen:
                self._last_seen[page] = ts
            out += self.advance(ts, detectors)
            for det in detectors:
                if det.rule.source != source:
                    continue
                if day is None:
                    det.add(ts, value, post)
                    continue
                first_report = day not in det.buckets
                det.set(day, value)  # a later snapshot of the day revises the figure
                if first_report:
                    det.prune(day)
                if first_report:  # decided when the day's figure first arrives
                    t = det.evaluate(day, max(ts, day + det.rule.step_seconds))
                    self._decided(det)
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
            if not det.firing and nxt < current - (det.rule.window + det.rule.hold) * step:
                # after days without data: the buckets before the last window and hold
                # hold nothing that could fire, so they need no decision
                nxt = current - (det.rule.window + det.rule.hold) * step
                det.prune(nxt)
            while nxt < current:
                t = det.evaluate(nxt)
                self._decided(det)
                if t is not None:
                    out.append(t)
                nxt += step
                if nxt % 86_400 == 0:
                    det.prune(nxt)  # once a day: memory stays flat with history
            self._next[id(det)] = nxt
        return out


def verdict_row(verdict: dict[str, Any]) -> dict[str, Any]:
    """A decision as a ``surge_verdicts`` row (the bucket as a UTC time)."""
    bucket = datetime.fromtimestamp(int(verdict["bucket"]), UTC)
    return verdict | {"bucket": bucket.strftime("%Y-%m-%d %H:%M:%S")}
