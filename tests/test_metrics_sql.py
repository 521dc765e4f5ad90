"""Measurement points in ClickHouse on hand-worked fixtures: the expected values are
counted by hand in the comments, not computed by the code under test."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from schemas import EVENT_ADAPTER, row_json
from streams.store import Store

pytestmark = pytest.mark.clickhouse
OSLO, STOCKHOLM = ZoneInfo("Europe/Oslo"), ZoneInfo("Europe/Stockholm")
_n = 0


def at(tz: ZoneInfo, *args: int) -> str:
    return datetime(*args, tzinfo=tz).isoformat()  # type: ignore[misc]


def event(kind: str, when: str, page: str = "nav.foreldrepenger", **fields: Any) -> bytes:
    global _n
    _n += 1
    base = {
        "kind": kind,
        "event_id": fields.pop("event_id", f"ev{_n}"),
        "platform": "facebook",
        "page_id": page,
        "occurred_at": when,
    }
    return row_json(EVENT_ADAPTER.validate_python(base | fields), 0, _n)


def question(qid: str, when: str, page: str = "nav.foreldrepenger") -> bytes:
    return event(
        "interaction",
        when,
        page,
        event_id=qid,
        post_id="p1",
        interaction_type="comment",
        actor_id="p1_x",
        comment_id=f"c-{qid}",
        is_question=True,
    )


def reply(qid: str, when: str, page: str = "nav.foreldrepenger") -> bytes:
    return event(
        "page_reply",
        when,
        page,
        post_id="p1",
        channel="comment",
        reply_id=f"r-{qid}-{when}",
        in_reply_to=f"c-{qid}",
    )


def test_response_times_in_office_and_calendar_minutes(store: Store) -> None:
    early_reply = reply("q5", at(OSLO, 2019, 3, 12, 9, 55))
    store.insert("events", early_reply)  # the reply arrives before its question
    batch = [
        # weekend: Fri 15:00 -> Mon 09:00 = office 30 + 60, calendar 66 h
        question("q1", at(OSLO, 2019, 3, 15, 15, 0)),
        reply("q1", at(OSLO, 2019, 3, 18, 9, 0)),
        # 17 May closed: Thu 15:00 -> Mon 08:30 = 30 + 30
        question("q2", at(OSLO, 2019, 5, 16, 15, 0)),
        reply("q2", at(OSLO, 2019, 5, 20, 8, 30)),
        # DST: Fri 15:00 CET -> Mon 08:30 CEST = 30 + 30 office, 64.5 h calendar
        question("q3", at(OSLO, 2019, 3, 29, 15, 0)),
        reply("q3", at(OSLO, 2019, 4, 1, 8, 30)),
        # never answered
        question("q4", at(OSLO, 2019, 3, 12, 10, 0)),
        # answered at 09:55, stored before the question: 45 minutes
        question("q5", at(OSLO, 2019, 3, 12, 9, 10)),
        # two replies: the first counts (10:05, not 10:30)
        question("q7", at(OSLO, 2019, 3, 14, 10, 0)),
        reply("q7", at(OSLO, 2019, 3, 14, 10, 30)),
        reply("q7", at(OSLO, 2019, 3, 14, 10, 5)),
        # a private message answered in its thread, reply not pointing at it: 20 minutes
        event(
            "private_message",
            at(OSLO, 2019, 3, 13, 10, 0),
            event_id="q6",
            direction="in",
            message_id="m-q6",
            thread_id="t1",
            actor_id="p1_y",
            is_question=True,
        ),
        event(
            "page_reply",
            at(OSLO, 2019, 3, 13, 10, 20),
            channel="message",
            reply_id="r6",
            in_reply_to="m-other",
            thread_id="t1",
        ),
        # Swedish midsummer eve closed: Thu 16:00 -> Mon 09:00 = 30 + 60 (closes 16:30)
        question("q8", at(STOCKHOLM, 2019, 6, 20, 16, 0), "region.exempel"),
        reply("q8", at(STOCKHOLM, 2019, 6, 24, 9, 0), "region.exempel"),
    ]
    store.insert("events", b"\n".join(batch))
    store.insert("events", b"\n".join(batch[:5]))  # a replay changes nothing
    rows = {
        r["question_id"]: r
        for r in store.query(
            "SELECT question_id, is_answered, office_minutes, calendar_minutes, "
            "answered_within_24h, toString(day) AS day FROM somepulse.responses"
        )
    }
    expected = {
        "q1": (90, 66 * 60),
        "q2": (60, (3 * 24 + 17.5) * 60),
        "q3": (60, 64.5 * 60),
        "q5": (45, 45),
        "q6": (20, 20),
        "q7": (5, 5),
        "q8": (90, (3 * 24 + 17) * 60),
    }
    assert set(rows) == {*expected, "q4"}
    for qid, (office, calendar) in expected.items():
        assert rows[qid]["office_minutes"] == pytest.approx(office), qid
        assert rows[qid]["calendar_minutes"] == pytest.approx(calendar), qid
    assert not rows["q4"]["is_answered"] and rows["q4"]["office_minutes"] is None
    assert [q for q, r in sorted(rows.items()) if r["answered_within_24h"]] == ["q5", "q6", "q7"]
    assert rows["q8"]["day"] == "2019-06-20"

    daily = {
        (r["page_id"], r["day"]): r
        for r in store.query(
            "SELECT page_id, toString(day) AS day, questions, answered, response_rate, "
            "median_office_minutes FROM somepulse.v_response_times"
        )
    }
    # 12 March: q4 (open) and q5 (45 min) -> 1 of 2 answered
    assert daily[("nav.foreldrepenger", "2019-03-12")]["response_rate"] == 0.5
    assert daily[("nav.foreldrepenger", "2019-03-12")]["median_office_minutes"] == 45
    open_ids = {
        r["question_id"] for r in store.query("SELECT question_id FROM somepulse.v_open_questions")
    }
    assert open_ids == {"q4"}


def test_follower_growth_is_net_across_churn(store: Store) -> None:
    # end-of-month snapshots 1000 -> 1100 -> 1050 (the daily ins and outs between
    # them do not matter): Feb +100 (+10 %), Mar -50 (-4.55 %)
    snaps = [(1, 31, 1000), (2, 10, 990), (2, 28, 1100), (3, 31, 1050)]
    store.insert(
        "events",
        b"\n".join(
            event("follower_snapshot", at(OSLO, 2019, m, d, 23, 55), followers=n)
            for m, d, n in snaps
        ),
    )
    rows = store.query(
        "SELECT toString(month) AS m, followers, follower_growth, "
        "follower_growth_pct FROM somepulse.v_page_monthly ORDER BY m"
    )
    assert [
        (r["m"], r["followers"], r["follower_growth"], r["follower_growth_pct"]) for r in rows
    ] == [
        ("2019-01-01", 1000, None, None),
        ("2019-02-01", 1100, 100, 10.0),
        ("2019-03-01", 1050, -50, -4.55),
    ]


def test_local_day_boundaries(store: Store) -> None:
    # 23:30 on 31 March in Oslo is 21:30 UTC: a March post, also by UTC; 00:30 on
    # 1 April in Oslo is 22:30 UTC on 31 March: an April post locally
    store.insert(
        "events",
        b"\n".join(
            [
                event("post_published", at(OSLO, 2019, 3, 31, 23, 30), post_id="a", format="text"),
                event("post_published", at(OSLO, 2019, 4, 1, 0, 30), post_id="b", format="text"),
            ]
        ),
    )
    rows = store.query("SELECT toString(day) AS d, posts FROM somepulse.v_page_daily ORDER BY d")
    assert [(r["d"], r["posts"]) for r in rows] == [("2019-03-31", 1), ("2019-04-01", 1)]
