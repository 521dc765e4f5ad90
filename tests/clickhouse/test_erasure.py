"""Data-subject requests on a hand-built store: erasure removes every row of the person
and every figure that counted them, leaves everyone else's intact, and audits without
the person's identity; the export returns exactly the person's rows."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import pytest

from somepulse.privacy.keys import keyring
from somepulse.schemas import EVENT_ADAPTER, row_json
from somepulse.settings import Settings
from somepulse.store import open_prepared_store, open_store
from somepulse.tools.cli import main
from tests.helpers import TEST_SECRET

pytestmark = pytest.mark.clickhouse
RAW_KARI, RAW_OLA = "100004567890123", "100009999999999"
WHEN = "2020-03-12T09:{:02d}:00Z"  # one hour: 09 UTC


def stored_events(settings: Settings) -> list[dict[str, Any]]:
    key = keyring(settings).current

    def ev(n: int, kind: str, **fields: Any) -> dict[str, Any]:
        base = {
            "kind": kind,
            "event_id": f"e{n}",
            "platform": "facebook",
            "page_id": "nav.foreldrepenger",
            "post_id": "p1",
            "occurred_at": WHEN.format(n),
        }
        return base | fields

    kari = key.pseudonym("facebook", RAW_KARI)
    ola = key.pseudonym("facebook", RAW_OLA)
    thread = key.pseudonym("facebook", "t_kari", "thread")
    return [
        # Kari: a question, a like, a private message; the page answers both
        ev(1, "interaction", interaction_type="comment", actor_id=kari, comment_id="c1",
           is_question=True),
        ev(2, "interaction", interaction_type="reaction", reaction_type="like", actor_id=kari),
        ev(3, "private_message", direction="in", message_id="m1", thread_id=thread,
           actor_id=kari, is_question=True),
        ev(4, "page_reply", channel="comment", reply_id="r1", in_reply_to="c1"),
        ev(5, "page_reply", channel="message", reply_id="r2", in_reply_to="m1",
           thread_id=thread),
        # Ola: a comment answering Kari's, a like; the page answers Ola too
        ev(6, "interaction", interaction_type="reply", actor_id=ola, comment_id="c2",
           parent_comment_id="c1"),
        ev(7, "interaction", interaction_type="reaction", reaction_type="like", actor_id=ola),
        ev(8, "page_reply", channel="comment", reply_id="r3", in_reply_to="c2"),
        # a staff member's reply signed with Kari's pseudonym (she works at NAV too)
        ev(9, "page_reply", channel="comment", reply_id="r4", in_reply_to="c2", author_id=kari),
    ]  # fmt: skip


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SOMEPULSE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SOMEPULSE_PSEUDONYM_SECRET", TEST_SECRET)
    settings = Settings()
    store = open_prepared_store(settings)
    rows = [
        row_json(EVENT_ADAPTER.validate_python(e), 0, n)
        for n, e in enumerate(stored_events(settings))
    ]
    store.insert("events", b"\n".join(rows))
    store.close()
    return settings


def query(settings: Settings, sql: str) -> list[dict[str, Any]]:
    store = open_store(settings)
    try:
        return store.query(sql)
    finally:
        store.close()


def test_erasure_removes_the_person_and_what_counted_them(env: Settings) -> None:
    hour = "SELECT comments, replies, reactions, questions FROM somepulse.v_engagement_1h"
    # before: Kari's comment and like, Ola's reply and like; Kari's two questions (the
    # comment and the private message)
    assert query(env, hour) == [{"comments": 1, "replies": 1, "reactions": 2, "questions": 2}]
    argv = ["erase", "--platform", "facebook", "--platform-id", RAW_KARI, "--reference", "DPO-17"]
    assert main(argv) == 0

    left = query(env, "SELECT event_id, author_id FROM somepulse.events FINAL ORDER BY event_id")
    # Kari's three events and the page's two replies to her are gone; Ola's reply to her
    # comment is Ola's and stays; the staff reply stays without her id
    assert [r["event_id"] for r in left] == ["e6", "e7", "e8", "e9"]
    assert {r["author_id"] for r in left} == {""}
    # the rollups no longer count her: Ola's reply and like only, no question
    assert query(env, hour) == [{"comments": 0, "replies": 1, "reactions": 1, "questions": 0}]
    # engagement = reactions + comments + shares + clicks (a reply to a comment is not
    # one): Ola's like only
    minute = query(env, "SELECT sum(engagement) AS n FROM somepulse.v_engagement_1m")
    assert minute == [{"n": 1}]
    (audit,) = query(env, "SELECT * FROM somepulse.erasure_log")
    assert audit["action"] == "erase" and audit["reference"] == "DPO-17"
    assert (audit["events"], audit["page_replies"], audit["rollup_hours"]) == (3, 2, 1)
    key = keyring(env).current
    text = orjson.dumps(audit, default=str).decode()
    assert RAW_KARI not in text and key.pseudonym("facebook", RAW_KARI) not in text
    assert audit["key_ids"] == [key.key_id]


def test_erasing_someone_without_comments_touches_no_reply(env: Settings) -> None:
    """The empty-set trap of hand-written erasure (an empty comment id matches every
    reply without one): a person with reactions only loses just those."""
    key = keyring(env).current
    assert main(["erase", "--platform", "facebook", "--pseudonym",
                 key.pseudonym("facebook", "nobody-here")]) == 0  # fmt: skip
    assert query(env, "SELECT count() AS n FROM somepulse.events FINAL") == [{"n": 9}]


def test_subject_export_holds_exactly_the_persons_rows(env: Settings, tmp_path: Path) -> None:
    out = tmp_path / "kari.json"
    argv = ["subject-export", "--platform", "facebook", "--platform-id", RAW_KARI, "--out"]
    assert main([*argv, str(out)]) == 0
    doc = orjson.loads(out.read_bytes())
    assert [r["event_id"] for r in doc["events"]] == ["e1", "e2", "e3"]
    assert sorted(r["event_id"] for r in doc["page_replies_to_them"]) == ["e4", "e5"]
    assert [r["event_id"] for r in doc["as_staff"]] == ["e9"]
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"
    (audit,) = query(env, "SELECT action, events FROM somepulse.erasure_log")
    assert audit == {"action": "export", "events": 3}
