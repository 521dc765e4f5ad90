"""A person on duty correcting the question detector: this comment or message does (or
does not) need a reply. Stored as an event, so the views and the live queue honour it
like any other change, and the record shows who decided what when."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from somepulse.schemas.base import EARLIEST, EventBase, Id, Pseudonym
from somepulse.schemas.interactions import ReplyChannel


class NeedsReplyMark(EventBase):
    kind: Literal["needs_reply_mark"] = "needs_reply_mark"
    target_event_id: Id = Field(description="The comment's or message's event id.")
    channel: ReplyChannel = Field(description="comment or message: what was marked.")
    target_id: Id = Field(description="The comment id or message id marked.")
    target_at: AwareDatetime = Field(ge=EARLIEST, description="When it was written.")
    thread_id: Pseudonym | None = Field(None, description="The message thread (messages).")
    needs_reply: bool = Field(description="The verdict of the person on duty.")
