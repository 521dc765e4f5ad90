"""JSONL replayer: one event (or one JSON array of events) per line.

Every object is scrubbed by the publisher (people's ids pseudonymised, citizens' text
dropped) before it leaves this machine; the worker judges everything else, so an object
that is not a valid event travels like any other and lands in the dead-letter topic
with its reason. What cannot be scrubbed, because it is not a JSON object (a line that
does not parse, a bare number or string), is never published: it is reported here with
its line number, so nothing unscrubbed reaches the broker and nothing goes unnoticed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from somepulse.collectors.publisher import KafkaPublisher


@dataclass
class ReplayReport:
    lines: int = 0
    events: int = 0
    skipped: list[str] = field(default_factory=list)  # "line 7: invalid JSON (...)"

    def summary(self) -> str:
        head = f"replayed {self.lines:,} lines, {self.events:,} objects published"
        if not self.skipped:
            return head
        shown = "; ".join(self.skipped[:5]) + ("; …" if len(self.skipped) > 5 else "")
        return f"{head}; {len(self.skipped):,} not sent (not JSON objects): {shown}"


def read_jsonl(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """(line number, parsed JSON or None, why it does not parse or None)."""
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            raw = line.rstrip(b"\r\n")
            if not raw.strip():
                continue
            try:
                yield number, orjson.loads(raw), None
            except orjson.JSONDecodeError as exc:
                yield number, None, f"invalid JSON ({exc})"


async def replay_file(path: Path, publisher: KafkaPublisher) -> ReplayReport:
    report = ReplayReport()
    for number, doc, error in read_jsonl(path):
        report.lines += 1
        items = doc if isinstance(doc, list) else [doc]
        objects = [item for item in items if isinstance(item, dict)]
        if error is not None:
            report.skipped.append(f"line {number}: {error}")
        elif len(objects) < len(items) or not items:
            report.skipped.append(
                f"line {number}: {len(items) - len(objects)} of {len(items)} items "
                "are not JSON objects"
            )
        if objects:
            await publisher.publish(objects)
            report.events += len(objects)
    return report
