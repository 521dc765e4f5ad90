"""Totals in the platforms' own terms become SoMe Pulse's measures through the metric
catalogue, and year-over-year comparisons stay within one series: across Meta's
2025–2026 renames they compare like with like, or say that the series broke.
Hand-worked: every expected number is written out below."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from somepulse.config import PACKAGED
from somepulse.schemas import EVENT_ADAPTER, row_json
from somepulse.settings import Settings
from somepulse.store import Reference, Store, open_prepared_store
from tests.helpers import person

pytestmark = pytest.mark.clickhouse
_n = 0


def snapshot(metric: str, day: str, value: int, fetched: str = "T06:00:00Z", **kw: Any) -> bytes:
    global _n
    _n += 1
    fields = {
        "kind": "metric_snapshot",
        "event_id": f"m{_n}",
        "platform": "facebook",
        "page_id": "nav.foreldrepenger",
        "occurred_at": f"{day}T23:59:59+01:00",
        "scope": "page",
        "metric": metric,
        "period": "day",
        "day": day,
        "value": value,
        "source": "poll",
        "api_version": "v25.0",
        "fetched_at": f"{day}{fetched}",
    } | kw
    return row_json(EVENT_ADAPTER.validate_python(fields), 0, _n)


@pytest.fixture
def measured(settings: Settings, tmp_path: Path) -> Any:
    config = tmp_path / "config"
    config.mkdir()
    # the packaged catalogue, plus a made-up rename that keeps its series (a bridge)
    (config / "metrics.toml").write_text(
        (PACKAGED / "metrics.toml").read_text()
        + """
[[metric]]
platform = "mastodon"
scope = "page"
name = "followers"
measure = "follows"
period = "total"
series = "mastodon.account.followers"
from = "2026-01-01"
definition = "a rename of followers_count (test)"
"""
    )
    store = open_prepared_store(settings, Reference.load(config))
    rows = [
        # 2025-03-12 and 364 days later, 2026-03-11 (both Wednesdays): the old reach
        # metric both days, and its successor as well in 2026 (the overlap year)
        snapshot("page_impressions_unique", "2025-03-12", 1000),
        snapshot("page_impressions_unique", "2026-03-11", 1500),
        snapshot("page_total_media_view_unique", "2026-03-11", 1800),
        # 2025-07-02 → 2026-07-01: only the old metric then, only the new one now
        snapshot("page_impressions_unique", "2025-07-02", 1200),
        snapshot("page_total_media_view_unique", "2026-07-01", 2000),
        # a later fetch of the same day revises it
        snapshot("page_total_media_view_unique", "2026-07-01", 2100, "T18:00:00Z"),
        # nothing a year before
        snapshot("page_total_media_view_unique", "2026-07-02", 2200),
        # a metric the catalogue does not know, and a breakdown (not a page total)
        snapshot("page_mystery", "2026-07-01", 5),
        snapshot("page_media_view", "2026-07-01", 900, breakdown="is_from_ads:true"),
        # a bridged rename on Mastodon: one series under two names
        snapshot("followers_count", "2025-07-02", 400, platform="mastodon",
                 page_id="nav.social", period="total"),
        snapshot("followers", "2026-07-01", 500, platform="mastodon",
                 page_id="nav.social", period="total"),
        # a post's shares: a lifetime total of the post, measure shares
        snapshot("shares", "2026-07-01", 42, scope="post", post_id="p9", period="lifetime"),
    ]  # fmt: skip
    store.insert("events", b"\n".join(rows))
    try:
        yield store
    finally:
        store.close()


def q(store: Store, sql: str) -> list[dict[str, Any]]:
    return store.query(sql)


def test_the_successor_wins_a_day_and_the_latest_fetch_wins_a_metric(measured: Store) -> None:
    daily = q(
        measured,
        "SELECT toString(day) AS d, value, metric FROM somepulse.v_measures_daily "
        "WHERE page_id = 'nav.foreldrepenger' AND measure = 'reach' ORDER BY d",
    )
    assert daily == [
        {"d": "2025-03-12", "value": 1000, "metric": "page_impressions_unique"},
        {"d": "2025-07-02", "value": 1200, "metric": "page_impressions_unique"},
        {"d": "2026-03-11", "value": 1800, "metric": "page_total_media_view_unique"},
        {"d": "2026-07-01", "value": 2100, "metric": "page_total_media_view_unique"},
        {"d": "2026-07-02", "value": 2200, "metric": "page_total_media_view_unique"},
    ]
    shares = q(measured, "SELECT post_id, value FROM somepulse.v_measures WHERE measure = 'shares'")
    assert shares == [{"post_id": "p9", "value": 42}]
    unknown = q(measured, "SELECT metric, snapshots FROM somepulse.v_unknown_metrics")
    assert unknown == [{"metric": "page_mystery", "snapshots": 1}]


def test_year_over_year_stays_within_one_series_or_names_the_break(measured: Store) -> None:
    yoy = q(
        measured,
        "SELECT page_id, toString(day) AS d, value, comparable, compared_value, "
        "value_year_before, ratio, break FROM somepulse.v_measure_yoy "
        "WHERE measure IN ('reach', 'follows') ORDER BY page_id, d",
    )
    by_day = {(r["page_id"], r["d"]): r for r in yoy}
    # the overlap year: both days have the old metric, so the comparison uses it
    overlap = by_day[("nav.foreldrepenger", "2026-03-11")]
    assert (overlap["value"], overlap["comparable"], overlap["compared_value"]) == (1800, 1, 1500)
    assert (overlap["value_year_before"], overlap["ratio"], overlap["break"]) == (1000, 1.5, "")
    # after the switch: no common series, no ratio, and the break is named
    switched = by_day[("nav.foreldrepenger", "2026-07-01")]
    assert (switched["comparable"], switched["ratio"]) == (0, None)
    assert switched["break"] == (
        "series break: page_impressions_unique a year before, page_total_media_view_unique now"
    )
    assert by_day[("nav.foreldrepenger", "2026-07-02")]["break"] == "no value a year before"
    # a rename within a series is a bridge: compared as one quantity
    bridged = by_day[("nav.social", "2026-07-01")]
    assert (bridged["comparable"], bridged["ratio"], bridged["break"]) == (1, 1.25, "")


def test_reported_totals_feed_the_reach_views(measured: Store) -> None:
    """The page's and the post's reach and the page's followers come from metric
    snapshots through the catalogue (the successor metric on an overlap day), with the
    metric named; release 0.1's snapshots still feed days without them."""
    release_0_1 = row_json(
        EVENT_ADAPTER.validate_python(
            {
                "kind": "insights_snapshot", "event_id": "ins1", "platform": "facebook",
                "page_id": "nav.jobblyst", "occurred_at": "2020-03-12T06:00:00+01:00",
                "scope": "page", "day": "2020-03-11", "reach": 17000, "impressions": 27000,
            }
        ), 0, 0,
    )  # fmt: skip
    post_views = snapshot(
        "post_media_view", "2026-07-01", 77, scope="post", post_id="p9", period="lifetime"
    )
    post_reach = snapshot(
        "post_total_media_view_unique", "2026-07-01", 55, scope="post", post_id="p9",
        period="lifetime",
    )  # fmt: skip
    follows = snapshot("page_follows", "2026-07-01", 45_000, period="total")
    measured.insert("events", b"\n".join([release_0_1, post_views, post_reach, follows]))
    daily = {
        (r["page_id"], r["d"]): (r["reach"], r["reach_metric"])
        for r in q(
            measured,
            "SELECT page_id, toString(day) AS d, reach, reach_metric "
            "FROM somepulse.v_page_reach_daily",
        )
    }
    assert daily[("nav.foreldrepenger", "2026-03-11")] == (1800, "page_total_media_view_unique")
    assert daily[("nav.foreldrepenger", "2025-03-12")] == (1000, "page_impressions_unique")
    assert daily[("nav.jobblyst", "2020-03-11")] == (17000, "insights_snapshot.reach")
    # a month's reach names every metric behind it: a rename shows in the month
    months = {
        (r["page_id"], r["m"]): r["reach_metrics"]
        for r in q(
            measured,
            "SELECT page_id, toString(month) AS m, reach_metrics FROM somepulse.v_page_monthly "
            "WHERE reach > 0",
        )
    }
    assert months[("nav.foreldrepenger", "2025-03-01")] == ["page_impressions_unique"]
    assert months[("nav.foreldrepenger", "2026-07-01")] == ["page_total_media_view_unique"]
    followers = q(
        measured,
        "SELECT followers FROM somepulse.v_page_daily "
        "WHERE page_id = 'nav.foreldrepenger' AND day = '2026-07-01'",
    )
    assert followers == [{"followers": 45_000}]
    posts = q(
        measured,
        "SELECT post_id, reach, impressions, reach_metric FROM somepulse.v_post_reach",
    )
    assert posts == [
        {"post_id": "p9", "reach": 55, "impressions": 77,
         "reach_metric": "post_total_media_view_unique"},
    ]  # fmt: skip


def test_a_posts_shares_and_clicks_are_the_reported_totals(measured: Store) -> None:
    """No platform names who shared or clicked a page's post: the totals it reports
    are the post's shares and clicks, and its engagement counts them (reactions +
    comments + shares + clicks). Hand-worked: 2 reactions, 1 comment, 42 shares and 7
    clicks reported -> engagement 52; virality 42 / 55 reach."""
    base = {"platform": "facebook", "page_id": "nav.foreldrepenger", "post_id": "p9"}
    events = [
        base | {"kind": "post_published", "event_id": "post9", "format": "link",
                "occurred_at": "2026-07-01T08:00:00+02:00"},
        base | {"kind": "interaction", "event_id": "r1", "interaction_type": "reaction",
                "reaction_type": "like", "actor_id": person("a"),
                "occurred_at": "2026-07-01T09:00:00+02:00"},
        base | {"kind": "interaction", "event_id": "r2", "interaction_type": "reaction",
                "reaction_type": "love", "actor_id": person("b"),
                "occurred_at": "2026-07-01T09:01:00+02:00"},
        base | {"kind": "interaction", "event_id": "c1", "interaction_type": "comment",
                "comment_id": "c1", "actor_id": person("c"),
                "occurred_at": "2026-07-01T09:02:00+02:00"},
    ]  # fmt: skip
    rows = [row_json(EVENT_ADAPTER.validate_python(e), 0, n) for n, e in enumerate(events)]
    rows.append(
        snapshot("post_clicks", "2026-07-01", 7, scope="post", post_id="p9", period="lifetime")
    )
    rows.append(
        snapshot("post_total_media_view_unique", "2026-07-01", 55, scope="post",
                 post_id="p9", period="lifetime")
    )  # fmt: skip
    measured.insert("events", b"\n".join(rows))
    (post,) = q(
        measured,
        "SELECT reactions, comments, shares, clicks, engagement, reach, virality "
        "FROM somepulse.v_top_posts WHERE post_id = 'p9'",
    )
    assert post == {
        "reactions": 2, "comments": 1, "shares": 42, "clicks": 7, "engagement": 52,
        "reach": 55, "virality": round(42 / 55, 5),
    }  # fmt: skip


def test_a_days_shares_and_clicks_are_what_platforms_report(settings: Settings) -> None:
    """Engagement of a page's day counts the shares and clicks platforms report, never
    per-person ones they do not send. Hand-worked, three local days in March 2026:

    * nav.foreldrepenger (Facebook, post lifetime totals): p1 reports 10 shares and 3
      clicks as of the 2nd, then 14 and 5 as of the 4th; p2 reports 6 shares as of the
      3rd, revised to 7 by a later fetch. Daily growth: the 2nd 10 shares 3 clicks; the
      3rd 7 shares; the 4th 4 shares 2 clicks. With 2 reactions on the 2nd: engagement
      15, 7 and 6.
    * nav.linkedin (LinkedIn, a daily page figure): 9 shares and 20 clicks on the 2nd.
    * region.exempel (release 0.1 data, no reports): its 2 per-person shares count.
    """
    store = open_prepared_store(settings, Reference.load())
    post = {"scope": "post", "period": "lifetime"}
    rows = [
        snapshot("shares", "2026-03-02", 10, post_id="p1", **post),
        snapshot("post_clicks", "2026-03-02", 3, post_id="p1", **post),
        snapshot("shares", "2026-03-04", 14, post_id="p1", **post),
        snapshot("post_clicks", "2026-03-04", 5, post_id="p1", **post),
        snapshot("shares", "2026-03-03", 6, post_id="p2", **post),
        snapshot("shares", "2026-03-03", 7, "T20:00:00Z", post_id="p2", **post),
        snapshot("shareCount", "2026-03-02", 9, platform="linkedin", page_id="nav.linkedin"),
        snapshot("clickCount", "2026-03-02", 20, platform="linkedin", page_id="nav.linkedin"),
    ]
    people = [
        {"kind": "interaction", "event_id": f"i{n}", "platform": "facebook",
         "page_id": page, "post_id": "p1", "interaction_type": kind,
         "actor_id": person(f"x{n}"), "occurred_at": "2026-03-02T12:00:00+01:00"}
        | ({"reaction_type": "like"} if kind == "reaction" else {})
        for n, (page, kind) in enumerate(
            [("nav.foreldrepenger", "reaction"), ("nav.foreldrepenger", "reaction"),
             # per-person shares where reports exist: not counted twice
             ("nav.foreldrepenger", "share"),
             ("region.exempel", "share"), ("region.exempel", "share")]
        )
    ]  # fmt: skip
    rows += [row_json(EVENT_ADAPTER.validate_python(e), 0, 900 + n) for n, e in enumerate(people)]
    try:
        store.insert("events", b"\n".join(rows))
        got = store.query(
            "SELECT page_id, toString(day) AS d, shares, clicks, engagement "
            "FROM somepulse.v_page_daily WHERE shares + clicks + engagement > 0 "
            "ORDER BY page_id, d"
        )
    finally:
        store.close()
    assert got == [
        {"page_id": "nav.foreldrepenger", "d": "2026-03-02", "shares": 10, "clicks": 3,
         "engagement": 15},
        {"page_id": "nav.foreldrepenger", "d": "2026-03-03", "shares": 7, "clicks": 0,
         "engagement": 7},
        {"page_id": "nav.foreldrepenger", "d": "2026-03-04", "shares": 4, "clicks": 2,
         "engagement": 6},
        {"page_id": "nav.linkedin", "d": "2026-03-02", "shares": 9, "clicks": 20,
         "engagement": 29},
        {"page_id": "region.exempel", "d": "2026-03-02", "shares": 2, "clicks": 0,
         "engagement": 2},
    ]  # fmt: skip
