"""Event schemas of SoMe Pulse: pydantic v2 models, one module per family."""

from schemas.ads import AdSpend
from schemas.base import SCHEMA_VERSION, EventBase, Platform
from schemas.events import EVENT_ADAPTER, EVENT_LIST_ADAPTER, EVENT_MODELS, KINDS, Event, row_json
from schemas.interactions import Interaction, InteractionType, PageReply, ReactionType, ReplyChannel
from schemas.messages import Direction, PrivateMessage
from schemas.posts import PostFormat, PostPublished
from schemas.privacy import Pseudonymiser
from schemas.snapshots import FollowerSnapshot, InsightsScope, InsightsSnapshot

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
    "PageReply",
    "Platform",
    "PostFormat",
    "PostPublished",
    "PrivateMessage",
    "Pseudonymiser",
    "ReactionType",
    "ReplyChannel",
    "row_json",
]
