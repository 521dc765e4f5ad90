"""Fields every event carries, whatever the platform or family."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class Platform(StrEnum):
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    MESSENGER = "messenger"
    THREADS = "threads"
    BLUESKY = "bluesky"
    MASTODON = "mastodon"
    YOUTUBE = "youtube"
    LINKEDIN = "linkedin"
    X = "x"
    TIKTOK = "tiktok"

    @classmethod
    def _missing_(cls, value: object) -> Platform | None:
        # release 0.1 called X "twitter": its events and replays still read. pydantic
        # asks this only for a value outside the enum, so the hot path pays nothing.
        return cls.X if value == "twitter" else None


class Verb(StrEnum):
    """What happened to an item (a post, comment, reaction, message, page reply): Meta's
    ``verb``, Bluesky's and Mastodon's deletes. Only ``add`` and ``remove`` move counts
    (``domain.signals.count_sign``); ``edit`` keeps the item's identity and may change
    its question verdict; ``hide``/``unhide`` take a question out of the queue and back.
    """

    ADD = "add"
    EDIT = "edit"
    REMOVE = "remove"
    HIDE = "hide"
    UNHIDE = "unhide"

    @classmethod
    def _missing_(cls, value: object) -> Verb | None:
        # Meta spells the same change "edit" (reactions) and "edited" (comments, posts);
        # Messenger and the open networks say "delete"
        return {"edited": cls.EDIT, "delete": cls.REMOVE, "deleted": cls.REMOVE}.get(str(value))


# The verb field of the kinds whose item can change after it was made (default add).
ItemVerb = Annotated[
    Verb,
    Field(
        description="add (default), edit, remove, hide or unhide the item; occurred_at is "
        "when that happened, and the item keeps its id."
    ),
]

# Why the edge's question detector decided (domain.needs_reply: "question mark",
# "request", "case problem", "rhetorical", …); set where a collector classified text.
QuestionReason = Annotated[
    str | None,
    Field(
        max_length=40,
        pattern=r"^[a-z ]+$",
        description="Why the question detector decided as it did (collectors set it).",
    ),
]

# Ids are printable: no control, format (bidi) or separator characters, which would
# reach dashboards, alert labels and e-mail subjects (security review D5). Checked in
# pydantic's Rust core (a regex), not in Python.
Id = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]+$",
    ),
]
# A person's (or a conversation's) id as stored: a keyed pseudonym, never a platform's
# raw id. ``p2_<key id>_<hmac>``; ``p1_<hmac>`` from release 0.1 is still read.
PSEUDONYM_PATTERN = r"^(p2_[0-9a-f]{8}_[0-9a-f]{32}|p1_[0-9a-f]{32})$"
Pseudonym = Annotated[str, Field(pattern=PSEUDONYM_PATTERN)]
# Counts platforms report: non-negative and realistic (ClickHouse's UInt64 would wrap
# 2**64 to 0 silently; no page reaches a trillion people).
Count = Annotated[int, Field(ge=0, le=10**12)]
# Dates and times the store can hold and the field can mean: nothing before 2004 (the
# first social platforms) or past 2100 (ClickHouse's Date ends in 2149).
EARLIEST = datetime(2004, 1, 1, tzinfo=UTC)
Day = Annotated[date, Field(ge=date(2004, 1, 1), le=date(2100, 1, 1))]


class EventBase(BaseModel):
    """Platform-neutral envelope fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = Field(SCHEMA_VERSION, ge=1, le=SCHEMA_VERSION)
    event_id: Id = Field(description="Globally unique; storage is idempotent on it.")
    platform: Platform
    page_id: Id = Field(
        description="The organisation's page (pages.toml). May be left out when account_id "
        "is given: the worker fills it in from the page directory."
    )
    account_id: Id | None = Field(
        None,
        description="The page's own account id on the platform (Facebook page id, Instagram "
        "user id, Bluesky DID, …), as the platform sent it; checked against pages.toml.",
    )
    post_id: Id | None = Field(None, description="The page's post the event belongs to, if any.")
    # A naive time is ambiguous (whose local time?): refused. AwareDatetime is checked in
    # pydantic's Rust core; the offset is kept and ClickHouse converts it to UTC on insert.
    occurred_at: AwareDatetime = Field(
        ge=EARLIEST, description="Event time with offset; stored as UTC."
    )
