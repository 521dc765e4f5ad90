"""JSONL replayer: one event (or one JSON array of events) per line, published as is.

Lines are not validated here: the worker is the one place that judges input, so a bad
line travels like any other and lands in the dead-letter topic with its reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from somepulse.collectors.publisher import KafkaPublisher


def read_jsonl(path: Path) -> Iterator[tuple[int, bytes, Any]]:
    """(line number, raw bytes, parsed JSON or None when it does not parse)."""
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            raw = line.rstrip(b"\r\n")
            if not raw.strip():
                continue
            try:
                yield number, raw, orjson.loads(raw)
            except orjson.JSONDecodeError:
                yield number, raw, None


async def replay_file(path: Path, publisher: KafkaPublisher) -> int:
    """Publish every line; returns the number of lines sent."""
    lines = 0
    for _, raw, doc in read_jsonl(path):
        lines += 1
        if isinstance(doc, dict) and isinstance(doc.get("page_id"), str):
            await publisher.publish([doc])
        elif isinstance(doc, list) and doc and all(isinstance(d, dict) for d in doc):
            await publisher.publish(doc)
        else:  # unparsable or not an event: forward untouched for the dead-letter topic
            await publisher.publish_raw(None, raw)
    return lines
