"""Instagram mentions, looked up: the webhook says only which media (and comment)
mentioned the account; the Graph API says who wrote it, when, and what
(``GET /{ig-user-id}?fields=mentioned_comment.comment_id(…)`` or
``mentioned_media.media_id(…)``). The result is a ``mention`` event whose text goes to
the question detector and is then dropped like any citizen's text."""

from __future__ import annotations

from typing import Any

from somepulse.collectors.meta.graph import GraphClient
from somepulse.collectors.meta.translate import Event, MentionRef


async def resolve(graph: GraphClient, ref: MentionRef) -> Event | None:
    """The mention event, or None when Meta no longer has it (deleted meanwhile)."""
    if ref.comment_id is not None:
        field = (
            f"mentioned_comment.comment_id({ref.comment_id})"
            "{id,text,timestamp,from{id,username},media{id}}"
        )
        key = "mentioned_comment"
    else:
        field = f"mentioned_media.media_id({ref.media_id}){{id,caption,timestamp,username}}"
        key = "mentioned_media"
    doc = await graph.get(ref.account, {"fields": field})
    found: Any = doc.get(key)
    if not isinstance(found, dict) or not found.get("timestamp"):
        return None
    author = found.get("from")
    author = author if isinstance(author, dict) else {}
    who = author.get("id") or author.get("username") or found.get("username")
    if not who:
        return None
    text = found.get("text") if ref.comment_id is not None else found.get("caption")
    mention_id = ref.comment_id or ref.media_id
    event: Event = {
        "kind": "mention",
        "event_id": f"ig:mention:{mention_id}",
        "platform": "instagram",
        "account_id": ref.account,
        "occurred_at": str(found["timestamp"]).replace("+0000", "+00:00"),
        "mention_id": mention_id,
        "via": "mention",
        "actor_id": str(who),
    }
    if ref.page_id is not None:
        event["page_id"] = ref.page_id
    if isinstance(text, str):
        event["text"] = text
    return event
