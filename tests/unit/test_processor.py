from __future__ import annotations

import json

import orjson

from somepulse.streams.processor import MessageProcessor
from tests.helpers import interaction


def ev(i: int, **extra: object) -> dict[str, object]:
    return interaction(i, occurred_at="2019-03-01T10:00:00.007Z") | extra


def test_batch_message_becomes_rows_with_source_position() -> None:
    out = MessageProcessor("events").process(orjson.dumps([ev(1), ev(2)]), 3, 41)
    assert out.dead == []
    rows = [orjson.loads(r) for r in out.rows]
    assert [r["event_id"] for r in rows] == ["e1", "e2"]
    assert rows[0] == {
        "event_id": "e1",
        "kind": "interaction",
        "schema_version": 1,
        "platform": "facebook",
        "page_id": "nav.jobblyst",
        "post_id": "p1",
        "occurred_at": "2019-03-01T10:00:00.007000Z",
        "interaction_type": "share",
        "actor_id": "p1_a",
        "is_question": False,
        "kafka_partition": 3,
        "kafka_offset": 41,
    }


def test_one_bad_event_does_not_cost_its_neighbours() -> None:
    value = orjson.dumps(
        [
            ev(1),
            {"kind": "mention", "event_id": "x"},
            ev(3, occurred_at="2019-03-01T10:00:00"),
            7,
            ev(5),
        ]
    )
    out = MessageProcessor("events").process(value, 0, 9)
    assert [orjson.loads(r)["event_id"] for r in out.rows] == ["e1", "e5"]
    assert [(d.index, d.offset, d.partition, d.topic) for d in out.dead] == [
        (1, 9, 0, "events"),
        (2, 9, 0, "events"),
        (3, 9, 0, "events"),
    ]
    assert out.dead[0].reason.startswith("unknown kind 'mention'")
    assert "should have timezone info" in out.dead[1].reason
    assert out.dead[2].reason == "schema violation: an event must be a JSON object"
    assert orjson.loads(out.dead[0].value) == {"kind": "mention", "event_id": "x"}


def test_undecodable_and_oversized_messages_keep_their_bytes() -> None:
    proc = MessageProcessor("events", max_message_bytes=2048)
    bad = proc.process(b'{"kind": "interaction",', 1, 2)
    assert bad.rows == [] and bad.dead[0].reason.startswith("invalid JSON")
    assert bad.dead[0].value == b'{"kind": "interaction",'
    big = proc.process(orjson.dumps([ev(i) for i in range(20)]), 1, 3)
    assert big.rows == [] and big.dead[0].reason.startswith("message too large")
    assert proc.process(b"", 1, 4).dead[0].reason == "empty message"


def test_processing_is_pure_and_repeatable() -> None:
    value = orjson.dumps(
        [ev(1), ev(2, interaction_type="comment", comment_id="c", is_question=True)]
    )
    proc = MessageProcessor("events")
    assert proc.process(value, 0, 1).rows == proc.process(value, 0, 1).rows


def test_citizen_text_is_dropped_unless_kept() -> None:
    value = orjson.dumps(ev(1, interaction_type="comment", comment_id="c", text="hei"))
    assert "text" not in orjson.loads(MessageProcessor("t").process(value, 0, 0).rows[0])
    kept = MessageProcessor("t", keep_text=True).process(value, 0, 0).rows[0]
    assert orjson.loads(kept)["text"] == "hei"


def test_one_message_cannot_flood_the_dead_letter_topic() -> None:
    """Security review D1-D3: a 1 MB array of integers, a 1 MB invalid message and
    1 000 unique 20 KB kinds stay bounded: few, small dead letters with reasons from a
    fixed set."""
    proc = MessageProcessor("events", max_message_bytes=1_100_000)
    ints = proc.process(b"[" + b",".join([b"1"] * 500_000) + b"]", 0, 1, b"p")
    assert len(ints.dead) == 1 and ints.dead[0].reason_class == "too many invalid events"
    assert ints.dead[0].reason.startswith("too many invalid events: 500000 of 500000")
    assert len(ints.dead[0].value) == 65_536 and ints.dead[0].original_size > 1_000_000
    big = proc.process(b"{" + b"x" * 1_050_000, 0, 2, b"p")
    (letter,) = big.dead
    assert len(letter.value) == 65_536 and len(letter.sha256) == 64
    classes = set()
    for i in range(1_000):
        kind = f"k{i}" + "z" * 20_000
        (letter,) = proc.process(orjson.dumps({"kind": kind}), 0, 3 + i, b"p").dead
        assert len(letter.reason) <= 300
        classes.add(letter.reason_class)
    assert classes == {"unknown kind"}
    # a good event after all of that is still processed
    assert proc.process(orjson.dumps(ev(1)), 0, 9_999).events


def test_implausible_values_are_refused_at_the_door() -> None:
    """Security review D4-D5: counts that ClickHouse would wrap, dates outside what the
    field and the store can mean, ids with control or bidi characters, and events from
    the future (which would move the live watermark) become dead letters."""
    proc = MessageProcessor("events")
    snapshot = {
        "kind": "insights_snapshot",
        "event_id": "s1",
        "platform": "facebook",
        "page_id": "nav.jobblyst",
        "occurred_at": "2020-03-12T06:00:00Z",
        "scope": "page",
        "day": "2020-03-11",
        "reach": 1000,
        "impressions": 2000,
    }
    assert proc.process(orjson.dumps(snapshot), 0, 0).events  # the plausible one passes
    for patch, reason in (
        ({"reach": 2**64}, "schema violation"),
        ({"day": "2300-01-01"}, "schema violation"),
        ({"occurred_at": "1999-12-31T23:00:00Z"}, "schema violation"),
        ({"page_id": "nav\u202eevil"}, "schema violation"),
        ({"page_id": "nav\x00x"}, "schema violation"),
        ({"occurred_at": "2200-01-01T00:00:00Z"}, "clock skew"),
    ):
        out = proc.process(json.dumps(snapshot | patch).encode(), 0, 1)  # 2**64: not orjson
        assert not out.events and [d.reason_class for d in out.dead] == [reason], patch
    # a page id in another script is fine
    assert proc.process(orjson.dumps(snapshot | {"page_id": "nå.sida"}), 0, 2).events
