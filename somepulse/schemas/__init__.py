"""Event schemas of SoMe Pulse: pydantic v2 models, one module per family."""

from somepulse.schemas.ads import AdSpend
from somepulse.schemas.base import SCHEMA_VERSION, EventBase, Platform, Verb
from somepulse.schemas.events import (
    EVENT_ADAPTER,
    EVENT_LIST_ADAPTER,
    EVENT_MODELS,
    KINDS,
    Event,
    row_json,
)
from somepulse.schemas.health import SourceState, SourceStatus
from somepulse.schemas.interactions import (
    Interaction,
    InteractionType,
    PageReply,
    ReactionType,
    ReplyChannel,
)
from somepulse.schemas.marks import NeedsReplyMark
from somepulse.schemas.mentions import Mention, MentionVia
from somepulse.schemas.messages import Direction, PrivateMessage
from somepulse.schemas.posts import PostFormat, PostPublished
from somepulse.schemas.snapshots import FollowerSnapshot, InsightsScope, InsightsSnapshot

__all__ = [
    "EVENT_ADAPTER",
    "EVENT_LIST_ADAPTER",
    "EVENT_MODELS",
    "KINDS",
    "SCHEMA_VERSION",
    "AdSpend",
    "Direction",
    "Event",
    "EventBase",
    "FollowerSnapshot",
    "InsightsScope",
    "InsightsSnapshot",
    "Interaction",
    "InteractionType",
    "Mention",
    "MentionVia",
    "NeedsReplyMark",
    "PageReply",
    "Platform",
    "PostFormat",
    "PostPublished",
    "PrivateMessage",
    "ReactionType",
    "ReplyChannel",
    "SourceState",
    "SourceStatus",
    "Verb",
    "row_json",
]
