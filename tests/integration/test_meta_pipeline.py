"""Meta webhooks end to end: signed deliveries POSTed to the receiver go through the
real publisher and the embedded broker to the worker and ClickHouse. A citizen's
question and the page's answer give the right response time, a reply removed before
any answer leaves the queue, a redelivery adds nothing, and a delivery the broker could
not take gets 503 and is stored when Meta retries it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from somepulse.collectors.meta.webhook import WebhookReceiver, signature_of
from somepulse.domain.pages import account_index, load_pages
from somepulse.settings import Settings
from somepulse.tools.stack import Stack
from tests.integration.conftest import publisher_for, sql, wait_for

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).resolve().parents[1] / "data" / "meta"
SECRET = b"meta-app-secret-for-tests"
ORDER = [
    "feed-status-add.json",  # the page's post, 09:00
    "feed-comment-add.json",  # Kari asks, 09:10
    "feed-comment-reply-add.json",  # Ola wonders too, 09:15
    "feed-comment-page-reply.json",  # the page answers Kari, 09:40
    "feed-comment-add.json",  # Meta delivers Kari's comment again
    "feed-comment-remove.json",  # Ola removes his, unanswered, 10:13
]


def test_webhooks_to_clickhouse(stack: Stack, settings: Settings) -> None:
    publisher = publisher_for(stack, settings)
    receiver = WebhookReceiver(
        SECRET,
        "verify-me",
        lambda events: publisher.deliver(events, 10.0),
        account_index(load_pages()),
    )

    async def post_all() -> list[int]:
        statuses = []
        async with TestClient(TestServer(receiver.app())) as client:

            async def post(name: str) -> int:
                body = (FIXTURES / name).read_bytes()
                headers = {"X-Hub-Signature-256": signature_of(body, SECRET)}
                response = await client.post("/webhooks/meta", data=body, headers=headers)
                return response.status

            # the broker connection is not up yet: Meta is told to retry
            statuses.append(await post(ORDER[0]))
            await publisher.start()
            try:
                for name in ORDER:  # Meta's retry of the first, then the rest
                    statuses.append(await post(name))
            finally:
                await publisher.stop()
        return statuses

    assert asyncio.run(post_all()) == [503] + [200] * len(ORDER)
    # six events published (one of them twice): five stored
    stats = stack.wait_stored(6, timeout=60)
    assert stats.dead_letters == 0, stats.dead_by_reason
    wait_for(
        lambda: sql(stack, "SELECT count() AS n FROM somepulse.events FINAL")[0]["n"] == 5,
        30,
        "the five events",
    )
    kinds = sql(
        stack,
        "SELECT event_id, toString(kind) AS kind, verb, is_question, question_reason, "
        "text, page_id, actor_id LIKE 'p2_%' AS pseudonymised FROM somepulse.events FINAL "
        "WHERE kind = 'interaction' ORDER BY event_id",
    )
    assert kinds == [
        {"event_id": "fb:comment:2001_3001:add", "kind": "interaction", "verb": "add",
         "is_question": True, "question_reason": "question mark", "text": "",
         "page_id": "nav.foreldrepenger", "pseudonymised": True},
        {"event_id": "fb:comment:2001_3002:add", "kind": "interaction", "verb": "add",
         "is_question": True, "question_reason": "wondering", "text": "",
         "page_id": "nav.foreldrepenger", "pseudonymised": True},
        {"event_id": "fb:comment:2001_3002:remove", "kind": "interaction", "verb": "remove",
         "is_question": False, "question_reason": "", "text": "",
         "page_id": "nav.foreldrepenger", "pseudonymised": True},
    ]  # fmt: skip
    responses = sql(stack, "SELECT item_id, is_answered, calendar_minutes FROM somepulse.responses")
    assert responses == [{"item_id": "2001_3001", "is_answered": True, "calendar_minutes": 30.0}]
    assert sql(stack, "SELECT count() AS n FROM somepulse.v_open_questions") == [{"n": 0}]
    post = sql(stack, "SELECT post_id, text FROM somepulse.v_posts")
    assert post == [
        {"post_id": "100000000000101_2001", "text": "Nye regler for foreldrepenger fra 1. april"}
    ]
