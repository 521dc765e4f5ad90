"""Fields every event carries, whatever the platform or family."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class Platform(StrEnum):
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    LINKEDIN = "linkedin"
    TWITTER = "twitter"
    YOUTUBE = "youtube"
    SNAPCHAT = "snapchat"
    TIKTOK = "tiktok"


def _require_tz(value: datetime) -> datetime:
    # A naive time is ambiguous (whose local time?); refuse it rather than guess.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must carry a time zone (e.g. 2020-03-12T09:00:00Z)")
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_require_tz)]
Id = Annotated[str, Field(min_length=1, max_length=200)]


class EventBase(BaseModel):
    """Platform-neutral envelope fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = Field(SCHEMA_VERSION, ge=1, le=SCHEMA_VERSION)
    event_id: Id = Field(description="Globally unique; storage is idempotent on it.")
    platform: Platform
    page_id: Id = Field(description="The organisation's page/account on the platform.")
    post_id: Id | None = Field(None, description="The page's post the event belongs to, if any.")
    occurred_at: UtcDatetime = Field(description="Event time, tz-aware; stored as UTC.")
