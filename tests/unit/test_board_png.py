"""``somepulse board --png`` draws what is there: a gap where no data came, the board's
colours against the promise."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from somepulse.dashboards.boards import AGAINST_PROMISE, SURGE_RATIO, WITHIN_PROMISE
from somepulse.tools.board_png import colour, with_gaps

T0 = datetime(2020, 3, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_a_missing_hour_breaks_the_line() -> None:
    points = [(T0 + 3 * HOUR, 5.0), (T0, 1.0), (T0 + HOUR, 2.0)]  # 02:00 is missing
    out = with_gaps(points, HOUR)
    assert [p[0] for p in out] == [T0, T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR]
    assert [p[1] for p in out][:2] == [1.0, 2.0] and math.isnan(out[2][1]) and out[3][1] == 5.0
    # consecutive hours: nothing inserted, a zero stays a zero
    steady = [(T0 + i * HOUR, 0.0) for i in range(4)]
    assert with_gaps(steady, HOUR) == steady


def test_a_quiet_spell_is_zeros_and_a_long_silence_is_a_gap() -> None:
    """Count series have rows only for buckets with events: 3 empty hours at night are
    zeros; 13 hours with nothing at all from any page are no data."""
    night = [(T0, 4.0), (T0 + 4 * HOUR, 2.0)]
    assert with_gaps(night, HOUR, zero_up_to=12 * HOUR) == [
        (T0, 4.0), (T0 + HOUR, 0.0), (T0 + 2 * HOUR, 0.0), (T0 + 3 * HOUR, 0.0),
        (T0 + 4 * HOUR, 2.0),
    ]  # fmt: skip
    outage = with_gaps([(T0, 4.0), (T0 + 14 * HOUR, 2.0)], HOUR, zero_up_to=12 * HOUR)
    assert len(outage) == 3 and math.isnan(outage[1][1]) and outage[1][0] == T0 + HOUR


def test_colours_follow_the_boards_thresholds() -> None:
    assert [colour(v, AGAINST_PROMISE) for v in (0.5, 0.8, 0.99, 1.0, 3.0)] == [
        "green", "orange", "orange", "red", "red",
    ]  # fmt: skip
    assert [colour(v, WITHIN_PROMISE) for v in (0.5, 0.85, 0.95)] == ["red", "orange", "green"]
    assert [colour(v, SURGE_RATIO) for v in (1.2, 1.5, 3.1)] == ["green", "orange", "red"]
