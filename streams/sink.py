"""Batched ClickHouse sink: ``add`` buffers, ``flush`` inserts in one statement.

The agent flushes before it acks, so no offset is committed for a row that is not
stored. A failed insert is retried with backoff and consumption waits meanwhile
(backpressure instead of unbounded memory); nothing is acknowledged until it lands.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import Executor
from dataclasses import dataclass

from streams.store import Store, StoreError

log = logging.getLogger(__name__)


@dataclass
class FlushResult:
    rows: int
    seconds: float


class ClickHouseSink:
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
        self._rows: list[bytes] = []
        self.rows_written = 0

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def full(self) -> bool:
        return len(self._rows) >= self.max_rows

    def add(self, rows: list[bytes]) -> None:
        self._rows.extend(rows)

    async def flush(self) -> FlushResult:
        if not self._rows:
            return FlushResult(0, 0.0)
        data = b"\n".join(self._rows)
        loop = asyncio.get_running_loop()
        delay = 0.2
        while True:
            started = time.perf_counter()
            try:
                await loop.run_in_executor(self._executor, self._store.insert, self._table, data)
                break
            except StoreError as exc:
                log.error("insert of %d rows into %s failed, retrying in %.1f s: %s",
                          len(self._rows), self._table, delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_backoff)
        result = FlushResult(len(self._rows), time.perf_counter() - started)
        self.rows_written += result.rows
        self._rows = []
        return result
