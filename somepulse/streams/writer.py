"""Batched ClickHouse sink: rows go in as few INSERTs as the row bound allows.

The agent acks a batch only after ``write`` returned, so no offset is committed for a
row that is not stored. A failed insert is retried with backoff and consumption waits
meanwhile (backpressure instead of unbounded memory). Inserts run in a thread: chDB
and the HTTP client release the GIL, so the next batch is processed meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import Executor
from dataclasses import dataclass

from somepulse.store import Store, StoreError

log = logging.getLogger(__name__)


@dataclass
class FlushResult:
    rows: int
    inserts: int
    seconds: float


class ClickHouseSink:
    def __init__(
        self, store: Store, table: str, executor: Executor, max_rows: int, max_backoff: float = 30.0
    ) -> None:
        self._store = store
        self._table = table
        self._executor = executor
        self.max_rows = max_rows
        self._max_backoff = max_backoff
        self.rows_written = 0

    async def write(self, rows: list[bytes]) -> FlushResult:
        started = time.perf_counter()
        inserts = 0
        for start in range(0, len(rows), self.max_rows):
            await self._insert(b"\n".join(rows[start : start + self.max_rows]))
            inserts += 1
        self.rows_written += len(rows)
        return FlushResult(len(rows), inserts, time.perf_counter() - started)

    async def _insert(self, data: bytes) -> None:
        loop = asyncio.get_running_loop()
        delay = 0.2
        while True:
            try:
                await loop.run_in_executor(self._executor, self._store.insert, self._table, data)
                return
            except StoreError as exc:
                log.error("insert into %s failed, retrying in %.1f s: %s", self._table, delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_backoff)
