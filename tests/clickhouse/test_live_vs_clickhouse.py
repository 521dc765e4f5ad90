"""Property: for random streams — out of order, with replays, replies before their
questions — the worker's live numbers equal ClickHouse's (the record)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from somepulse.domain.pages import load_pages
from somepulse.domain.signals import COUNTERS
from somepulse.live.state import LiveState
from somepulse.settings import Settings
from somepulse.store import Store, open_prepared_store
from somepulse.streams.processor import MessageProcessor
from tests.helpers import person

pytestmark = pytest.mark.clickhouse
BASE = datetime(2019, 3, 12, 7, 0, tzinfo=UTC)  # Tuesday 08:00 in Oslo
PAGES = ("nav.foreldrepenger", "sahlgrenska")
TYPES = ("reaction", "comment", "reply", "share", "click", "view")


@pytest.fixture(scope="module")
def chdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path: Path = tmp_path_factory.mktemp("live")
    store = open_prepared_store(Settings(data_dir=path))  # type: ignore[call-arg]
    yield store
    store.close()


action = st.one_of(
    st.tuples(
        st.just("interaction"),
        st.sampled_from(PAGES),
        st.integers(0, 2),
        st.sampled_from(TYPES),
        st.integers(0, 600),
        st.booleans(),
    ),
    st.tuples(st.just("message"), st.sampled_from(PAGES), st.integers(0, 2), st.integers(0, 600)),
    st.tuples(
        st.just("reply"),
        st.sampled_from(PAGES),
        st.integers(0, 30),
        st.integers(0, 900),
        st.booleans(),
    ),
)


def build(actions: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for n, a in enumerate(actions):
        at = (BASE + timedelta(minutes=a[-2] if a[0] != "interaction" else a[4])).isoformat()
        common = {"event_id": f"e{n}", "platform": "facebook", "page_id": a[1], "occurred_at": at}
        if a[0] == "interaction":
            kind, question = a[3], a[5] and a[3] in ("comment", "reply")
            ev = common | {
                "kind": "interaction",
                "post_id": f"p{a[2]}",
                "interaction_type": kind,
                "actor_id": person("x"),
                "is_question": question,
            }
            if kind == "reaction":
                ev["reaction_type"] = "like"
            if kind in ("comment", "reply"):
                ev["comment_id"] = f"c{n}"
            if kind == "reply":
                ev["parent_comment_id"] = "c0"
        elif a[0] == "message":
            ev = common | {
                "kind": "private_message",
                "direction": "in",
                "message_id": f"m{n}",
                "thread_id": person(f"t{a[2]}"),
                "actor_id": person("y"),
                "is_question": True,
            }
        else:  # a page reply to item number a[2]: a comment or a message, maybe in a thread
            target, in_thread = a[2], a[4]
            ev = common | {
                "kind": "page_reply",
                "channel": "message" if in_thread else "comment",
                "reply_id": f"r{n}",
                "in_reply_to": f"m{target}" if in_thread else f"c{target}",
            }
            if in_thread:
                ev["thread_id"] = person(f"t{target % 3}")
        events.append(ev)
    return events


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(actions=st.lists(action, min_size=1, max_size=60), seed=st.integers(0, 2**16))
def test_live_numbers_equal_clickhouse(
    chdb: Store, actions: list[tuple[Any, ...]], seed: int
) -> None:
    for table in ("events", "engagement_1m", "engagement_1h"):
        chdb.command(f"TRUNCATE TABLE somepulse.{table}")
    events = build(actions)
    rng = random.Random(seed)
    delivered = events + rng.sample(events, k=len(events) // 3)  # replays
    rng.shuffle(delivered)  # out of order: replies may come before their questions

    processor = MessageProcessor("t")
    state = LiveState({p.page_id: p for p in load_pages()})
    live, questions = state.engagement, state.questions
    for start in range(0, len(delivered), 7):
        out = processor.process(orjson.dumps(delivered[start : start + 7]), 0, start)
        assert not out.dead
        state.add(out.events)
        chdb.insert("events", b"\n".join(out.rows))

    stored = {
        (r["page_id"], r["platform"], r["post_id"], r["m"]): {
            k: int(r[c]) for k, c in COUNTERS if int(r[c])
        }
        for r in chdb.query(
            "SELECT page_id, platform, post_id, toString(minute) AS m, * "
            "FROM somepulse.v_engagement_1m"
        )
    }
    mine = {
        (p, pl, post, f"{m:%Y-%m-%d %H:%M:%S}"): {k: v for k, v in c.items() if v}
        for (p, pl, post, m), c in live.minutes.items()
    }
    assert mine == stored

    open_ids = {
        r["question_id"]
        for r in chdb.query("SELECT question_id FROM somepulse.responses WHERE NOT is_answered")
    }
    assert {q.question_id for q in questions.open.values()} == open_ids
    answered = {
        r["question_id"]: (r["calendar_minutes"], r["office_minutes"])
        for r in chdb.query(
            "SELECT question_id, calendar_minutes, office_minutes FROM somepulse.responses "
            "WHERE is_answered"
        )
    }
    live_answered = {
        r.question_id: (r.calendar_minutes, r.office_minutes) for r in questions.responses.values()
    }
    assert set(live_answered) == set(answered)
    for qid, (calendar, office) in answered.items():
        assert live_answered[qid] == (pytest.approx(calendar), pytest.approx(office)), qid
