"""The surge detector: pure, deterministic, fed with bucketed series.

One ``SeriesDetector`` per page, platform and rule holds the rule's series in buckets
of its step (5 minutes, an hour or a day, event time) and decides at each completed
bucket: the window's sum against a baseline that is the larger of the same window a
year earlier (52 weeks back, so the same weekday) and the mean of the same window in
each of the last few weeks (same hour of week). It fires when the ratio, the Poisson
tail and the volume all pass for ``hold`` steps, and resolves after ``resolve_hold``
steps below ``resolve_ratio``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from somepulse.alerts.poisson import poisson_sf
from somepulse.config import config_file

DEFAULT_ALERTS_FILE = config_file("alerts.toml")
STEP_SECONDS = {"5min": 300, "hour": 3600, "day": 86400}
WEEK, YEAR = 7 * 86400, 364 * 86400


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    summary: str
    source: str  # the series: questions, comments, shares, reach
    step: str = Field(pattern="^(5min|hour|day)$")
    window: int = Field(ge=1)
    threshold: float = Field(gt=1)
    resolve_ratio: float = Field(gt=0)
    max_p_value: float = Field(gt=0, le=1)
    min_volume: float = Field(ge=0)
    hold: int = Field(ge=1)
    resolve_hold: int = Field(ge=1)
    trailing_weeks: int = Field(ge=1)
    min_history_weeks: int = Field(2, ge=1)
    # counts of people's actions cluster (a post takes off): variance ~ dispersion x mean.
    # The tail test uses Poisson(baseline / d) at observed / d (quasi-Poisson).
    dispersion: float = Field(1.0, ge=1)
    severity: str

    @property
    def step_seconds(self) -> int:
        return STEP_SECONDS[self.step]


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


@dataclass(frozen=True)
class Transition:
    page_id: str
    platform: str
    rule: Rule
    state: str  # "firing" or "resolved"
    verdict: Verdict

    @property
    def at(self) -> datetime:
        end = self.verdict.bucket + self.rule.step_seconds
        return datetime.fromtimestamp(end, UTC)


@dataclass
class SeriesDetector:
    page_id: str
    platform: str
    rule: Rule
    buckets: dict[int, float] = field(default_factory=dict)
    firing: bool = False
    first: int | None = None  # the earliest bucket seen: history starts there
    _streak: int = 0

    def set(self, bucket_start: int, value: float) -> None:
        key = bucket_start - bucket_start % self.rule.step_seconds
        self.buckets[key] = value
        if self.first is None or key < self.first:
            self.first = key

    def add(self, ts: int, value: float = 1.0) -> None:
        key = ts - ts % self.rule.step_seconds
        self.buckets[key] = self.buckets.get(key, 0.0) + value
        if self.first is None or key < self.first:
            self.first = key

    def window_sum(self, last: int) -> float:
        step = self.rule.step_seconds
        return sum(self.buckets.get(last - i * step, 0.0) for i in range(self.rule.window))

    def _has_history(self, last: int) -> bool:
        """A past window counts only if the series had started before it began (an empty
        hour is a real zero, a window before the data began is not)."""
        start = last - (self.rule.window - 1) * self.rule.step_seconds
        return self.first is not None and self.first <= start

    def verdict(self, last: int, observed: float | None = None) -> Verdict:
        rule = self.rule
        observed = self.window_sum(last) if observed is None else observed
        trailing = [
            self.window_sum(last - k * WEEK)
            for k in range(1, rule.trailing_weeks + 1)
            if self._has_history(last - k * WEEK)
        ]
        candidates = []
        if len(trailing) >= rule.min_history_weeks:
            candidates.append(sum(trailing) / len(trailing))
        if candidates and self._has_history(last - YEAR):
            candidates.append(self.window_sum(last - YEAR))
        if not candidates:
            return Verdict(last, observed, None, None, None, False)
        baseline = max(candidates)
        ratio = observed / baseline if baseline > 0 else float("inf") if observed else 1.0
        d = rule.dispersion
        p_value = 1.0 if rule.max_p_value >= 1 else poisson_sf(round(observed / d), baseline / d)
        condition = (
            ratio >= rule.threshold and p_value <= rule.max_p_value and observed >= rule.min_volume
        )
        return Verdict(last, observed, baseline, ratio, p_value, condition)

    def evaluate(self, last: int) -> Transition | None:
        """Decide at the end of bucket ``last``; return a transition if the state changed."""
        rule = self.rule
        observed = self.window_sum(last)
        if not self.firing and observed < rule.min_volume:
            self._streak = 0  # too little to matter: skip the baselines (the common case)
            return None
        v = self.verdict(last, observed)
        if not self.firing:
            self._streak = self._streak + 1 if v.condition else 0
            if self._streak >= rule.hold:
                self.firing, self._streak = True, 0
                return Transition(self.page_id, self.platform, rule, "firing", v)
        else:
            calm = v.ratio is not None and v.ratio < rule.resolve_ratio
            self._streak = self._streak + 1 if calm else 0
            if self._streak >= rule.resolve_hold:
                self.firing, self._streak = False, 0
                return Transition(self.page_id, self.platform, rule, "resolved", v)
        return None

    def restore_streak(self, next_bucket: int) -> None:
        """After a rebuild: the streak a detector that had run all along would hold at
        ``next_bucket`` (consecutive buckets before it meeting the condition, or calm
        while firing), so that hold and hysteresis continue where they were."""
        rule, step = self.rule, self.rule.step_seconds
        limit = rule.resolve_hold if self.firing else rule.hold
        streak, bucket = 0, next_bucket - step
        while streak < limit and self.first is not None and bucket >= self.first:
            v = self.verdict(bucket)
            met = (
                v.ratio is not None and v.ratio < rule.resolve_ratio if self.firing else v.condition
            )
            if not met:
                break
            streak, bucket = streak + 1, bucket - step
        self._streak = streak

    def prune(self, before: int) -> None:
        for key in [k for k in self.buckets if k < before]:
            del self.buckets[key]
