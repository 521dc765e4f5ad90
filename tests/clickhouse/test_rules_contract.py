"""One rule, two languages: the same events go through Python's ``domain.signals``
and ClickHouse's functions and semantic views, and the answers must be equal.
Every kind of event the schemas allow is covered, including the edge cases (a
comment that is not a question, an outgoing message marked as a question, a
private message reply)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from somepulse.domain.score import GRADES, grade
from somepulse.domain.signals import (
    ENGAGEMENT_TYPES,
    classify,
    is_engagement,
    is_question,
    virality,
)
from somepulse.schemas import EVENT_ADAPTER, row_json
from somepulse.schemas.events import Event
from somepulse.schemas.interactions import InteractionType
from somepulse.store import Store
from tests.helpers import person

pytestmark = pytest.mark.clickhouse
T0 = datetime(2020, 3, 12, 9, tzinfo=UTC)


def events() -> list[Event]:
    out: list[dict[str, Any]] = []
    base = {"platform": "facebook", "page_id": "nav.jobblyst"}
    n = itertools.count()

    def at() -> str:
        return (T0 + timedelta(minutes=next(n))).isoformat()

    out.append(
        base
        | {"kind": "post_published", "event_id": "post-p1", "post_id": "p1", "format": "text"}
        | {"occurred_at": at()}
    )
    for kind in InteractionType:
        for question in (False, True):
            if question and kind not in ("comment", "reply"):
                continue
            extra: dict[str, Any] = {"interaction_type": kind, "actor_id": person("a")}
            if kind == "reaction":
                extra["reaction_type"] = "like"
            if kind in ("comment", "reply"):
                extra |= {"comment_id": f"c-{kind}-{question}", "is_question": question}
            if kind == "reply":
                extra["parent_comment_id"] = "c-comment-False"
            out.append(
                base
                | extra
                | {"kind": "interaction", "event_id": f"i-{kind}-{question}", "post_id": "p1"}
                | {"occurred_at": at()}
            )
    for direction in ("in", "out"):
        for question in (False, True):
            out.append(
                base
                | {
                    "kind": "private_message",
                    "event_id": f"m-{direction}-{question}",
                    "direction": direction,
                    "message_id": f"msg-{direction}-{question}",
                    "thread_id": person("t1"),
                    "actor_id": person("b"),
                    "is_question": question,
                    "occurred_at": at(),
                }
            )
    for channel, target in (("comment", "c-comment-True"), ("message", "msg-in-True")):
        out.append(
            base
            | {
                "kind": "page_reply",
                "event_id": f"r-{channel}",
                "channel": channel,
                "reply_id": f"reply-{channel}",
                "in_reply_to": target,
                "thread_id": person("t1") if channel == "message" else None,
                "occurred_at": at(),
            }
        )
    for scope, post in (("page", None), ("post", "p1")):
        for i, reach in enumerate((900, 1000)):  # the later snapshot revises the first
            out.append(
                base
                | {
                    "kind": "insights_snapshot",
                    "event_id": f"s-{scope}-{i}",
                    "scope": scope,
                    "post_id": post,
                    "day": "2020-03-11",
                    "reach": reach,
                    "impressions": 2 * reach,
                    "occurred_at": at(),
                }
            )
    out.append(
        base
        | {"kind": "follower_snapshot", "event_id": "f1", "followers": 7}
        | {"occurred_at": at()}
    )
    return [EVENT_ADAPTER.validate_python(e) for e in out]


@pytest.fixture
def loaded(store: Store) -> list[Event]:
    evs = events()
    store.insert("events", b"\n".join(row_json(e, 0, i) for i, e in enumerate(evs)))
    return evs


def test_questions_are_the_same_in_python_and_sql(store: Store, loaded: list[Event]) -> None:
    python = {e.event_id for e in loaded if is_question(e)}
    signals = {s.event_id for e in loaded if (s := classify(e)) and s.question is not None}
    sql = {r["question_id"] for r in store.query("SELECT question_id FROM somepulse.v_questions")}
    per_row = {
        r["event_id"]
        for r in store.query(
            "SELECT event_id FROM somepulse.events "
            "WHERE somepulse_is_question(kind, direction, is_question, verb)"
        )
    }
    assert (
        python
        == signals
        == sql
        == per_row
        == {
            "i-comment-True",
            "i-reply-True",
            "m-in-True",
        }
    )


def test_engagement_is_the_same_in_python_and_sql(store: Store, loaded: list[Event]) -> None:
    for kind in InteractionType:
        (row,) = store.query(f"SELECT somepulse_is_engagement('interaction', '{kind}') AS e")
        assert bool(row["e"]) == is_engagement(kind), kind
    python = sum(
        1 for e in loaded if (s := classify(e)) and set(s.counters) & set(ENGAGEMENT_TYPES)
    )
    (daily,) = store.query("SELECT sum(engagement) AS e FROM somepulse.v_page_daily")
    (minute,) = store.query("SELECT sum(engagement) AS e FROM somepulse.v_engagement_1m")
    # reaction, comment (plain and question), share, click: not view, not reply
    assert python == int(daily["e"]) == int(minute["e"]) == 5


def test_reach_of_a_day_and_virality(store: Store, loaded: list[Event]) -> None:
    reach = [classify(e) for e in loaded if e.kind == "insights_snapshot"]
    latest_page = max(
        (s for s in reach if s and s.reach and s.reach.scope == "page"), key=lambda s: s.ts
    )
    (row,) = store.query("SELECT reach FROM somepulse.v_page_reach_daily")
    assert int(row["reach"]) == latest_page.reach.value == 1000  # type: ignore[union-attr]
    (post,) = store.query(
        "SELECT shares, reach, virality FROM somepulse.v_top_posts WHERE post_id = 'p1'"
    )
    assert post["virality"] == virality(int(post["shares"]), int(post["reach"])) == 0.001


def test_grade_bands_are_the_same_in_python_and_sql(store: Store) -> None:
    scores = [s / 2 for s in range(0, 201)]
    rows = store.query(
        "SELECT s, somepulse_grade(s) AS g FROM (SELECT arrayJoin("
        f"[{', '.join(map(str, scores))}]) AS s) ORDER BY s"
    )
    assert [r["g"] for r in rows] == [grade(s) for s in scores]
    assert {r["g"] for r in rows} == {name for _, name in GRADES}
