"""/readyz's judgement, with a hand-driven clock: red while rebuilding, when the agent
stopped, when messages wait and nothing moves, when lag stays high; green after."""

from __future__ import annotations

from somepulse.service.readiness import Readiness


def test_ready_goes_red_on_each_problem_and_green_when_it_is_over() -> None:
    r = Readiness(max_lag=100, stall_seconds=30, lag_grace_seconds=60)
    calm = {"rebuilding": False, "stopped": None, "lag": {0: 3}}
    assert r.problems(now=1000, last_progress=995, **calm) == []
    assert r.problems(now=1000, last_progress=995, **calm | {"rebuilding": True}) == [
        "rebuilding live state of newly assigned partitions"
    ]
    stopped = r.problems(now=1000, last_progress=995, **calm | {"stopped": "ValueError: x"})
    assert stopped == ["ingest agent stopped: ValueError: x"]
    # messages wait and nothing was processed for 31 s: stalled; idle with no lag: fine
    assert r.problems(now=1031, last_progress=1000, **calm) == [
        "not consuming: 3 messages wait, none processed for 31 s"
    ]
    assert r.problems(now=1031, last_progress=1000, **calm | {"lag": {0: 0, 1: 0}}) == []
    # lag above the threshold: tolerated for the grace period, then red, then green
    high = calm | {"lag": {0: 80, 1: 40}}
    assert r.problems(now=2000, last_progress=1999, **high) == []
    assert r.problems(now=2060, last_progress=2059, **high) == []
    assert r.problems(now=2061, last_progress=2060, **high) == [
        "lag of 120 messages above 100 for 61 s"
    ]
    assert r.problems(now=2062, last_progress=2061, **calm) == []
    # a dip below the threshold restarts the grace period
    assert r.problems(now=2100, last_progress=2099, **high) == []
    assert r.problems(now=2150, last_progress=2149, **high) == []


def test_a_broker_that_refuses_connections_turns_it_red_after_the_grace() -> None:
    r = Readiness(max_lag=100, stall_seconds=30, lag_grace_seconds=60, broker_grace_seconds=10)
    calm = {"rebuilding": False, "stopped": None, "lag": {0: 0}, "last_progress": 995.0}
    assert r.problems(now=1000, broker_down_since=995, **calm) == []  # a blip: 5 s
    assert r.problems(now=1011, broker_down_since=1000, **calm) == ["broker unreachable for 11 s"]
    assert r.problems(now=1012, broker_down_since=None, **calm) == []  # back: green
