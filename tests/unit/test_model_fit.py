"""The fit's fast path (array operations over one grid, alerts/model.py) against the
straightforward reading of the same model, bucket by bucket: the fits, and so every
decision, must be the same, to the last few ulps of adding floats in another order
(counts are whole numbers and add exactly either way). The reference below is the
model as first written (release 0.3), kept here as the independent reading."""

from __future__ import annotations

import math
import random
from collections.abc import Container, Mapping
from zoneinfo import ZoneInfo

import pytest

from somepulse.alerts.model import (
    DAY,
    DISPERSION_DAYS,
    FAST_DAYS,
    MAX_DISPERSION,
    MIN_HISTORY_DAYS,
    REPORTED_CV2,
    SHAPE_DAYS,
    SLOW_DAYS,
    Calendar,
    Model,
    fit,
)
from somepulse.domain.pages import closed_days


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("step", "window"), [(3600, 24), (3600, 6), (86_400, 1), (300, 12)])
def test_fit_equals_the_bucket_by_bucket_reading(seed: int, step: int, window: int) -> None:
    rng = random.Random(seed * 1000 + step)
    calendar = Calendar(ZoneInfo("Europe/Oslo"), closed_days("NO"))
    start = 1_577_836_800 + rng.randrange(0, 400) * 86_400  # 2020 on: DST, holidays
    first = start + rng.randrange(0, 30) * step
    span = (rng.randrange(10, 130) * 86_400) // step  # too short for a model too
    values: dict[int, float] = {}
    for i in range(span):
        if rng.random() < 0.7:  # whole numbers, as counts and reported figures are
            values[first + i * step] = float(rng.choice([1, 2, 3, 5, 40, 20_000]))
    unknown: set[int] = set()
    for _ in range(rng.randrange(0, 4)):  # outages of hours to days
        lo = first + rng.randrange(0, span) * step
        unknown.update(range(lo, lo + rng.randrange(1, 4 * 86_400 // step + 2) * step, step))
    fits = 0
    # and fits asked for before the series starts (a page's first hours): no model
    early = [first - rng.randrange(1, 10) * step, first]
    for before in [first + rng.randrange(span // 3, span) * step for _ in range(5)] + early:
        for counted in (True, False):
            args = (values, unknown, first, step, window, before, calendar)
            got = fit(*args, counted)
            want = reference_fit(*args, counted) if step >= 3600 else reference_by_hour(*args)
            assert_same(got, want)
            # outages in any container, not only a set (asked bucket by bucket)
            assert_same(fit(values, Outages(unknown), *args[2:], counted), want)
            fits += got is not None
    assert span * step < 30 * DAY or fits  # the case exercised a model


def reference_by_hour(
    values: Mapping[int, float],
    unknown: Container[int],
    first: int,
    step: int,
    window: int,
    before: int,
    calendar: Calendar,
) -> Model | None:
    """A sub-hour series: fitted on its hourly sums (an hour with any bucket of an
    outage unknown as a whole), the model's means then per bucket."""
    lo = max(first, before - SLOW_DAYS * DAY)
    hourly: dict[int, float] = {}
    for b in range(lo, before, step):  # (the test's series are on this grid)
        if b in values and b not in unknown:
            hourly[b - b % 3600] = hourly.get(b - b % 3600, 0.0) + values[b]
    gone = {b - b % 3600 for b in range(lo, before, step) if b in unknown}
    hours = max(window * step // 3600, 1)
    fitted = reference_fit(hourly, gone, first - first % 3600, 3600, hours,
                           before - before % 3600, calendar)  # fmt: skip
    if fitted is None:
        return None
    per_bucket = tuple(mean * step / 3600 for mean in fitted.per_class)
    return Model((per_bucket[0], per_bucket[1]), fitted.shape, fitted.level, fitted.dispersion)


def assert_same(got: Model | None, want: Model | None) -> None:
    """Equal, but for float rounding (a relative 1e-12: far below any threshold)."""
    if got is None or want is None:
        assert got is want
        return
    assert (got.before, got.step, len(got.phases)) == (want.before, want.step, len(want.phases))
    for name in ("per_class", "shape", "level", "dispersion", "phases"):
        assert getattr(got, name) == pytest.approx(getattr(want, name), rel=1e-12), name


class Outages:
    """A container that is not a set: only ``in``."""

    def __init__(self, buckets: set[int]) -> None:
        self._buckets = buckets

    def __contains__(self, bucket: object) -> bool:
        return bucket in self._buckets


def reference_fit(
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
    # a phase's windows end a day apart; a day's series: every window, overlapping
    spacing = max(window, DAY // step) if step < DAY else 1
    phases = tuple(
        _dispersion(values, unknown, first, step, window, before, calendar, model, counted, k,
                    spacing)
        for k in range(spacing)
    )  # fmt: skip
    return Model(base.per_class, shape, level, phases[0], phases, before, step, not counted)


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
    counted: bool,
    offset: int,
    spacing: int,
) -> float:
    """Over the windows ending ``offset`` steps before ``before``, ``spacing`` apart:
    Pearson's ratio for counts (1 to ``MAX_DISPERSION``); for a reported figure, which
    varies in proportion to itself, the squared coefficient of variation (at least
    ``REPORTED_CV2``)."""
    span = window * step
    num = den = 0.0
    end = before - offset * step
    while end - span >= max(first, before - DISPERSION_DAYS * DAY):
        buckets = [b for b in range(end - span, end, step) if b not in unknown]
        end -= spacing * step
        if len(buckets) * 2 < window:
            continue
        e = model.expected(calendar, buckets)
        if e <= 0:
            continue
        o = sum(values.get(b, 0.0) for b in buckets)
        num += (o - e) ** 2
        den += e if counted else e * e
    if not counted:
        return REPORTED_CV2 if den <= 0 else max(num / den, REPORTED_CV2)
    if den <= 0:
        return 1.0
    return min(max(num / den, 1.0), MAX_DISPERSION)


def test_each_hour_of_the_day_has_its_own_dispersion() -> None:
    """Hand-worked: 24 questions a day, one an hour, but every other day all of them
    come in the morning (a day without a new post: people ask at 06-12 under the old
    one, four an hour). A day's window ending at midnight always holds 24: no spread beyond Poisson
    (1.0, the floor). One ending at noon holds yesterday's afternoon and this morning:
    12 + 24 = 36 or 0 + 12 = 12, against 24 expected, so (12² / 24) = 6 every window."""
    day0 = 1_577_836_800  # 2020-01-01 00:00 UTC
    values: dict[int, float] = {}
    for d in range(60):
        for h in range(24):
            shifted = d % 2 == 1
            n = (4.0 if 6 <= h < 12 else 0.0) if shifted else 1.0
            if n:
                values[day0 + d * DAY + h * 3600] = n
    before = day0 + 60 * DAY
    got = fit(values, set(), day0, 3600, 24, before, Calendar())
    assert got is not None
    assert got.level == pytest.approx(1.0)
    assert got.dispersion_for(before + DAY) == 1.0  # a window ending at midnight
    assert got.dispersion_for(before + DAY + 12 * 3600) == pytest.approx(6.0)  # at noon
    assert got.dispersion_for(before + 36 * 3600) == pytest.approx(6.0)  # a day on
    # at 06: yesterday from 06 and this night, 18 + 0 or 24 + 6: (6² / 24) = 1.5
    assert got.dispersion_for(before + DAY + 6 * 3600) == pytest.approx(1.5)


def test_a_reported_figures_spread_is_a_share_of_itself() -> None:
    """Hand-worked: a page's daily reach is 10,000 on weekdays and 4,000 at weekends,
    20 % above or below that on alternate days. Its spread is 20 % of the day's reach
    (a squared coefficient of variation of 0.04), so a weekday's variance is 0.04 x
    10,000² and a weekend day's 0.04 x 4,000²: a day's dispersion (variance over mean)
    is 0.04 x 10,000 = 400 on a weekday, 160 at a weekend. One dispersion for all days
    would hold the weekend to the weekdays' spread."""
    day0 = 1_577_664_000  # Monday 2019-12-30 00:00 UTC
    values = {}
    for d in range(70):
        usual = 4_000.0 if d % 7 >= 5 else 10_000.0
        values[day0 + d * DAY] = usual * (1.2 if d % 2 else 0.8)
    before = day0 + 70 * DAY
    got = fit(values, set(), day0, DAY, 1, before, Calendar(), counted=False)
    assert got is not None and got.relative
    assert got.per_class == pytest.approx((10_000.0, 4_000.0))
    assert got.dispersion == pytest.approx(0.04)
    assert got.dispersion_for(before + DAY, 10_000.0) == pytest.approx(400)
    assert got.dispersion_for(before + DAY, 4_000.0) == pytest.approx(160)
