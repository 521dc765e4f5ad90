"""``somepulse bench --bound``: the oracle's pieces, on series worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from somepulse.alerts.scoring import QUARTER_DAYS
from somepulse.collectors.scenario.unkind import UnkindScenario
from somepulse.tools.detection_bound import QUESTIONS as Q
from somepulse.tools.detection_bound import REMARKS as R
from somepulse.tools.detection_bound import (
    Planted,
    calibrate,
    cusum,
    delay,
    false_per_quarter,
    held,
    pages,
    planted_pages,
    series_counts,
    window_sums,
)


def test_window_sums_end_with_each_hour() -> None:
    sums = window_sums(np.array([[1.0, 2.0, 3.0, 4.0]]), 2)
    assert sums.tolist() == [[1.0, 3.0, 5.0, 7.0]]


def test_held_needs_the_hours_running() -> None:
    stat = np.array([[0.0, 5.0, 5.0, 0.0, 5.0, 5.0, 5.0]])
    assert held(stat, 5.0, 2).tolist() == [[False, False, True, False, False, True, True]]
    assert held(stat, 5.1, 1).tolist() == [[False] * 7]


def test_a_test_over_its_threshold_for_days_pages_once_in_two_days() -> None:
    fires = np.zeros(100, dtype=bool)
    fires[[1, 2, 30, 48, 49, 60, 99]] = True
    assert pages(fires) == [1, 49, 99]
    # two quiet runs of one quarter, three pages and one: two a quarter
    both = np.stack([fires, np.eye(1, 100, 5, dtype=bool)[0]])
    assert false_per_quarter(both, QUARTER_DAYS) == pytest.approx(2.0)


def test_the_threshold_is_the_lowest_within_the_budget() -> None:
    stat = np.zeros((1, 200))
    stat[0, 10], stat[0, 100] = 3.0, 7.0  # two pages at or below 3, one up to 7
    threshold = calibrate(stat, 1, 1.0, QUARTER_DAYS)
    assert 3.0 < threshold <= 3.0 + 1e-9
    assert 7.0 < calibrate(stat, 1, 0.0, QUARTER_DAYS) <= 7.0 + 1e-9
    stat[0, 150] = 1e9  # a bucket whose quiet runs never varied (z over a spread of 0)
    assert 7.0 < calibrate(stat, 1, 1.0, QUARTER_DAYS) <= 7.0 + 1e-6


def test_delay_counts_from_the_start_to_the_end_of_the_paged_hour() -> None:
    surge = Planted(start=1.5, end=5.0, factor=2.0)
    assert delay([False, False, False, True, False, False], surge) == 2.5
    assert delay([False, True, False, False, False, False], surge) == 0.5
    assert delay([True, False, False, False, False, True], surge) is None  # before, after


def test_cusum_adds_the_log_likelihood_ratio_and_resets_at_zero() -> None:
    out = cusum(np.array([[0.0, 4.0, 4.0, 0.0]]), np.array([2.0, 2.0, 2.0, 2.0]), 2.0)
    step = 4 * math.log(2) - 2
    assert out[0].tolist() == pytest.approx([0.0, step, 2 * step, 0.0])


def test_quiet_runs_have_no_surge_viral_post_or_outage() -> None:
    quiet = UnkindScenario(3, quiet=True)
    assert quiet.plan.episodes == []
    assert all(v == [] for v in quiet.plan.viral.values())
    assert all(o == [] for o in quiet.plan.outages.values())
    assert [p.page_id for p in planted_pages(Q)] == ["small.trend", "small.rhythm", "large.surge"]
    assert [p.page_id for p in planted_pages(R)] == ["small.rhythm", "medium.burst"]


def test_each_series_counts_what_its_rule_counts() -> None:
    comment = {"kind": "interaction", "interaction_type": "comment", "is_question": False}
    asking = comment | {"is_question": True}
    inbox = {"kind": "private_message", "direction": "in", "is_question": True}
    reply = {"kind": "private_message", "direction": "out", "is_question": True}
    like = {"kind": "interaction", "interaction_type": "like"}
    events = [comment, asking, inbox, reply, like]
    assert [Q.counts(e) for e in events] == [False, True, True, False, False]
    assert [R.counts(e) for e in events] == [True, False, False, False, False]
    assert (Q.gap, R.gap) == (48, 576)  # two days of buckets
    assert [R.span(w) for w in R.windows] == ["15 min", "30 min", "1 h"]


def test_the_large_pages_questions_double_in_the_planted_week() -> None:
    counts, planted = series_counts(1, "large.surge", False, "questions")
    doubling = next(p for p in planted if p.factor == 2.0)
    week = slice(int(doubling.start), int(doubling.end))
    before = slice(int(doubling.start) - 3 * 168, int(doubling.start) - 168)  # 2 weeks
    assert counts[week].sum() / (counts[before].sum() / 2) == pytest.approx(2.0, rel=0.25)
    assert sorted(p.factor for p in planted) == [1.5, 2.0]
