"""SoMe Pulse's measures and the catalogue that maps platform metrics to them
(``config/metrics.toml``): which metric feeds reach, views, follows, clicks or shares
on which platform, from when until when, and which renames are one series (a bridge)
and which are a break. Views, boards and year-over-year comparisons read the catalogue
from ClickHouse (``metric_catalogue``), so a platform's next rename is a line of data.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from somepulse.config import config_file
from somepulse.domain.config_files import entry_lines, problems
from somepulse.schemas.base import Platform
from somepulse.schemas.snapshots import InsightsScope, MetricPeriod

MEASURES = (
    "reach", "views", "follows", "clicks", "shares", "video_views", "platform_engagement",
    "page_visits",
)  # fmt: skip
# views: times the content was seen (impressions, media views); video_views: times a
# video or reel was played (a different count: a seen post is not a played video);
# platform_engagement: a platform's own engagement sum (Meta's page_post_engagements),
# kept beside SoMe Pulse's engagement (reactions + comments + shares + clicks), never
# instead of it: its definition is Meta's and changes with Meta; page_visits: views of
# the page itself (LinkedIn's page views), not of its content
Measure = Literal[
    "reach",
    "views",
    "follows",
    "clicks",
    "shares",
    "video_views",
    "platform_engagement",
    "page_visits",
]
DEFAULT_METRICS_FILE = config_file("metrics.toml")


class CatalogueError(ValueError):
    """A catalogue that cannot be used, with the file and line to fix."""


class CatalogueMetric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    platform: Platform
    scope: InsightsScope
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.:-]{0,99}$")
    measure: Measure
    period: MetricPeriod
    series: str = Field(pattern=r"^[a-z0-9_.-]+$")
    valid_from: date = Field(alias="from")
    valid_until: date | None = Field(None, alias="until")
    definition: str

    @model_validator(mode="after")
    def _span(self) -> CatalogueMetric:
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise ValueError("until must be after from")
        return self

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day < self.valid_until)


def load_catalogue(path: Path = DEFAULT_METRICS_FILE) -> list[CatalogueMetric]:
    text = path.read_text()
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: {exc}") from None
    headers = entry_lines(text, "metric")
    metrics: list[CatalogueMetric] = []
    for index, entry in enumerate(doc.get("metric", [])):
        where = f"{path}:{headers[index] if index < len(headers) else 0}"
        try:
            metrics.append(CatalogueMetric.model_validate(entry))
        except ValidationError as exc:
            raise CatalogueError(
                f"{where}: metric {entry.get('name')!r}: {problems(exc)}"
            ) from None
        key = (metrics[-1].platform, metrics[-1].scope, metrics[-1].name)
        if sum((m.platform, m.scope, m.name) == key for m in metrics) > 1:
            raise CatalogueError(f"{where}: {'/'.join(key)} appears twice")
    _check_series(metrics, path)
    return metrics


def _check_series(metrics: list[CatalogueMetric], path: Path) -> None:
    """A series is one quantity: one platform, scope, measure and period."""
    first: dict[str, CatalogueMetric] = {}
    for metric in metrics:
        seen = first.setdefault(metric.series, metric)
        same = (seen.platform, seen.scope, seen.measure, seen.period)
        if (metric.platform, metric.scope, metric.measure, metric.period) != same:
            raise CatalogueError(
                f"{path}: series {metric.series!r} mixes {seen.name} and {metric.name}: "
                "a series must keep its platform, scope, measure and period"
            )


def current_metric(
    catalogue: list[CatalogueMetric], platform: str, scope: str, measure: str, day: date
) -> CatalogueMetric | None:
    """The metric a collector should ask for: the newest one valid on ``day``."""
    valid = [
        m
        for m in catalogue
        if m.platform == platform and m.scope == scope and m.measure == measure and m.valid_on(day)
    ]
    return max(valid, key=lambda m: m.valid_from, default=None)
