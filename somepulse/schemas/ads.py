"""Paid campaigns: spend and delivery per campaign and day."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from somepulse.schemas.base import Count, Day, EventBase, Id


class AdSpend(EventBase):
    kind: Literal["ad_spend"] = "ad_spend"
    campaign_id: Id
    day: Day
    spend: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. NOK, SEK.")
    impressions: Count
    clicks: Count
    reach: Count
