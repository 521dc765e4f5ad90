"""The worker's loopback HTTP endpoint: read-only SQL for analysts (chDB allows one
process per directory, so queries must go through the worker while it runs), stats
for the terminal, and health probes."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import Any

import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from somepulse.store import Store, StoreError

READ_ONLY = re.compile(r"^\s*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXPLAIN|EXISTS)\b", re.IGNORECASE)


class ReadOnlyError(ValueError):
    pass


def check_read_only(sql: str) -> str:
    """Allow one read statement; refuse writes and statement chains."""
    body = sql.strip().rstrip(";").strip()
    if not READ_ONLY.match(body):
        raise ReadOnlyError(
            "only read statements are allowed (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN)"
        )
    if ";" in _strip_strings(body):
        raise ReadOnlyError("one statement per request")
    return body


def _strip_strings(sql: str) -> str:
    return re.sub(r"'(?:[^'\\]|\\.)*'", "''", sql)


def build_http_app(
    store: Store,
    executor: Executor,
    stats: Callable[[], dict[str, Any]],
    ready: Callable[[], bool],
    metrics: Callable[[], bytes] | None = None,
    sql_enabled: bool = True,
) -> web.Application:
    async def sql(request: web.Request) -> web.Response:
        text = await request.text() if request.method == "POST" else request.query.get("q", "")
        try:
            body = check_read_only(text)
        except ReadOnlyError as exc:
            return _json({"error": str(exc)}, status=400)
        loop = asyncio.get_running_loop()
        try:
            rows = await loop.run_in_executor(executor, store.query, body)
        except StoreError as exc:
            return _json({"error": str(exc)}, status=400)
        return _json({"rows": rows})

    async def disabled(request: web.Request) -> web.Response:
        return _json({"error": "query the ClickHouse server directly"}, status=404)

    async def stats_view(request: web.Request) -> web.Response:
        return _json(stats())

    async def healthz(request: web.Request) -> web.Response:
        return _json({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        ok = ready()
        return _json({"ready": ok}, status=200 if ok else 503)

    async def metrics_view(request: web.Request) -> web.Response:
        body = metrics() if metrics is not None else b""
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    handlers: list[tuple[str, str, Callable[[web.Request], Awaitable[web.Response]]]] = [
        ("GET", "/sql", sql if sql_enabled else disabled),
        ("POST", "/sql", sql if sql_enabled else disabled),
        ("GET", "/stats", stats_view),
        ("GET", "/healthz", healthz),
        ("GET", "/metrics", metrics_view),
        ("GET", "/readyz", readyz),
    ]
    for method, path, handler in handlers:
        app.router.add_route(method, path, handler)
    return app


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=orjson.dumps(data, default=str), status=status, content_type="application/json"
    )
