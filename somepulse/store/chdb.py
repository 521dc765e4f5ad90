"""Embedded ClickHouse: chDB in-process, data in a directory.

chDB locks its directory (one process per directory) and one connection runs one
statement at a time, so every call goes through one lock. Calls release the GIL while
the engine works: async callers run them in a thread executor, never on the loop.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from somepulse.store.base import INSERT_SETTINGS, StoreError

INSERT_SETTINGS_SQL = ", ".join(f"{k} = '{v}'" for k, v in INSERT_SETTINGS.items())


EMBEDDED_MISSING = (
    "the embedded store needs chDB, which this installation does not have: "
    "pip install 'somepulse[embedded]', or set SOMEPULSE_CLICKHOUSE_URL to a ClickHouse server"
)


# chDB's engine allocates with its own jemalloc, which by default keeps freed pages for
# 10 s: after each insert the worker then held ~160 MB it no longer used (measured on
# the bench's 600 000 events: anonymous memory 713 -> 550 MB with these). Read by
# jemalloc when the engine loads, so it is set before the first import; a value
# already in the environment wins.
CHDB_MALLOC_CONF = "dirty_decay_ms:0,muzzy_decay_ms:0"


MADV_PAGEOUT = 21  # Linux 5.4+: reclaim these pages now (<linux/mman.h>)


def release_engine_pages() -> int:
    """Hand back the pages of chDB's library that only the engine's start read; the
    bytes of mappings advised (0 where the kernel or platform cannot).

    The library is ~550 MB of code and read-only data. Opening the engine (it registers
    every function, format and table engine) reads ~210 MB of it, and the process keeps
    them resident although inserts and queries run a fraction: measured on
    ``somepulse bench``, ~50 MB come back after reclaiming. Those pages are clean copies
    of the file, so reclaiming them loses nothing; a page needed again is read back
    from the file. The worker calls this after each rebuild of its state (a partition
    assignment), when the engine has done its start.
    """
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        with open("/proc/self/maps") as fh:
            maps = fh.read().splitlines()
    except (OSError, AttributeError):
        return 0
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    advised = 0
    for line in maps:
        fields = line.split()
        # read-only or executable mappings of the library file (never its writable data)
        if len(fields) < 6 or "_chdb" not in fields[5] or "w" in fields[1]:
            continue
        lo, hi = (int(x, 16) for x in fields[0].split("-"))
        if libc.madvise(lo, hi - lo, MADV_PAGEOUT) == 0:
            advised += hi - lo
    return advised


def resident_file_bytes() -> int:
    """Pages of mapped files resident in this process now (``RssFile``; 0 where
    ``/proc`` is not there). In the worker nearly all of it is chDB's library."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("RssFile:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@dataclass
class EnginePageWatch:
    """Hands back the library's pages again when they have grown by ``growth`` since
    the last hand-back.

    The first inserts, merges and queries after a start run code that is needed once
    (each format's, function's and table engine's set-up): measured on ``somepulse
    bench``, the library's resident pages went from 87 MB after the start's hand-back to
    145 MB within 5 s of the first inserts, and stayed there, although the engine's
    steady work uses 50 - 80 MB of them (what comes back after another hand-back). A
    hand-back takes 70 - 170 ms of one thread (the kernel walks ~550 MB of mappings),
    so it is done on growth, not on a clock; pages the engine still uses come back
    from the file at their next use."""

    growth: int = 32 * 2**20
    after_last: int = 0  # resident file pages after the last hand-back
    handbacks: int = 0

    def release(self) -> None:
        release_engine_pages()
        self.after_last = resident_file_bytes()
        self.handbacks += 1

    def check(self) -> bool:
        """Hand back if the pages grew by ``growth``; True if it did."""
        if resident_file_bytes() - self.after_last < self.growth:
            return False
        self.release()
        return True


def require_chdb() -> None:
    """chDB is an extra (``somepulse[embedded]``): a deployed worker talks to a server
    and its image does not carry the 500 MB engine."""
    os.environ.setdefault("JE_MALLOC_CONF", CHDB_MALLOC_CONF)
    try:
        import chdb  # noqa: F401  (imported late: loading the engine takes ~1 s)
    except ImportError as exc:
        raise StoreError(EMBEDDED_MISSING) from exc


class ChdbStore:
    def __init__(self, path: Path, database: str) -> None:
        require_chdb()
        from chdb.session import Session

        path.mkdir(parents=True, exist_ok=True)
        self.database = database
        self.path = path
        self._lock = threading.Lock()
        try:
            self._session = Session(str(path))
        except Exception as exc:  # chDB raises plain RuntimeError/Exception
            raise StoreError(
                f"cannot open chDB directory {path}: {exc}. Is a worker running on it? "
                "Then use `somepulse sql`, which goes through the worker."
            ) from exc

    def command(self, sql: str) -> None:
        with self._lock:
            try:
                self._session.query(sql)
            except Exception as exc:
                raise StoreError(str(exc)) from exc

    def query(self, sql: str) -> list[dict[str, Any]]:
        with self._lock:
            try:
                result = self._session.query(sql, "JSONEachRow")
            except Exception as exc:
                raise StoreError(str(exc)) from exc
        data = result.bytes()
        return [orjson.loads(line) for line in data.splitlines() if line]

    def insert(self, table: str, data: bytes, fmt: str = "JSONEachRow") -> int:
        with self._lock:
            try:
                with self._session.send_insert(
                    f"INSERT INTO {self.database}.{table} SETTINGS {INSERT_SETTINGS_SQL}",
                    fmt,
                ) as inserter:
                    inserter.append(data)
                    inserter.finish()
            except Exception as exc:
                raise StoreError(str(exc)) from exc
        return len(data)

    def export(self, sql: str, fmt: str) -> bytes:
        """A query's result as ClickHouse writes it in ``fmt`` (e.g. Native)."""
        with self._lock:
            try:
                return bytes(self._session.query(sql, fmt).bytes())
            except Exception as exc:
                raise StoreError(str(exc)) from exc

    def close(self) -> None:
        with self._lock:
            self._session.close()


class ReadOnlyChdbStore:
    """Analysts' connection to the embedded store: its own chDB connection to the same
    directory, opened with ``readonly=1`` and the limits in the connection itself, so
    no query can write, change a setting or lift a limit (ClickHouse refuses
    "Cannot modify 'readonly' setting in readonly mode"). It has its own lock: a slow
    analyst query never waits for, or holds up, the writer's inserts."""

    def __init__(self, path: Path, database: str, limits: dict[str, int | str]) -> None:
        require_chdb()
        import chdb

        self.database = database
        params = "&".join(f"{k}={v}" for k, v in {"readonly": 1, **limits}.items())
        self._dsn = f"{path}?{params}"
        self._lock = threading.Lock()
        try:
            self._conn = chdb.connect(self._dsn)
        except Exception as exc:
            raise StoreError(f"cannot open chDB directory {path} read-only: {exc}") from exc

    def query(self, sql: str) -> list[dict[str, Any]]:
        import chdb

        with self._lock:
            try:
                result = self._conn.query(sql, "JSONEachRow")
            except Exception as exc:
                # a query stopped by a limit can leave rows in the connection that the
                # next query would return (seen with chDB 26.x): start a fresh one
                self._conn.close()
                self._conn = chdb.connect(self._dsn)
                raise StoreError(str(exc)) from exc
        data = result.bytes()
        return [orjson.loads(line) for line in data.splitlines() if line]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
