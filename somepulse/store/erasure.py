"""Data-subject requests (GDPR Art. 15 and 17) against the store.

A person is found by their pseudonyms (one per key the data was ever written with);
their rows are the events they authored (``actor_id``). Erasure deletes those, the
page's replies that point at them (a reply to a deleted comment or in a deleted
conversation keeps the link to the person), clears their id where they acted as staff
(``author_id``), and recomputes the engagement rollups of every page-post-hour their
events counted in, so no figure still counts them. Every request leaves an audit row
without the person's identity.

The caller must hold the only writer of an embedded store (chDB is one process per
directory); what no query can reach (broker topics, backups, a running worker's live
cache) is reported, not hidden.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from somepulse.domain.pages import sql_string as quote
from somepulse.privacy.pseudonyms import is_pseudonym
from somepulse.store import rollups
from somepulse.store.base import Store

# the rows a person authored
AUTHORED = "actor_id IN ({ids})"
SYNC = " SETTINGS mutations_sync = 2"


@dataclass
class SubjectRequest:
    platform: str
    pseudonyms: Sequence[str]
    key_ids: Sequence[str]
    operator: str
    reference: str = ""


@dataclass
class ErasureReport:
    request_id: str
    events: int
    page_replies: int
    staff_rows: int
    rollup_hours: int
    not_reached: list[str] = field(default_factory=list)


def _in(values: Iterable[str]) -> str:
    return ", ".join(quote(v) for v in sorted(set(values)))


def _ids(request: SubjectRequest) -> str:
    bad = [p for p in request.pseudonyms if not is_pseudonym(p)]
    if bad or not request.pseudonyms:
        raise ValueError(f"not pseudonyms: {bad or 'none given'}")
    return _in(request.pseudonyms)


def export_subject(store: Store, request: SubjectRequest) -> dict[str, Any]:
    """Everything stored about the person (Art. 15), logged like an erasure."""
    rows = subject_rows(store, request)
    report = ErasureReport(
        str(uuid.uuid4()), len(rows["events"]), len(rows["page_replies_to_them"]), 0, 0
    )
    log_request(store, request, "export", report)
    return {"request_id": report.request_id, "platform": request.platform} | rows


def subject_rows(store: Store, request: SubjectRequest) -> dict[str, list[dict[str, Any]]]:
    """The person's events, the page's replies to them, and what they did as staff."""
    db, ids = store.database, _ids(request)
    authored = store.query(
        f"SELECT *, item_id FROM {db}.events FINAL WHERE {AUTHORED.format(ids=ids)} "
        "ORDER BY occurred_at, event_id"
    )
    replies = _replies(store, authored, "*")
    staff = store.query(
        f"SELECT * FROM {db}.events FINAL WHERE author_id IN ({ids}) ORDER BY occurred_at"
    )
    return {"events": authored, "page_replies_to_them": replies, "as_staff": staff}


def _replies(store: Store, authored: list[dict[str, Any]], columns: str) -> list[dict[str, Any]]:
    items = {r["item_id"] for r in authored if r.get("item_id")}
    threads = {r["thread_id"] for r in authored if r.get("thread_id")}
    # an empty set would match every reply with an empty field: test each list
    # (the review's hand-written erasure deleted every row this way)
    conditions = []
    if items:
        conditions.append(f"in_reply_to IN ({_in(items)})")
    if threads:
        conditions.append(f"thread_id IN ({_in(threads)})")
    if not conditions:
        return []
    return store.query(
        f"SELECT {columns} FROM {store.database}.events FINAL "
        f"WHERE kind = 'page_reply' AND ({' OR '.join(conditions)})"
    )


def erase_subject(store: Store, request: SubjectRequest) -> ErasureReport:
    db, ids = store.database, _ids(request)
    authored = store.query(
        f"SELECT DISTINCT event_id, item_id, thread_id, page_id, post_id, "
        f"toString(toStartOfHour(occurred_at)) AS hour FROM {db}.events "
        f"WHERE {AUTHORED.format(ids=ids)}"
    )
    replies = _replies(store, authored, "DISTINCT event_id")
    hours = {(r["page_id"], r["post_id"], r["hour"]) for r in authored}
    staff = store.query(f"SELECT count() AS n FROM {db}.events WHERE author_id IN ({ids})")
    events = {r["event_id"] for r in authored}
    reply_ids = {r["event_id"] for r in replies}
    if events:
        store.command(f"ALTER TABLE {db}.events DELETE WHERE {AUTHORED.format(ids=ids)}" + SYNC)
    if reply_ids:
        store.command(
            f"ALTER TABLE {db}.events DELETE WHERE kind = 'page_reply' "
            f"AND event_id IN ({_in(reply_ids)})" + SYNC
        )
    staff_rows = int(staff[0]["n"]) if staff else 0
    if staff_rows:
        store.command(
            f"ALTER TABLE {db}.events UPDATE author_id = '' WHERE author_id IN ({ids})" + SYNC
        )
    if hours:
        recompute_rollups(store, hours)
    report = ErasureReport(
        str(uuid.uuid4()),
        len(events),
        len(reply_ids),
        staff_rows,
        len(hours),
        [
            "the broker's topics keep the events until their retention ends "
            "(SOMEPULSE_EVENTS_TOPIC_RETENTION_HOURS; dead letters: "
            "SOMEPULSE_DLQ_TOPIC_RETENTION_HOURS), and a worker replaying them "
            "would store them again: erase again after a replay",
            "backups of the store keep them until the backups expire",
            "a running worker's live cache counts them until it restarts",
        ],
    )
    log_request(store, request, "erase", report)
    return report


def recompute_rollups(store: Store, hours: set[tuple[str, str, str]]) -> None:
    """Recompute the minute and hour rollups of these (page, post, hour) slices from the
    events that remain. Inserting the minutes fills the hours through their view."""
    db = store.database
    keys = ", ".join(
        f"({quote(page)}, {quote(post)}, toDateTime({quote(hour)}, 'UTC'))"
        for page, post, hour in sorted(hours)
    )
    minute, hour = rollups.MINUTE, rollups.HOUR
    store.command(
        f"ALTER TABLE {db}.{minute.table} DELETE WHERE "
        f"(page_id, post_id, toStartOfHour({minute.column})) IN ({keys})" + SYNC
    )
    store.command(
        f"ALTER TABLE {db}.{hour.table} DELETE WHERE "
        f"(page_id, post_id, {hour.column}) IN ({keys})" + SYNC
    )
    select = rollups.select_statement(
        minute, f"(page_id, post_id, toStartOfHour(occurred_at)) IN ({keys})"
    ).replace("{db}", db)
    store.command(f"INSERT INTO {db}.{minute.table} {select}")


def log_request(store: Store, request: SubjectRequest, action: str, report: Any) -> None:
    row = {
        "request_id": report.request_id,
        "action": action,
        "at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
        "operator": request.operator,
        "reference": request.reference,
        "platform": request.platform,
        "key_ids": list(request.key_ids),
        "events": report.events,
        "page_replies": report.page_replies,
        "rollup_hours": report.rollup_hours,
        "not_reached": "; ".join(report.not_reached),
    }
    store.insert("erasure_log", orjson.dumps(row))
