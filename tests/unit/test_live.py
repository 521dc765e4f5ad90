from __future__ import annotations

from datetime import UTC, datetime, timedelta

from somepulse.live.engagement import LiveEngagement
from somepulse.live.state import LiveState
from somepulse.schemas import EVENT_ADAPTER
from somepulse.schemas.events import Event
from tests.helpers import person


def ev(
    i: int,
    minute: int,
    kind: str = "reaction",
    question: bool = False,
    page: str = "nav.foreldrepenger",
) -> Event:
    extra: dict[str, object] = {"interaction_type": kind, "actor_id": person("a")}
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
    state = LiveState({})
    live = state.engagement
    state.add(
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
    state = LiveState({})
    batch = [ev(1, 0), ev(2, 0, "comment", True)]
    assert len(state.add(batch)) == 2
    assert state.add(list(reversed(batch))) == []
    assert state.engagement.page_totals()["nav.foreldrepenger"]["engagement"] == 2


def test_an_event_resent_a_day_late_is_not_counted_again() -> None:
    state = LiveState({})
    state.add([ev(1, 0, "comment", True)])
    state.add([ev(2, 60 * 30)])  # 30 hours later: minute 0 left the 26 h horizon
    state.evict()
    assert state.add([ev(1, 0, "comment", True)]) == []  # the late redelivery
    assert state.engagement.page_totals()["nav.foreldrepenger"] == {"reaction": 1, "engagement": 1}


def test_an_event_resent_weeks_late_is_not_counted_again() -> None:
    """Beyond the 14-day id horizon the id is forgotten: the event is not taken live
    (ClickHouse has it once), so neither live numbers nor baselines count it twice."""
    state = LiveState({})
    assert len(state.add([ev(1, 0, "comment", True)])) == 1
    assert len(state.add([ev(2, 60 * 24 * 15)])) == 1  # fifteen days later
    state.evict()
    assert "e1" not in state.seen._seen  # forgotten: memory stays bounded
    assert state.add([ev(1, 0, "comment", True)]) == []  # the re-send, 15 days late
    assert len(state.add([ev(3, 60 * 24 * 2, "comment", True)])) == 1  # 13 days late: new
    assert state.add([ev(3, 60 * 24 * 2, "comment", True)]) == []  # and its repeat


def test_a_page_catching_up_after_an_outage_is_not_late() -> None:
    """The horizon is per page: a collector a fortnight behind the partition's other
    pages (catching up after an outage) delivers new events, and they count."""
    state = LiveState({})
    state.add([ev(1, 60 * 24 * 20, page="nav.jobblyst")])  # another page, 20 days on
    assert len(state.add([ev(2, 0, "comment", True)])) == 1  # this page, 20 days behind
    state.evict()
    assert state.add([ev(2, 0, "comment", True)]) == []  # its repeat is still known
    assert len(state.add([ev(3, 5, "comment", True)])) == 1


def test_old_minutes_leave_the_horizon() -> None:
    state = LiveState({}, LiveEngagement(horizon=timedelta(minutes=30)))
    live = state.engagement
    state.add([ev(1, 0), ev(2, 45)])
    state.evict()
    assert [k[3].minute for k in live.minutes] == [45]


def test_rebuild_from_clickhouse_rows() -> None:
    state = LiveState({})
    live = state.engagement
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
    )
    state.seen.load(
        [("e1", int(datetime(2020, 3, 12, 9, tzinfo=UTC).timestamp()), "nav.foreldrepenger")]
    )
    assert live.page_totals()["nav.jobblyst"]["engagement"] == 7
    # e1 is already in the rebuilt numbers: a redelivery of it adds nothing
    assert state.add([ev(1, 0, page="nav.jobblyst")]) == []


def test_rolling_windows_and_live_virality_of_posts() -> None:
    state = LiveState({})
    snapshot = EVENT_ADAPTER.validate_python(
        {
            "kind": "insights_snapshot",
            "event_id": "s1",
            "platform": "facebook",
            "page_id": "nav.foreldrepenger",
            "post_id": "p1",
            "occurred_at": "2020-03-12T06:00:00Z",
            "scope": "post",
            "day": "2020-03-11",
            "reach": 20_000,
            "impressions": 30_000,
        }
    )
    # minutes 0..59 after 09:00 UTC: a share at 0, 30 and 58, a reaction at 57 and 59
    state.add(
        [snapshot, ev(1, 0, "share"), ev(2, 30, "share"), ev(3, 58, "share"), ev(4, 57), ev(5, 59)]
    )
    row = state.engagement.windows()["nav.foreldrepenger/facebook"]
    # watermark 09:59: the 5-minute window is 09:55-09:59 -> share at 58, reactions 57, 59
    assert (row["engagement_5m"], row["shares_5m"]) == (3, 1)
    assert (row["engagement_60m"], row["shares_60m"]) == (5, 3)
    # virality is the post's shares / the post's reach, as in v_top_posts
    (post,) = state.engagement.top_posts()["nav.foreldrepenger"]
    assert post == {
        "post_id": "p1",
        "platform": "facebook",
        "engagement": 5,
        "shares": 3,
        "reach": 20_000,
        "virality": round(3 / 20_000, 5),
    }


def report(n: int, metric: str, value: int, scope: str = "post", period: str = "lifetime") -> Event:
    post = {"post_id": "p1"} if scope == "post" else {}
    return EVENT_ADAPTER.validate_python(
        {
            "kind": "metric_snapshot", "event_id": f"m{n}", "platform": "facebook",
            "page_id": "nav.foreldrepenger", "occurred_at": f"2020-03-12T1{n}:00:00+00:00",
            "scope": scope, "metric": metric, "period": period, "day": "2020-03-12",
            "value": value, "source": "poll", "fetched_at": f"2020-03-12T1{n}:00:00+00:00",
        } | post
    )  # fmt: skip


def test_top_posts_count_the_shares_and_clicks_platforms_report() -> None:
    """Hand-worked: 3 reactions on p1, then p1's reports: 10 shares, revised to 14 by a
    later fetch, 5 clicks, reach 700: engagement 3 + 14 + 5 = 22, virality 14 / 700."""
    state = LiveState({})
    state.add([ev(i, i) for i in range(3)])
    state.add(
        [
            report(1, "shares", 10),
            report(2, "shares", 14),
            report(3, "post_clicks", 5),
            report(4, "post_impressions_unique", 700),
            report(5, "page_impressions_unique", 9000, "page", "day"),
            report(6, "page_mystery_metric", 1, "page", "day"),  # not in the catalogue
        ]
    )
    (top,) = state.engagement.top_posts()["nav.foreldrepenger"]
    assert (top["engagement"], top["shares"], top["reach"], top["virality"]) == (22, 14, 700, 0.02)
    assert state.engagement.reach["nav.foreldrepenger"][1] == 9000
