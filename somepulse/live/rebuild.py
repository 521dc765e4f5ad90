"""Rebuild one partition's live state from ClickHouse (the source of truth) when Kafka
assigns the partition to this worker. Queries read the semantic views, restricted to
the partition's pages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from aiokafka.partitioner import murmur2

from somepulse.domain.pages import PageInfo, sql_string
from somepulse.live.state import QUESTION_HORIZON, LiveState
from somepulse.store import Store


def partition_of(page_id: str, partitions: int) -> int:
    """Kafka's default partitioner for a page key (the collectors key by page id)."""
    return int(murmur2(page_id.encode()) & 0x7FFFFFFF) % partitions


def known_pages(store: Store) -> list[str]:
    db = store.database
    rows = store.query(
        f"SELECT DISTINCT toString(page_id) AS page_id FROM {db}.events "
        f"UNION DISTINCT SELECT page_id FROM {db}.pages"
    )
    return sorted(r["page_id"] for r in rows)


def pages_of(partition: int, partitions: int, page_ids: Iterable[str]) -> list[str]:
    return [p for p in page_ids if partition_of(p, partitions) == partition]


class StoredMark(NamedTuple):
    """What the store holds of a partition's pages, as numbers that change when events
    of them are stored: their rows, the newest insert (a merge of duplicates changes
    only the rows) and the highest Kafka offset of the partition among them (-1: none;
    beyond what a worker's state has seen, another worker stored events)."""

    rows: int
    newest: str
    offset: int


def stored_mark(store: Store, partition: int, page_ids: list[str]) -> StoredMark:
    if not page_ids:
        return StoredMark(0, "", -1)
    row = store.query(
        f"SELECT count() AS rows, toString(max(ingested_at)) AS newest, "
        f"toInt64(maxIf(kafka_offset, kafka_partition = {int(partition)})) AS offset, "
        f"countIf(kafka_partition = {int(partition)}) AS ours "
        f"FROM {store.database}.events "
        f"WHERE page_id IN ({', '.join(sql_string(p) for p in page_ids)})"
    )[0]
    offset = int(row["offset"]) if int(row["ours"]) else -1
    return StoredMark(int(row["rows"]), str(row["newest"]), offset)


def rebuild_state(store: Store, pages: dict[str, PageInfo], page_ids: list[str]) -> LiveState:
    """A partition's state: the last 26 h of engagement, 14 days of questions and
    replies and the latest reach. The ids already counted come last, from
    ``remember_counted``."""
    state = LiveState(pages)
    state.page_ids.update(page_ids)
    if not page_ids:
        return state
    db = store.database
    where_pages = f"page_id IN ({', '.join(sql_string(p) for p in page_ids)})"
    hours = int(state.engagement.horizon.total_seconds() // 3600)
    minute_since = (
        f"(SELECT max(minute) FROM {db}.engagement_1m WHERE {where_pages}) - INTERVAL {hours} HOUR"
    )
    rows = store.query(
        f"SELECT page_id, toString(platform) AS platform, post_id, toString(minute) AS m, "
        f"reactions, comments, replies, shares, clicks, views, questions "
        f"FROM {db}.v_engagement_1m WHERE {where_pages} AND minute >= {minute_since}"
    )
    reach = store.query(
        f"SELECT page_id, toString(max(reported_at)) AS at, argMax(reach, reported_at) AS reach "
        f"FROM {db}.v_page_reach_daily WHERE {where_pages} GROUP BY page_id"
    )
    post_reach = store.query(
        f"SELECT page_id, post_id, toString(reported_at) AS at, reach "
        f"FROM {db}.v_post_reach WHERE {where_pages} AND reported_at >= {minute_since}"
    )
    post_reported = store.query(
        f"SELECT page_id, post_id, measure, toString(max(fetched_at)) AS at, "
        f"argMax(value, (day, valid_from)) AS value FROM {db}.v_measures "
        f"WHERE {where_pages} AND scope = 'post' AND period = 'lifetime' "
        f"AND measure IN ('shares', 'clicks') AND fetched_at >= {minute_since} "
        f"GROUP BY page_id, post_id, measure"
    )
    state.engagement.load(rows, reach, post_reach, post_reported)

    days = QUESTION_HORIZON.days
    # the questions' horizon behind the pages' newest event, as literals: the
    # parameterised ``responses_since`` then reads two horizons of events (a question
    # answered in this one may have been asked in the one before), not the history
    bounds = store.query(
        f"SELECT toString(max(occurred_at) - INTERVAL {days} DAY) AS since, "
        f"toString(max(occurred_at) - INTERVAL {2 * days} DAY) AS read_from "
        f"FROM {db}.events WHERE {where_pages} "
        f"AND kind IN ('page_reply', 'interaction', 'private_message')"
    )[0]
    since, read_from = sql_string(bounds["since"]), sql_string(bounds["read_from"])
    responses = f"{db}.responses_since(since = {read_from})"

    replies = store.query(
        f"SELECT event_id, page_id, in_reply_to, toString(channel) AS channel, thread_id, "
        f"toString(replied_at) AS at FROM {db}.v_page_replies_since(since = {since}) "
        f"WHERE {where_pages} AND answers AND replied_at >= {since}"
    )
    open_rows = store.query(
        f"SELECT question_id, page_id, toString(platform) AS platform, item_id, thread_id, "
        f"toString(asked_at) AS asked FROM {responses} "
        f"WHERE {where_pages} AND NOT is_answered AND asked_at >= {since}"
    )
    answered = store.query(
        f"SELECT question_id, page_id, toString(platform) AS platform, item_id, thread_id, "
        f"toString(asked_at) AS asked, toString(replied_at) AS replied, "
        f"calendar_minutes, office_minutes FROM {responses} "
        f"WHERE {where_pages} AND is_answered AND replied_at >= {since}"
    )
    state.questions.load(open_rows, replies, answered)
    return state


def remember_counted(store: Store, state: LiveState, page_ids: list[str]) -> None:
    """The ids of every counted signal in each page's question horizon (item changes
    included), so that a redelivery after the rebuild adds nothing.

    Read after everything else the rebuild reads (the live state here, the surge
    baselines in ``Runtime``): should events be stored meanwhile and the rebuild's
    second reading (``Runtime._rebuild``) still disagree, they are then remembered but
    missing from a count read before — counted nowhere rather than twice. One batch
    short in one bucket is harmless; twice can page on-call for nothing."""
    if not page_ids:
        return
    db = store.database
    days = QUESTION_HORIZON.days
    where_pages = f"page_id IN ({', '.join(sql_string(p) for p in page_ids)})"

    # pages run at different times: each its own horizon
    def counted(t: str) -> str:
        return (
            f"({t}kind IN ('interaction', 'page_reply', 'needs_reply_mark') "
            f"OR ({t}kind = 'private_message' AND {t}direction = 'in'))"
        )

    ids = store.query(
        f"SELECT DISTINCT e.event_id AS event_id, toUnixTimestamp(e.occurred_at) AS ts, "
        f"e.page_id AS page_id FROM {db}.events AS e INNER JOIN (SELECT page_id, "
        f"max(occurred_at) - INTERVAL {days} DAY AS since FROM {db}.events "
        f"WHERE {where_pages} AND {counted('')} GROUP BY page_id) AS m "
        f"ON e.page_id = m.page_id "
        f"WHERE e.{where_pages} AND e.occurred_at >= m.since AND {counted('e.')}"
    )
    state.seen.load((r["event_id"], int(r["ts"]), r["page_id"]) for r in ids)
