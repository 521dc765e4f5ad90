"""Automated page replies (instant replies, away messages, chatbots) are kept but do not
stop the response clock, in ClickHouse and in the worker's live queue alike; per page,
which apps answer as people is configuration. Hand-worked times."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from somepulse.domain.signals import classify, counts_as_answer
from somepulse.live.questions import LiveQuestions
from somepulse.schemas import EVENT_ADAPTER, row_json
from somepulse.settings import Settings
from somepulse.store import Reference, Store, open_prepared_store
from tests.helpers import person

pytestmark = pytest.mark.clickhouse
BOT, INBOX, OTHER = "1111111111", "2222222222", "3333333333"
# nav.jobblyst: its chatbot is automation; nav.foreldrepenger: people answer only
# through the inbox app, every other app is automation; sahlgrenska counts everything
PAGE_CONFIG = {
    "nav.jobblyst": {"automated_reply_apps": (BOT,)},
    "nav.foreldrepenger": {"human_reply_apps": (INBOX,)},
    "sahlgrenska": {"automated_replies_answer": True},
}


def events() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in ("nav.jobblyst", "nav.foreldrepenger", "sahlgrenska", "region.exempel"):
        base = {"platform": "facebook", "page_id": page, "post_id": "p1"}
        out.append(base | {
            "kind": "interaction", "event_id": f"{page}-q", "interaction_type": "comment",
            "actor_id": person("citizen"), "comment_id": f"{page}-c", "is_question": True,
            "occurred_at": "2020-03-12T09:00:00+01:00",
        })  # fmt: skip
        # 5 s later an instant reply (flagged), 1 min later a reply through an app,
        # an hour later a person's reply through the inbox
        for n, (minutes, extra) in enumerate(
            ((1 / 12, {"automated": True}), (1, {"app_id": OTHER if page != "nav.jobblyst"
                                                 else BOT}), (60, {"app_id": INBOX}))
        ):  # fmt: skip
            at = f"2020-03-12T09:{int(minutes) % 60:02d}:{5 if minutes < 1 else 0:02d}+01:00"
            if minutes == 60:
                at = "2020-03-12T10:00:00+01:00"
            out.append(base | {
                "kind": "page_reply", "event_id": f"{page}-r{n}", "channel": "comment",
                "reply_id": f"{page}-r{n}", "in_reply_to": f"{page}-c", "occurred_at": at,
            } | extra)  # fmt: skip
    return out


# minutes from the question to the reply that stops the clock, by hand:
EXPECTED = {
    "nav.jobblyst": 60.0,  # flagged at 5 s, its chatbot at 1 min: the person at 60
    "nav.foreldrepenger": 60.0,  # only the inbox app answers as a person
    "sahlgrenska": 5 / 60,  # every reply counts: the instant reply at 5 s
    "region.exempel": 1.0,  # no configuration: only the flagged one is automation
}


@pytest.fixture
def configured(settings: Settings) -> Iterator[tuple[Store, Reference]]:
    ref = Reference.load()
    pages = tuple(p.model_copy(update=PAGE_CONFIG.get(p.page_id, {})) for p in ref.pages)
    ref = Reference(pages, ref.score, ref.metrics)
    store = open_prepared_store(settings, ref)
    try:
        yield store, ref
    finally:
        store.close()


def test_automated_replies_do_not_stop_the_clock(configured: tuple[Store, Reference]) -> None:
    store, ref = configured
    models = [EVENT_ADAPTER.validate_python(e) for e in events()]
    store.insert("events", b"\n".join(row_json(m, 0, i) for i, m in enumerate(models)))
    rows = store.query("SELECT page_id, calendar_minutes FROM somepulse.responses")
    sql = {r["page_id"]: round(float(r["calendar_minutes"]), 4) for r in rows}
    assert sql == {page: round(minutes, 4) for page, minutes in EXPECTED.items()}
    # every reply is kept, flagged
    kept = store.query(
        "SELECT count() AS n, countIf(NOT answers) AS automated FROM somepulse.v_page_replies"
    )
    assert kept == [{"n": 12, "automated": 2 + 2 + 0 + 1}]

    live = LiveQuestions({p.page_id: p for p in ref.pages}, horizon=timedelta(days=14))
    for model in models:
        signal = classify(model)
        assert signal is not None
        live.add(signal)
    minutes = {r.page_id: round(r.calendar_minutes, 4) for r in live.responses.values()}
    assert minutes == sql


def test_one_rule_in_python_and_sql(configured: tuple[Store, Reference]) -> None:
    store, ref = configured
    pages = {p.page_id: p for p in ref.pages}
    for page_id in (*PAGE_CONFIG, "region.exempel", "unknown.page"):
        for app_id in ("", BOT, INBOX, OTHER):
            for automated in (False, True):
                row = store.query(
                    f"SELECT somepulse_counts_as_answer({str(automated).lower()}, '{app_id}', "
                    "p.human_reply_apps, p.automated_reply_apps, p.automated_replies_answer) "
                    "AS a FROM (SELECT 1 AS one) AS x LEFT JOIN (SELECT * FROM "
                    f"somepulse.pages FINAL WHERE page_id = '{page_id}') AS p ON 1 = 1"
                )
                python = counts_as_answer(automated, app_id, pages.get(page_id))
                assert bool(row[0]["a"]) == python, (page_id, app_id, automated)
