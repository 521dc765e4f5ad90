"""Gap back-fill: what webhooks did not deliver, read from the Graph API.

Meta retries a delivery for 36 hours and then drops it, and nothing from before the
subscription ever arrives by webhook. The back-fill pages through the page's posts
(``/{page-id}/feed``), each post's comments (``/{post-id}/comments``, replies included)
and the inbox (``/{page-id}/conversations`` with their messages), and turns each object
into the change a webhook would have carried, through the same translation
(``translate.py``): the same event ids, so what the webhook already delivered is the
same event again and storage keeps one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

from somepulse.collectors.meta.graph import GraphClient, GraphError
from somepulse.collectors.meta.translate import Translation, translate

BATCH = 50  # Meta's most requests per batch call
_COMMENT_PARAMS = {"filter": "stream", "limit": "100",
                   "fields": "id,created_time,message,from,parent{id}"}  # fmt: skip
COMMENTS = "&".join(f"{k}={v}" for k, v in _COMMENT_PARAMS.items())


async def backfill_page(
    graph: GraphClient,
    page_account: str,
    accounts: Mapping[tuple[str, str], str],
    since: date,
    until: date,
    skipped: Translation | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Events of the page's posts, comments and messages made in [since, until)."""
    window = {"since": _unix(since), "until": _unix(until), "limit": 100}
    posts: list[str] = []
    async for post in graph.pages(
        f"{page_account}/feed",
        window | {"fields": "id,created_time,message,from,status_type"},
    ):
        for event in _translated(_post_change(page_account, post), accounts, skipped):
            yield event
        posts.append(str(post["id"]))
    # each post's first page of comments, 50 posts to a batch call; longer threads
    # continue with their own paging.next
    for start in range(0, len(posts), BATCH):
        chunk = posts[start : start + BATCH]
        answers = await graph.batch([f"{post}/comments?{COMMENTS}" for post in chunk])
        for post_id, answer in zip(chunk, answers, strict=True):
            if isinstance(answer, GraphError):
                answer = await graph.get(f"{post_id}/comments", dict(_COMMENT_PARAMS))
            async for comment in _rest(graph, answer):
                at = _time(comment.get("created_time"))
                if at is None or not since <= at.date() < until:
                    continue
                change = _comment_change(page_account, post_id, comment)
                for event in _translated(change, accounts, skipped):
                    yield event
    async for conversation in graph.pages(
        f"{page_account}/conversations", {"fields": "id,updated_time", "limit": 100}
    ):
        updated = _time(conversation.get("updated_time"))
        if updated is not None and updated.date() < since:
            continue  # nothing in it since the gap began
        async for message in graph.pages(
            f"{conversation['id']}/messages",
            {"fields": "id,created_time,from,to,message", "limit": 100},
        ):
            at = _time(message.get("created_time"))
            if at is None or not since <= at.date() < until:
                continue
            for event in _translated(_message_change(page_account, message, at), accounts, skipped):
                yield event


async def _rest(graph: GraphClient, first: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    """The items of a first page already fetched, then of the pages after it."""
    for item in first.get("data") or ():
        yield item
    nxt = (first.get("paging") or {}).get("next")
    if nxt and first.get("data"):
        async for item in graph.pages(nxt):
            yield item


def _translated(
    delivery: dict[str, Any], accounts: Mapping[tuple[str, str], str], skipped: Translation | None
) -> list[dict[str, Any]]:
    out = translate(delivery, accounts)
    if skipped is not None:
        skipped.skipped.extend(out.skipped)
    return out.events


def _feed(page: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"object": "page",
            "entry": [{"id": page, "changes": [{"field": "feed", "value": value}]}]}  # fmt: skip


def _post_change(page: str, post: Mapping[str, Any]) -> dict[str, Any]:
    status = str(post.get("status_type") or "")
    item = {"added_photos": "photo", "added_video": "video", "shared_story": "share"}.get(
        status, "status"
    )
    sender = (post.get("from") or {}).get("id", page)
    value = {"item": item, "verb": "add", "post_id": post["id"], "sender_id": sender,
             "created_time": post.get("created_time")}  # fmt: skip
    if isinstance(post.get("message"), str):
        value["message"] = post["message"]
    return _feed(page, value)


def _comment_change(page: str, post_id: str, comment: Mapping[str, Any]) -> dict[str, Any]:
    parent = (comment.get("parent") or {}).get("id") or post_id
    value = {"item": "comment", "verb": "add", "comment_id": comment["id"], "post_id": post_id,
             "parent_id": parent, "from": comment.get("from") or {},
             "created_time": comment.get("created_time")}  # fmt: skip
    if isinstance(comment.get("message"), str):
        value["message"] = comment["message"]
    return _feed(page, value)


def _message_change(page: str, message: Mapping[str, Any], at: datetime) -> dict[str, Any]:
    sender = str((message.get("from") or {}).get("id", ""))
    to = [str(t.get("id")) for t in ((message.get("to") or {}).get("data") or ())]
    echo = sender == page
    person = (to[0] if to else "") if echo else sender
    body: dict[str, Any] = {"mid": message["id"]}
    if echo:
        body["is_echo"] = True
    if isinstance(message.get("message"), str):
        body["text"] = message["message"]
    return {
        "object": "page",
        "entry": [{"id": page, "messaging": [{
            "sender": {"id": sender}, "recipient": {"id": person if echo else page},
            "timestamp": int(at.timestamp() * 1000), "message": body}]}],
    }  # fmt: skip


def _time(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw.replace("+0000", "+00:00"))
    except ValueError:
        return None


def _unix(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
