"""The small store interface both ClickHouse implementations share (identical SQL)."""

from __future__ import annotations

from typing import Any, Protocol

# Rows carry ISO 8601 timestamps with offsets (pydantic's JSON); parse them exactly.
INSERT_SETTINGS = {"date_time_input_format": "best_effort"}


class StoreError(RuntimeError):
    """A statement failed in ClickHouse; the message is ClickHouse's own."""


class Store(Protocol):
    """What the pipeline needs from ClickHouse, nothing more."""

    database: str

    def command(self, sql: str) -> None:
        """Run a statement that returns nothing (DDL, ALTER, OPTIMIZE)."""

    def query(self, sql: str) -> list[dict[str, Any]]:
        """Run a SELECT and return its rows as dicts (keep results small)."""

    def insert(self, table: str, data: bytes) -> int:
        """Insert JSONEachRow bytes into ``table``; return the number of bytes sent."""

    def close(self) -> None: ...
