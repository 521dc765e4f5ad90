from __future__ import annotations

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
