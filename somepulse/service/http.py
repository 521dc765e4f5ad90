"""The worker's HTTP endpoint: read-only SQL for analysts (chDB allows one process per
directory, so queries go through the worker while it runs), the typed status, health
probes and Prometheus metrics.

``/sql`` is the only door to data, so it is narrow: POST with a JSON body only (a
browser cannot send that cross-site without a preflight), the per-start bearer token
from the 0600 worker file, a loopback Host (no DNS rebinding) and no foreign Origin.
The query is checked by the parser and runs on the read-only connection, in its own
thread pool, so a slow analyst query never holds up ingestion. ``/metrics``,
``/healthz``, ``/readyz`` and ``/stats`` carry no data of citizens and need no token.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import Any
from urllib.parse import urlsplit

import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from somepulse.store import ReadOnlyStore, StoreError
from somepulse.store.readonly import ReadOnlyError, check_read_only

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback(host: str) -> bool:
    return host.strip("[]") in LOOPBACK_HOSTS


def _host_only(value: str) -> str:
    return urlsplit(f"//{value}").hostname or ""


def build_http_app(
    store: ReadOnlyStore | None,
    executor: Executor,
    stats: Callable[[], dict[str, Any]],
    not_ready: Callable[[], list[str]],
    metrics: Callable[[], bytes] | None = None,
    token: str = "",
) -> web.Application:
    """``store`` None: no SQL route (analysts reach a ClickHouse server directly)."""

    async def sql(request: web.Request) -> web.Response:
        refusal = _refuse(request, token)
        if refusal is not None:
            return refusal
        try:
            doc = orjson.loads(await request.read())
            text = doc["sql"] if isinstance(doc, dict) else None
        except (orjson.JSONDecodeError, KeyError):
            text = None
        if not isinstance(text, str):
            return _json({"error": 'send {"sql": "..."} as JSON'}, status=400)
        try:
            body = check_read_only(text)
        except ReadOnlyError as exc:
            return _json({"error": str(exc)}, status=400)
        assert store is not None
        loop = asyncio.get_running_loop()
        try:
            rows = await loop.run_in_executor(executor, store.query, body)
        except StoreError as exc:
            return _json({"error": exc.reason}, status=400)
        return _json({"rows": rows})

    async def disabled(request: web.Request) -> web.Response:
        return _json({"error": "query the ClickHouse server directly"}, status=404)

    async def stats_view(request: web.Request) -> web.Response:
        return _json(stats())

    async def healthz(request: web.Request) -> web.Response:
        return _json({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        problems = not_ready()
        return _json({"ready": not problems, "problems": problems}, status=503 if problems else 200)

    async def metrics_view(request: web.Request) -> web.Response:
        body = metrics() if metrics is not None else b""
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application(client_max_size=1_000_000)
    handlers: list[tuple[str, str, Callable[[web.Request], Awaitable[web.Response]]]] = [
        ("POST", "/sql", sql if store is not None else disabled),
        ("GET", "/stats", stats_view),
        ("GET", "/healthz", healthz),
        ("GET", "/metrics", metrics_view),
        ("GET", "/readyz", readyz),
    ]
    for method, path, handler in handlers:
        app.router.add_route(method, path, handler)
    return app


def _refuse(request: web.Request, token: str) -> web.Response | None:
    """The one-line reason a ``/sql`` request is refused, or None."""
    if not is_loopback(_host_only(request.headers.get("Host", ""))):
        return _json({"error": "Host must be a loopback address"}, status=403)
    origin = request.headers.get("Origin")
    if origin is not None and not is_loopback(urlsplit(origin).hostname or ""):
        return _json({"error": f"requests from {origin} are not allowed"}, status=403)
    if request.content_type != "application/json":
        return _json({"error": "Content-Type must be application/json"}, status=415)
    sent = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return _json(
            {"error": "missing or wrong token (Authorization: Bearer, see the worker file)"},
            status=401,
        )
    return None


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=orjson.dumps(data, default=str), status=status, content_type="application/json"
    )
