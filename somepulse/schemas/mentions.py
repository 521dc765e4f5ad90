"""Others naming the organisation outside the comments on its own posts: a tag on
Facebook or Instagram, a mention on Bluesky, Mastodon or X, a quote of one of its posts,
a tracked hashtag or keyword (the conversation a crisis team watches, not only the
page's own threads)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from somepulse.schemas.base import EventBase, Id, Pseudonym


class MentionVia(StrEnum):
    TAG = "tag"  # Facebook/Instagram tag of the page
    MENTION = "mention"  # @handle on Bluesky, Mastodon, X, Threads; Instagram mentions
    QUOTE = "quote"  # a quote post of one of the page's posts
    HASHTAG = "hashtag"  # a hashtag the page tracks
    KEYWORD = "keyword"  # a keyword the page tracks


class Mention(EventBase):
    kind: Literal["mention"] = "mention"
    mention_id: Id = Field(description="The mentioning post's or comment's id on the platform.")
    via: MentionVia
    matched: str | None = Field(
        None, max_length=100, description="The handle, hashtag or keyword that matched."
    )
    actor_id: Pseudonym = Field(description="Pseudonymised author of the mention.")
    text: str | None = Field(None, max_length=20_000, description="Only if text is kept.")
