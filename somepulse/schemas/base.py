"""Fields every event carries, whatever the platform or family."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class Platform(StrEnum):
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    LINKEDIN = "linkedin"
    TWITTER = "twitter"
    YOUTUBE = "youtube"
    SNAPCHAT = "snapchat"
    TIKTOK = "tiktok"


Id = Annotated[str, Field(min_length=1, max_length=200)]


class EventBase(BaseModel):
    """Platform-neutral envelope fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = Field(SCHEMA_VERSION, ge=1, le=SCHEMA_VERSION)
    event_id: Id = Field(description="Globally unique; storage is idempotent on it.")
    platform: Platform
    page_id: Id = Field(description="The organisation's page/account on the platform.")
    post_id: Id | None = Field(None, description="The page's post the event belongs to, if any.")
    # A naive time is ambiguous (whose local time?): refused. AwareDatetime is checked in
    # pydantic's Rust core; the offset is kept and ClickHouse converts it to UTC on insert.
    occurred_at: AwareDatetime = Field(description="Event time with offset; stored as UTC.")
