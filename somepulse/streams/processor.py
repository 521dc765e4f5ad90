"""Pure processing: one Kafka message in, storage rows and dead letters out. No I/O.

A message holds one event object or a JSON array of one page's events. The fast path
validates the whole message in pydantic's Rust core; only a message with a bad event
takes the slow path, which sorts the good events from the bad one by one, so one bad
event never costs its neighbours.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import ValidationError

from somepulse.schemas.events import EVENT_ADAPTER, EVENT_LIST_ADAPTER, KINDS, Event, row_json

# Bounds that keep one message from stopping ingestion (security review D1-D3): a dead
# letter carries at most 64 KiB of the original (plus its size and SHA-256), a reason
# of at most 300 characters, and one message yields at most 100 dead letters.
MAX_DEAD_VALUE = 65_536
MAX_REASON = 300
MAX_DEAD_PER_MESSAGE = 100
# the fixed set of reason classes (metric labels and /stats keys: never the input's text)
REASON_CLASSES = (
    "empty message",
    "message too large",
    "invalid JSON",
    "unknown kind",
    "missing 'kind' field",
    "schema violation",
    "too many invalid events",
    "rejected by ClickHouse",
    "clock skew",
)
# an event from the future (a wrong clock, or an attempt to move the live watermark)
MAX_AHEAD_SECONDS = 86_400


@dataclass(frozen=True)
class DeadLetter:
    """An input that could not be stored, with why and where it came from. The value is
    capped (``original_size`` and ``sha256`` identify the whole original)."""

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
    """Turns raw message bytes into JSONEachRow lines for the ``events`` table."""

    topic: str
    keep_text: bool = False
    max_message_bytes: int = 1_048_576

    def process(
        self, value: bytes | None, partition: int, offset: int, key: bytes | None = None
    ) -> ProcessedMessage:
        out = ProcessedMessage()
        if not value:
            out.dead.append(
                DeadLetter("empty message", b"", self.topic, partition, offset, None, key)
            )
            return out
        if len(value) > self.max_message_bytes:
            reason = f"message too large: {len(value)} bytes > {self.max_message_bytes}"
            out.dead.append(DeadLetter(reason, value, self.topic, partition, offset, None, key))
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
        self._drop_future(out, partition, offset, key)
        self._rows(out, partition, offset)
        return out

    def _drop_future(
        self, out: ProcessedMessage, partition: int, offset: int, key: bytes | None
    ) -> None:
        """Dead-letter events more than a day ahead of this machine's clock."""
        limit = time.time() + MAX_AHEAD_SECONDS
        if all(e.occurred_at.timestamp() <= limit for e in out.events):
            return  # the common case: one pass, no copies
        kept = []
        for event in out.events:
            if event.occurred_at.timestamp() <= limit:
                kept.append(event)
                continue
            reason = f"clock skew: occurred_at {event.occurred_at.isoformat()} is over a day ahead"
            raw = EVENT_ADAPTER.dump_json(event)
            out.dead.append(DeadLetter(reason, raw, self.topic, partition, offset, None, key))
        out.events = kept

    def _slow_path(
        self, value: bytes, partition: int, offset: int, key: bytes | None, out: ProcessedMessage
    ) -> None:
        topic = self.topic
        try:
            doc = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            out.dead.append(
                DeadLetter(f"invalid JSON: {exc}", value, topic, partition, offset, None, key)
            )
            return
        if isinstance(doc, list):
            items: list[tuple[int | None, Any]] = list(enumerate(doc))
        else:
            items = [(None, doc)]
        dead: list[DeadLetter] = []
        bad = 0
        for index, item in items:
            try:
                out.events.append(EVENT_ADAPTER.validate_python(item))
            except ValidationError as exc:
                bad += 1
                if bad <= MAX_DEAD_PER_MESSAGE:
                    raw = value if index is None else orjson.dumps(item)
                    dead.append(
                        DeadLetter(describe(exc), raw, topic, partition, offset, index, key)
                    )
        if bad > MAX_DEAD_PER_MESSAGE:  # one letter for the whole message, not thousands
            reason = f"too many invalid events: {bad} of {len(items)}; first: {dead[0].reason}"
            dead = [DeadLetter(reason, value, topic, partition, offset, None, key)]
        out.dead.extend(dead)

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
