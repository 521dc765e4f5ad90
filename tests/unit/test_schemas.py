from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pytest
from pydantic import ValidationError

from somepulse.schemas import EVENT_ADAPTER, KINDS, AdSpend, Interaction, row_json
from somepulse.schemas.export import JSON_DIR, render
from tests.helpers import person

BASE = {
    "event_id": "e1",
    "platform": "facebook",
    "page_id": "nav.foreldrepenger",
    "occurred_at": "2020-03-12T09:15:00.250+01:00",
}

VALID = [
    {
        "kind": "post_published",
        "post_id": "p1",
        "format": "video",
        "paid": True,
        "campaign_id": "c1",
        "text": "Nye regler for foreldrepenger",
    },
    {
        "kind": "interaction",
        "post_id": "p1",
        "interaction_type": "reaction",
        "reaction_type": "love",
        "actor_id": person("x"),
    },
    {
        "kind": "interaction",
        "post_id": "p1",
        "interaction_type": "comment",
        "actor_id": person("x"),
        "comment_id": "c1",
        "is_question": True,
    },
    {
        "kind": "interaction",
        "post_id": "p1",
        "interaction_type": "reply",
        "actor_id": person("y"),
        "comment_id": "c2",
        "parent_comment_id": "c1",
    },
    {
        "kind": "page_reply",
        "post_id": "p1",
        "channel": "comment",
        "reply_id": "r1",
        "in_reply_to": "c1",
    },
    {
        "kind": "private_message",
        "direction": "in",
        "message_id": "m1",
        "thread_id": person("t1"),
        "actor_id": person("z"),
        "is_question": True,
    },
    {"kind": "follower_snapshot", "followers": 45000},
    {
        "kind": "insights_snapshot",
        "scope": "page",
        "day": "2020-03-11",
        "reach": 17000,
        "impressions": 27000,
    },
    {
        "kind": "ad_spend",
        "campaign_id": "c1",
        "day": "2020-03-11",
        "spend": "1499.50",
        "currency": "NOK",
        "impressions": 52000,
        "clicks": 700,
        "reach": 30000,
    },
    {
        "kind": "metric_snapshot",
        "scope": "page",
        "metric": "page_total_media_view_unique",
        "period": "day",
        "day": "2020-03-11",
        "value": 17000,
        "source": "poll",
        "api_version": "v25.0",
        "fetched_at": "2020-03-12T06:00:00Z",
    },
    {
        "kind": "mention",
        "mention_id": "17900000000000001",
        "via": "hashtag",
        "matched": "#nav",
        "actor_id": person("m"),
    },
    {
        "kind": "needs_reply_mark",
        "target_event_id": "fb:comment:c9:add",
        "channel": "comment",
        "target_id": "c9",
        "target_at": "2020-03-12T09:40:00+01:00",
        "needs_reply": True,
    },
    {
        "kind": "source_status",
        "collector": "meta-insights",
        "state": "broken",
        "detail": "the access token expired or was revoked",
    },
]


@pytest.mark.parametrize("fields", VALID, ids=lambda f: f["kind"])
def test_every_kind_parses_and_normalises_to_utc(fields: dict[str, object]) -> None:
    event = EVENT_ADAPTER.validate_python(BASE | fields)
    assert event.kind == fields["kind"]
    # 09:15:00.250 at +01:00 is 08:15:00.250 UTC; the offset travels to ClickHouse
    assert event.occurred_at == datetime(2020, 3, 12, 8, 15, 0, 250_000, tzinfo=UTC)
    row = orjson.loads(row_json(event, 2, 7))
    assert row["occurred_at"] == "2020-03-12T09:15:00.250000+01:00"
    assert (row["kafka_partition"], row["kafka_offset"], row["kind"]) == (2, 7, fields["kind"])


def test_all_families_are_in_the_union() -> None:
    assert {f["kind"] for f in VALID} == set(KINDS)


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"surprise": 1}, "Extra inputs are not permitted"),
        ({"occurred_at": "2020-03-12T09:00:00"}, "should have timezone info"),
        ({"platform": "myspace"}, "platform"),
        ({"interaction_type": "reaction"}, "reaction_type is required"),
        ({"is_question": True, "interaction_type": "share", "comment_id": None}, "only comments"),
        ({"schema_version": 2}, "schema_version"),
    ],
)
def test_violations_are_refused(change: dict[str, object], needle: str) -> None:
    comment = BASE | VALID[2] | change
    with pytest.raises(ValidationError, match=needle):
        EVENT_ADAPTER.validate_python(comment)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValidationError, match="does not match any of the expected tags"):
        EVENT_ADAPTER.validate_python(BASE | {"kind": "shout"})


def test_rows_keep_money_exact_and_drop_citizen_text() -> None:
    ad = EVENT_ADAPTER.validate_python(BASE | VALID[8])
    assert isinstance(ad, AdSpend) and ad.spend == Decimal("1499.50")
    assert orjson.loads(row_json(ad, 0, 0))["spend"] == "1499.50"
    comment = EVENT_ADAPTER.validate_python(BASE | VALID[2] | {"text": "mitt personnummer"})
    assert isinstance(comment, Interaction)
    assert "text" not in orjson.loads(row_json(comment, 0, 0))
    assert orjson.loads(row_json(comment, 0, 0, keep_text=True))["text"] == "mitt personnummer"
    post = EVENT_ADAPTER.validate_python(BASE | VALID[0])
    assert orjson.loads(row_json(post, 0, 0))["text"] == "Nye regler for foreldrepenger"


def test_exported_json_schemas_are_current() -> None:
    expected = render()
    on_disk = {p.name: p.read_text() for p in JSON_DIR.glob("*.json")}
    assert on_disk == expected, "stale JSON Schemas: run `python -m somepulse.schemas.export`"
