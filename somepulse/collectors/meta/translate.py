"""Meta webhook deliveries → SoMe Pulse wire events (pure: no I/O, no clock).

Shapes as Meta documents them and as recorded in public fixtures (research notes
§2.1): a delivery is ``{"object": "page" | "instagram", "entry": [...]}``; each entry
is one account (``entry.id``: the Facebook page, or the Instagram user) at
``entry.time`` with ``changes`` (``feed``, Instagram ``comments``/``live_comments``/
``mentions``) or ``messaging`` (Messenger messages and echoes). One delivery may batch
up to 1,000 changes over many entries: each becomes its own event.

Event ids are stable, made of the platform's ids and the verb (plus the change's time
where an item can change that way more than once), so a redelivery — Meta retries for
36 hours and says "your server should handle deduplication" — is the same event and
storage keeps one. People's ids stay raw here; the publisher pseudonymises every person
field and drops the text after the question detector has read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Event = dict[str, Any]
# Meta's feed items for the page's own posts, and the format each becomes
POST_ITEMS = {
    "post": "text",
    "status": "text",
    "photo": "image",
    "album": "image",
    "video": "video",
    "share": "link",
}
VERBS = {"add": "add", "edit": "edit", "edited": "edit", "remove": "remove",
         "hide": "hide", "unhide": "unhide"}  # fmt: skip
REACTIONS = {"like", "love", "care", "haha", "wow", "sad", "angry"}


@dataclass
class Translation:
    """A delivery's events, and what was left out (with why), for the receiver's log
    and metrics: nothing is dropped silently."""

    events: list[Event] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    mentions: list[MentionRef] = field(default_factory=list)  # to look up (mentions.py)


@dataclass(frozen=True)
class MentionRef:
    """An Instagram mention as the webhook names it: the account mentioned, the media
    and, for a mention in a comment, the comment. What it says and who wrote it must be
    asked of the Graph API."""

    account: str
    media_id: str
    comment_id: str | None
    page_id: str | None


def translate(delivery: Mapping[str, Any], pages: Mapping[tuple[str, str], str]) -> Translation:
    """``pages``: (platform, account id) → page id (``domain.pages.account_index``); an
    account not in it still travels with its ``account_id``, and the worker dead-letters
    it as an unknown account."""
    out = Translation()
    obj = delivery.get("object")
    entries = delivery.get("entry")
    if obj not in ("page", "instagram") or not isinstance(entries, list):
        out.skipped.append(f"not a page or instagram delivery (object {obj!r})")
        return out
    for entry in entries:
        if not isinstance(entry, dict):
            out.skipped.append("an entry that is not an object")
            continue
        account = str(entry.get("id", ""))
        sent = _time(entry.get("time"))
        for change in entry.get("changes") or ():
            _change(out, obj, account, sent, change, pages)
        for message in entry.get("messaging") or ():
            _messaging(out, account, message, pages)
    return out


def _base(platform: str, account: str, pages: Mapping[tuple[str, str], str]) -> Event:
    event: Event = {"platform": platform, "account_id": account}
    page = pages.get((platform, account))
    if page is not None:
        event["page_id"] = page
    return event


def _change(
    out: Translation,
    obj: str,
    account: str,
    sent: datetime | None,
    change: Any,
    pages: Mapping[tuple[str, str], str],
) -> None:
    if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
        out.skipped.append("a change without a value")
        return
    name, value = change.get("field"), change["value"]
    if obj == "page" and name == "feed":
        _feed(out, account, sent, value, pages)
    elif obj == "instagram" and name in ("comments", "live_comments"):
        _instagram_comment(out, account, sent, value, pages)
    elif obj == "instagram" and name == "mentions" and value.get("media_id"):
        comment = value.get("comment_id")
        out.mentions.append(
            MentionRef(account, str(value["media_id"]), str(comment) if comment else None,
                       pages.get(("instagram", account)))
        )  # fmt: skip
    else:
        out.skipped.append(f"{obj} field {name!r} is not collected by the receiver")


def _feed(
    out: Translation,
    page_account: str,
    sent: datetime | None,
    value: dict[str, Any],
    pages: Mapping[tuple[str, str], str],
) -> None:
    item, verb = value.get("item"), VERBS.get(str(value.get("verb")))
    if verb is None:
        out.skipped.append(f"feed {item} with verb {value.get('verb')!r}")
        return
    at = _time(value.get("created_time")) or sent
    if at is None:
        out.skipped.append(f"feed {item} without a time")
        return
    author = _author(value)
    event = _base("facebook", page_account, pages) | {"verb": verb, "occurred_at": _iso(at)}
    post_id = value.get("post_id")
    # edits, hides and unhides can repeat: the change's own time tells them apart
    again = f":{int(at.timestamp())}" if verb in ("edit", "hide", "unhide") else ""
    if item in POST_ITEMS:
        if author != page_account:
            out.skipped.append(f"a visitor's {item} on the page (not the page's post)")
            return
        out.events.append(
            event
            | {"kind": "post_published", "event_id": f"fb:post:{post_id}:{verb}{again}",
               "post_id": str(post_id), "format": POST_ITEMS[item]}
            | ({"text": value["message"]} if isinstance(value.get("message"), str) else {})
        )  # fmt: skip
    elif item == "comment":
        _comment(out, event, value, page_account, author, again)
    elif item in ("reaction", "like"):
        if value.get("comment_id"):
            out.skipped.append("a reaction to a comment (not to the page's post)")
            return
        kind = value.get("reaction_type", "like") if item == "reaction" else "like"
        if verb == "add" and kind not in REACTIONS:
            out.skipped.append(f"a reaction of unknown type {kind!r}")
            return
        stamp = int(at.timestamp())
        out.events.append(
            event
            | {"kind": "interaction", "interaction_type": "reaction", "post_id": str(post_id),
               "event_id": f"fb:reaction:{post_id}:{author}:{verb}:{stamp}",
               "actor_id": author}
            | ({"reaction_type": kind} if kind in REACTIONS else {})
        )  # fmt: skip
    else:
        out.skipped.append(f"feed item {item!r}")


def _comment(
    out: Translation,
    event: Event,
    value: dict[str, Any],
    page_account: str,
    author: str,
    again: str,
) -> None:
    comment_id, post_id = str(value.get("comment_id")), str(value.get("post_id"))
    parent = str(value.get("parent_id") or post_id)
    verb = event["verb"]
    text = {"text": value["message"]} if isinstance(value.get("message"), str) else {}
    if author == page_account:  # the page's own comment: its answer
        out.events.append(
            event
            | {"kind": "page_reply", "event_id": f"fb:comment:{comment_id}:{verb}{again}",
               "post_id": post_id, "channel": "comment", "reply_id": comment_id,
               "in_reply_to": parent}
        )  # fmt: skip
        return
    reply = parent != post_id  # a comment under a comment
    out.events.append(
        event
        | {"kind": "interaction", "event_id": f"fb:comment:{comment_id}:{verb}{again}",
           "post_id": post_id, "interaction_type": "reply" if reply else "comment",
           "comment_id": comment_id, "actor_id": author}
        | ({"parent_comment_id": parent} if reply else {})
        | (text if verb in ("add", "edit") else {})
    )  # fmt: skip


def _instagram_comment(
    out: Translation,
    account: str,
    sent: datetime | None,
    value: dict[str, Any],
    pages: Mapping[tuple[str, str], str],
) -> None:
    # the value has no time of its own: the entry's (when Meta sent it) is the closest
    if sent is None:
        out.skipped.append("an Instagram comment without entry.time")
        return
    media = value.get("media")
    media = media if isinstance(media, dict) else {}
    comment_id, post_id = str(value.get("id")), str(media.get("id"))
    author = str((value.get("from") or {}).get("id", ""))
    event = _base("instagram", account, pages) | {"occurred_at": _iso(sent), "post_id": post_id}
    parent = value.get("parent_id")
    if author == account:
        out.events.append(
            event
            | {"kind": "page_reply", "event_id": f"ig:comment:{comment_id}:add",
               "channel": "comment", "reply_id": comment_id,
               "in_reply_to": str(parent or post_id)}
        )  # fmt: skip
        return
    out.events.append(
        event
        | {"kind": "interaction", "event_id": f"ig:comment:{comment_id}:add",
           "interaction_type": "reply" if parent else "comment", "comment_id": comment_id,
           "actor_id": author}
        | ({"parent_comment_id": str(parent)} if parent else {})
        | ({"text": value["text"]} if isinstance(value.get("text"), str) else {})
    )  # fmt: skip


def _messaging(
    out: Translation, account: str, message: Any, pages: Mapping[tuple[str, str], str]
) -> None:
    if not isinstance(message, dict):
        out.skipped.append("a messaging item that is not an object")
        return
    at = _time(message.get("timestamp"))
    sender = str((message.get("sender") or {}).get("id", ""))
    recipient = str((message.get("recipient") or {}).get("id", ""))
    body, edit = message.get("message"), message.get("message_edit")
    if at is None or not (isinstance(body, dict) or isinstance(edit, dict)):
        out.skipped.append("a messaging item that is not a message (delivery, read, …)")
        return
    event = _base("messenger", account, pages) | {"occurred_at": _iso(at)}
    if isinstance(edit, dict):
        mid = str(edit.get("mid"))
        out.events.append(
            event
            | {"kind": "private_message", "event_id": f"msg:{mid}:edit:{edit.get('num_edit', 0)}",
               "verb": "edit", "direction": "in", "message_id": mid, "thread_id": sender,
               "actor_id": sender}
            | ({"text": edit["text"]} if isinstance(edit.get("text"), str) else {})
        )  # fmt: skip
        return
    assert isinstance(body, dict)
    mid = str(body.get("mid"))
    if body.get("is_echo"):  # the page's own message: an answer in that thread
        reply_to = (body.get("reply_to") or {}).get("mid")
        app = body.get("app_id")
        out.events.append(
            event
            | {"kind": "page_reply", "event_id": f"msg:{mid}", "channel": "message",
               "reply_id": mid, "in_reply_to": str(reply_to or mid), "thread_id": recipient}
            | ({"app_id": str(app)} if app is not None else {})
        )  # fmt: skip
        return
    deleted = bool(body.get("is_deleted"))
    out.events.append(
        event
        | {"kind": "private_message", "event_id": f"msg:{mid}" + (":remove" if deleted else ""),
           "verb": "remove" if deleted else "add", "direction": "in", "message_id": mid,
           "thread_id": sender, "actor_id": sender}
        | ({"text": body["text"]} if isinstance(body.get("text"), str) and not deleted else {})
    )  # fmt: skip


def _author(value: dict[str, Any]) -> str:
    frm = value.get("from")
    if isinstance(frm, dict) and frm.get("id") is not None:
        return str(frm["id"])
    return str(value.get("sender_id", ""))


def _time(raw: Any) -> datetime | None:
    """Unix seconds, Unix milliseconds (Messenger) or ISO 8601 (some feed versions)."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int | float):
        seconds = raw / 1000 if raw > 10**11 else raw
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(raw, str):
        try:
            at = datetime.fromisoformat(raw.replace("+0000", "+00:00").replace("Z", "+00:00"))
        except ValueError:
            return _time(int(raw)) if raw.isdigit() else None
        return at if at.tzinfo else at.replace(tzinfo=UTC)
    return None


def _iso(at: datetime) -> str:
    return at.isoformat()
