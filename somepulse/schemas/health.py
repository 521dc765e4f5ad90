"""A collector saying whether it can read a page's source: ``up`` while it reads (a
heartbeat at most every few minutes, and at once after any other state), ``limited``
while it waits out a rate limit or a spent quota, ``down`` while the platform or the
network fails it (it retries by itself), ``broken`` when a person must act (a refused
token, app password or permission). The worker alerts on them (``alerts.silence``), and
hours a source was not ``up`` are known gaps rather than quiet hours."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from somepulse.schemas.base import EventBase


class SourceState(StrEnum):
    UP = "up"
    LIMITED = "limited"
    DOWN = "down"
    BROKEN = "broken"


class SourceStatus(EventBase):
    kind: Literal["source_status"] = "source_status"
    collector: str = Field(
        pattern=r"^[a-z][a-z0-9-]{0,39}$",
        description="The collector that reads the source: meta-insights, bluesky, …",
    )
    state: SourceState
    detail: str | None = Field(
        None,
        max_length=500,
        pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]*$",
        description="What failed, in words a person can act on (never a secret).",
    )
    next_within: int | None = Field(
        None,
        ge=1,
        le=7 * 86_400,
        description="Seconds within which the collector will say something again (a daemon: "
        "300; a scheduled poll: its interval); absent when it makes no promise.",
    )
