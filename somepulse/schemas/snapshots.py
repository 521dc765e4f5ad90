"""Figures a platform reports periodically: followers and insights (reach is never
derivable from single events, so it arrives as snapshots; the latest one wins)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

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
