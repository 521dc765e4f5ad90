"""Batched ClickHouse writer (Snuba's BatchWriter): rows go in as few INSERTs as the
row bound allows.

The agent acks a batch only after ``write`` returned, so no offset is committed for a
row that is not stored. Two kinds of failure are told apart:

* **transient** (network, too many parts, memory): retried with backoff while
  consumption waits (backpressure instead of unbounded memory);
* **content** (ClickHouse refuses the data itself: a parse or type error): retrying
  would fail forever and stall the partition, so the insert is split in halves until
  the refused rows are isolated; they come back as ``rejected`` (to be dead-lettered
  with the reason) and every other row is stored. Re-inserting rows of a half that
  failed is safe: storage is idempotent on ``event_id``.

Inserts run in a thread: chDB and the HTTP client release the GIL, so the next batch
is processed meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field

from somepulse.store import Store, StoreError

log = logging.getLogger(__name__)


@dataclass
class FlushResult:
    rows: int  # stored
    inserts: int
    seconds: float
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (row index, reason)


class ClickHouseWriter:
    def __init__(
        self,
        store: Store,
        table: str,
        executor: Executor,
        max_rows: int,
        max_backoff: float = 30.0,
    ) -> None:
        self._store = store
        self._table = table
        self._executor = executor
        self.max_rows = max_rows
        self._max_backoff = max_backoff
        self.rows_written = 0

    async def write(self, rows: list[bytes]) -> FlushResult:
        started = time.perf_counter()
        result = FlushResult(0, 0, 0.0)
        for start in range(0, len(rows), self.max_rows):
            await self._write_range(rows, start, min(len(rows), start + self.max_rows), result)
        result.rows = len(rows) - len(result.rejected)
        self.rows_written += result.rows
        result.seconds = time.perf_counter() - started
        return result

    async def _write_range(self, rows: list[bytes], lo: int, hi: int, result: FlushResult) -> None:
        try:
            await self._insert(b"\n".join(rows[lo:hi]))
            result.inserts += 1
        except StoreError as exc:  # the content is refused: isolate the rows
            if hi - lo == 1:
                log.error("row %d refused by ClickHouse: %s", lo, exc.reason)
                result.rejected.append((lo, exc.reason))
                return
            mid = (lo + hi) // 2
            await self._write_range(rows, lo, mid, result)
            await self._write_range(rows, mid, hi, result)

    async def _insert(self, data: bytes) -> None:
        """Insert, retrying transient errors; raise only a content error."""
        loop = asyncio.get_running_loop()
        delay = 0.2
        while True:
            try:
                await loop.run_in_executor(self._executor, self._store.insert, self._table, data)
                return
            except StoreError as exc:
                if exc.blames_content:
                    raise
                log.error("insert into %s failed, retrying in %.1f s: %s", self._table, delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_backoff)
