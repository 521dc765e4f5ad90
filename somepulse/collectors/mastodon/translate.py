"""Mastodon entities → SoMe Pulse wire events (pure: no I/O).

What an organisation's account sees (docs.joinmastodon.org: Status, Notification, the
streaming API's ``update``, ``notification``, ``delete`` and ``status.update``):

* its own statuses → ``post_published`` (a reply of its own to someone → ``page_reply``);
* a ``mention`` notification: a reply to one of its statuses → an ``interaction``
  comment (a reply to a reply → ``reply``); otherwise a ``mention``;
* ``favourite`` → a like; ``reblog`` → a share: Mastodon names who boosted, so here a
  per-person share is what the platform sends;
* ``status.update`` → the same item with verb ``edit``; ``delete`` (only an id) → verb
  ``remove`` of the item the collector remembers under that id (``Seen``).

The same object gives the same event id whether it came from the stream or from the
REST back-fill, so overlaps after a reconnect are free.
"""

from __future__ import annotations

import html
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Event = dict[str, Any]
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>|</p>", re.I)
_KEPT = ("kind", "post_id", "interaction_type", "comment_id", "parent_comment_id", "actor_id",
         "mention_id", "via", "channel", "reply_id", "in_reply_to", "format")  # fmt: skip


def text_of(content: str) -> str:
    """Mastodon's HTML content as the plain text people wrote."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", content))).strip()


@dataclass
class Seen:
    """What the collector remembers of recent statuses, so that a ``delete`` (which
    carries only an id) becomes the removal of the right item. Bounded."""

    limit: int = 20_000
    items: OrderedDict[str, Event] = field(default_factory=OrderedDict)

    def remember(self, status_id: str, event: Event) -> None:
        keep: Event = {k: event[k] for k in _KEPT if k in event}
        self.items[status_id] = keep
        self.items.move_to_end(status_id)
        while len(self.items) > self.limit:
            self.items.popitem(last=False)

    def as_dict(self) -> dict[str, Event]:
        return dict(self.items)


@dataclass
class Account:
    """The organisation's account: its id on the instance and the page it belongs to."""

    account_id: str  # the instance's id of the account (authors are compared with it)
    page_id: str | None
    handle: str | None = None  # as pages.toml names it (@name@instance): what events carry

    def base(self) -> Event:
        event: Event = {"platform": "mastodon", "account_id": self.handle or self.account_id}
        if self.page_id is not None:
            event["page_id"] = self.page_id
        return event


def from_status(
    status: Mapping[str, Any], account: Account, seen: Seen, verb: str = "add"
) -> Event | None:
    """A status the organisation's account wrote, or one that replies to its own."""
    sid, author = str(status.get("id")), str((status.get("account") or {}).get("id", ""))
    if status.get("reblog"):
        return None  # a boost: not a post of its own, not a reply
    at = (
        status.get("edited_at")
        if verb == "edit" and status.get("edited_at")
        else status.get("created_at")
    )
    event = account.base() | {"occurred_at": at, "verb": verb}
    suffix = f":edit:{at}" if verb == "edit" else ":add"
    text = text_of(str(status.get("content") or ""))
    reply_to = status.get("in_reply_to_id")
    reply_to_account = str(status.get("in_reply_to_account_id") or "")
    if author == account.account_id:
        if reply_to and reply_to_account != account.account_id:
            event |= {
                "kind": "page_reply", "event_id": f"mast:status:{sid}{suffix}",
                "channel": "comment", "reply_id": sid, "in_reply_to": str(reply_to),
            }  # fmt: skip
        else:
            media = status.get("media_attachments") or []
            kinds = {m.get("type") for m in media if isinstance(m, dict)}
            fmt = "video" if kinds & {"video", "gifv"} else "image" if kinds else "text"
            event |= {"kind": "post_published", "event_id": f"mast:status:{sid}{suffix}",
                      "post_id": sid, "format": fmt, "text": text}  # fmt: skip
    elif reply_to:
        parent = seen.items.get(str(reply_to), {})
        if reply_to_account == account.account_id and parent.get("kind") != "page_reply":
            # a reply to one of the account's posts (or to a comment under one)
            post_id = parent.get("post_id", str(reply_to))
            is_reply = parent.get("kind") == "interaction"
            event |= {"kind": "interaction", "event_id": f"mast:status:{sid}{suffix}",
                      "post_id": post_id, "interaction_type": "reply" if is_reply else "comment",
                      "comment_id": sid, "actor_id": author, "text": text}  # fmt: skip
            if is_reply:
                event["parent_comment_id"] = str(reply_to)
        else:
            event |= _mention(sid, author, text, suffix)
    else:
        event |= _mention(sid, author, text, suffix)
    if event["kind"] == "mention":
        if verb != "add":
            return None  # a mention has no verbs: what was said stays said
        del event["verb"]
    seen.remember(sid, event)
    return event


def _mention(sid: str, author: str, text: str, suffix: str) -> Event:
    return {"kind": "mention", "event_id": f"mast:status:{sid}{suffix}", "mention_id": sid,
            "via": "mention", "actor_id": author, "text": text}  # fmt: skip


def from_notification(note: Mapping[str, Any], account: Account, seen: Seen) -> Event | None:
    kind = note.get("type")
    status = note.get("status") if isinstance(note.get("status"), dict) else None
    who = str((note.get("account") or {}).get("id", ""))
    if kind == "mention" and status is not None:
        return from_status(status, account, seen)
    if kind in ("favourite", "reblog") and status is not None:
        event = account.base() | {
            "kind": "interaction", "event_id": f"mast:notification:{note.get('id')}",
            "occurred_at": note.get("created_at"), "post_id": str(status.get("id")),
            "actor_id": who,
        }  # fmt: skip
        if kind == "favourite":
            return event | {"interaction_type": "reaction", "reaction_type": "like"}
        return event | {"interaction_type": "share"}
    return None  # follows are counted from followers_count; polls and admin notices are not


def removal(status_id: str, at: str, account: Account, seen: Seen) -> Event | None:
    """``delete`` names only the status: remove what it was, if the collector saw it."""
    known = seen.items.get(status_id)
    if known is None:
        return None
    event = account.base() | dict(known) | {
        "event_id": f"mast:status:{status_id}:remove", "occurred_at": at, "verb": "remove",
    }  # fmt: skip
    if event["kind"] == "mention":
        return None  # a mention has no verb: it stays as it was said
    event.pop("format", None)
    return event
