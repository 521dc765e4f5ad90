"""Worker start-up: rebuild the live cache from ClickHouse (the source of truth)."""

from __future__ import annotations

from somepulse.live.engagement import LiveEngagement
from somepulse.live.questions import LiveQuestions
from somepulse.store import Store


def rebuild_live(store: Store, live: LiveEngagement) -> int:
    """Load the last ``live.horizon`` of engagement; return the minutes loaded."""
    db = store.database
    hours = int(live.horizon.total_seconds() // 3600)
    since = f"(SELECT max(minute) FROM {db}.engagement_1m) - INTERVAL {hours} HOUR"
    rows = store.query(
        f"SELECT page_id, platform, post_id, toString(minute) AS m, reactions, comments, "
        f"replies, shares, clicks, views, questions FROM {db}.v_engagement_1m "
        f"WHERE minute >= {since}"
    )
    ids = store.query(
        f"SELECT DISTINCT event_id, toString(toStartOfMinute(occurred_at)) AS m "
        f"FROM {db}.events WHERE (kind = 'interaction' OR (kind = 'private_message' "
        f"AND direction = 'in' AND is_question)) AND occurred_at >= {since}"
    )
    reach = store.query(
        f"SELECT page_id, toString(max(occurred_at)) AS at, argMax(reach, occurred_at) AS reach "
        f"FROM {db}.events WHERE kind = 'insights_snapshot' AND scope = 'page' GROUP BY page_id"
    )
    live.load(rows, ids, reach)
    return len(rows)


def rebuild_questions(store: Store, questions: LiveQuestions) -> int:
    """Load the last ``questions.horizon`` of questions and replies; return the number of
    open questions loaded."""
    db = store.database
    days = questions.horizon.days
    since = (
        f"(SELECT max(occurred_at) FROM {db}.events "
        f"WHERE kind IN ('page_reply', 'interaction', 'private_message')) - INTERVAL {days} DAY"
    )
    replies = store.query(
        f"SELECT event_id, page_id, in_reply_to, toString(channel) AS channel, thread_id, "
        f"toString(occurred_at) AS at FROM {db}.events FINAL "
        f"WHERE kind = 'page_reply' AND occurred_at >= {since}"
    )
    open_rows = store.query(
        f"SELECT question_id, page_id, toString(platform) AS platform, item_id, thread_id, "
        f"toString(asked_at) AS asked FROM {db}.responses "
        f"WHERE NOT is_answered AND asked_at >= {since}"
    )
    answered = store.query(
        f"SELECT question_id, page_id, toString(platform) AS platform, item_id, thread_id, "
        f"toString(asked_at) AS asked, toString(replied_at) AS replied, "
        f"calendar_minutes, office_minutes "
        f"FROM {db}.responses WHERE is_answered AND replied_at >= {since}"
    )
    questions.load(open_rows, replies, answered)
    return len(open_rows)
