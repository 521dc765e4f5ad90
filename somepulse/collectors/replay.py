"""JSONL replayer: one event (or one JSON array of events) per line.

Every object is scrubbed by the publisher (people's ids pseudonymised, citizens' text
dropped) before it leaves this machine; the worker judges everything else, so an object
that is not a valid event travels like any other and lands in the dead-letter topic
with its reason. What cannot be scrubbed, because it is not a JSON object (a line that
does not parse, a bare number or string), is never published: it is reported here with
its line number, so nothing unscrubbed reaches the broker and nothing goes unnoticed.

Resumable: every few thousand lines the replay waits until the broker has acknowledged
everything sent so far, then records how many lines are done (a small state file beside
the collector's others). A replay killed half-way and started again on the same file
goes on after the last acknowledged line: nothing skipped; what was sent after that
point is sent again, and stored once (same event ids).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from somepulse.collectors.publisher import KafkaPublisher

CHECKPOINT_LINES = 5_000  # acknowledged and recorded this often
PREFIX_BYTES = 1 << 20  # a file is "the same file" while its first MiB is unchanged


@dataclass
class ReplayReport:
    lines: int = 0
    events: int = 0
    skipped: list[str] = field(default_factory=list)  # "line 7: invalid JSON (...)"
    resumed_after: int = 0  # lines a previous run had done

    def summary(self) -> str:
        head = f"replayed {self.lines:,} lines, {self.events:,} objects published"
        if self.resumed_after:
            head += f" (resumed after line {self.resumed_after:,}, done by an earlier run)"
        if not self.skipped:
            return head
        shown = "; ".join(self.skipped[:5]) + ("; …" if len(self.skipped) > 5 else "")
        return f"{head}; {len(self.skipped):,} not sent (not JSON objects): {shown}"


@dataclass(frozen=True)
class Checkpoint:
    """How far a replay of one file got: lines acknowledged by the broker. The file is
    fingerprinted once, when the checkpoint is made for it."""

    path: Path  # the state file
    source: Path
    fingerprint: str

    @staticmethod
    def for_file(state_dir: Path, source: Path) -> Checkpoint:
        name = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:16]
        with source.open("rb") as fh:
            fingerprint = hashlib.sha256(fh.read(PREFIX_BYTES)).hexdigest()
        return Checkpoint(state_dir / f"jsonl-{name}.json", source.resolve(), fingerprint)

    def done(self) -> int:
        """Lines acknowledged by an earlier run of this same file (0: start over)."""
        try:
            state = orjson.loads(self.path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return 0
        if state.get("fingerprint") != self.fingerprint:
            return 0  # another file under the same name
        return int(state.get("lines", 0))

    def record(self, lines: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        state = {"file": str(self.source), "fingerprint": self.fingerprint, "lines": lines}
        tmp.write_bytes(orjson.dumps(state))
        os.replace(tmp, self.path)  # atomic: a kill leaves the old or the new state


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


async def replay_file(
    path: Path, publisher: KafkaPublisher, checkpoint: Checkpoint | None = None
) -> ReplayReport:
    report = ReplayReport()
    start = checkpoint.done() if checkpoint is not None else 0
    report.resumed_after = start
    number = 0
    for number, doc, error in read_jsonl(path):
        if number <= start:
            continue
        if checkpoint is not None and number % CHECKPOINT_LINES == 0:
            await publisher.flush()  # everything before this line is acknowledged
            checkpoint.record(number - 1)
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
    if checkpoint is not None:
        await publisher.flush()
        checkpoint.record(max(number, start))
    return report
