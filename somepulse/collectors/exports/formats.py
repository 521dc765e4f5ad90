"""The export files teams download by hand, and what each column becomes.

A format is recognised by its required columns; every other column it knows is read
when present; columns it does not read are ignored with a warning. It reads the columns
that feed a SoMe Pulse measure (``config/metrics.toml``); likes, replies and the like
are per-person counts elsewhere and totals here, and are left out rather than counted
twice. Each value becomes a
``metric_snapshot`` in the platform's own name (``source: export``), which the metric
catalogue maps to SoMe Pulse's measures. Column names are the ones the platforms write
(research notes §2.2; a sample of each in ``tests/data/exports``).

X and LinkedIn report per post what the post has gathered so far: a lifetime total as
of the export. The day it stands for is the newest day in the file, so importing the
same file again, on any day, makes the same events.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExportFormat:
    name: str
    platform: str
    scope: str  # "post": one row per post; "page": one row per day of the page
    id_column: str  # the post id (scope post) or the day (scope page)
    date_column: str  # when the post was published, or the day
    metrics: dict[str, str]  # column -> the metric name it is stored under
    period: str  # "lifetime" (per post so far) or "day" / "total" (page rows)
    required: frozenset[str]
    date_formats: tuple[str, ...] = (
        "%Y-%m-%d %H:%M %z",
        "%Y-%m-%d",
        "%m/%d/%Y",
        "%Y-%m-%d %H:%M:%S",
    )

    def __post_init__(self) -> None:
        missing = self.required - set(self.metrics) - {self.id_column, self.date_column}
        assert not missing, f"{self.name}: required columns it does not read: {missing}"


FORMATS = (
    ExportFormat(
        "X post activity (tweet_activity_metrics_*.csv)",
        "x", "post", "Tweet id", "time",
        {"impressions": "impressions", "retweets": "retweets", "url clicks": "url_clicks",
         "engagements": "engagements"},
        "lifetime",
        frozenset({"Tweet id", "time", "impressions"}),
    ),
    ExportFormat(
        "X account analytics content (account_analytics_content_*.csv)",
        "x", "post", "Post id", "Date",
        {"Impressions": "impressions", "Reposts": "reposts", "URL Clicks": "url_clicks",
         "Engagements": "engagements"},
        "lifetime",
        frozenset({"Post id", "Date", "Impressions"}),
        ("%a, %b %d, %Y", "%Y-%m-%d", "%b %d, %Y"),
    ),
    ExportFormat(
        "LinkedIn page content (updates), saved as CSV",
        "linkedin", "post", "Update link", "Created date",
        {"Impressions": "export.impressions", "Clicks": "export.clicks",
         "Reposts": "export.reposts"},
        "lifetime",
        frozenset({"Update link", "Created date", "Impressions", "Clicks"}),
        ("%m/%d/%Y", "%Y-%m-%d"),
    ),
    ExportFormat(
        "LinkedIn page followers, saved as CSV",
        "linkedin", "page", "Date", "Date",
        {"Total followers": "followerCount"},
        "total",
        frozenset({"Date", "Total followers"}),
        ("%m/%d/%Y", "%Y-%m-%d"),
    ),
    ExportFormat(
        "LinkedIn page visitors, saved as CSV",
        "linkedin", "page", "Date", "Date",
        {"Total page views (total)": "export.page_views"},
        "day",
        frozenset({"Date", "Total page views (total)"}),
        ("%m/%d/%Y", "%Y-%m-%d"),
    ),
    ExportFormat(
        "YouTube Studio table data (Table data.csv)",
        "youtube", "post", "Content", "Video publish time",
        {"Views": "export.views", "Impressions": "export.impressions"},
        "lifetime",
        frozenset({"Content", "Video publish time", "Views"}),
        ("%b %d, %Y", "%Y-%m-%d"),
    ),
)  # fmt: skip


def recognise(columns: list[str]) -> ExportFormat | None:
    """The format whose required columns the header has (the most specific first)."""
    have = {c.strip() for c in columns}
    matches = [f for f in FORMATS if f.required <= have]
    return max(matches, key=lambda f: len(f.required), default=None)
