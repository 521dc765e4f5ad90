"""Analysts' SQL: checked by the parser (``store.readonly``), then run read-only —
through the running worker when there is one (chDB lets one process own the
directory; the worker's ``/sql`` wants its per-start token), else on a read-only
connection of our own."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from somepulse.service.worker import read_worker_file
from somepulse.settings import Settings
from somepulse.store import StoreError, open_read_only, require_schema
from somepulse.store.readonly import ReadOnlyError, check_read_only


class QueryError(RuntimeError):
    pass


def http_json(
    url: str,
    body: bytes | None = None,
    timeout: float = 60.0,
    headers: dict[str, str] | None = None,
) -> Any:
    request = urllib.request.Request(
        url, data=body, method="POST" if body else "GET", headers=headers or {}
    )
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


def worker_sql(url: str, token: str, sql: str, timeout: float = 120.0) -> list[dict[str, Any]]:
    """Rows of one read query from the worker's ``/sql`` (POST, JSON, bearer token)."""
    rows: list[dict[str, Any]] = http_json(
        f"{url}/sql",
        json.dumps({"sql": sql}).encode(),
        timeout,
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )["rows"]
    return rows


def run_sql(settings: Settings, sql: str) -> list[dict[str, Any]]:
    try:
        body = check_read_only(sql)
    except ReadOnlyError as exc:
        raise QueryError(str(exc)) from exc
    info = read_worker_file(settings.worker_file) if settings.embedded_store else None
    if info is not None:
        return worker_sql(f"http://127.0.0.1:{info['port']}", str(info.get("token", "")), body)
    store = open_read_only(settings)
    try:
        require_schema(store)
        return store.query(body)
    except StoreError as exc:
        raise QueryError(str(exc)) from exc
    finally:
        store.close()
