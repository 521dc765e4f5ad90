"""The worker's rebuild reads ``responses_since`` (its window of events) instead of
``responses`` (the whole history): for the questions of the window the two must say
the same — who asked, when, the first answer and the minutes to it."""

from __future__ import annotations

from datetime import date

import orjson
import pytest

from somepulse.collectors.scenario.generator import ScenarioGenerator
from somepulse.privacy.pseudonyms import Pseudonymiser
from somepulse.settings import Settings
from somepulse.store import open_prepared_store
from somepulse.streams.processor import MessageProcessor

pytestmark = pytest.mark.clickhouse
COLUMNS = (
    "question_id, page_id, toString(asked_at) AS asked, toString(replied_at) AS replied, "
    "calendar_minutes, office_minutes, is_answered"
)


def test_the_window_answers_like_the_whole_history(settings: Settings) -> None:
    scrub = Pseudonymiser(b"window").scrub
    processor = MessageProcessor("events")
    store = open_prepared_store(settings)
    events = [scrub(e, keep_text=False) for e in ScenarioGenerator(
        date(2020, 3, 2), date(2020, 3, 29), seed=7, scale=0.3)]  # fmt: skip
    rows = [row for i, e in enumerate(events) for row in processor.process(
        orjson.dumps(e), 0, i).rows]  # fmt: skip
    store.insert("events", b"\n".join(rows))
    since = "2020-03-16 00:00:00"
    # items with an event before the window: the window sees them only from then on
    # (as live state does), so they are left out of the comparison
    older = f"""(page_id, item_id) NOT IN (SELECT page_id, item_id FROM somepulse.events
        WHERE occurred_at < '{since}' AND item_id != '')"""
    whole = store.query(
        f"SELECT {COLUMNS} FROM somepulse.responses WHERE asked_at >= '{since}' AND {older} "
        "ORDER BY question_id"
    )
    window = store.query(
        f"SELECT {COLUMNS} FROM somepulse.responses_since(since = '{since}') "
        f"WHERE asked_at >= '{since}' AND {older} ORDER BY question_id"
    )
    answered = sum(1 for r in whole if r["is_answered"])
    assert len(whole) > 100 and 0 < answered < len(whole)  # a case with both kinds
    assert window == whole
    # and the window holds none of what came before it
    assert store.query(
        f"SELECT count() AS n FROM somepulse.responses_since(since = '{since}') "
        f"WHERE asked_at < '{since}'"
    ) == [{"n": 0}]
    store.close()
