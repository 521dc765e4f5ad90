"""Pure processing: one Kafka message in, storage rows and dead letters out. No I/O.

A message holds one event object or a JSON array of one page's events. The fast path
validates the whole message in pydantic's Rust core; only a message with a bad event
takes the slow path, which sorts the good events from the bad one by one, so one bad
event never costs its neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import ValidationError

from somepulse.schemas.events import EVENT_ADAPTER, EVENT_LIST_ADAPTER, KINDS, Event, row_json


@dataclass(frozen=True)
class DeadLetter:
    """An input that could not be stored, with why and where it came from."""

    reason: str
    value: bytes
    topic: str
    partition: int
    offset: int
    index: int | None = None  # position inside a batch message
    key: bytes | None = None  # the source message's key (the page id): same partition


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
        self._rows(out, partition, offset)
        return out

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
        for index, item in items:
            try:
                out.events.append(EVENT_ADAPTER.validate_python(item))
            except ValidationError as exc:
                raw = value if index is None else orjson.dumps(item)
                out.dead.append(
                    DeadLetter(describe(exc), raw, topic, partition, offset, index, key)
                )

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
