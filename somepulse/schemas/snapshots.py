"""Figures a platform reports periodically: followers and insights (reach is never
derivable from single events, so it arrives as snapshots; the latest one wins)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import Field

from somepulse.schemas.base import EventBase


class FollowerSnapshot(EventBase):
    kind: Literal["follower_snapshot"] = "follower_snapshot"
    followers: int = Field(ge=0)


class InsightsScope(StrEnum):
    PAGE = "page"
    POST = "post"


class InsightsSnapshot(EventBase):
    """Reach/impressions/video views of a post or a page for one day (``day``), as
    reported at ``occurred_at``. For posts the platforms report lifetime totals, for
    pages per-day totals; a later snapshot of the same day revises the earlier one."""

    kind: Literal["insights_snapshot"] = "insights_snapshot"
    scope: InsightsScope
    day: date
    reach: int = Field(ge=0)
    impressions: int = Field(ge=0)
    video_views: int = Field(0, ge=0)
