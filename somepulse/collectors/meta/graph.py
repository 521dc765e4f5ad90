"""A small Graph API client for the pollers: cursor paging, rate-limit headers, and
Meta's error codes sorted into what to do about them.

* **Usage headers** (``X-App-Usage``, ``X-Business-Use-Case-Usage``, ``X-Page-Usage``:
  percentages of the budget used): above ``slow_at`` (75 %) the client waits before the
  next call, longer the closer it gets, so it slows down before Meta throttles.
* **Transient errors** (codes 1, 2, 4, 17, 32, 341, 368 and the 800xx Business Use Case
  throttles, or HTTP 5xx): retried with exponential backoff and jitter.
* **Token expired** (190) and **missing permission** (10, 200–299): ``SourceBroken``,
  with a message a person can act on; the poller reports it as a source-health problem.
* **Unknown metric** (100 on an insights call): ``ConfigError`` naming the metric.

The access token travels as a parameter Meta expects and is never logged: errors quote
Meta's message and code, not the URL.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout

log = logging.getLogger(__name__)
TRANSIENT = {1, 2, 4, 17, 32, 341, 368}
USAGE_HEADERS = ("X-App-Usage", "X-Business-Use-Case-Usage", "X-Page-Usage")


class GraphError(RuntimeError):
    def __init__(self, message: str, code: int | None = None, subcode: int | None = None):
        super().__init__(message)
        self.code, self.subcode = code, subcode


class SourceBroken(GraphError):
    """The token expired or lacks a permission: a person must act (source health)."""


class ConfigError(GraphError, ValueError):
    """What we asked for does not exist (an unknown metric): fix the configuration."""


def usage_percent(headers: Mapping[str, str]) -> float:
    """The highest budget use any usage header reports (0-100+)."""
    highest = 0.0
    for name in USAGE_HEADERS:
        raw = headers.get(name)
        if not raw:
            continue
        try:
            doc = json.loads(raw)
        except ValueError:
            continue
        # X-App-Usage: {"call_count": 12, …}; BUC: {"<id>": [{"call_count": 12, …}]}
        items: list[dict[str, Any]] = []
        if isinstance(doc, dict) and "call_count" in doc:
            items.append(doc)
        elif isinstance(doc, dict):
            for value in doc.values():
                if isinstance(value, list):
                    items.extend(v for v in value if isinstance(v, dict))
        for item in items:
            for key in ("call_count", "total_cputime", "total_time"):
                if isinstance(item.get(key), int | float):
                    highest = max(highest, float(item[key]))
    return highest


@dataclass
class GraphClient:
    base_url: str  # e.g. https://graph.facebook.com/v25.0 (a loopback fake in tests)
    token: str
    retries: int = 5
    slow_at: float = 75.0
    sleep: Callable[[float], Any] = asyncio.sleep
    calls: int = 0
    waited: float = 0.0
    last_usage: float = 0.0
    _session: ClientSession | None = field(default=None, repr=False)

    async def __aenter__(self) -> GraphClient:
        self._session = ClientSession(timeout=ClientTimeout(total=60))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    @property
    def api_version(self) -> str | None:
        last = self.base_url.rstrip("/").rsplit("/", 1)[-1]
        return last if last.startswith("v") and last[1:2].isdigit() else None

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        url = path if path.startswith("http") else f"{self.base_url.rstrip('/')}/{path}"
        query = {k: str(v) for k, v in (params or {}).items()}
        if "access_token=" not in url:
            query["access_token"] = self.token
        doc = await self._request(url, query)
        return doc if isinstance(doc, dict) else {}

    async def batch(self, relative_urls: list[str]) -> list[dict[str, Any] | GraphError]:
        """Up to 50 GETs in one call (Meta's batch limit; each still counts against the
        rate limits, but the round trips and the connection churn go). One answer per
        request, in order: its JSON body, or the error it got."""
        if len(relative_urls) > 50:
            raise ValueError("Meta batches at most 50 requests")
        form = {
            "access_token": self.token,
            "include_headers": "false",
            "batch": json.dumps([{"method": "GET", "relative_url": u} for u in relative_urls]),
        }
        answers = await self._request(self.base_url.rstrip("/") + "/", {}, form)
        out: list[dict[str, Any] | GraphError] = []
        for answer in answers if isinstance(answers, list) else []:
            if not isinstance(answer, dict):  # null: Meta timed this one out
                out.append(GraphError("no answer within the batch (timed out)"))
                continue
            try:
                body = json.loads(answer.get("body") or "{}")
            except ValueError:
                body = {}
            code = int(answer.get("code") or 0)
            ok = code < 400 and isinstance(body, dict) and "error" not in body
            out.append(body if ok else classify_error(body if isinstance(body, dict) else {}, code))
        while len(out) < len(relative_urls):
            out.append(GraphError("no answer within the batch"))
        return out

    async def _request(
        self, url: str, query: dict[str, str], form: dict[str, str] | None = None
    ) -> Any:
        for attempt in range(self.retries + 1):
            await self._pace()
            try:
                doc, status, headers = await self._call(url, query, form)
            except (ClientError, TimeoutError) as exc:
                error: GraphError = GraphError(f"Graph API unreachable: {type(exc).__name__}")
            else:
                self.last_usage = usage_percent(headers)
                failed = status >= 400 or (isinstance(doc, dict) and "error" in doc)
                if not failed:
                    return doc
                error = classify_error(doc if isinstance(doc, dict) else {}, status)
                if not _transient(error, status):
                    raise error
            if attempt == self.retries:
                raise error
            delay = min(60.0, 2**attempt) * (0.5 + random.random() / 2)  # with jitter
            log.warning("Graph API: %s; retrying in %.1f s", error, delay)
            self.waited += delay
            await self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def pages(
        self, path: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every item of a list, following ``paging.next`` (cursors are not kept)."""
        doc = await self.get(path, params)
        while True:
            for item in doc.get("data") or ():
                yield item
            nxt = (doc.get("paging") or {}).get("next")
            if not nxt or not doc.get("data"):
                return
            doc = await self.get(nxt)

    async def _pace(self) -> None:
        if self.last_usage >= self.slow_at:
            # the nearer the budget's end, the longer the pause: 1 s at 75 %, 30 s at 100 %
            pause = min(60.0, 1 + 29 * (self.last_usage - self.slow_at) / (100 - self.slow_at))
            self.waited += pause
            await self.sleep(pause)

    async def _call(
        self, url: str, query: dict[str, str], form: dict[str, str] | None = None
    ) -> tuple[Any, int, Mapping[str, str]]:
        assert self._session is not None, "use GraphClient as an async context manager"
        self.calls += 1
        method = self._session.post if form is not None else self._session.get
        async with method(url, params=query, data=form) as response:
            try:
                doc = await response.json(content_type=None)
            except ValueError:
                doc = {}
            return doc, response.status, response.headers


def classify_error(doc: Mapping[str, Any], status: int) -> GraphError:
    body = doc.get("error") if isinstance(doc.get("error"), dict) else {}
    assert isinstance(body, dict)
    code, subcode = body.get("code"), body.get("error_subcode")
    message = str(body.get("message") or f"HTTP {status}")[:300]
    text = f"{message} (code {code}" + (f", subcode {subcode})" if subcode else ")")
    if code == 190:
        return SourceBroken(f"the access token expired or was revoked: {text}", code, subcode)
    if code == 10 or (isinstance(code, int) and 200 <= code <= 299):
        return SourceBroken(f"a permission is missing: {text}", code, subcode)
    if code == 100:
        return ConfigError(f"Meta does not know what was asked for: {text}", code, subcode)
    return GraphError(text, code if isinstance(code, int) else None, subcode)


def _transient(error: GraphError, status: int) -> bool:
    code = error.code
    return status >= 500 or code in TRANSIENT or (code is not None and 80000 <= code < 81000)
