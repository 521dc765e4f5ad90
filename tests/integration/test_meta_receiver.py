"""The Meta webhook receiver's HTTP contract, over a real socket on loopback: the
handshake, signatures checked on the raw body, size and JSON limits, 200 only after the
events were delivered, 503 when they were not (the broker is the delivery function's
business: tests/integration/test_meta_pipeline.py runs the real one)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from somepulse.collectors.meta.webhook import WebhookReceiver, signature_of
from somepulse.collectors.publisher import BrokerUnavailable
from somepulse.domain.pages import account_index, load_pages

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).resolve().parents[1] / "data" / "meta"
ACCOUNTS = account_index(load_pages())
SECRET = b"meta-app-secret-for-tests"


class Sink:
    def __init__(self, fail: bool = False) -> None:
        self.fail, self.events = fail, []  # type: ignore[var-annotated]

    async def __call__(self, events: Iterable[dict[str, Any]]) -> int:
        if self.fail:
            raise BrokerUnavailable("broker away")
        batch = list(events)
        self.events.extend(batch)
        return len(batch)


def call(receiver: WebhookReceiver, method: str, path: str, **kw: Any) -> tuple[int, str]:
    async def go() -> tuple[int, str]:
        async with TestClient(TestServer(receiver.app())) as client:
            response = await client.request(method, path, **kw)
            return response.status, await response.text()

    return asyncio.run(go())


def receiver(sink: Sink, max_bytes: int = 64 * 1024) -> WebhookReceiver:
    return WebhookReceiver(SECRET, "verify-me", sink, ACCOUNTS, max_bytes=max_bytes)


def test_the_subscription_handshake() -> None:
    hub = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}
    assert call(receiver(Sink()), "GET", "/webhooks/meta", params=hub) == (200, "1158201444")
    wrong = hub | {"hub.verify_token": "guess"}
    assert call(receiver(Sink()), "GET", "/webhooks/meta", params=wrong)[0] == 403
    assert call(receiver(Sink()), "GET", "/webhooks/meta")[0] == 403


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, b'{"object": "page", "entry": []}', 401),
        ({"X-Hub-Signature-256": "sha256=" + "0" * 64}, b'{"object": "page", "entry": []}', 403),
        ("sign", b"{not json", 400),
        ("sign", b"[1, 2, 3]", 400),
        ("sign", b'{"object": "page", "entry": [], "pad": "' + b"x" * 70_000 + b'"}', 413),
    ],
)
def test_what_the_receiver_refuses(headers: Any, body: bytes, status: int) -> None:
    sink = Sink()
    if headers == "sign":
        headers = {"X-Hub-Signature-256": signature_of(body, SECRET)}
    assert call(receiver(sink), "POST", "/webhooks/meta", data=body, headers=headers)[0] == status
    assert sink.events == []


def test_200_only_once_delivered_and_503_when_not() -> None:
    body = (FIXTURES / "feed-comment-add.json").read_bytes()
    headers = {"X-Hub-Signature-256": signature_of(body, SECRET)}
    sink = Sink()
    assert call(receiver(sink), "POST", "/webhooks/meta", data=body, headers=headers) == (
        200, "EVENT_RECEIVED")  # fmt: skip
    assert [e["event_id"] for e in sink.events] == ["fb:comment:2001_3001:add"]
    away = Sink(fail=True)
    assert call(receiver(away), "POST", "/webhooks/meta", data=body, headers=headers)[0] == 503
    # a body one byte off its signature is refused, whatever it says
    tampered = body.replace(b"hjemme", b"hjemm3")
    assert call(receiver(sink), "POST", "/webhooks/meta", data=tampered, headers=headers)[0] == 403


def test_an_instagram_mention_is_looked_up_in_the_graph_api() -> None:
    """The webhook names only the media and comment; the Graph API (a fake on loopback)
    says who wrote it, when and what: a ``mention`` event whose text the detector reads."""
    from aiohttp import web

    from somepulse.collectors.meta.graph import GraphClient
    from somepulse.collectors.meta.mentions import resolve

    asked: list[str] = []

    async def account(request: web.Request) -> web.Response:
        asked.append(request.query["fields"])
        return web.json_response({
            "id": "17841400000000101",
            "mentioned_comment": {
                "id": "17894227972186120", "text": "@nav hvordan søker jeg om dagpenger?",
                "timestamp": "2020-03-12T10:00:00+0000",
                "from": {"id": "1789000000000002", "username": "ola.h"},
                "media": {"id": "17918195224117851"}},
        })  # fmt: skip

    body = (FIXTURES / "instagram-mentions.json").read_bytes()
    headers = {"X-Hub-Signature-256": signature_of(body, SECRET)}

    async def go() -> tuple[int, list[dict[str, Any]]]:
        app = web.Application()
        app.router.add_get("/v25.0/{account}", account)
        async with (
            TestServer(app) as fake,
            GraphClient(str(fake.make_url("/v25.0")), "token") as graph,
        ):
            sink = Sink()
            receiver = WebhookReceiver(
                SECRET, "t", sink, ACCOUNTS, resolve_mention=lambda ref: resolve(graph, ref)
            )
            async with TestClient(TestServer(receiver.app())) as client:
                response = await client.post("/webhooks/meta", data=body, headers=headers)
                return response.status, sink.events

    status, events = asyncio.run(go())
    assert status == 200
    assert asked == [
        "mentioned_comment.comment_id(17894227972186120)"
        "{id,text,timestamp,from{id,username},media{id}}"
    ]
    assert events == [{
        "kind": "mention", "event_id": "ig:mention:17894227972186120", "platform": "instagram",
        "account_id": "17841400000000101", "occurred_at": "2020-03-12T10:00:00+00:00",
        "mention_id": "17894227972186120", "via": "mention", "actor_id": "1789000000000002",
        "text": "@nav hvordan søker jeg om dagpenger?",
    }]  # fmt: skip
    # without a Graph token the mention is counted as left out, and the delivery taken
    sink = Sink()
    assert call(WebhookReceiver(SECRET, "t", sink, ACCOUNTS), "POST", "/webhooks/meta",
                data=body, headers=headers)[0] == 200  # fmt: skip
    assert sink.events == []
