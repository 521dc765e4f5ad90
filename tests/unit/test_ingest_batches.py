"""The ingest agent cuts what it takes into batches by bytes, not only by messages."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from somepulse.streams.agents import by_bytes


def messages(*sizes: int) -> list[Any]:
    return [SimpleNamespace(value=b"x" * n, name=i) for i, n in enumerate(sizes)]


def names(runs: Any) -> list[list[int]]:
    return [[cast(Any, m).name for m in run] for run in runs]


def test_runs_hold_at_most_the_limit_in_order() -> None:
    taken = messages(40, 30, 30, 50, 10, 60)
    assert names(by_bytes(taken, 100)) == [[0, 1, 2], [3, 4], [5]]


def test_a_message_larger_than_the_limit_is_a_run_of_its_own() -> None:
    taken = messages(10, 500, 10, 10)
    assert names(by_bytes(taken, 100)) == [[0], [1], [2, 3]]


def test_every_message_alone_with_a_tiny_limit_and_none_lost() -> None:
    taken = [*messages(5, 5, 5), SimpleNamespace(value=None, name=3)]  # None: empty
    runs = list(by_bytes(taken, 1))
    assert names(runs) == [[0], [1], [2], [3]]
    assert [m for run in runs for m in run] == taken


def test_nothing_taken_gives_no_run() -> None:
    assert list(by_bytes([], 100)) == []
