"""The page's own posts."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, model_validator

from somepulse.schemas.base import EventBase, Id, ItemVerb, Verb


class PostFormat(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    VIDEO = "video"
    LIVE = "live"
    STORY = "story"
    LINK = "link"


class PostPublished(EventBase):
    kind: Literal["post_published"] = "post_published"
    verb: ItemVerb = Verb.ADD
    post_id: Id
    format: PostFormat | None = Field(None, description="Required when the post is added.")
    paid: bool = False
    campaign_id: Id | None = None
    # The page's own words are public and needed for "most used words"; not personal data.
    text: str | None = Field(None, max_length=20_000)

    @model_validator(mode="after")
    def _format_when_added(self) -> Self:
        # a removal may not know the format (Bluesky's and Mastodon's deletes carry none)
        if self.format is None and self.verb == "add":
            raise ValueError("format is required when a post is added")
        return self
