from __future__ import annotations

import hashlib
import json

import orjson

from somepulse.privacy.pseudonyms import Pseudonymiser
from somepulse.streams.processor import MessageProcessor
from tests.helpers import interaction, person


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
        "verb": "add",
        "schema_version": 1,
        "platform": "facebook",
        "page_id": "nav.jobblyst",
        "post_id": "p1",
        "occurred_at": "2019-03-01T10:00:00.007000Z",
        "interaction_type": "share",
        "actor_id": person("a"),
        "is_question": False,
        "kafka_partition": 3,
        "kafka_offset": 41,
    }


def test_one_bad_event_does_not_cost_its_neighbours() -> None:
    value = orjson.dumps(
        [
            ev(1),
            {"kind": "shout", "event_id": "x"},
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
    assert out.dead[0].reason.startswith("unknown kind 'shout'")
    assert "should have timezone info" in out.dead[1].reason
    assert out.dead[2].reason == "schema violation: an event must be a JSON object"
    assert orjson.loads(out.dead[0].value) == {"kind": "shout", "event_id": "x"}
    assert out.dead[0].sha256 == hashlib.sha256(b'{"kind":"shout","event_id":"x"}').hexdigest()


def test_an_item_nested_deeper_than_json_writes_costs_only_itself() -> None:
    """Robustness review, finding 1: orjson reads 300 levels but writes at most 254, and
    the item's letter used to write it: the whole message became an internal error."""
    deep = b"[" * 300 + b"]" * 300
    value = b"[" + orjson.dumps(ev(1)) + b"," + deep + b"]"
    out = MessageProcessor("events").process(value, 0, 9)
    assert [orjson.loads(r)["event_id"] for r in out.rows] == ["e1"]
    (letter,) = out.dead
    assert (letter.index, letter.reason) == (1, "schema violation: an event must be a JSON object")
    assert letter.sha256 == hashlib.sha256(value).hexdigest()  # the message's: no copy of it
    assert letter.value == b'["<redacted: list>"]'  # its shape, none of its content


def test_undecodable_and_oversized_messages_keep_only_their_fingerprint() -> None:
    """What cannot be parsed cannot be redacted: the dead letter keeps the reason, the
    size and SHA-256 of the original and its position in the source topic, no bytes."""
    proc = MessageProcessor("events", max_message_bytes=2048)
    original = b'{"kind": "interaction", "actor_id": "100004567890123",'
    bad = proc.process(original, 1, 2)
    assert bad.rows == [] and bad.dead[0].reason.startswith("invalid JSON")
    assert bad.dead[0].value == b""
    assert bad.dead[0].original_size == len(original)
    assert bad.dead[0].sha256 == hashlib.sha256(original).hexdigest()
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
    assert len(ints.dead) == 1 and ints.dead[0].reason_class == "too many events"
    assert ints.dead[0].reason.startswith("too many events: 500000 in one message")
    assert ints.dead[0].value == b"" and ints.dead[0].original_size > 1_000_000
    few = proc.process(orjson.dumps([1] * 5_000), 0, 1, b"p")
    assert [d.reason_class for d in few.dead] == ["too many invalid events"]
    assert few.dead[0].reason.startswith("too many invalid events: 5000 of 5000")
    big = proc.process(b"{" + b"x" * 1_050_000, 0, 2, b"p")
    (letter,) = big.dead
    assert letter.value == b"" and len(letter.sha256) == 64 and letter.original_size > 1e6
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


RAW_ID = "100004567890123"


def test_the_worker_pseudonymises_raw_ids_with_its_key() -> None:
    """Security review P1: a producer that skips pseudonymisation cannot store a raw id."""
    key = Pseudonymiser(b"k" * 32)
    out = MessageProcessor("events", pseudonymiser=key).process(
        orjson.dumps([ev(1, actor_id=RAW_ID), ev(2)]), 0, 5
    )
    assert out.dead == []
    stored = [orjson.loads(r)["actor_id"] for r in out.rows]
    assert stored == [key.pseudonym("facebook", RAW_ID), person("a")]
    assert RAW_ID not in stored[0] and stored[0].startswith(f"p2_{key.key_id}_")


def test_without_a_key_raw_ids_are_dead_lettered_without_their_value() -> None:
    message = ev(1, actor_id=int(RAW_ID), interaction_type="comment", comment_id="c1")
    message["text"] = "Mitt fødselsnummer er 01017012345"
    out = MessageProcessor("events").process(orjson.dumps(message), 0, 5)
    assert out.rows == []
    (letter,) = out.dead
    assert letter.reason_class == "not pseudonymised"
    assert "actor_id" in letter.reason
    assert RAW_ID.encode() not in letter.value and b"01017012345" not in letter.value
    kept = orjson.loads(letter.value)
    assert kept["actor_id"] == "<redacted>" and kept["comment_id"] == "c1"
    assert kept["text"] == "<redacted: 33 characters>"


def test_dead_letters_never_carry_citizens_words_or_raw_ids() -> None:
    """Security review P2: a misspelt kind and a numeric page id used to travel to the
    dead-letter topic with the raw id and the citizen's text."""
    key = Pseudonymiser(b"k" * 32)
    proc = MessageProcessor("events", pseudonymiser=key)
    for patch in ({"kind": "Interaction"}, {"page_id": 4711}, {"surprise": RAW_ID}):
        message = ev(1, actor_id=RAW_ID, text="Mitt fødselsnummer er 01017012345") | patch
        (letter,) = proc.process(orjson.dumps(message), 0, 1).dead
        assert RAW_ID.encode() not in letter.value, patch
        assert b"01017012345" not in letter.value, patch
        assert orjson.loads(letter.value)["actor_id"] == key.pseudonym("facebook", RAW_ID)
