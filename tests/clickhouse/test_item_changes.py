"""Edits, removals, hides and unhides: the stored views, the rollups and the worker's
live state agree with a hand-worked morning on one page, and replaying every change
(twice, in any order for the store) changes nothing.

The morning (nav.jobblyst, Facebook, 12 March 2020, UTC):

* post p1 added 08:00 ("Gamle regler"), edited 08:30 ("Nye regler"); post p2 added
  08:05 and removed 09:00;
* reactions on p1 by ann, bob and cid (08:10-08:12); bob's edited like→wow at 08:20 (no
  count); cid's removed at 09:10 (that removal delivered twice);
* comments on p1: c1 (ann, question) answered by the page at 08:45 then hidden 10:00;
  c2 (bob, question) edited 08:25, still a question; c3 (cid, question) removed 08:40;
  c4 (dan, no question) edited 08:50 into a question; c5 (eve, question) edited 08:55
  into no question; c6 (fay, question) hidden 09:30; c7 (gus, question) hidden 09:31,
  unhidden 09:40;
* private message m1 (hal, question) 08:30, deleted 08:35.

By hand: one post left (p1, its new text); reactions 3 − 1 = 2; comments 7 − 1 = 6;
engagement 8; questions asked (at add) c1 c2 c3 c5 c6 c7 m1 = 7; messages in 1 − 1 = 0.
Question items now: c1 (answered), c2, c4 (asked 08:50), c7 open; c3, m1 removed and c6
hidden before any answer are out; c5 is no question.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from somepulse.alerts.detector import load_alert_config
from somepulse.alerts.observe import observations
from somepulse.alerts.service import SurgeService
from somepulse.alerts.stream import StreamDetector
from somepulse.domain.signals import classify
from somepulse.live.state import LiveState
from somepulse.schemas import EVENT_ADAPTER, Event, row_json
from somepulse.settings import Settings
from somepulse.store import Reference, Store, open_prepared_store
from tests.helpers import person

pytestmark = pytest.mark.clickhouse
PAGE = "nav.jobblyst"
BASE = {"platform": "facebook", "page_id": PAGE}


def at(hhmm: str) -> str:
    return f"2020-03-12T{hhmm}:00+00:00"


def post(eid: str, post_id: str, hhmm: str, verb: str, **extra: Any) -> dict[str, Any]:
    return BASE | {
        "kind": "post_published", "event_id": eid, "post_id": post_id, "verb": verb,
        "occurred_at": at(hhmm),
    } | extra  # fmt: skip


def reaction(who: str, hhmm: str, verb: str, kind: str | None = "like") -> dict[str, Any]:
    return BASE | {
        "kind": "interaction", "event_id": f"r-{who}-{verb}", "post_id": "p1",
        "interaction_type": "reaction", "actor_id": person(who), "verb": verb,
        "occurred_at": at(hhmm),
    } | ({"reaction_type": kind} if kind else {})  # fmt: skip


def comment(cid: str, who: str, hhmm: str, verb: str, question: bool) -> dict[str, Any]:
    return BASE | {
        "kind": "interaction", "event_id": f"{cid}-{verb}-{hhmm}", "post_id": "p1",
        "interaction_type": "comment", "actor_id": person(who), "comment_id": cid,
        "is_question": question, "verb": verb, "occurred_at": at(hhmm),
    }  # fmt: skip


def message(verb: str, hhmm: str) -> dict[str, Any]:
    return {
        "kind": "private_message", "event_id": f"m1-{verb}", "platform": "messenger",
        "page_id": PAGE, "direction": "in", "message_id": "m1", "thread_id": person("t1"),
        "actor_id": person("hal"), "is_question": True, "verb": verb, "occurred_at": at(hhmm),
    }  # fmt: skip


MORNING: list[dict[str, Any]] = [
    post("p1-add", "p1", "08:00", "add", format="link", text="Gamle regler"),
    post("p2-add", "p2", "08:05", "add", format="image", text="Bilde"),
    reaction("ann", "08:10", "add"),
    reaction("bob", "08:11", "add", "love"),
    reaction("cid", "08:12", "add"),
    comment("c1", "ann", "08:15", "add", True),
    comment("c2", "bob", "08:16", "add", True),
    comment("c3", "cid", "08:17", "add", True),
    comment("c4", "dan", "08:18", "add", False),
    comment("c5", "eve", "08:19", "add", True),
    reaction("bob", "08:20", "edit", "wow"),
    comment("c6", "fay", "08:21", "add", True),
    comment("c7", "gus", "08:22", "add", True),
    comment("c2", "bob", "08:25", "edited", True),  # Meta's spelling for comments
    post("p1-edit", "p1", "08:30", "edited", text="Nye regler"),
    message("add", "08:30"),
    message("delete", "08:35"),  # Messenger's word
    comment("c3", "cid", "08:40", "remove", False),
    BASE | {"kind": "page_reply", "event_id": "reply-c1", "post_id": "p1", "channel": "comment",
            "reply_id": "r1", "in_reply_to": "c1", "occurred_at": at("08:45")},
    comment("c4", "dan", "08:50", "edit", True),
    comment("c5", "eve", "08:55", "edit", False),
    post("p2-remove", "p2", "09:00", "remove"),
    reaction("cid", "09:10", "remove", None),
    comment("c6", "fay", "09:30", "hide", False),
    comment("c7", "gus", "09:31", "hide", False),
    comment("c7", "gus", "09:40", "unhide", False),
    comment("c1", "ann", "10:00", "hide", False),
]  # fmt: skip


def models(events: list[dict[str, Any]]) -> list[Event]:
    return [EVENT_ADAPTER.validate_python(e) for e in events]


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    st = open_prepared_store(settings, Reference.load())
    try:
        yield st
    finally:
        st.close()


def insert(store: Store, events: list[Event]) -> None:
    store.insert("events", b"\n".join(row_json(m, 0, i) for i, m in enumerate(events)))


def figures(store: Store) -> dict[str, Any]:
    q = store.query
    day = q(
        "SELECT posts, reactions, comments, engagement, questions, messages_in "
        f"FROM somepulse.v_page_daily WHERE page_id = '{PAGE}'"
    )
    hourly = q(
        "SELECT sum(reactions) AS reactions, sum(comments) AS comments, "
        f"sum(engagement) AS engagement FROM somepulse.v_engagement_1h WHERE page_id = '{PAGE}'"
    )
    minute = q(
        "SELECT toString(minute) AS m, reactions FROM somepulse.v_engagement_1m "
        f"WHERE page_id = '{PAGE}' AND reactions != 0 ORDER BY minute"
    )
    posts = q("SELECT post_id, text, edited FROM somepulse.v_posts ORDER BY post_id")
    top = q("SELECT post_id, reactions, comments, engagement FROM somepulse.v_top_posts")
    responses = q(
        "SELECT item_id, toString(asked_at) AS asked, is_answered FROM somepulse.responses "
        "ORDER BY item_id"
    )
    still_open = q("SELECT question_id FROM somepulse.v_open_questions ORDER BY question_id")
    return {
        "day": [{k: int(v) for k, v in row.items()} for row in day],
        "hourly": [{k: int(v) for k, v in row.items()} for row in hourly],
        "minute": [(r["m"], int(r["reactions"])) for r in minute],
        "posts": [(r["post_id"], r["text"], bool(r["edited"])) for r in posts],
        "top": [
            (r["post_id"], int(r["reactions"]), int(r["comments"]), int(r["engagement"]))
            for r in top
        ],
        "responses": [(r["item_id"], r["asked"], bool(r["is_answered"])) for r in responses],
        "open": [r["question_id"] for r in still_open],
    }


EXPECTED = {
    "day": [{"posts": 1, "reactions": 2, "comments": 6, "engagement": 8, "questions": 7,
             "messages_in": 0}],
    "hourly": [{"reactions": 2, "comments": 6, "engagement": 8}],
    # the removal counts when it happens: -1 in its minute
    "minute": [("2020-03-12 08:10:00", 1), ("2020-03-12 08:11:00", 1),
               ("2020-03-12 08:12:00", 1), ("2020-03-12 09:10:00", -1)],
    "posts": [("p1", "Nye regler", True)],
    "top": [("p1", 2, 6, 8)],
    "responses": [("c1", "2020-03-12 08:15:00.000", True), ("c2", "2020-03-12 08:16:00.000", False),
                  ("c4", "2020-03-12 08:50:00.000", False),
                  ("c7", "2020-03-12 08:22:00.000", False)],
    "open": ["c2-add-08:16", "c4-edit-08:50", "c7-add-08:22"],
}  # fmt: skip


def test_stored_views_and_rollups_follow_every_verb(store: Store) -> None:
    insert(store, models(MORNING))
    assert figures(store) == EXPECTED


def test_replayed_changes_in_any_order_change_nothing(store: Store) -> None:
    shuffled = MORNING * 2
    random.Random(7).shuffle(shuffled)
    insert(store, models(shuffled))
    insert(store, models([reaction("cid", "09:10", "remove", None)]))
    assert figures(store) == EXPECTED


def test_live_state_follows_every_verb_and_ignores_replays() -> None:
    ref = Reference.load()
    state = LiveState({p.page_id: p for p in ref.pages})
    state.add(models(MORNING))
    state.add(models(MORNING))  # a redelivery of everything: nothing moves
    totals = state.engagement.page_totals()[PAGE]
    assert (totals["reaction"], totals["comment"], totals["engagement"]) == (2, 6, 8)
    assert totals["question"] == 7  # asked at add: c1 c2 c3 c5 c6 c7 and m1, as stored
    queue = state.questions.queue(now=MORNING_END)[PAGE]
    assert queue["open"] == 3  # c2, c4, c7
    assert sorted(q.question_id for q in state.questions.open.values()) == EXPECTED["open"]
    answered = {r.question_id: r.calendar_minutes for r in state.questions.responses.values()}
    assert answered == {"c1-add-08:15": 30.0}
    top = state.engagement.top_posts()[PAGE]
    assert [(t["post_id"], t["engagement"]) for t in top] == [("p1", 8)]


def test_a_question_removed_before_it_arrives_never_opens() -> None:
    ref = Reference.load()
    state = LiveState({p.page_id: p for p in ref.pages})
    state.add(models([comment("c9", "ivy", "08:40", "remove", False)]))
    state.add(models([comment("c9", "ivy", "08:30", "add", True)]))
    assert state.questions.open == {}


def test_a_removal_need_not_name_the_reaction_but_an_add_must() -> None:
    with pytest.raises(ValueError, match="reaction_type is required"):
        EVENT_ADAPTER.validate_python(reaction("ann", "08:10", "add", None))
    with pytest.raises(ValueError, match="format is required"):
        EVENT_ADAPTER.validate_python(post("p3", "p3", "08:00", "add"))
    assert classify(models([reaction("bob", "08:20", "edit", "wow")])[0]) is None


MORNING_END = models([comment("c0", "x", "12:00", "add", False)])[0].occurred_at


def mark_event(target: str, item: str, written: str, hhmm: str, needs: bool) -> dict[str, Any]:
    return BASE | {
        "kind": "needs_reply_mark", "event_id": f"mark-{item}-{hhmm}", "post_id": "p1",
        "occurred_at": at(hhmm), "target_event_id": target, "channel": "comment",
        "target_id": item, "target_at": at(written), "needs_reply": needs,
    }  # fmt: skip


# The person on duty corrects the detector (11:00, 11:05): d1 was no question by the
# detector but is one (asked 08:30, when written); d2 was a question but is not; d2's
# later edit, still "a question" by the detector, does not undo the mark.
MARKED: list[dict[str, Any]] = [
    comment("d1", "ola", "08:30", "add", False),
    comment("d2", "kai", "08:31", "add", True),
    mark_event("d1-add-08:30", "d1", "08:30", "11:00", True),
    mark_event("d2-add-08:31", "d2", "08:31", "11:05", False),
    comment("d2", "kai", "11:10", "edit", True),
]


def test_the_duty_communicators_mark_decides_in_the_store(store: Store) -> None:
    insert(store, models(MARKED))
    rows = store.query(
        "SELECT question_id, item_id, toString(asked_at) AS asked, marked "
        "FROM somepulse.v_questions ORDER BY item_id"
    )
    assert rows == [
        {"question_id": "d1-add-08:30", "item_id": "d1", "asked": "2020-03-12 08:30:00.000",
         "marked": True},
    ]  # fmt: skip
    still_open = store.query("SELECT question_id FROM somepulse.v_open_questions")
    assert still_open == [{"question_id": "d1-add-08:30"}]


def test_the_duty_communicators_mark_decides_live() -> None:
    ref = Reference.load()
    state = LiveState({p.page_id: p for p in ref.pages})
    state.add(models(MARKED))
    (question,) = state.questions.open.values()
    assert (question.question_id, question.asked_at.isoformat()) == (
        "d1-add-08:30",
        "2020-03-12T08:30:00+00:00",
    )


def test_a_restarted_detector_reads_what_the_live_one_counted(store: Store) -> None:
    """Reloaded from the rollups after a restart, the detector's series hold what the
    live path counted, by hand: arrivals (a removal takes nothing back, edits and hides
    add nothing). Hourly: questions c1 c2 c3 c5 c6 c7 and m1 — the page's questions
    are judged together, its Messenger inbox's with its Facebook comments' — comments
    c1-c7. The burst rule's series, comments that ask nothing (remarks), in 5 minutes:
    c4, the one that asked nothing when added, at 08:18. Nothing is judged apart on
    Messenger."""

    def series(detector: StreamDetector, platform: str = "facebook") -> dict[str, dict[str, float]]:
        return {
            det.rule.source: {
                datetime.fromtimestamp(b, UTC).strftime("%H:%M"): v
                for b, v in sorted(det.buckets.items()) if v
            }
            for det in detector.detectors.get((PAGE, platform), [])
            if det.rule.source != "reach"
        }  # fmt: skip

    by_hand = {"questions": {"08:00": 7.0}, "comments": {"08:00": 7.0}, "remarks": {"08:15": 1.0}}
    pages = {p.page_id: p for p in Reference.load().pages}
    insert(store, models(MORNING))
    with ThreadPoolExecutor(1) as pool:
        service = SurgeService(load_alert_config(), store, pool, "http://grafana/d/x", pages=pages)
        service.load([PAGE])
        assert series(service.detector) == by_hand
        assert not any(series(service.detector, "messenger").values())
        service.close()
    live = StreamDetector(load_alert_config(), pages)
    state = LiveState({})
    fresh = [s for s in map(classify, models(MORNING)) if s is not None and state.take(s)]
    live.observe(observations(fresh))
    assert series(live) == by_hand
    assert not any(series(live, "messenger").values())
