"""Bluesky (AT Protocol) records → SoMe Pulse wire events (pure: no I/O).

Two sources, because no one source is complete for an organisation (docs: Jetstream's
``wantedDids`` filters by the *author*, so it sees the organisation's own posts only;
likes, reposts, replies, quotes and mentions are records of *other* accounts, which
``app.bsky.notification.listNotifications`` lists for the account):

* Jetstream commits of the account's ``app.bsky.feed.post`` collection → its own posts
  (``create``), their edits (``update``) and deletions (``delete`` → verb ``remove``);
  a post that replies to someone else's → ``page_reply``;
* notifications → ``like`` a reaction, ``repost`` a share (Bluesky names who), ``reply``
  a comment (a reply to a reply: ``reply``), ``quote`` and ``mention`` a ``mention``;
  follows are counted from the profile's ``followersCount``.

Posts are named by their AT URI (``at://<did>/app.bsky.feed.post/<rkey>``), which is
what likes, reposts and replies point at; event ids come from record URIs, so the same
record from a back-fill and from the stream is the same event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Event = dict[str, Any]
POSTS = "app.bsky.feed.post"


@dataclass(frozen=True)
class Account:
    did: str
    page_id: str | None

    def base(self) -> Event:
        event: Event = {"platform": "bluesky", "account_id": self.did}
        if self.page_id is not None:
            event["page_id"] = self.page_id
        return event


def post_uri(did: str, rkey: str) -> str:
    return f"at://{did}/{POSTS}/{rkey}"


def from_commit(message: Mapping[str, Any], account: Account) -> Event | None:
    """One Jetstream message of the account's own posts."""
    commit = message.get("commit")
    if message.get("kind") != "commit" or not isinstance(commit, dict):
        return None
    if commit.get("collection") != POSTS or message.get("did") != account.did:
        return None
    uri = post_uri(account.did, str(commit.get("rkey")))
    operation = commit.get("operation")
    record = _obj(commit, "record")
    at = _time_us(message.get("time_us"))
    if operation == "delete":
        return account.base() | {
            "kind": "post_published", "event_id": f"bsky:{uri}:remove", "verb": "remove",
            "post_id": uri, "occurred_at": at,
        }  # fmt: skip
    verb = "edit" if operation == "update" else "add"
    when = at if verb == "edit" else str(record.get("createdAt") or at)
    reply = _obj(record, "reply") or None
    parent = str((reply or {}).get("parent", {}).get("uri", "")) if reply else ""
    if parent and not parent.startswith(f"at://{account.did}/"):
        return account.base() | {
            "kind": "page_reply", "event_id": f"bsky:{uri}:{verb}", "verb": verb,
            "channel": "comment", "reply_id": uri, "in_reply_to": parent,
            "post_id": str(reply.get("root", {}).get("uri", parent)) if reply else parent,
            "occurred_at": when,
        }  # fmt: skip
    embed = _obj(record, "embed")
    kind = str(embed.get("$type", ""))
    fmt = "video" if "video" in kind else "image" if "images" in kind else (
        "link" if "external" in kind else "text")  # fmt: skip
    suffix = f":{message.get('time_us')}" if verb == "edit" else ""
    return account.base() | {
        "kind": "post_published", "event_id": f"bsky:{uri}:{verb}{suffix}", "verb": verb,
        "post_id": uri, "format": fmt, "text": str(record.get("text") or ""),
        "occurred_at": when,
    }  # fmt: skip


def from_notification(note: Mapping[str, Any], account: Account) -> Event | None:
    reason = note.get("reason")
    uri = str(note.get("uri"))
    who = str((note.get("author") or {}).get("did", ""))
    record = _obj(note, "record")
    at = str(record.get("createdAt") or note.get("indexedAt"))
    base = account.base() | {"occurred_at": at}
    if reason in ("like", "repost"):
        subject = str(note.get("reasonSubject") or "")
        event = base | {"kind": "interaction", "event_id": f"bsky:{uri}:add",
                        "post_id": subject, "actor_id": who}  # fmt: skip
        if reason == "like":
            return event | {"interaction_type": "reaction", "reaction_type": "like"}
        return event | {"interaction_type": "share"}
    text = str(record.get("text") or "")
    if reason == "reply":
        reply = _obj(record, "reply")
        root = str((reply.get("root") or {}).get("uri", ""))
        parent = str((reply.get("parent") or {}).get("uri", root))
        event = base | {"kind": "interaction", "event_id": f"bsky:{uri}:add", "post_id": root,
                        "comment_id": uri, "actor_id": who, "text": text}  # fmt: skip
        if parent != root:
            return event | {"interaction_type": "reply", "parent_comment_id": parent}
        return event | {"interaction_type": "comment"}
    if reason in ("quote", "mention"):
        return base | {"kind": "mention", "event_id": f"bsky:{uri}:add", "mention_id": uri,
                       "via": "quote" if reason == "quote" else "mention", "actor_id": who,
                       "text": text}  # fmt: skip
    return None  # follows: the profile's followersCount counts them


def _obj(parent: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def _time_us(raw: Any) -> str:
    return datetime.fromtimestamp(int(raw) / 1_000_000, UTC).isoformat()
