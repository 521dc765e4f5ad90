"""`collect jsonl` records how far the broker acknowledged, and a second run of the same
file goes on from there; another file under the same name starts over."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest

from somepulse.collectors import replay
from somepulse.collectors.replay import Checkpoint, replay_file


class Recorder:
    """Stands in for the publisher: keeps what was published and counts flushes (the
    points at which everything before was acknowledged)."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.flushed_at: list[int] = []
        self.fail_after = fail_after

    async def publish(self, objects: list[dict[str, Any]]) -> None:
        if self.fail_after is not None and len(self.events) >= self.fail_after:
            raise KeyboardInterrupt  # the collector killed mid-publish
        self.events.extend(objects)

    async def flush(self) -> None:
        self.flushed_at.append(len(self.events))


def write(path: Path, n: int) -> None:
    path.write_bytes(b"".join(orjson.dumps({"event_id": f"e{i}"}) + b"\n" for i in range(n)))


def test_a_killed_replay_resumes_after_the_last_acknowledged_line(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(replay, "CHECKPOINT_LINES", 10)
    source = tmp_path / "history.jsonl"
    write(source, 45)
    checkpoint = Checkpoint.for_file(tmp_path / "state", source)
    first = Recorder(fail_after=27)
    with pytest.raises(KeyboardInterrupt):
        asyncio.run(replay_file(source, first, checkpoint))  # type: ignore[arg-type]
    # flushed before lines 10 and 20 (and 30 was never reached): 19 lines acknowledged
    assert first.flushed_at == [9, 19] and checkpoint.done() == 19
    second = Recorder()
    report = asyncio.run(replay_file(source, second, checkpoint))  # type: ignore[arg-type]
    assert [e["event_id"] for e in second.events] == [f"e{i}" for i in range(19, 45)]
    assert (report.resumed_after, report.lines) == (19, 26)
    assert checkpoint.done() == 45
    # together: every line at least once, nothing skipped
    assert {e["event_id"] for e in first.events + second.events} == {f"e{i}" for i in range(45)}
    # done: a third run sends nothing
    assert asyncio.run(replay_file(source, Recorder(), checkpoint)).lines == 0  # type: ignore[arg-type]


def test_another_file_under_the_same_name_starts_over(tmp_path: Path) -> None:
    source = tmp_path / "export.jsonl"
    write(source, 5)
    checkpoint = Checkpoint.for_file(tmp_path / "state", source)
    asyncio.run(replay_file(source, Recorder(), checkpoint))  # type: ignore[arg-type]
    assert checkpoint.done() == 5
    source.write_bytes(orjson.dumps({"event_id": "new"}) + b"\n")
    assert Checkpoint.for_file(tmp_path / "state", source).done() == 0
