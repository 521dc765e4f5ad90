"""One post's rise is not the page's (``Rule.one_post``, the questions rule): a post
that draws twice a day's questions alone goes to the board, while the same rise spread
over the page's posts and inbox pages on-call. Hand-worked on a page whose every day is
the same, so every number below is counted by hand."""

from __future__ import annotations

from datetime import UTC, datetime

from pytest import approx

from somepulse.alerts.detector import SeriesDetector, Transition, load_alert_config

QUESTIONS = next(r for r in load_alert_config().rules if r.name == "questions")
T0 = int(datetime(2020, 1, 6, tzinfo=UTC).timestamp())  # a Monday, UTC
DAYS = 35


def usual_day(day: int, factor: int = 1) -> list[tuple[int, str]]:
    """24 questions (times ``factor``): post a (09:00) draws 2 an hour 09-14, post b
    (13:00) 2 an hour 13-15, and the inbox (no post) 2 at 10, 12 and 15."""
    start = T0 + day * 86_400
    hours = [(h, f"a{day}") for h in range(9, 15)] + [(h, f"b{day}") for h in range(13, 16)]
    hours += [(h, "") for h in (10, 12, 15)]
    return [(start + h * 3600, post) for h, post in hours for _ in range(2 * factor)]


def run(det: SeriesDetector, counts: list[tuple[int, str]], end: int) -> list[Transition]:
    """Feed counts in time order and decide every hour up to ``end``, as the stream does."""
    out, nxt = [], None
    for ts, post in [*sorted(counts), (end, "")]:
        hour = ts - ts % 3600
        nxt = hour if nxt is None else nxt
        while nxt < hour:
            if (t := det.evaluate(nxt)) is not None:
                out.append(t)
            nxt += 3600
        if ts < end:
            det.add(ts, 1.0, post)
    return out


def history() -> list[tuple[int, str]]:
    return [c for day in range(DAYS) for c in usual_day(day)]


def test_the_busiest_posts_usual_share_by_hand() -> None:
    """Of a day's 24 windows (24 questions each), the busiest post holds 12 in those
    ending 00-08 and 14-23 (yesterday's or today's post a, whole), 10 at 09 and 13, 8 at
    10 and 12, 6 at 11: the 75th percentile of four weeks of them is 12 of 24."""
    det = SeriesDetector("p", "facebook", QUESTIONS)
    end = T0 + DAYS * 86_400
    assert run(det, history(), end) == []
    shares = dict(det.top_shares)
    assert len(shares) == 28 * 24 + 1  # four weeks of hourly decisions, both ends
    day = T0 + 30 * 86_400
    by_hour = {h: shares[day + h * 3600] * 24 for h in range(24)}
    assert by_hour == {h: {9: 10, 10: 8, 11: 6, 12: 8, 13: 10}.get(h, 12) for h in range(24)}
    assert det.usual_busiest_share() == 0.5


def surge_day(one_post: bool) -> list[tuple[int, str]]:
    """Day 35 with 48 questions: 24 more under post a alone, or everything doubled."""
    if not one_post:
        return usual_day(DAYS, factor=2)
    start = T0 + DAYS * 86_400
    more = [(start + h * 3600, f"a{DAYS}") for h in range(9, 15) for _ in range(4)]
    return usual_day(DAYS) + more


def test_one_posts_rise_does_not_page_and_the_pages_does() -> None:
    end = T0 + (DAYS + 1) * 86_400
    # by hand at 23:00: the window holds 48 against 24 usual, a rise of 24. Post a holds
    # 36 when it alone rose: 36 - 0.5 x 24 = 24 beyond its usual share, all of the rise
    # (>= 0.9 of it): one post's. Doubled everywhere, post a holds 24: 24 - 12 = 12 of
    # the rise, the page's
    alone = SeriesDetector("p", "facebook", QUESTIONS)
    assert run(alone, history() + surge_day(one_post=True), end) == []
    v = alone.verdict(end - 3600)
    # (the fitted usual is 24.1: the hour profile is shrunk a little towards flat)
    assert (v.observed, alone.busiest_post(end - 3600)) == (48, 36)
    assert v.baseline == approx(24, rel=0.01)
    assert alone.one_posts_rise(end - 3600, 48, 24)

    everywhere = SeriesDetector("p", "facebook", QUESTIONS)
    fired = run(everywhere, history() + surge_day(one_post=False), end)
    assert [t.state for t in fired] == ["firing"]
    assert everywhere.busiest_post(end - 3600) == 24
    assert not everywhere.one_posts_rise(end - 3600, 48, 24)

    # without the rule's test the one post's rise pages like any other
    plain = SeriesDetector("p", "facebook", QUESTIONS.model_copy(update={"one_post": None}))
    assert [t.state for t in run(plain, history() + surge_day(one_post=True), end)] == ["firing"]
