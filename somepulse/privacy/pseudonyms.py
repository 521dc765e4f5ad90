"""Pseudonyms for people, applied by collectors before anything is published and
enforced again by the worker before anything is stored.

A keyed HMAC (not a plain hash): without the key nobody can test a guessed id against
the stored value. The message is domain-separated (``person:<platform>:<id>``), so one
person's ids on two platforms do not link, and a thread id never equals a person's
pseudonym. The pseudonym names its key (``p2_<key id>_<128 bits>``): after a rotation
old and new pseudonyms can be told apart, and erasure knows which key to use.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache
from typing import Any

from somepulse.schemas.base import PSEUDONYM_PATTERN

PSEUDONYM_PREFIX = "p2_"
# Before key ids and domain separation (release 0.1): HMAC of the bare id, no key id.
LEGACY_PREFIX = "p1_"
_PSEUDONYM = re.compile(PSEUDONYM_PATTERN)

# Fields holding a person's platform id, and fields holding a conversation's id (an X
# direct-message thread id is built from the two people's ids).
PERSON_FIELDS = ("actor_id", "author_id")
THREAD_FIELDS = ("thread_id",)
# Text a person wrote. Only the page's own posts are the organisation's words.
OWN_TEXT_KINDS = frozenset({"post_published"})

# What a redacted copy keeps as it is: envelope and structural fields, no person ids and
# no free text (dead letters are read by operators, kept for days, and exported).
SAFE_FIELDS = frozenset(
    {
        "schema_version", "kind", "event_id", "platform", "page_id", "post_id",
        "occurred_at", "day", "interaction_type", "reaction", "channel", "direction",
        "format", "comment_id", "parent_comment_id", "reply_id", "in_reply_to",
        "message_id", "campaign_id", "scope", "currency",
    }
)  # fmt: skip
SAFE_TEXT_LIMIT = 200


def is_pseudonym(value: object) -> bool:
    return isinstance(value, str) and _PSEUDONYM.match(value) is not None


def key_id(key: bytes) -> str:
    """A short public name of a key (not a way back to it: a hash of a 256-bit key)."""
    return hashlib.sha256(b"somepulse-key-id:" + key).hexdigest()[:8]


class Pseudonymiser:
    """Maps a platform's person (or thread) id to a stable pseudonym under one key."""

    def __init__(self, key: bytes) -> None:
        if not key:
            raise ValueError("the pseudonymisation key must not be empty")
        self._key = key
        self.key_id = key_id(key)
        self._prefix = f"{PSEUDONYM_PREFIX}{self.key_id}_"
        self._cached = lru_cache(maxsize=200_000)(self._compute)

    def pseudonym(self, platform: str, person_id: str, domain: str = "person") -> str:
        """The pseudonym of ``person_id`` on ``platform``; a pseudonym stays as it is
        (never hashed twice)."""
        if _PSEUDONYM.match(person_id):
            return person_id
        return self._cached(f"{domain}:{platform}:{person_id}")

    def legacy(self, person_id: str) -> str:
        """The release-0.1 pseudonym (HMAC of the bare id): erasure still finds those."""
        return LEGACY_PREFIX + hmac.new(self._key, person_id.encode(), "sha256").hexdigest()[:32]

    def _compute(self, message: str) -> str:
        digest = hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()
        return self._prefix + digest[:32]

    def scrub(self, event: dict[str, Any], *, keep_text: bool) -> dict[str, Any]:
        """Pseudonymise person and thread ids (strings and numbers) and drop text people
        wrote, in a wire-format event (in place, and returned for convenience). A value
        that cannot be an id (a list, an object) is replaced, so it never travels."""
        platform = event.get("platform")
        platform = platform if isinstance(platform, str) else "unknown"
        for names, domain in ((PERSON_FIELDS, "person"), (THREAD_FIELDS, "thread")):
            for name in names:
                if name not in event:
                    continue
                value = event[name]
                if isinstance(value, bool) or value is None:
                    continue
                if isinstance(value, int | str):
                    event[name] = self.pseudonym(platform, str(value), domain)
                else:
                    event[name] = "<redacted>"
        if "text" in event and not (keep_text or event.get("kind") in OWN_TEXT_KINDS):
            del event["text"]
        return event


def redact(doc: Any, pseudonymiser: Pseudonymiser | None = None, *, depth: int = 0) -> Any:
    """A copy of ``doc`` fit for a dead letter: structural fields and numbers kept,
    person ids pseudonymised (or removed without a key), any other text replaced by its
    length. Operators see why an input failed; nobody sees what a citizen wrote."""
    if isinstance(doc, dict) and depth == 0:
        platform = doc.get("platform")
        platform = platform if isinstance(platform, str) else "unknown"
        out: dict[str, Any] = {}
        for name, value in list(doc.items())[:100]:
            name = str(name)[:SAFE_TEXT_LIMIT]
            if name in PERSON_FIELDS or name in THREAD_FIELDS:
                out[name] = _redact_id(value, platform, name, pseudonymiser)
            elif name in SAFE_FIELDS and isinstance(value, str):
                out[name] = value[:SAFE_TEXT_LIMIT]
            else:
                out[name] = redact(value, pseudonymiser, depth=depth + 1)
        return out
    if isinstance(doc, list) and depth == 0:
        return [
            redact(item, pseudonymiser, depth=0 if isinstance(item, dict) else 1)
            for item in doc[:100]
        ]
    if doc is None or isinstance(doc, bool | int | float):
        return doc
    if isinstance(doc, str):
        return f"<redacted: {len(doc)} characters>"
    return f"<redacted: {type(doc).__name__}>"


def _redact_id(value: Any, platform: str, name: str, pseudonymiser: Pseudonymiser | None) -> Any:
    if is_pseudonym(value) or value is None:
        return value
    if pseudonymiser is not None and isinstance(value, int | str) and not isinstance(value, bool):
        domain = "thread" if name in THREAD_FIELDS else "person"
        return pseudonymiser.pseudonym(platform, str(value), domain)
    return "<redacted>"
