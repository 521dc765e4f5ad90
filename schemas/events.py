"""The event union (discriminated on ``kind``) and its flat storage row.

On the wire a Kafka message holds one event object or a JSON array of events of one
page (collectors pack small per-page batches to beat per-message overhead).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from schemas.ads import AdSpend
from schemas.interactions import Interaction, PageReply
from schemas.messages import PrivateMessage
from schemas.posts import PostPublished
from schemas.snapshots import FollowerSnapshot, InsightsSnapshot

Event = Annotated[
    PostPublished
    | Interaction
    | PageReply
    | PrivateMessage
    | FollowerSnapshot
    | InsightsSnapshot
    | AdSpend,
    Field(discriminator="kind"),
]

EVENT_MODELS: tuple[type[Any], ...] = (
    PostPublished,
    Interaction,
    PageReply,
    PrivateMessage,
    FollowerSnapshot,
    InsightsSnapshot,
    AdSpend,
)
KINDS: tuple[str, ...] = tuple(m.model_fields["kind"].default for m in EVENT_MODELS)

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
EVENT_LIST_ADAPTER: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


def format_ts(value: datetime) -> str:
    """UTC text ClickHouse parses exactly into DateTime64(3).

    Never send integer epoch milliseconds through JSONEachRow: ClickHouse reads them as
    seconds and stores year 9999 without a word (measured; see tests/test_store.py).
    """
    return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond // 1000:03d}"


def _day(value: date) -> str:
    return value.isoformat()


def to_row(event: Event, *, keep_text: bool = False) -> dict[str, Any]:
    """Flatten an event into the columns of the ``events`` table; omitted columns take
    their defaults. Citizens' text is dropped here too unless ``keep_text`` (defence in
    depth: collectors already drop it)."""
    row: dict[str, Any] = {
        "event_id": event.event_id,
        "kind": event.kind,
        "schema_version": event.schema_version,
        "platform": event.platform.value,
        "page_id": event.page_id,
        "occurred_at": format_ts(event.occurred_at),
    }
    if event.post_id is not None:
        row["post_id"] = event.post_id
    match event:
        case Interaction():
            row["subtype"] = event.interaction_type.value
            row["actor_id"] = event.actor_id
            row["is_question"] = int(event.is_question)
            if event.reaction_type is not None:
                row["reaction_type"] = event.reaction_type.value
            if event.comment_id is not None:
                row["item_id"] = event.comment_id
            if event.parent_comment_id is not None:
                row["parent_id"] = event.parent_comment_id
            if keep_text and event.text is not None:
                row["text"] = event.text
        case PageReply():
            row["subtype"] = event.channel.value
            row["item_id"] = event.reply_id
            row["parent_id"] = event.in_reply_to
            if event.thread_id is not None:
                row["thread_id"] = event.thread_id
            if event.author_id is not None:
                row["actor_id"] = event.author_id
        case PrivateMessage():
            row["subtype"] = event.direction.value
            row["item_id"] = event.message_id
            row["thread_id"] = event.thread_id
            row["actor_id"] = event.actor_id
            row["is_question"] = int(event.is_question)
            if keep_text and event.text is not None:
                row["text"] = event.text
        case PostPublished():
            row["subtype"] = event.format.value
            row["paid"] = int(event.paid)
            if event.campaign_id is not None:
                row["campaign_id"] = event.campaign_id
            if event.text is not None:
                row["text"] = event.text
        case FollowerSnapshot():
            row["followers"] = event.followers
        case InsightsSnapshot():
            row["subtype"] = event.scope.value
            row["day"] = _day(event.day)
            row["reach"] = event.reach
            row["impressions"] = event.impressions
            row["video_views"] = event.video_views
        case AdSpend():
            row["campaign_id"] = event.campaign_id
            row["day"] = _day(event.day)
            row["spend"] = str(event.spend)
            row["currency"] = event.currency
            row["impressions"] = event.impressions
            row["clicks"] = event.clicks
            row["reach"] = event.reach
    return row
