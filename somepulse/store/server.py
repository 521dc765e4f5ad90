"""ClickHouse server over HTTP with clickhouse-connect (the deployed stack).

Same SQL as ``ChdbStore``; only the transport differs."""

from __future__ import annotations

from typing import Any

import orjson

from somepulse.store.base import INSERT_SETTINGS, StoreError


class ClickHouseStore:
    def __init__(
        self, url: str, user: str, password: str, database: str, ca_file: str | None = None
    ) -> None:
        import clickhouse_connect
        from clickhouse_connect.driver.exceptions import ClickHouseError

        self.database = database
        self._errors: tuple[type[Exception], ...] = (ClickHouseError,)
        # A chdb:// URL runs the same client against clickhouse-connect's in-process
        # chDB backend (used by the tests: no ClickHouse server can run here).
        auth: dict[str, Any] = (
            {}
            if url.startswith("chdb:")
            else {"username": user, "password": password, "autogenerate_session_id": False}
        )
        try:
            if ca_file:  # https:// to a server signed by a private CA
                auth["ca_cert"] = ca_file
            self._client = clickhouse_connect.get_client(dsn=url, **auth)
        except ClickHouseError as exc:
            raise StoreError(f"cannot reach ClickHouse at {url}: {exc}") from exc

    def command(self, sql: str) -> None:
        try:
            self._client.command(sql)
        except self._errors as exc:
            raise StoreError(str(exc)) from exc

    def query(self, sql: str) -> list[dict[str, Any]]:
        try:
            data = self._client.raw_query(sql, fmt="JSONEachRow")
        except self._errors as exc:
            raise StoreError(str(exc)) from exc
        return [orjson.loads(line) for line in data.splitlines() if line]

    def insert(self, table: str, data: bytes) -> int:
        try:
            self._client.raw_insert(
                f"{self.database}.{table}",
                insert_block=data,
                fmt="JSONEachRow",
                settings=INSERT_SETTINGS,
            )
        except self._errors as exc:
            raise StoreError(str(exc)) from exc
        return len(data)

    def close(self) -> None:
        self._client.close()
