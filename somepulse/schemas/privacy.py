"""Pseudonymisation of people's ids, applied by collectors before anything is published.

A keyed HMAC (not a plain hash): without the key nobody can test a guessed id
against the stored value, and rotating the key unlinks all history at once.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Any

PSEUDONYM_PREFIX = "p1_"
# Fields that hold a person's id, per event kind, and fields of citizens' own words.
PERSON_FIELDS = ("actor_id", "author_id")
CITIZEN_TEXT_KINDS = frozenset({"interaction", "private_message"})


class Pseudonymiser:
    """Maps a platform's person id to a stable pseudonym under one secret key."""

    def __init__(self, key: bytes) -> None:
        if not key:
            raise ValueError("the pseudonymisation key must not be empty")
        self._key = key
        self.pseudonym = lru_cache(maxsize=200_000)(self._pseudonym)

    def _pseudonym(self, person_id: str) -> str:
        if person_id.startswith(PSEUDONYM_PREFIX):
            return person_id  # already pseudonymised upstream; never hash twice
        digest = hmac.new(self._key, person_id.encode(), hashlib.sha256).hexdigest()
        return PSEUDONYM_PREFIX + digest[:32]

    def scrub(self, event: dict[str, Any], *, keep_text: bool) -> dict[str, Any]:
        """Pseudonymise person ids and drop citizens' text in a wire-format event (in
        place, and returned for convenience)."""
        for name in PERSON_FIELDS:
            value = event.get(name)
            if isinstance(value, str):
                event[name] = self.pseudonym(value)
        if not keep_text and event.get("kind") in CITIZEN_TEXT_KINDS:
            event.pop("text", None)
        return event
