"""The surge detector: pure, deterministic, fed with bucketed series.

One ``SeriesDetector`` per page, platform and rule holds the rule's series in buckets
of its step (5 minutes, an hour or a day, event time) and the buckets its page's source
was down in, and decides at each completed bucket: the window's sum over the known
buckets against what the page's fitted model expects there (``model.py``: shape, level,
dispersion). It fires when the ratio, the quasi-Poisson tail and the volume all pass
(and, with ``one_post``, the rise is not one post's) for ``hold`` steps, and resolves
after ``resolve_hold`` steps below ``resolve_ratio``; while it fires, the model of before
the surge is kept.
"""

from __future__ import annotations

import math
import tomllib
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import repeat
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from somepulse.alerts.model import SLOW_DAYS, Calendar, Model, fit
from somepulse.alerts.poisson import poisson_sf, rise_sf
from somepulse.config import config_file

DEFAULT_ALERTS_FILE = config_file("alerts.toml")
STEP_SECONDS = {"5min": 300, "hour": 3600, "day": 86400}
POST_DECAY = 3 * 3600.0  # mean delay of a comment after its post's first
# weight of the typical post, in shares of a post's course seen: little, so a post is
# soon judged by its own start (0.5 paged on strong new posts ~1 a quarter a page)
PRIOR = 0.05
# a post seen for this share of its course (52 minutes) before a window is judged by
# what it drew before it; a younger one by its own start (0.1 paged on strong new posts
# 0.06-0.88 times a quarter a page; 0.4 changed nothing)
SETTLED = 0.25
# the model is refitted every six hours of event time (fresher fits page less: measured);
# a 5-minute series, twelve times the buckets to read, once a day
REFIT = {"5min": 86_400, "hour": 6 * 3600, "day": 6 * 3600}
FREEZE_MAX = 28 * 86400  # a surge longer than four weeks becomes the new usual
HISTORY = (SLOW_DAYS + 2) * 86400  # what the fits read; older buckets are pruned
REPORTED = {"reach"}  # series platforms report as figures, not counts of actions
# one post's rise (``Rule.one_post``): the share of a window the busiest post usually
# holds is this quantile of its shares in the windows decided over the last four weeks
# (the median let a surge's own clustering under a post count as one post's: the large
# page's +50 % surges paged 7-28 hours later at the median), from at least two days of
# them
ONE_POST_QUANTILE = 0.75
ONE_POST_DAYS = 28
ONE_POST_MIN_WINDOWS = 48


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    summary: str
    source: str  # the series: questions, comments, remarks (comments asking nothing), reach
    step: str = Field(pattern="^(5min|hour|day)$")
    window: int = Field(ge=1)
    threshold: float = Field(gt=1)
    resolve_ratio: float = Field(gt=0)
    # calm only when a surge at the threshold would give so low a window at most this
    # often (None: below resolve_ratio is calm)
    resolve_p_value: float | None = Field(None, gt=0, le=1)
    max_p_value: float = Field(gt=0, le=1)
    min_volume: float = Field(ge=0)
    hold: int = Field(ge=1)
    resolve_hold: int = Field(ge=1)
    # counts of people's actions cluster (a post takes off): variance ~ dispersion x mean,
    # estimated per page (alerts/model.py); this is its floor. The tail test uses
    # Poisson(baseline / d) at observed / d (quasi-Poisson).
    dispersion: float = Field(1.0, ge=1)
    severity: str
    # expect comments from each post's own course (a post that starts strong and decays
    # is expected; a burst on top of what the posts explain is not): the burst rule
    per_post: bool = False
    # a rise of which one post carries this share or more (beyond the share the busiest
    # post usually holds) is that post's, not the page's: it does not page (None: off)
    one_post: float | None = Field(None, gt=0, le=1)
    # a settled post that drew this many times the page's usual for the window beyond
    # its own course, so many that its course gives it at most ``storm_p_value``: a
    # storm on it, whatever the rest of the window does (per-post rules; None: off)
    storm_ratio: float | None = Field(None, gt=0)
    storm_p_value: float = Field(1e-5, gt=0, le=1)
    # and so many more than it drew in the window before that a steady rate gives it at
    # most this (a post drawing steadily for hours runs beyond any decaying course)
    storm_rise_p_value: float = Field(1e-3, gt=0, le=1)

    @property
    def step_seconds(self) -> int:
        return STEP_SECONDS[self.step]

    @property
    def reported(self) -> bool:
        """A figure platforms report (reach), not a count of people's actions."""
        return self.source in REPORTED


@dataclass(frozen=True)
class AlertConfig:
    rules: tuple[Rule, ...]
    overrides: dict[str, dict[str, Any]]
    defaults: dict[str, Any]

    def rules_for(self, page_id: str) -> list[Rule]:
        """The rules with a page's overrides applied."""
        changes = self.overrides.get(page_id, {})
        return [r.model_copy(update=changes) for r in self.rules] if changes else list(self.rules)


def load_alert_config(path: Path = DEFAULT_ALERTS_FILE) -> AlertConfig:
    with path.open("rb") as fh:
        doc = tomllib.load(fh)
    defaults = doc.get("defaults", {})
    rules = tuple(
        Rule.model_validate(defaults | {"source": name} | spec | {"name": name})
        for name, spec in doc.get("rules", {}).items()
    )
    return AlertConfig(rules, doc.get("pages", {}), defaults)


@dataclass(frozen=True)
class Verdict:
    """One evaluation: what was seen, against what, and whether the condition holds."""

    bucket: int  # the last bucket of the window (epoch seconds of its start)
    observed: float
    baseline: float | None
    ratio: float | None
    p_value: float | None
    condition: bool
    dispersion: float = 1.0
    storm: bool = False  # a settled post drew far beyond its course (per-post rules)


@dataclass(frozen=True)
class Transition:
    page_id: str
    platform: str
    rule: Rule
    state: str  # "firing" or "resolved"
    verdict: Verdict
    # the posts the window's count came under, most first: (post id, count); "" is
    # what belongs to no post (private messages)
    drivers: tuple[tuple[str, float], ...] = ()
    # the event time of the decision when it is not the bucket's end: a day's reach is
    # decided when the platform reports it, the next morning
    decided: int | None = None

    @property
    def at(self) -> datetime:
        end = self.verdict.bucket + self.rule.step_seconds
        return datetime.fromtimestamp(end if self.decided is None else self.decided, UTC)


def _course_seen(age: float) -> float:
    """The share of a post's comments that have come by ``age`` seconds."""
    return 1 - math.exp(-age / POST_DECAY)


def _predicted(seen: float, typical: float, start: float, end: float) -> tuple[float, float]:
    """A post's comments between ages ``start`` and ``end`` (seconds), given ``seen``
    by ``start``: the mean and variance under a gamma prior of the typical post's size
    with a twentieth of a course's weight (negative binomial)."""
    f0, f1 = _course_seen(start), _course_seen(end)
    shape = seen + typical * PRIOR
    m = shape / (f0 + PRIOR) * (f1 - f0)
    return m, m + m * m / shape


@dataclass
class PostTrack:
    birth: int  # the bucket of its first comment seen
    counts: dict[int, float] = field(default_factory=dict)  # bucket -> comments
    total: float = 0.0


@dataclass
class SeriesDetector:
    page_id: str
    platform: str
    rule: Rule
    buckets: dict[int, float] = field(default_factory=dict)
    firing: bool = False
    first: int | None = None  # the earliest bucket seen: history starts there
    calendar: Calendar = field(default_factory=Calendar)
    unknown: set[int] = field(default_factory=set)  # buckets a source was down in
    last_verdict: Verdict | None = None
    posts: dict[str, PostTrack] = field(default_factory=dict)  # per_post rules only
    # the last window's counts per post (what an alert names as its drivers)
    by_post: dict[int, dict[str, float]] = field(default_factory=dict)
    _streak: int = 0
    _model: Model | None = None
    _fitted: int | None = None  # the refit period the model was fitted in
    _frozen_since: int | None = None  # while firing: the model of before the surge
    _pruned: int | None = None  # buckets before this are gone (but a late event's)
    # (bucket, the busiest post's share of its window) of the windows decided lately
    top_shares: deque[tuple[int, float]] = field(default_factory=deque)

    def set(self, bucket_start: int, value: float) -> None:
        key = bucket_start - bucket_start % self.rule.step_seconds
        self.buckets[key] = value
        self._seen(key)

    def add(self, ts: int, value: float = 1.0, post: str = "") -> None:
        step = self.rule.step_seconds
        key = ts - ts % step
        self.buckets[key] = self.buckets.get(key, 0.0) + value
        self._seen(key)
        counts = self.by_post.get(key)
        if counts is None:
            counts = self.by_post[key] = {}
            self._trim_by_post(key)
        counts[post] = counts.get(post, 0.0) + value
        if self.rule.per_post:
            track = self.posts.get(post)
            if track is None:
                track = self.posts[post] = PostTrack(key)
            track.counts[key] = track.counts.get(key, 0.0) + value
            track.total += value

    def _seen(self, key: int) -> None:
        if self.first is None or key < self.first:
            self.first = key
        if self._pruned is not None and key < self._pruned:
            self._pruned = key  # a late event before the pruned span: pruned next time

    def from_posts(self, window: list[int]) -> tuple[float, float, float, tuple[float, float]]:
        """What each post's own course predicts in the window: the expected comments,
        their variance, and the largest excess of a settled post (seen for a quarter of
        its course before the window) over its prediction — a storm on it — with the
        tails of that post's count under its course (quasi-Poisson with the prediction's
        own dispersion) and against what it drew in the window before (a post that draws
        steadily for hours, pinned or live, runs beyond its course and is no storm).

        A settled post's total is estimated from what it drew before the window (shrunk
        towards the page's typical post: a gamma prior), spread over an exponential
        decay, so a storm on it does not raise its own expectation; the estimate's
        uncertainty makes its count negative binomial. A younger post is judged by its
        own start, bucket by bucket: a strong start is a strong post, not a storm."""
        step = self.rule.step_seconds
        typical = self._typical_post()
        first, last = window[-1], window[0]
        mean = variance = storm = 0.0
        tails = (1.0, 1.0)
        for track in self.posts.values():
            if track.birth > last:
                continue
            drew = sum(track.counts.get(b, 0.0) for b in window)
            after = sum(track.counts.get(b, 0.0) for b in range(last + step, last + 3 * step, step))
            seen = track.total - drew - after  # comments before the window
            if _course_seen(first - track.birth) >= SETTLED:
                m, var = _predicted(seen, typical, first - track.birth, last + step - track.birth)
                mean, variance = mean + m, variance + var
                if drew - m > storm:  # the window before is read only for the stormiest
                    d = max(1.0, var / m) if m > 0 else 1.0  # a course long done
                    span = range(first - len(window) * step, first, step)
                    before = sum(track.counts.get(b, 0.0) for b in span)
                    storm, tails = (
                        drew - m,
                        (poisson_sf(round(drew / d), m / d), rise_sf(drew, before)),
                    )
                continue
            for b in range(max(first, track.birth), last + step, step):
                m, var = _predicted(seen, typical, b - track.birth, b + step - track.birth)
                mean, variance = mean + m, variance + var
                seen += track.counts.get(b, 0.0)
        return mean, variance, storm, tails

    def _typical_post(self) -> float:
        """Comments a post of the page draws in all, from its posts of the last week
        that are two days old or more."""
        newest = max((t.birth for t in self.posts.values()), default=0)
        done = [t.total for t in self.posts.values() if t.birth < newest - 2 * 86_400]
        return sum(done) / len(done) if done else 10.0

    def _post_totals(self, last: int) -> dict[str, float]:
        """The window's count ending at ``last`` per post ("" for what no post has)."""
        step, total = self.rule.step_seconds, dict[str, float]()
        for b in range(last - (self.rule.window - 1) * step, last + step, step):
            for post, n in self.by_post.get(b, {}).items():
                total[post] = total.get(post, 0.0) + n
        return total

    def drivers(self, last: int, top: int = 3) -> tuple[tuple[str, float], ...]:
        """The posts with the most of the window's count ending at ``last``."""
        ranked = sorted(self._post_totals(last).items(), key=lambda kv: (-kv[1], kv[0]))
        return tuple(ranked[:top])

    def busiest_post(self, last: int) -> float:
        """The count of the window's busiest post (private messages are no post)."""
        return max((n for post, n in self._post_totals(last).items() if post), default=0.0)

    def record_share(self, last: int, observed: float) -> None:
        """Keep the busiest post's share of a decided window (``Rule.one_post``)."""
        shares = self.top_shares
        shares.append((last, self.busiest_post(last) / observed))
        while shares[0][0] < last - ONE_POST_DAYS * 86_400:
            shares.popleft()

    def usual_busiest_share(self) -> float | None:
        """The share of a window the busiest post usually holds; None before two days
        of decided windows."""
        if len(self.top_shares) < ONE_POST_MIN_WINDOWS:
            return None
        shares = sorted(share for _, share in self.top_shares)
        return shares[int(len(shares) * ONE_POST_QUANTILE)]

    def one_posts_rise(self, last: int, observed: float, baseline: float) -> bool:
        """Whether the window's rise over the usual is one post's: the busiest post's
        count beyond its usual share of the usual window carries ``one_post`` of it."""
        share = self.usual_busiest_share()
        if self.rule.one_post is None or share is None or observed <= baseline:
            return False
        beyond = self.busiest_post(last) - share * baseline
        return beyond >= self.rule.one_post * (observed - baseline)

    def mark_unknown(self, start: int, end: int) -> None:
        """A source was down in [start, end): those buckets are neither zeros nor counts."""
        step = self.rule.step_seconds
        self.unknown.update(range(start - start % step, end, step))

    def window_sum(self, last: int) -> float:
        step = self.rule.step_seconds
        window = range(last, last - self.rule.window * step, -step)
        return sum(map(self.buckets.get, window, repeat(0.0)))

    def model(self, last: int) -> Model | None:
        """The page's usual, fitted on the history before the window; refitted every
        six hours (a 5-minute series once a day), and kept as it was before the surge
        while one fires (a surge must not become its own baseline), for at most four
        weeks."""
        step, refit = self.rule.step_seconds, REFIT[self.rule.step]
        before = last - (self.rule.window - 1) * step
        frozen = self._frozen_since
        if self.firing and frozen is not None and last - frozen < FREEZE_MAX:
            if self._model is not None:
                return self._model
            # restarted while firing (``restore_firing``): the model a worker that ran
            # all along had when it fired, fitted as the refit period of that window began
            before = (frozen - (self.rule.window - 1) * step) // refit * refit
        period = before // refit
        if self._fitted != period or self._model is None:
            self._model = fit(
                self.buckets, self.unknown, self.first if self.first is not None else before,
                step, self.rule.window, before, self.calendar, not self.rule.reported,
            )  # fmt: skip
            self._fitted = period
        return self._model

    def verdict(self, last: int, observed: float | None = None) -> Verdict:
        rule = self.rule
        step = rule.step_seconds
        window = [last - i * step for i in range(rule.window)]
        known = [b for b in window if b not in self.unknown]
        if observed is None:
            observed = sum(self.buckets.get(b, 0.0) for b in known)
        model = self.model(last) if len(known) * 2 >= len(window) else None
        if model is None:  # too little history, or the window is mostly an outage
            return Verdict(last, observed, None, None, None, False)
        baseline = usual = model.expected(self.calendar, known)
        storm, tails = 0.0, (1.0, 1.0)  # no settled post beyond its course
        if rule.per_post:
            # what the posts explain, plus half the hour's usual for what they do not:
            # comments under old posts (on a day without a new post, people ask under
            # the newest one, however old) and on posts the detector has not seen start
            # (after a restart). The sum, not the larger of the two: measured, the
            # larger paged 2.4-2.9 times a quarter on medium and large pages, the sum
            # 0.9-1.0, at the cost of 2 of the 4 medium-page bursts it caught (of 12)
            posts, variance, storm, tails = self.from_posts(window)
            baseline, variance = posts + baseline / 2, variance + rule.dispersion * baseline / 2
        ratio = observed / baseline if baseline > 0 else float("inf") if observed else 1.0
        # the spread of past windows ending at this one's hour of day
        spread = model.dispersion_for(last + step, baseline)
        if rule.per_post:
            d = max(1.0, variance / baseline) if baseline > 0 else rule.dispersion
        else:
            d = max(spread, rule.dispersion)
        p_value = 1.0 if rule.max_p_value >= 1 else poisson_sf(round(observed / d), baseline / d)
        high = ratio >= rule.threshold
        if rule.per_post:
            # or a settled post drew (threshold - 1) times the page's usual for the
            # hour beyond its course: a storm on a post that was already strong
            high = high or storm >= (rule.threshold - 1) * usual
        condition = high and p_value <= rule.max_p_value and observed >= rule.min_volume
        # a storm on one settled post, judged by that post's own course: the window's
        # test dilutes it with every other post's noise (4 of 12 medium-page bursts
        # missed so, at window tails of 0.003-0.04)
        storming = rule.storm_ratio is not None and storm >= rule.storm_ratio * usual
        course_p, rise_p = tails
        sudden_storm = course_p <= rule.storm_p_value and rise_p <= rule.storm_rise_p_value
        if storming and sudden_storm and observed >= rule.min_volume:
            condition = True
        if condition and rule.one_post is not None:
            condition = not self.one_posts_rise(last, observed, baseline)
        return Verdict(last, observed, baseline, ratio, p_value, condition, d, storming)

    def evaluate(self, last: int, now: int | None = None) -> Transition | None:
        """Decide on the window ending with bucket ``last`` (at ``now``, its end unless
        given); return a transition if the state changed."""
        rule = self.rule
        observed = self.window_sum(last)
        if not self.firing and observed < rule.min_volume:
            self._streak = 0  # too little to matter: skip the baselines (the common case)
            self.last_verdict = None  # nothing decided that changes what is stored
            return None
        v = self.verdict(last, observed)
        self.last_verdict = v
        if rule.one_post is not None and observed >= max(rule.min_volume, 1.0):
            self.record_share(last, observed)
        if not self.firing:
            self._streak = self._streak + 1 if v.condition else 0
            if self._streak >= rule.hold:
                self.firing, self._streak = True, 0
                self._frozen_since = last
                drivers = self.drivers(last)
                return Transition(self.page_id, self.platform, rule, "firing", v, drivers, now)
        else:
            calm = self._calm(v)
            self._streak = self._streak + 1 if calm else 0
            if self._streak >= rule.resolve_hold:
                self.firing, self._streak, self._frozen_since = False, 0, None
                return Transition(self.page_id, self.platform, rule, "resolved", v, (), now)
        return None

    def _calm(self, v: Verdict) -> bool:
        """A step that counts towards resolving: below the resolve ratio and, with
        ``resolve_p_value``, clearly below a surge at the firing threshold too, or at
        most the usual (a window that a surge of that size would still give now and
        then is no sign the surge is over: a +50 % surge on a large page resolved
        mid-episode without; a small page's window is never clearly below anything,
        hence the usual as the floor)."""
        rule = self.rule
        if v.ratio is None or v.ratio >= rule.resolve_ratio or v.storm:
            return False
        if rule.resolve_p_value is None or v.baseline is None:
            return True
        d = v.dispersion or 1.0
        at_most = 1.0 - poisson_sf(math.floor(v.observed / d) + 1, rule.threshold * v.baseline / d)
        return at_most <= rule.resolve_p_value or v.ratio < 1.0

    def load_post(self, bucket: int, post: str, value: float) -> None:
        """A post's count in a bucket, from history (a rebuild: ``restore_shares``)."""
        counts = self.by_post.setdefault(bucket - bucket % self.rule.step_seconds, {})
        counts[post] = counts.get(post, 0.0) + value

    def restore_shares(self, next_bucket: int) -> None:
        """After a rebuild, with the last four weeks' counts per post loaded: the busiest
        posts' shares a detector that had run all along would hold at ``next_bucket``;
        then only the per-post counts the next decisions read are kept."""
        rule, step = self.rule, self.rule.step_seconds
        if rule.one_post is None:
            return
        self.top_shares.clear()
        last = next_bucket - step  # the last bucket decided, and four weeks before it
        for bucket in range(last - ONE_POST_DAYS * 86_400, next_bucket, step):
            observed = self.window_sum(bucket)
            if observed >= max(rule.min_volume, 1.0):
                self.record_share(bucket, observed)
        self._trim_by_post(next_bucket)

    def _trim_by_post(self, newest: int) -> None:
        """Keep the per-post counts the next decisions read: the window and its hold
        before ``newest``."""
        oldest = newest - (self.rule.window + self.rule.hold) * self.rule.step_seconds
        for old in [b for b in self.by_post if b < oldest]:
            del self.by_post[old]

    def restore_firing(self, bucket: int) -> None:
        """After a restart: the alert that fired on the window ending at ``bucket``
        fires still, judged against the model of before the surge (not one refitted on
        the surge, which would resolve it as the baseline caught up)."""
        self.firing, self._frozen_since, self._model, self._fitted = True, bucket, None, None

    def restore_streak(self, next_bucket: int) -> None:
        """After a rebuild: the streak a detector that had run all along would hold at
        ``next_bucket`` (consecutive buckets before it meeting the condition, or calm
        while firing), so that hold and hysteresis continue where they were."""
        rule, step = self.rule, self.rule.step_seconds
        limit = rule.resolve_hold if self.firing else rule.hold
        streak, bucket = 0, next_bucket - step
        while streak < limit and self.first is not None and bucket >= self.first:
            v = self.verdict(bucket)
            met = self._calm(v) if self.firing else v.condition
            if not met:
                break
            streak, bucket = streak + 1, bucket - step
        self._streak = streak

    def prune(self, now: int) -> None:
        """Forget what no fit will read again (the slow level's 13 weeks and a window),
        and posts older than a week."""
        for post in [p for p, t in self.posts.items() if t.birth < now - 7 * 86_400]:
            del self.posts[post]
        before = now - HISTORY
        step = self.rule.step_seconds
        low = self.first if self._pruned is None else self._pruned
        if low is not None and low < before:
            # the keys are buckets of the step: walk the pruned span (a day at a time)
            # instead of every bucket held; a late event older than it is walked once
            pop = self.buckets.pop
            for key in range(low - low % step, before, step):
                pop(key, None)
            self._pruned = before
        if self.unknown and min(self.unknown) < before:
            self.unknown = {b for b in self.unknown if b >= before}
