from __future__ import annotations

from datetime import UTC, datetime, timedelta

from somepulse.live.engagement import LiveEngagement
from somepulse.schemas import EVENT_ADAPTER
from somepulse.schemas.events import Event


def ev(
    i: int,
    minute: int,
    kind: str = "reaction",
    question: bool = False,
    page: str = "nav.foreldrepenger",
) -> Event:
    extra: dict[str, object] = {"interaction_type": kind, "actor_id": "p1_a"}
    if kind == "reaction":
        extra["reaction_type"] = "like"
    if kind == "comment":
        extra |= {"comment_id": f"c{i}", "is_question": question}
    return EVENT_ADAPTER.validate_python(
        {
            "kind": "interaction",
            "event_id": f"e{i}",
            "platform": "facebook",
            "page_id": page,
            "post_id": "p1",
            "occurred_at": (
                datetime(2020, 3, 12, 9, 0, tzinfo=UTC) + timedelta(minutes=minute)
            ).isoformat(),
        }
        | extra
    )


def test_counts_per_minute_and_page_totals() -> None:
    live = LiveEngagement()
    live.add(
        [
            ev(1, 0),
            ev(2, 0, "comment", True),
            ev(3, 1, "share"),
            ev(4, 1, "view"),
            ev(5, 2, "comment", page="nav.jobblyst"),
        ]
    )
    totals = live.page_totals()
    # engagement = reactions + comments + shares + clicks (views are not engagement)
    assert totals["nav.foreldrepenger"] == {
        "reaction": 1,
        "comment": 1,
        "question": 1,
        "share": 1,
        "view": 1,
        "engagement": 3,
    }
    assert totals["nav.jobblyst"]["engagement"] == 1
    assert len(live.minutes) == 3


def test_replayed_events_are_not_counted_twice() -> None:
    live = LiveEngagement()
    batch = [ev(1, 0), ev(2, 0, "comment", True)]
    assert live.add(batch) == 2
    assert live.add(list(reversed(batch))) == 0
    assert live.page_totals()["nav.foreldrepenger"]["engagement"] == 2


def test_old_minutes_leave_the_horizon() -> None:
    live = LiveEngagement(horizon=timedelta(minutes=30))
    live.add([ev(1, 0), ev(2, 45)])
    live.evict()
    assert [k[3].minute for k in live.minutes] == [45]


def test_rebuild_from_clickhouse_rows() -> None:
    live = LiveEngagement()
    live.load(
        [
            {
                "page_id": "nav.jobblyst",
                "platform": "facebook",
                "post_id": "p1",
                "m": "2020-03-12 09:00:00",
                "reactions": 4,
                "comments": 2,
                "replies": 0,
                "shares": 1,
                "clicks": 0,
                "views": 0,
                "questions": 1,
            }
        ],
        [{"event_id": "e1", "m": "2020-03-12 09:00:00"}],
    )
    assert live.page_totals()["nav.jobblyst"]["engagement"] == 7
    # e1 is already in the rebuilt numbers: a redelivery of it adds nothing
    assert live.add([ev(1, 0, page="nav.jobblyst")]) == 0


def test_rolling_windows_and_live_virality() -> None:
    live = LiveEngagement()
    snapshot = EVENT_ADAPTER.validate_python(
        {
            "kind": "insights_snapshot",
            "event_id": "s1",
            "platform": "facebook",
            "page_id": "nav.foreldrepenger",
            "occurred_at": "2020-03-12T06:00:00Z",
            "scope": "page",
            "day": "2020-03-11",
            "reach": 20_000,
            "impressions": 30_000,
        }
    )
    # minutes 0..59 after 09:00 UTC: a share at 0, 30 and 58, a reaction at 57 and 59
    live.add(
        [snapshot, ev(1, 0, "share"), ev(2, 30, "share"), ev(3, 58, "share"), ev(4, 57), ev(5, 59)]
    )
    row = live.windows()["nav.foreldrepenger/facebook"]
    # watermark 09:59: the 5-minute window is 09:55-09:59 -> share at 58, reactions 57, 59
    assert (row["engagement_5m"], row["shares_5m"]) == (3, 1)
    assert (row["engagement_60m"], row["shares_60m"]) == (5, 3)
    assert row["virality_60m"] == 3 / 20_000
