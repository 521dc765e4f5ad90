"""The page's own posts."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from somepulse.schemas.base import EventBase, Id


class PostFormat(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    VIDEO = "video"
    LIVE = "live"
    STORY = "story"
    LINK = "link"


class PostPublished(EventBase):
    kind: Literal["post_published"] = "post_published"
    post_id: Id
    format: PostFormat
    paid: bool = False
    campaign_id: Id | None = None
    # The page's own words are public and needed for "most used words"; not personal data.
    text: str | None = Field(None, max_length=20_000)
