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
  Poisson(expected / D). A reported figure (reach) varies in proportion to itself: its
  spread is the squared coefficient of variation of those windows, and a window's ``D``
  is that times what the window expects (a weekend's smaller reach, a smaller variance).
"""

from __future__ import annotations

import math
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

DAY = 86_400
SHAPE_DAYS = 56
FAST_DAYS, SLOW_DAYS = 14, 91
DISPERSION_DAYS = 28
MIN_HISTORY_DAYS = 14
MAX_DISPERSION = 50.0
# a reported figure's day-to-day spread is estimated as a share of itself, at least 10 %
# (a page's reach that hardly moved for four weeks would otherwise page on any change)
REPORTED_CV2 = 0.01


@dataclass
class Calendar:
    """A page's local hours and closed days (weekends, public holidays)."""

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    closed_days: Container[date] = ()
    _hours: dict[int, tuple[int, int]] = field(default_factory=dict)
    _tables: dict[int, tuple[int, npt.NDArray[np.intp], int]] = field(default_factory=dict)

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

    def classes(self, lo: int, end: int, step: int) -> npt.NDArray[np.intp]:
        """``closed * 24 + hour`` of each bucket in [lo, end): a fit reads thousands,
        so they are kept as one array per step (grown by doubling) and sliced."""
        if end <= lo:
            return np.zeros(0, np.intp)
        origin, table, filled = self._tables.get(step, (lo, np.zeros(0, np.intp), 0))
        if lo < origin or (lo - origin) % step or filled > 200_000:
            origin, table, filled = lo, np.zeros(0, np.intp), 0
        done = origin + filled * step
        if done < end:
            new = [c * 24 + h for c, h in map(self.at, range(done, end, step))]
            if filled + len(new) > len(table):
                grown = np.zeros(max(2 * len(table), filled + len(new), 1024), np.intp)
                grown[:filled] = table[:filled]
                table = grown
            table[filled : filled + len(new)] = new
            filled += len(new)
        self._tables[step] = (origin, table, filled)
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
    # a reported figure (reach) varies in proportion to itself, not as a count: its
    # ``dispersion`` and ``phases`` are then squared coefficients of variation, and a
    # window's dispersion is that times what it expects (``dispersion_for``)
    relative: bool = False

    def dispersion_for(self, end: int, expected: float = 1.0) -> float:
        """The dispersion of a window ending at ``end`` (epoch seconds) that expects
        ``expected``: that of the past windows that ended at the same phase (for a
        day's window: the same hour)."""
        phase = self.dispersion
        if self.phases:
            phase = self.phases[((self.before - end) // self.step) % len(self.phases)]
        return max(phase * expected, 1.0) if self.relative else phase

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
    # windows of a phase end a day apart (or a window, if longer): a six-hour window's
    # phases are the hours of the day too, not the hours modulo six. A day's series has
    # no phase: every window, overlapping, says how its sums vary
    spacing = max(window, DAY // step) if step < DAY else 1
    phases = _dispersions(grid, window, level, counted, spacing)
    return Model(
        (open_mean, closed_mean), shape, level, phases[0], phases, before, step, not counted
    )


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
    keys, sums = _series(values, lo, before)
    down = _outages(unknown, lo, before, step)
    known = ~np.isin(keys, down)
    hourly = dict(_hourly_sums(keys[known] - keys[known] % 3600, sums[known]))
    gone = set((down - down % 3600).tolist())
    end = before - before % 3600
    model = fit(hourly, gone, first - first % 3600, 3600, max(window * step // 3600, 1), end,
                calendar)  # fmt: skip
    if model is None:
        return None
    per_bucket = (model.per_class[0] / per_hour, model.per_class[1] / per_hour)
    return Model(per_bucket, model.shape, model.level, model.dispersion)


def _series(
    values: Mapping[int, float], lo: int, before: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """The buckets of ``values`` in [lo, before) and their values, as arrays."""
    keys = np.fromiter(values.keys(), np.int64, len(values))
    sums = np.fromiter(values.values(), np.float64, len(values))
    inside = (keys >= lo) & (keys < before)
    return keys[inside], sums[inside]


def _outages(unknown: Container[int], lo: int, before: int, step: int) -> npt.NDArray[np.int64]:
    """The buckets in [lo, before) a source was down in: a set's members, or the
    buckets of the step's grid from ``lo`` that any other container holds."""
    if isinstance(unknown, set | frozenset):
        down = np.fromiter(unknown, np.int64, len(unknown))
        return down[(down >= lo) & (down < before)]
    span = np.arange(lo, before, step, dtype=np.int64)
    held: npt.NDArray[np.int64] = span[
        np.fromiter(map(unknown.__contains__, span.tolist()), bool, len(span))
    ]
    return held


def _hourly_sums(
    hours: npt.NDArray[np.int64], values: npt.NDArray[np.float64]
) -> zip[tuple[int, float]]:
    """(hour, sum of its values) for each hour present (whole numbers: exact sums)."""
    unique, at = np.unique(hours, return_inverse=True)
    return zip(unique.tolist(), np.bincount(at, weights=values).tolist(), strict=True)


class _Grid:
    """The buckets a fit reads (the slow level's 13 weeks before ``before``, from the
    series' first bucket), looked up once into arrays: class (``closed * 24 + hour``),
    value and whether it is known. Each measure is then a few array operations over
    them (window sums as differences of running sums) instead of a loop per bucket or
    per window: fits are most of the detector's cost when history is replayed at full
    speed, and most of the worker's when it is (profiled: 57 % of its event loop on the
    bench's twenty months before, with the fit's loops in C already)."""

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
        n = len(range(lo, before, step))
        self.classes = calendar.classes(lo, before, step)
        # the series' buckets are on the step's grid (``detector.SeriesDetector.add``)
        keys, sums = _series(values, lo, before)
        aligned = (keys - lo) % step == 0
        keys, sums = keys[aligned], sums[aligned]
        self.values = np.zeros(n)
        self.values[(keys - lo) // step] = sums
        # buckets a source was down in (None: none, the usual): their values read 0.0
        self.known: npt.NDArray[np.bool_] | None = None
        if unknown:
            down = _outages(unknown, lo, before, step)
            gone = np.zeros(n, bool)
            gone[(down[(down - lo) % step == 0] - lo) // step] = True
            if gone.any():
                self.known = ~gone
                self.values[gone] = 0.0
        self.units = np.zeros(n)

    def __len__(self) -> int:
        return len(self.values)

    def index(self, ts: int) -> int:
        """The first bucket at or after ``ts`` (0 before the grid's start)."""
        return max(0, -(-(ts - self.lo) // self.step))

    @cached_property
    def known_counts(self) -> npt.NDArray[np.intp]:
        """Running count of known buckets (``[0]`` = 0): known in [a, b) = ``c[b] - c[a]``
        (read by the level and the dispersions: counted once)."""
        ones = np.ones(len(self), np.intp) if self.known is None else self.known.astype(np.intp)
        return np.concatenate(([0], np.cumsum(ones)))

    def bins(self, start: int) -> tuple[list[float], list[int]]:
        """Sum of the known values per class from bucket ``start`` on, and the number of
        known buckets per day class."""
        classes, values = self.classes[start:], self.values[start:]
        if self.known is not None:
            known = self.known[start:]
            classes, values = classes[known], values[known]
        # bincount adds in order: values are whole numbers, so the sums are exact
        bins = np.bincount(classes, weights=values, minlength=48)
        closed = int(np.count_nonzero(classes >= 24))
        return bins.tolist(), [len(classes) - closed, closed]

    def weigh(self, per_class: tuple[float, float], shape: tuple[float, ...]) -> None:
        """Each known bucket's expectation at level 1 (``Model.unit``), 0.0 if unknown."""
        table = np.array([per_class[c // 24] * shape[c % 24] for c in range(48)])
        self.units = table[self.classes]
        if self.known is not None:
            self.units[~self.known] = 0.0


def _level(grid: _Grid, counted: bool) -> float | None:
    """The level against the shape, over whole days (of buckets) before the window,
    newest first; a day that is mostly an outage says nothing about it."""
    per_day = max(DAY // grid.step, 1)
    days = min(SLOW_DAYS, len(grid) // per_day)
    if days == 0:
        return None
    tail = len(grid) - days * per_day
    # one row per day, newest first
    observed = grid.values[tail:].reshape(days, per_day).sum(axis=1)[::-1]
    expected = grid.units[tail:].reshape(days, per_day).sum(axis=1)[::-1]
    counts = grid.known_counts[tail::per_day]
    known = np.diff(counts)[::-1]
    use = (known * 2 >= per_day) & (expected > 0)
    observed, expected = observed[use], expected[use]
    if not len(expected):
        return None
    # a viral day or a surge must not raise the bar for weeks
    cap = expected + 3 * np.sqrt(expected) + 3 if counted else 1.5 * expected
    observed = np.minimum(observed, cap)
    fast = observed[:FAST_DAYS].sum() / expected[:FAST_DAYS].sum()
    slow = observed.sum() / expected.sum()
    return float(max(fast, slow))


def _dispersions(
    grid: _Grid, window: int, level: float, counted: bool, spacing: int
) -> tuple[float, ...]:
    """Per phase k < ``spacing``: Pearson's ratio over the same-length windows of the
    last four weeks, the newest ending k buckets before the grid's end, each
    ``spacing`` buckets apart (for a reported figure, the squared coefficient of
    variation: the squared deviations over the squared expectations). A window too
    much of an outage, or with nothing expected, is left out."""
    n = len(grid)
    floor = grid.index(grid.before - DISPERSION_DAYS * DAY)
    if n - window < floor:
        return (1.0,) * spacing
    per_phase = (n - window - floor) // spacing + 1
    ends = n - np.arange(spacing)[:, None] - spacing * np.arange(per_phase)[None, :]
    valid = ends - window >= floor
    ends = np.where(valid, ends, window)  # (an index that exists; masked out below)
    units = np.concatenate(([0.0], np.cumsum(grid.units)))
    values = np.concatenate(([0.0], np.cumsum(grid.values)))
    known = grid.known_counts
    # a window's sums as differences of running sums: exact for the whole-number
    # values; the expectations' within a few ulps of adding the window's buckets, and
    # exactly 0.0 over buckets that all expect nothing
    e = level * (units[ends] - units[ends - window])
    o = values[ends] - values[ends - window]
    use = valid & ((known[ends] - known[ends - window]) * 2 >= window) & (e > 0)
    num = np.where(use, (o - e) ** 2, 0.0).sum(axis=1)
    # a count's variance over its mean (at least 1, capped); a reported figure's over
    # its mean squared (at least REPORTED_CV2, not capped)
    den = np.where(use, e if counted else e * e, 0.0).sum(axis=1)
    low, high = (1.0, MAX_DISPERSION) if counted else (REPORTED_CV2, math.inf)
    return tuple(
        low if d <= 0 else min(max(x / d, low), high)
        for x, d in zip(num.tolist(), den.tolist(), strict=True)
    )
