"""Private messages (Messenger, LinkedIn, direct messages)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from somepulse.schemas.base import EventBase, Id, ItemVerb, Pseudonym, QuestionReason, Verb


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class PrivateMessage(EventBase):
    kind: Literal["private_message"] = "private_message"
    verb: ItemVerb = Verb.ADD
    direction: Direction
    message_id: Id
    thread_id: Pseudonym = Field(description="Pseudonymised conversation id.")
    actor_id: Pseudonym = Field(description="Pseudonymised person id (the citizen in the thread).")
    is_question: bool = Field(False, description="An incoming message asking the page something.")
    question_reason: QuestionReason = None
    text: str | None = Field(None, max_length=20_000, description="Only if text is kept.")
