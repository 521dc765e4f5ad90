"""Measurement points in ClickHouse on hand-worked fixtures: the expected values are
counted by hand in the comments, not computed by the code under test."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from somepulse.schemas import EVENT_ADAPTER, row_json
from somepulse.settings import Settings
from somepulse.store import Store, open_prepared_store
from somepulse.tools.report import league_rows
from tests.helpers import person

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
        actor_id=person("x"),
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
            thread_id=person("t1"),
            actor_id=person("y"),
            is_question=True,
        ),
        event(
            "page_reply",
            at(OSLO, 2019, 3, 13, 10, 20),
            channel="message",
            reply_id="r6",
            in_reply_to="m-other",
            thread_id=person("t1"),
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
    # March at NAV Foreldrepenger: q1 90, q3 60, q5 45, q6 20, q7 5 answered, q4 open ->
    # median 45 office minutes, 5 of 6 answered (medians are not added up from days)
    march = store.query(
        "SELECT median_office_minutes AS m, response_rate AS r "
        "FROM somepulse.v_response_times_monthly "
        "WHERE page_id = 'nav.foreldrepenger' AND month = '2019-03-01'"
    )
    assert march == [{"m": 45, "r": round(5 / 6, 4)}]


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


def test_dialogues_with_and_without_the_page(store: Store) -> None:
    t = at(OSLO, 2019, 3, 12, 10, 0)
    batch = [event("post_published", t, post_id=p, format="image") for p in ("A", "B", "C")]

    def comment(post: str, cid: str, parent: str | None = None) -> bytes:
        kind = "reply" if parent else "comment"
        extra = {"parent_comment_id": parent} if parent else {}
        return event(
            "interaction",
            t,
            post_id=post,
            interaction_type=kind,
            actor_id=person("z"),
            comment_id=cid,
            **extra,
        )

    # A: 2 comments + 1 reply by people = 3, and the page answered: a dialogue, with page
    batch += [
        comment("A", "a1"),
        comment("A", "a2"),
        comment("A", "a3", parent="a1"),
        event("page_reply", t, post_id="A", channel="comment", reply_id="ra", in_reply_to="a1"),
    ]
    # B: 3 comments, the page silent: a dialogue without the page
    batch += [comment("B", "b1"), comment("B", "b2"), comment("B", "b3")]
    # C: 2 comments and a page reply: not a dialogue (fewer than three comments)
    batch += [
        comment("C", "c1"),
        comment("C", "c2"),
        event("page_reply", t, post_id="C", channel="comment", reply_id="rc", in_reply_to="c1"),
    ]
    store.insert("events", b"\n".join(batch))
    rows = {
        r["post_id"]: (r["comments"], bool(r["is_dialogue"]), bool(r["page_took_part"]))
        for r in store.query("SELECT * FROM somepulse.v_dialogues")
    }
    assert rows == {"A": (3, True, True), "B": (3, True, False), "C": (2, False, True)}


def test_score_weighting_and_grade(store: Store) -> None:
    from somepulse.domain.score import grade

    # by hand, with score.toml's weights 3,3,2,2,1,1 and targets (2 % ER, 1 post a
    # day, +3 % growth, 0 at 4x the promise, 10 questions at least):
    #   response rate 0.9                       -> 0.9   x3 = 2.7
    #   median 180 office min, promise 120, 0 at 4x (480): 1 - 60/360 = 0.8333 x3 = 2.5
    #   ER 7d 1 % of a 2 % target               -> 0.5   x2 = 1.0
    #   5 of 10 dialogues with the page         -> 0.5   x2 = 1.0
    #   2 posts a day, target 1 (capped)        -> 1.0   x1 = 1.0
    #   growth 1.5 % of a 3 % target            -> 0.5   x1 = 0.5
    #   40 questions: (8.7 / 12) * 100 = 72.5 -> "good" (65-79)
    #   3 questions: response rate and time left out with their weights:
    #       (1.0 + 1.0 + 1.0 + 0.5) / 6 = 58.3, graded on a limited basis
    #   3 questions and no dialogues: (1.0 + 1.0 + 0.5) / 4 = 62.5 (no dialogue is not
    #       full marks any more)
    #   40 questions but no reply measured: (2.7 + 1 + 1 + 1 + 0.5) / 9 = 68.9
    def score(questions: int, median: str, dialogues: int) -> float:
        row = store.query(
            f"SELECT somepulse_score({questions}, 0.9, {median}, 120, 0.01, {dialogues}, 5, "
            "2, 1.5, (3, 3, 2, 2, 1, 1), (0.02, 1.0, 3.0, 4.0, 10)) AS score"
        )[0]
        return float(row["score"])

    assert score(40, "180", 10) == 72.5
    assert score(3, "180", 10) == 58.3
    assert score(3, "180", 0) == 62.5
    assert score(40, "CAST(NULL AS Nullable(Float64))", 10) == 68.9
    assert [grade(s) for s in (100, 97, 92, 85, 70, 50, 35, 10)] == [
        "perfect",
        "world class",
        "very good",
        "really good",
        "good",
        "OK",
        "not passed",
        "failed",
    ]


def test_few_questions_make_a_limited_basis_ranked_apart(store: Store) -> None:
    """Score point 8: a page with fewer questions than score.toml's minimum (10) gets no
    response sub-scores (never full marks for silence), a grade that says "limited
    basis", and a rank after every page scored on its full basis."""
    batch = []
    for page, asked in (("nav.jobblyst", 12), ("nav.foreldrepenger", 2)):
        for i in range(asked):
            when = at(OSLO, 2020, 3, 10, 9, i)
            batch.append(question(f"{page}-q{i}", when, page))
            # jobblyst answers in 3 hours, foreldrepenger in a minute
            minutes = 181 if page == "nav.jobblyst" else 1
            batch.append(reply(f"{page}-q{i}", at(OSLO, 2020, 3, 10, 9 + minutes // 60,
                                                    i + minutes % 60), page))  # fmt: skip
    store.insert("events", b"\n".join(batch))
    rows = {
        r["page_id"]: r
        for r in store.query(
            "SELECT page_id, questions, limited_basis, grade, rank_score "
            "FROM somepulse.v_league_table WHERE period = '2020Q1'"
        )
    }
    full, limited = rows["nav.jobblyst"], rows["nav.foreldrepenger"]
    assert (full["questions"], full["limited_basis"]) == (12, 0)
    assert (limited["questions"], limited["limited_basis"]) == (2, 1)
    assert limited["grade"].endswith(" (limited basis)")
    assert "limited" not in full["grade"]
    assert full["rank_score"] < limited["rank_score"]


def test_the_report_reads_its_quarter_as_the_whole_history_does(settings: Settings) -> None:
    """``somepulse report`` reads the league table's response figures from the quarter
    on (``v_league_table_since``), not the history: its rows are the whole history's
    league table's for that quarter, with questions of the quarter before stored too."""
    store = open_prepared_store(settings)
    try:
        batch = []
        # late in 2019Q4, and on the first morning of 2020Q1 (00:30 Oslo is 23:30 UTC)
        for year, month, day, asked in ((2019, 12, 30, 7), (2020, 1, 1, 12)):
            for i in range(asked):
                qid = f"nav.jobblyst-{month}-q{i}"
                asked_at = at(OSLO, year, month, day, 0, 30 + i)
                batch.append(question(qid, asked_at, "nav.jobblyst"))
                batch.append(reply(qid, at(OSLO, year, month, day, 9, i), "nav.jobblyst"))
        store.insert("events", b"\n".join(batch))
        want = store.query(
            "SELECT * FROM somepulse.v_league_table WHERE period = '2020Q1' "
            "ORDER BY rank_score, page_id"
        )
    finally:
        store.close()
    assert [r["questions"] for r in want if r["page_id"] == "nav.jobblyst"] == [12]
    assert league_rows(settings, "2020Q1") == want
