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
from itertools import compress, repeat
from operator import not_
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
    _tables: dict[int, tuple[int, list[int]]] = field(default_factory=dict)

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

    def classes(self, lo: int, end: int, step: int) -> list[int]:
        """``closed * 24 + hour`` of each bucket in [lo, end): a fit reads thousands,
        so they are kept as one list per step and sliced."""
        if end <= lo:
            return []
        origin, table = self._tables.get(step, (lo, []))
        if lo < origin or (lo - origin) % step or len(table) > 200_000:
            origin, table = lo, []
        done = origin + len(table) * step
        if done < end:
            table.extend(c * 24 + h for c, h in map(self.at, range(done, end, step)))
        self._tables[step] = (origin, table)
        i = (lo - origin) // step
        return table[i : i + -(-(end - lo) // step)]  # as many as range(lo, end, step)


@dataclass(frozen=True)
class Model:
    """Expected count per bucket: ``level * per_class[class] * shape[hour]``."""

    per_class: tuple[float, float]
    shape: tuple[float, ...]  # 24 hour-of-day factors, mean 1
    level: float
    dispersion: float  # of the windows ending where the fit's history ends (``before``)
    # per phase: ``phases[k]`` from the windows ending k steps earlier (and a day apart
    # before that). A day's window ending at noon holds yesterday's afternoon and this
    # morning: how a day's questions fall around its posts moves it far more than one
    # ending at midnight, so each hour of the day gets its own. Empty: ``dispersion``.
    phases: tuple[float, ...] = ()
    before: int = 0  # the fit's ``before`` and step: where the phases count from
    step: int = 0

    def dispersion_for(self, end: int) -> float:
        """The dispersion of a window ending at ``end`` (epoch seconds): that of the past
        windows that ended at the same phase (for a day's window: the same hour)."""
        if not self.phases:
            return self.dispersion
        return self.phases[((self.before - end) // self.step) % len(self.phases)]

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
    grid = _Grid(values, unknown, first, step, before, calendar)
    bins, n = grid.bins(grid.index(before - SHAPE_DAYS * DAY))
    # values are whole numbers (counts, reported figures): sums are exact in any order
    sums = [sum(bins[:24]), sum(bins[24:])]
    hours = [bins[h] + bins[24 + h] for h in range(24)]
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
    grid.weigh((open_mean, closed_mean), shape)
    level = _level(grid, counted)
    if level is None:
        return None
    # a reported figure (reach) varies in proportion to itself, not as a count: its
    # dispersion (variance over mean) is in the thousands, and is not capped
    cap = MAX_DISPERSION if counted else math.inf
    # windows of a phase end a day apart (or a window, if longer): a six-hour window's
    # phases are the hours of the day too, not the hours modulo six
    spacing = max(window, DAY // step, 1)
    phases = tuple(_dispersion(grid, window, level, cap, k, spacing) for k in range(spacing))
    return Model((open_mean, closed_mean), shape, level, phases[0], phases, before, step)


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


class _Grid:
    """The buckets a fit reads (the slow level's 13 weeks before ``before``, from the
    series' first bucket), looked up once: class (``closed * 24 + hour``), value and
    whether it is known. Each measure then sums slices of these lists (loops in C)
    instead of looking every bucket up again: fits are most of the detector's cost
    when history is replayed at full speed."""

    def __init__(
        self,
        values: Mapping[int, float],
        unknown: Container[int],
        first: int,
        step: int,
        before: int,
        calendar: Calendar,
    ) -> None:
        lo = max(first, before - SLOW_DAYS * DAY)
        self.lo = lo = lo + (before - lo) % step  # on the grid of ``before``
        self.step, self.before = step, before
        buckets = range(lo, before, step)
        self.classes = calendar.classes(lo, before, step)
        self.values: list[float] = list(map(values.get, buckets, repeat(0.0)))
        # buckets a source was down in (None: none, the usual): their values read 0.0
        self.gone: list[bool] | None = None
        if unknown:
            gone = list(map(unknown.__contains__, buckets))
            if any(gone):
                self.gone = gone
                for i in compress(range(len(gone)), gone):
                    self.values[i] = 0.0
        self.units: list[float] = []

    def __len__(self) -> int:
        return len(self.values)

    def index(self, ts: int) -> int:
        """The first bucket at or after ``ts`` (0 before the grid's start)."""
        return max(0, -(-(ts - self.lo) // self.step))

    def known_in(self, begin: int, end: int) -> int:
        return end - begin - (0 if self.gone is None else sum(self.gone[begin:end]))

    def bins(self, start: int) -> tuple[list[float], list[int]]:
        """Sum of the known values per class from bucket ``start`` on, and the number of
        known buckets per day class."""
        bins = [0.0] * 48
        classes, values = self.classes[start:], self.values[start:]
        if self.gone is not None:
            known = list(map(not_, self.gone[start:]))
            classes, values = list(compress(classes, known)), list(compress(values, known))
        for c, v in zip(classes, values, strict=True):
            bins[c] += v
        closed = sum(map((24).__le__, classes))
        return bins, [len(classes) - closed, closed]

    def weigh(self, per_class: tuple[float, float], shape: tuple[float, ...]) -> None:
        """Each known bucket's expectation at level 1 (``Model.unit``), 0.0 if unknown."""
        table = [per_class[c // 24] * shape[c % 24] for c in range(48)]
        self.units = list(map(table.__getitem__, self.classes))
        if self.gone is not None:
            for i in compress(range(len(self.gone)), self.gone):
                self.units[i] = 0.0


def _level(grid: _Grid, counted: bool) -> float | None:
    """The level against the shape, over whole days (of buckets) before the window,
    newest first; a day that is mostly an outage says nothing about it."""
    per_day = max(DAY // grid.step, 1)
    observed, expected = [], []
    end = len(grid)
    for _ in range(SLOW_DAYS):
        begin = end - per_day
        if begin < 0:
            break
        known = grid.known_in(begin, end)
        e = sum(grid.units[begin:end])  # unknown buckets add 0.0: the same sum
        o = sum(grid.values[begin:end])
        end = begin
        if known * 2 < per_day or e <= 0:
            continue
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
    grid: _Grid, window: int, level: float, cap: float, offset: int, spacing: int
) -> float:
    """Pearson's ratio over the same-length windows of the last four weeks, the newest
    ending ``offset`` buckets before the grid's end, each ``spacing`` buckets apart."""
    num = den = 0.0
    end = len(grid) - offset
    floor = grid.index(grid.before - DISPERSION_DAYS * DAY)
    while end - window >= floor:
        begin = end - window
        known = grid.known_in(begin, end)
        e = level * sum(grid.units[begin:end])
        o = sum(grid.values[begin:end])
        end -= spacing
        if known * 2 < window or e <= 0:
            continue
        num += (o - e) ** 2
        den += e
    if den <= 0:
        return 1.0
    return min(max(num / den, 1.0), cap)
