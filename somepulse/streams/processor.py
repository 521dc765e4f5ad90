"""Pure processing: one Kafka message in, storage rows and dead letters out. No I/O.

A message holds one event object or a JSON array of one page's events. The fast path
validates the whole message in pydantic's Rust core; only a message with a bad event
takes the slow path, which sorts the good events from the bad one by one, so one bad
event never costs its neighbours.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import ValidationError

from somepulse.privacy.pseudonyms import (
    PERSON_FIELDS,
    THREAD_FIELDS,
    Pseudonymiser,
    is_pseudonym,
    redact,
)
from somepulse.schemas.base import Platform
from somepulse.schemas.events import EVENT_ADAPTER, EVENT_LIST_ADAPTER, KINDS, Event, row_json

# Bounds that keep one message from stopping ingestion (security review D1-D3): a dead
# letter carries at most 64 KiB (a redacted copy: see ``privacy.redact``) plus the
# original's size and SHA-256, a reason of at most 300 characters; one message yields
# at most 100 dead letters, and a message of more than 20,000 items (collectors send
# 250) is refused whole instead of being judged item by item on the event loop.
MAX_DEAD_VALUE = 65_536
MAX_REASON = 300
MAX_DEAD_PER_MESSAGE = 100
MAX_ITEMS_PER_MESSAGE = 20_000
# the fixed set of reason classes (metric labels and /stats keys: never the input's text)
REASON_CLASSES = (
    "empty message",
    "message too large",
    "invalid JSON",
    "unknown kind",
    "missing 'kind' field",
    "schema violation",
    "too many invalid events",
    "too many events",
    "not pseudonymised",
    "unknown account",
    "account mismatch",
    "internal error",
    "rejected by ClickHouse",
    "clock skew",
)
# an event from the future (a wrong clock, or an attempt to move the live watermark)
MAX_AHEAD_SECONDS = 86_400


@dataclass(frozen=True)
class DeadLetter:
    """An input that could not be stored, with why and where it came from. The value is
    a redacted copy, capped (``original_size`` and ``sha256`` identify the original,
    which stays in the source topic at ``partition``/``offset`` for its retention)."""

    reason: str
    value: bytes
    topic: str
    partition: int
    offset: int
    index: int | None = None  # position inside a batch message
    key: bytes | None = None  # the source message's key (the page id): same partition
    original_size: int = 0
    sha256: str = ""

    def __post_init__(self) -> None:
        if len(self.reason) > MAX_REASON:
            object.__setattr__(self, "reason", self.reason[: MAX_REASON - 1] + "…")
        if not self.original_size:
            object.__setattr__(self, "original_size", len(self.value))
            object.__setattr__(self, "sha256", hashlib.sha256(self.value).hexdigest())
        if len(self.value) > MAX_DEAD_VALUE:
            object.__setattr__(self, "value", self.value[:MAX_DEAD_VALUE])

    @property
    def reason_class(self) -> str:
        return reason_class(self.reason)


def reason_class(reason: str) -> str:
    """One of ``REASON_CLASSES`` for any reason text."""
    return next((c for c in REASON_CLASSES if reason.startswith(c)), "other")


@dataclass
class ProcessedMessage:
    events: list[Event] = field(default_factory=list)
    rows: list[bytes] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)


@dataclass(frozen=True)
class MessageProcessor:
    """Turns raw message bytes into JSONEachRow lines for the ``events`` table.

    With a ``pseudonymiser`` (the worker holds the key) a person's raw platform id is
    pseudonymised here; without one, an event carrying one is dead-lettered. Either way
    no raw id is stored, whoever produced the message (security review P1)."""

    topic: str
    keep_text: bool = False
    max_message_bytes: int = 1_048_576
    pseudonymiser: Pseudonymiser | None = None
    # (platform, account id) -> page id, from pages.toml (``domain.pages.account_index``)
    accounts: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def process(
        self, value: bytes | None, partition: int, offset: int, key: bytes | None = None
    ) -> ProcessedMessage:
        out = ProcessedMessage()
        if not value:
            out.dead.append(self.letter("empty message", b"", partition, offset, key))
            return out
        if len(value) > self.max_message_bytes:
            reason = f"message too large: {len(value)} bytes > {self.max_message_bytes}"
            out.dead.append(self.letter(reason, value, partition, offset, key))
            return out
        try:
            parsed = (
                EVENT_LIST_ADAPTER.validate_json(value)
                if value.lstrip()[:1] == b"["
                else [EVENT_ADAPTER.validate_json(value)]
            )
        except ValidationError:
            self._slow_path(value, partition, offset, key, out)
        else:
            out.events.extend(parsed)
        if any(e.account_id is not None for e in out.events):
            self._refuse(out, self._account_problem, partition, offset, key)
        self._drop_future(out, partition, offset, key)
        self._rows(out, partition, offset)
        return out

    def letter(
        self,
        reason: str,
        original: bytes,
        partition: int,
        offset: int,
        key: bytes | None,
        index: int | None = None,
        doc: Any = None,
    ) -> DeadLetter:
        """A dead letter keeping a redacted copy of ``doc`` (nothing when None)."""
        value = b"" if doc is None else orjson.dumps(redact(doc, self.pseudonymiser))
        return DeadLetter(
            reason,
            value,
            self.topic,
            partition,
            offset,
            index,
            key,
            original_size=len(original),
            sha256=hashlib.sha256(original).hexdigest(),
        )

    def _refuse(
        self,
        out: ProcessedMessage,
        problem: Callable[[Event], str | None],
        partition: int,
        offset: int,
        key: bytes | None,
    ) -> None:
        """Keep the valid events ``problem`` finds nothing wrong with; dead-letter the
        others with its reason (a redacted copy of each)."""
        kept = []
        for event in out.events:
            reason = problem(event)
            if reason is None:
                kept.append(event)
                continue
            raw = EVENT_ADAPTER.dump_json(event)
            doc = orjson.loads(raw)
            out.dead.append(self.letter(reason, raw, partition, offset, key, None, doc))
        out.events = kept

    def _account_problem(self, event: Event) -> str | None:
        """An event naming the page's platform account must name one of pages.toml's
        accounts, and the page that account belongs to."""
        account = event.account_id
        if account is None:
            return None
        owner = self.accounts.get((event.platform, account))
        if owner == event.page_id:
            return None
        if owner is None:
            return (
                f"unknown account: {event.platform} account {account[:80]!r} is no "
                "page's in pages.toml"
            )
        return (
            f"account mismatch: {event.platform} account {account[:80]!r} belongs "
            f"to page {owner!r}, not {event.page_id[:80]!r}"
        )

    def _drop_future(
        self, out: ProcessedMessage, partition: int, offset: int, key: bytes | None
    ) -> None:
        """Dead-letter events more than a day ahead of this machine's clock."""
        limit = time.time() + MAX_AHEAD_SECONDS
        if all(e.occurred_at.timestamp() <= limit for e in out.events):
            return  # the common case: one pass, no copies

        def ahead(event: Event) -> str | None:
            if event.occurred_at.timestamp() <= limit:
                return None
            return f"clock skew: occurred_at {event.occurred_at.isoformat()} is over a day ahead"

        self._refuse(out, ahead, partition, offset, key)

    def _slow_path(
        self, value: bytes, partition: int, offset: int, key: bytes | None, out: ProcessedMessage
    ) -> None:
        try:
            doc = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            out.dead.append(self.letter(f"invalid JSON: {exc}", value, partition, offset, key))
            return
        items: list[tuple[int | None, Any]] = (
            list(enumerate(doc)) if isinstance(doc, list) else [(None, doc)]
        )
        if len(items) > MAX_ITEMS_PER_MESSAGE:
            reason = f"too many events: {len(items)} in one message > {MAX_ITEMS_PER_MESSAGE}"
            out.dead.append(self.letter(reason, value, partition, offset, key))
            return
        dead: list[DeadLetter] = []
        bad = 0
        for index, item in items:
            event, reason = self._judge(item)
            if event is not None:
                out.events.append(event)
                continue
            bad += 1
            if bad <= MAX_DEAD_PER_MESSAGE:
                raw = value if index is None else _item_bytes(item, value)
                dead.append(self.letter(reason, raw, partition, offset, key, index, item))
        if bad > MAX_DEAD_PER_MESSAGE:  # one letter for the whole message, not thousands
            reason = f"too many invalid events: {bad} of {len(items)}; first: {dead[0].reason}"
            dead = [self.letter(reason, value, partition, offset, key)]
        out.dead.extend(dead)

    def _judge(self, item: Any) -> tuple[Event | None, str]:
        """The event, or why not. A raw person id is pseudonymised when this worker holds
        the key, and refused when it does not."""
        if not isinstance(item, dict):
            return None, "schema violation: an event must be a JSON object"
        if "page_id" not in item and isinstance(item.get("account_id"), str):
            page = self._page_of(item)
            if page is None:
                return None, (
                    f"unknown account: {str(item.get('platform'))[:40]} account "
                    f"{item['account_id'][:80]!r} is no page's in pages.toml"
                )
            item = item | {"page_id": page}
        try:
            return EVENT_ADAPTER.validate_python(item), ""
        except ValidationError as exc:
            raw_ids = [
                name
                for name in (*PERSON_FIELDS, *THREAD_FIELDS)
                if item.get(name) is not None and not is_pseudonym(item[name])
            ]
            if not raw_ids:
                return None, describe(exc)
            if self.pseudonymiser is None:
                return None, (
                    f"not pseudonymised: {', '.join(raw_ids)} must be a pseudonym "
                    "(p2_…); collectors pseudonymise, and this worker holds no key"
                )
        scrubbed = self.pseudonymiser.scrub(dict(item), keep_text=self.keep_text)
        try:
            return EVENT_ADAPTER.validate_python(scrubbed), ""
        except ValidationError as exc:
            return None, describe(exc)

    def _page_of(self, item: dict[str, Any]) -> str | None:
        try:
            platform = Platform(str(item.get("platform")))
        except ValueError:
            return None
        return self.accounts.get((platform.value, item["account_id"]))

    def _rows(self, out: ProcessedMessage, partition: int, offset: int) -> None:
        keep = self.keep_text
        out.rows = [row_json(e, partition, offset, keep_text=keep) for e in out.events]


def describe(exc: ValidationError) -> str:
    """A one-line reason a person can act on (first three problems)."""
    problems = []
    for err in exc.errors()[:3]:
        if err["type"] == "union_tag_invalid":
            kind = err.get("ctx", {}).get("tag")
            return f"unknown kind {kind!r} (known: {', '.join(KINDS)})"
        if err["type"] == "union_tag_not_found":
            return "missing 'kind' field"
        if err["type"] == "model_attributes_type" or err["type"] == "model_type":
            return "schema violation: an event must be a JSON object"
        loc = ".".join(str(p) for p in err["loc"])
        problems.append(f"{loc}: {err['msg']}" if loc else err["msg"])
    more = exc.error_count() - len(problems)
    suffix = f" (+{more} more)" if more > 0 else ""
    return "schema violation: " + "; ".join(problems) + suffix


def _item_bytes(item: Any, message: bytes) -> bytes:
    """One item of a batch message as bytes, for its letter's size and fingerprint; the
    whole message's when the item nests deeper than orjson writes (255 levels), which
    it still reads (robustness review, finding 1)."""
    try:
        return orjson.dumps(item)
    except TypeError:
        return message
