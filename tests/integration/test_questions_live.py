"""The question detector at the edge and the duty communicator's correction, end to
end: a collector publishes comments with their text, the store keeps the verdict and
not the text, and `somepulse questions mark` (its own process, as a person runs it)
puts a missed question in the queue of the store and of the running worker."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from somepulse.settings import Settings
from somepulse.tools.stack import Stack
from tests.helpers import TEST_SECRET
from tests.integration.conftest import publisher_for, sql, wait_for

pytestmark = pytest.mark.integration
PAGE = "nav.foreldrepenger"


def comment(n: int, text: str, at: datetime) -> dict[str, object]:
    return {
        "kind": "interaction", "event_id": f"fb:comment:c{n}:add", "platform": "facebook",
        "page_id": PAGE, "post_id": "p1", "interaction_type": "comment",
        "actor_id": f"10000{n}", "comment_id": f"c{n}", "occurred_at": at.isoformat(),
        "text": text,
    }  # fmt: skip


def test_detected_at_the_edge_and_corrected_by_the_person_on_duty(
    stack: Stack, settings: Settings
) -> None:
    written = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    comments = [
        comment(1, "Når kommer foreldrepengene for mars?", written),
        comment(2, "Takk for svar 👍", written + timedelta(minutes=1)),
        # a question the rules miss: the person on duty will mark it
        comment(3, "Barnehagen stengt, omsorgsdager gjelder meg", written + timedelta(minutes=2)),
    ]

    async def publish() -> None:
        async with publisher_for(stack, settings) as publisher:
            await publisher.publish([dict(c) for c in comments])

    asyncio.run(publish())
    stack.wait_stored(3, timeout=60)
    stored = sql(
        stack,
        "SELECT comment_id, is_question, question_reason, text FROM somepulse.events "
        "WHERE kind = 'interaction' ORDER BY comment_id",
    )
    assert stored == [
        {"comment_id": "c1", "is_question": True, "question_reason": "question mark", "text": ""},
        {"comment_id": "c2", "is_question": False, "question_reason": "thanks", "text": ""},
        {"comment_id": "c3", "is_question": False, "question_reason": "no question", "text": ""},
    ]  # fmt: skip

    env = {
        **os.environ,
        "SOMEPULSE_DATA_DIR": str(settings.data_dir),
        "SOMEPULSE_PSEUDONYM_SECRET": TEST_SECRET,
    }
    env.pop("SOMEPULSE_KAFKA_BOOTSTRAP", None)
    done = subprocess.run(
        [sys.executable, "-m", "somepulse", "questions", "mark", "fb:comment:c3:add",
         "--needs-reply"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "marked fb:comment:c3:add: needs a reply" in done.stdout

    def both_open() -> bool:
        rows = sql(stack, "SELECT question_id FROM somepulse.v_open_questions ORDER BY 1")
        return [r["question_id"] for r in rows] == ["fb:comment:c1:add", "fb:comment:c3:add"]

    wait_for(both_open, 60, "the marked comment in the stored queue")
    wait_for(
        lambda: (
            stack.stats().question_queue.get(PAGE) is not None
            and stack.stats().question_queue[PAGE].open == 2
        ),
        30,
        "the marked comment in the worker's live queue",
    )
    asked = sql(
        stack,
        "SELECT toString(asked_at) AS a FROM somepulse.v_questions WHERE item_id = 'c3'",
    )
    assert asked == [{"a": (written + timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M:%S.000")}]

    unknown = subprocess.run(
        [sys.executable, "-m", "somepulse", "questions", "mark", "no-such-event", "--no-reply"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert unknown.returncode == 1
    assert "no comment or message with event id 'no-such-event'" in unknown.stderr
