"""What people do with the page's posts, and the page's answers to them."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, model_validator

from somepulse.schemas.base import EventBase, Id, ItemVerb, Pseudonym, QuestionReason, Verb


class InteractionType(StrEnum):
    REACTION = "reaction"
    COMMENT = "comment"
    REPLY = "reply"
    SHARE = "share"
    CLICK = "click"
    VIEW = "view"


class ReactionType(StrEnum):
    LIKE = "like"
    LOVE = "love"
    CARE = "care"
    HAHA = "haha"
    WOW = "wow"
    SAD = "sad"
    ANGRY = "angry"


class Interaction(EventBase):
    """A person's reaction, comment, reply (under a comment), share, click or view.

    The item is the comment (``comment_id``) or, for a reaction, the person's reaction to
    the post (``post_id`` + ``actor_id``: one per person and post). A removal names the
    same item; an edit of a reaction carries the new ``reaction_type``.
    """

    kind: Literal["interaction"] = "interaction"
    verb: ItemVerb = Verb.ADD
    post_id: Id
    interaction_type: InteractionType
    reaction_type: ReactionType | None = None
    actor_id: Pseudonym = Field(description="Pseudonymised person id (keyed HMAC).")
    comment_id: Id | None = Field(None, description="Id of this comment/reply.")
    parent_comment_id: Id | None = Field(None, description="Comment a reply answers.")
    is_question: bool = Field(False, description="The comment/reply asks the page something.")
    question_reason: QuestionReason = None
    text: str | None = Field(None, max_length=20_000, description="Only if text is kept.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        # runs for every interaction: plain string compares (StrEnum members are str)
        kind = self.interaction_type
        if kind != "reaction" and self.reaction_type is not None:
            raise ValueError("reaction_type is only for reactions")
        if kind == "reaction" and self.reaction_type is None and self.verb == "add":
            # a removal need not say which reaction it takes back (Bluesky's does not)
            raise ValueError("reaction_type is required for reactions")
        if kind == "comment" or kind == "reply":
            if self.comment_id is None:
                raise ValueError("comments and replies need a comment_id")
            if kind == "reply" and self.parent_comment_id is None:
                raise ValueError("a reply needs parent_comment_id")
        elif self.is_question:
            raise ValueError("only comments and replies can be questions")
        return self


class ReplyChannel(StrEnum):
    COMMENT = "comment"
    MESSAGE = "message"


class PageReply(EventBase):
    """The page answering a person: a comment under a post or a private message."""

    kind: Literal["page_reply"] = "page_reply"
    verb: ItemVerb = Verb.ADD
    channel: ReplyChannel
    reply_id: Id
    in_reply_to: Id = Field(description="The comment id or message id answered.")
    thread_id: Pseudonym | None = Field(
        None, description="Pseudonymised message thread (for channel=message)."
    )
    author_id: Pseudonym | None = Field(None, description="Pseudonymised staff id, if known.")
    automated: bool = Field(
        False, description="Sent by software (instant reply, away message, chatbot)."
    )
    app_id: Id | None = Field(
        None, description="The app that sent it, as the platform says (Messenger echo app_id)."
    )
