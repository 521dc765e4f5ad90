"""What a page usually does, as the surge detector expects it: a fitted baseline per
page and rule, refitted every six hours (pure; ``detector.py`` holds the series).

* **Shape**: the mean per bucket on open days and on closed days (weekends and the
  page's public holidays), times the page's hour-of-day profile, from the 8 weeks
  before the window. Hours a source was down are neither zeros nor counted.
* **Level**: how the page runs now against that shape: the fast level (last 14 days)
  or the slow one (last 13 weeks), whichever is higher — a trend is followed within
  two weeks, while a dip (summer, Christmas, an outage) never lowers the bar for the
  return after it. Each day's count is capped at its expectation plus three standard
  deviations first, so one viral day or a past surge does not raise the bar for weeks.
* **Dispersion**: counts of people's actions cluster (questions and comments follow
  posts), so a window's variance is ``D`` times its mean; ``D`` is estimated per page
  and rule from the same-length windows of the last four weeks (Pearson's ratio, at
  least 1) and the tail test is quasi-Poisson: P(X ≥ observed / D) for X ~
  Poisson(expected / D).
"""

from __future__ import annotations

import math
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

DAY = 86_400
SHAPE_DAYS = 56
FAST_DAYS, SLOW_DAYS = 14, 91
DISPERSION_DAYS = 28
MIN_HISTORY_DAYS = 14
MAX_DISPERSION = 50.0


@dataclass
class Calendar:
    """A page's local hours and closed days (weekends, public holidays)."""

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    closed_days: Container[date] = ()
    _hours: dict[int, tuple[int, int]] = field(default_factory=dict)

    def at(self, ts: int) -> tuple[int, int]:
        """(0 open day / 1 closed day, local hour) of an instant."""
        key = ts - ts % 3600
        hit = self._hours.get(key)
        if hit is None:
            if len(self._hours) > 200_000:  # a few years of hours: start again
                self._hours.clear()
            local = datetime.fromtimestamp(key, self.tz)
            day = local.date()
            closed = 1 if day.weekday() >= 5 or day in self.closed_days else 0
            hit = self._hours[key] = (closed, local.hour)
        return hit


@dataclass(frozen=True)
class Model:
    """Expected count per bucket: ``level * per_class[class] * shape[hour]``."""

    per_class: tuple[float, float]
    shape: tuple[float, ...]  # 24 hour-of-day factors, mean 1
    level: float
    dispersion: float

    def unit(self, calendar: Calendar, bucket: int) -> float:
        closed, hour = calendar.at(bucket)
        return self.per_class[closed] * self.shape[hour]

    def expected(self, calendar: Calendar, buckets: list[int]) -> float:
        return self.level * sum(self.unit(calendar, b) for b in buckets)


def fit(
    values: Mapping[int, float],
    unknown: Container[int],
    first: int,
    step: int,
    window: int,
    before: int,
    calendar: Calendar,
    counted: bool = True,
) -> Model | None:
    """The model from history before ``before`` (the window's first bucket), or None
    with less than two weeks of known history."""
    if step < 3600:
        return _fit_by_hour(values, unknown, first, step, window, before, calendar)
    start = max(first, before - SHAPE_DAYS * DAY)
    sums, n = [0.0, 0.0], [0, 0]
    hours = [0.0] * 24
    for b in range(start - start % step, before, step):
        if b < first or b in unknown:
            continue
        closed, hour = calendar.at(b)
        v = values.get(b, 0.0)
        sums[closed] += v
        n[closed] += 1
        hours[hour] += v
    known_days = (n[0] + n[1]) * step / DAY
    if known_days < MIN_HISTORY_DAYS or sums[0] + sums[1] <= 0:
        return None
    total = sum(hours)
    # the hour profile, shrunk towards flat by a few days' worth of counts (small pages)
    prior = max(total * 0.05, 2.0) / 24
    shape = tuple((h + prior) / (total + 24 * prior) * 24 for h in hours)
    if step >= DAY:
        shape = (1.0,) * 24
    open_mean = sums[0] / n[0] if n[0] else sums[1] / max(n[1], 1)
    closed_mean = sums[1] / n[1] if n[1] else open_mean * 0.5
    base = Model((open_mean, closed_mean), shape, 1.0, 1.0)
    level = _level(values, unknown, first, step, before, calendar, base, counted)
    if level is None:
        return None
    model = Model(base.per_class, shape, level, 1.0)
    # a reported figure (reach) varies in proportion to itself, not as a count: its
    # dispersion (variance over mean) is in the thousands, and is not capped
    cap = MAX_DISPERSION if counted else math.inf
    dispersion = _dispersion(values, unknown, first, step, window, before, calendar, model, cap)
    return Model(base.per_class, shape, level, dispersion)


def _fit_by_hour(
    values: Mapping[int, float],
    unknown: Container[int],
    first: int,
    step: int,
    window: int,
    before: int,
    calendar: Calendar,
) -> Model | None:
    """A sub-hour series fitted on its hourly sums (twelve times less to read; the shape
    is by hour anyway): an hour with any bucket of an outage is unknown as a whole."""
    per_hour = 3600 // step
    lo = max(first, before - SLOW_DAYS * DAY)
    hourly: dict[int, float] = {}
    for b, v in values.items():
        if lo <= b < before and b not in unknown:
            hourly[b - b % 3600] = hourly.get(b - b % 3600, 0.0) + v
    marked = unknown if isinstance(unknown, set | frozenset) else range(lo, before, step)
    gone = {b - b % 3600 for b in marked if lo <= b < before and b in unknown}
    end = before - before % 3600
    model = fit(hourly, gone, first - first % 3600, 3600, max(window * step // 3600, 1), end,
                calendar)  # fmt: skip
    if model is None:
        return None
    per_bucket = (model.per_class[0] / per_hour, model.per_class[1] / per_hour)
    return Model(per_bucket, model.shape, model.level, model.dispersion)


def _days(first: int, step: int, before: int, days: int) -> list[list[int]]:
    """The whole days (of buckets) before ``before``, newest first."""
    per_day = max(DAY // step, 1)
    out = []
    end = before
    for _ in range(days):
        begin = end - per_day * step
        if begin < first:
            break
        out.append(list(range(begin, end, step)))
        end = begin
    return out


def _level(
    values: Mapping[int, float],
    unknown: Container[int],
    first: int,
    step: int,
    before: int,
    calendar: Calendar,
    base: Model,
    counted: bool,
) -> float | None:
    observed, expected = [], []
    for day in _days(first, step, before, SLOW_DAYS):
        known = [b for b in day if b not in unknown]
        if len(known) * 2 < len(day):
            continue  # mostly an outage: says nothing about the level
        e = base.expected(calendar, known)
        if e <= 0:
            continue
        o = sum(values.get(b, 0.0) for b in known)
        # a viral day or a surge must not raise the bar for weeks
        cap = e + 3 * math.sqrt(e) + 3 if counted else 1.5 * e
        observed.append(min(o, cap))
        expected.append(e)
    if not expected:
        return None
    fast = sum(observed[:FAST_DAYS]) / sum(expected[:FAST_DAYS])
    slow = sum(observed) / sum(expected)
    return max(fast, slow)


def _dispersion(
    values: Mapping[int, float],
    unknown: Container[int],
    first: int,
    step: int,
    window: int,
    before: int,
    calendar: Calendar,
    model: Model,
    cap: float = MAX_DISPERSION,
) -> float:
    span = window * step
    num = den = 0.0
    end = before
    while end - span >= max(first, before - DISPERSION_DAYS * DAY):
        buckets = [b for b in range(end - span, end, step) if b not in unknown]
        end -= span
        if len(buckets) * 2 < window:
            continue
        e = model.expected(calendar, buckets)
        if e <= 0:
            continue
        o = sum(values.get(b, 0.0) for b in buckets)
        num += (o - e) ** 2
        den += e
    if den <= 0:
        return 1.0
    return min(max(num / den, 1.0), cap)
