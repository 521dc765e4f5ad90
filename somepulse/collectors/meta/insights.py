"""The Meta insights poller: page and post totals on the metric names Meta serves now,
as ``metric_snapshot`` events with their provenance.

Which metrics: the catalogue's (``config/metrics.toml``) Facebook metrics valid today,
so Meta's next rename is a line of data there, not a change here. Page metrics are read
per day in windows of at most 90 days (Meta's limit per since/until query; two years
back at most, what Meta keeps); posts published in the window are read with their
lifetime totals and ``shares{count}`` (Meta reports shares only as a count on the post).

Meta's daily values end at ``end_time`` (the start of the next day): the value is the
day before. An unknown metric (code 100) is looked for one by one so that the error
names it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from somepulse.collectors.meta.graph import ConfigError, GraphClient
from somepulse.domain.measures import CatalogueMetric

WINDOW = timedelta(days=90)
HISTORY = timedelta(days=730)
POST_FIELD_METRICS = {"shares"}  # read as a field of the post, not from its insights
# a video or reel has no insights edge of its own on the post: /{video-id}/video_insights
VIDEO_METRICS = {"video": "total_video_views", "reel": "fb_reels_total_plays"}


@dataclass
class Plan:
    page_metrics: dict[str, str]  # Meta name -> our period
    post_metrics: dict[str, str]


def plan_from(catalogue: Iterable[CatalogueMetric], today: date) -> Plan:
    plan = Plan({}, {})
    for m in catalogue:
        if m.platform != "facebook" or not m.valid_on(today):
            continue
        target = plan.page_metrics if m.scope == "page" else plan.post_metrics
        target[m.name] = str(m.period)
    return plan


@dataclass
class PollReport:
    snapshots: int = 0
    posts: int = 0
    windows: int = 0
    problems: list[str] = field(default_factory=list)


def windows(since: date, until: date, today: date) -> list[tuple[date, date]]:
    """[since, until) cut in ≤ 90-day pieces, never further back than two years."""
    since = max(since, today - HISTORY)
    out = []
    start = since
    while start < until:
        end = min(start + WINDOW, until)
        out.append((start, end))
        start = end
    return out


async def poll_page(
    graph: GraphClient,
    page_account: str,
    page_id: str | None,
    plan: Plan,
    since: date,
    until: date,
    now: datetime,
    report: PollReport,
) -> AsyncIterator[dict[str, Any]]:
    """Metric snapshots of one Facebook page (and its posts) for the days [since, until)."""
    base: dict[str, Any] = {"platform": "facebook", "account_id": page_account}
    if page_id is not None:
        base["page_id"] = page_id
    fetched = now.astimezone(UTC).isoformat()
    provenance = {"source": "poll", "api_version": graph.api_version, "fetched_at": fetched}
    for start, end in windows(since, until, now.date()):
        report.windows += 1
        if plan.page_metrics:
            rows = await _insights(graph, page_account, plan.page_metrics, start, end)
            for row in rows:
                name = row.get("name")
                if name not in plan.page_metrics:
                    continue
                for item in row.get("values") or ():
                    day = _day_of(item.get("end_time"))
                    value = item.get("value")
                    if day is None or not isinstance(value, int) or isinstance(value, bool):
                        continue  # breakdown values (dicts) are not page totals
                    report.snapshots += 1
                    yield base | provenance | {
                        "kind": "metric_snapshot",
                        "event_id": f"fb:insights:page:{page_account}:{name}:{day}",
                        "occurred_at": fetched, "scope": "page", "metric": name,
                        "period": plan.page_metrics[name], "day": day.isoformat(),
                        "value": value,
                    }  # fmt: skip
        async for post in graph.pages(
            f"{page_account}/published_posts",
            {"fields": "id,created_time,shares,attachments{media_type,target{id}}",
             "since": _unix(start), "until": _unix(end), "limit": 100},
        ):  # fmt: skip
            report.posts += 1
            async for event in _post(graph, post, plan, base | provenance, now.date(), report):
                yield event


async def _post(
    graph: GraphClient,
    post: Mapping[str, Any],
    plan: Plan,
    base: dict[str, Any],
    today: date,
    report: PollReport,
) -> AsyncIterator[dict[str, Any]]:
    post_id = str(post.get("id"))
    values: dict[str, int] = {}
    shares = post.get("shares")
    if "shares" in plan.post_metrics:
        # no "shares" field: nobody shared it yet
        count = shares.get("count", 0) if isinstance(shares, dict) else 0
        values["shares"] = int(count)
    video_names = set(VIDEO_METRICS.values())
    wanted = {
        m: p
        for m, p in plan.post_metrics.items()
        if m not in POST_FIELD_METRICS and m not in video_names
    }
    video = _video_of(post)
    if video is not None and VIDEO_METRICS[video[0]] in plan.post_metrics:
        name = VIDEO_METRICS[video[0]]
        rows = await _insights(graph, video[1], {name: "lifetime"}, None, None, "lifetime",
                               edge="video_insights")  # fmt: skip
        for row in rows:
            items = row.get("values") or ()
            value = items[-1].get("value") if items else None
            if row.get("name") == name and isinstance(value, int):
                values[name] = value
    if wanted:
        for row in await _insights(graph, post_id, wanted, None, None, period="lifetime"):
            items = row.get("values") or ()
            value = items[-1].get("value") if items else None
            if row.get("name") in wanted and isinstance(value, int):
                values[str(row["name"])] = value
    for name, value in values.items():
        report.snapshots += 1
        yield base | {
            "kind": "metric_snapshot",
            "event_id": f"fb:insights:post:{post_id}:{name}:{today}",
            "occurred_at": base["fetched_at"], "scope": "post", "post_id": post_id,
            "metric": name, "period": plan.post_metrics[name], "day": today.isoformat(),
            "value": value,
        }  # fmt: skip


async def _insights(
    graph: GraphClient,
    object_id: str,
    metrics: Mapping[str, str],
    since: date | None,
    until: date | None,
    period: str = "day",
    edge: str = "insights",
) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"metric": ",".join(metrics), "period": period}
    if since is not None and until is not None:
        params |= {"since": _unix(since), "until": _unix(until)}
    try:
        return [row async for row in graph.pages(f"{object_id}/{edge}", params)]
    except ConfigError:
        if len(metrics) == 1:
            (name,) = metrics
            raise ConfigError(
                f"Meta does not know the metric {name!r} for {object_id}: remove it from "
                "metrics.toml or set its 'until'",
                100,
            ) from None
        for name in metrics:  # find the one Meta refuses, to name it
            await _insights(graph, object_id, {name: metrics[name]}, since, until, period, edge)
        raise


def _video_of(post: Mapping[str, Any]) -> tuple[str, str] | None:
    """("video" | "reel", the video's id) when the post carries one."""
    attachments = post.get("attachments")
    for item in (attachments or {}).get("data") or () if isinstance(attachments, dict) else ():
        kind = str(item.get("media_type") or "")
        target = (item.get("target") or {}).get("id")
        if target and kind in ("video", "reel"):
            return kind, str(target)
    return None


def _day_of(end_time: Any) -> date | None:
    if not isinstance(end_time, str):
        return None
    try:
        end = datetime.fromisoformat(end_time.replace("+0000", "+00:00"))
    except ValueError:
        return None
    return (end - timedelta(days=1)).date()


def _unix(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
