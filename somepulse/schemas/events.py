"""The event union (discriminated on ``kind``) and its flat storage row.

On the wire a Kafka message holds one event object or a JSON array of events of one
page (collectors pack small per-page batches to beat per-message overhead).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from somepulse.schemas.ads import AdSpend
from somepulse.schemas.health import SourceStatus
from somepulse.schemas.interactions import Interaction, PageReply
from somepulse.schemas.marks import NeedsReplyMark
from somepulse.schemas.mentions import Mention
from somepulse.schemas.messages import PrivateMessage
from somepulse.schemas.posts import PostPublished
from somepulse.schemas.snapshots import FollowerSnapshot, InsightsSnapshot, MetricSnapshot

Event = Annotated[
    PostPublished
    | Interaction
    | PageReply
    | PrivateMessage
    | FollowerSnapshot
    | InsightsSnapshot
    | MetricSnapshot
    | Mention
    | NeedsReplyMark
    | SourceStatus
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
    MetricSnapshot,
    Mention,
    NeedsReplyMark,
    SourceStatus,
    AdSpend,
)
KINDS: tuple[str, ...] = tuple(m.model_fields["kind"].default for m in EVENT_MODELS)

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
EVENT_LIST_ADAPTER: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


# Text people wrote: every kind's text except the page's own posts.
CITIZEN_TEXT = frozenset(KINDS) - {"post_published"}
_NO_TEXT: set[str] = {"text"}


def row_json(event: Event, partition: int, offset: int, *, keep_text: bool = False) -> bytes:
    """One JSONEachRow line for the ``events`` table, whose columns are the wire fields.

    Serialised in pydantic's Rust core (the per-event cost that matters at 50k events/s);
    omitted fields take column defaults. Timestamps keep their offset as ISO 8601 and
    ClickHouse parses them exactly (``date_time_input_format='best_effort'``); never
    integer epoch milliseconds, which JSONEachRow silently stores as year 9999.
    Citizens' text is dropped here too unless ``keep_text`` (defence in depth:
    collectors already drop it).
    """
    exclude = _NO_TEXT if not keep_text and event.kind in CITIZEN_TEXT else None
    # the model's serializer directly: model_dump_json's Python wrapper costs ~30 % here
    body: bytes = event.__pydantic_serializer__.to_json(event, exclude_none=True, exclude=exclude)
    return b'{"kafka_partition":%d,"kafka_offset":%d,%s' % (partition, offset, body[1:])
