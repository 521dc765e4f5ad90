"""Analysts' SQL: through the running worker when there is one (chDB lets one process
own the directory), else straight to the store."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from somepulse.service.worker import read_worker_file
from somepulse.settings import Settings
from somepulse.store import StoreError, open_store, require_schema


class QueryError(RuntimeError):
    pass


def worker_url(settings: Settings) -> str | None:
    info = read_worker_file(settings.worker_file)
    return f"http://127.0.0.1:{info['port']}" if info else None


def http_json(url: str, body: bytes | None = None, timeout: float = 60.0) -> Any:
    request = urllib.request.Request(url, data=body, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        body = exc.read()
        try:
            detail = json.loads(body).get("error", str(exc))
        except ValueError:
            detail = f"{exc}: {body[:500].decode(errors='replace')}"
        raise QueryError(detail) from exc


def run_sql(settings: Settings, sql: str) -> list[dict[str, Any]]:
    url = worker_url(settings) if settings.embedded_store else None
    if url is not None:
        rows: list[dict[str, Any]] = http_json(f"{url}/sql", sql.encode())["rows"]
        return rows
    from somepulse.service.http import ReadOnlyError, check_read_only

    try:
        body = check_read_only(sql)
    except ReadOnlyError as exc:
        raise QueryError(str(exc)) from exc
    store = open_store(settings)  # read path: no DDL, no INSERT
    try:
        require_schema(store)
        return store.query(body)
    except StoreError as exc:
        raise QueryError(str(exc)) from exc
    finally:
        store.close()
