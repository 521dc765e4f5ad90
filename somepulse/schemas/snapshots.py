"""Figures a platform reports periodically: followers and insights (reach is never
derivable from single events, so it arrives as snapshots; the latest one wins)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from somepulse.schemas.base import Count, Day, EventBase


class FollowerSnapshot(EventBase):
    kind: Literal["follower_snapshot"] = "follower_snapshot"
    followers: Count


class InsightsScope(StrEnum):
    PAGE = "page"
    POST = "post"


class InsightsSnapshot(EventBase):
    """Reach/impressions/video views of a post or a page for one day (``day``), as
    reported at ``occurred_at``. For posts the platforms report lifetime totals, for
    pages per-day totals; a later snapshot of the same day revises the earlier one."""

    kind: Literal["insights_snapshot"] = "insights_snapshot"
    scope: InsightsScope
    day: Day
    reach: Count
    impressions: Count
    video_views: Count = 0


class MetricPeriod(StrEnum):
    """What span a platform's value covers (Meta's ``period``)."""

    DAY = "day"
    WEEK = "week"
    DAYS_28 = "days_28"
    MONTH = "month"
    LIFETIME = "lifetime"  # a post's total so far
    TOTAL = "total"  # a count now (followers)


class SnapshotSource(StrEnum):
    WEBHOOK = "webhook"
    POLL = "poll"
    EXPORT = "export"  # a file a team downloaded (LinkedIn, X, YouTube Studio)
    GENERATOR = "generator"  # the scenario


class MetricSnapshot(EventBase):
    """A total a platform reports, in the platform's own terms: ``metric`` as the
    platform names it (``page_total_media_view_unique``, ``post_clicks``,
    ``shares``…), the ``period`` it covers ending on ``day`` (the page's local day),
    the ``value``, where it came from and when it was fetched. Clicks, views, shares
    of a page's post, reach and follows only ever exist as such totals; the metric
    catalogue (``config/metrics.toml``) maps each to a SoMe Pulse measure. A later
    fetch of the same metric, period, day and breakdown revises the earlier one."""

    kind: Literal["metric_snapshot"] = "metric_snapshot"
    scope: InsightsScope
    metric: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.:-]{0,99}$")
    period: MetricPeriod
    day: Day
    # LinkedIn's daily follower and share statistics can be negative (un-follows)
    value: int = Field(ge=-(10**12), le=10**12)
    breakdown: str | None = Field(
        None, max_length=200, description="A breakdown value, e.g. is_from_ads:true."
    )
    source: SnapshotSource
    api_version: str | None = Field(None, max_length=20, description="e.g. v25.0")
    fetched_at: AwareDatetime

    @model_validator(mode="after")
    def _post_scope_names_a_post(self) -> Self:
        if (self.scope == "post") != (self.post_id is not None):
            raise ValueError("post_id is required for scope post and only for it")
        return self
