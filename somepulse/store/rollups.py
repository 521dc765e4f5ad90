"""The engagement rollups, defined once: the per-minute and per-hour tables (migrations
2 and 9), their materialized views (migration 19) and the plain-number views over them
(``v_engagement_1m``, ``_1h`` and ``_1d``, re-created at every start).

Counts are ``uniqExact(event_id)`` states, so a replayed event adds nothing (plain
counters would double count; PostHog's lesson). Removals have their own state column
(``removed``): a count is added − removed (``domain.signals.count_sign``), so the
rollups subtract without ever rewriting a row, and a replayed removal takes nothing
twice. One state per row, keyed by interaction type, costs a third of one state column
per type at insert. The hourly rollup merges the minute states (exact and cheap: it
sees pre-aggregated rows). Days are the page's local days, derived at read time from
hours (whole-hour time zones, like the Nordic ones, map hours to days exactly) so that
the page directory stays data.
"""

from __future__ import annotations

from dataclasses import dataclass

from somepulse.domain.signals import COUNTERS, ENGAGEMENT_TYPES


@dataclass(frozen=True)
class Rollup:
    table: str
    column: str  # the time bucket column
    unit: str  # for comments: minute, hour
    bucket: str  # SQL for the bucket over the source
    source: str  # events, or the finer rollup


MINUTE = Rollup("engagement_1m", "minute", "minute", "toStartOfMinute(occurred_at)", "events")
HOUR = Rollup("engagement_1h", "hour", "hour", "toStartOfHour(minute)", "engagement_1m")


def table_statements(r: Rollup) -> tuple[str, ...]:
    """The rollup's table (migrations 2 and 9; its materialized view is migration 19's,
    which needs the events' ``verb`` column)."""
    table = f"""CREATE TABLE IF NOT EXISTS {{db}}.{r.table}
(
    page_id    LowCardinality(String),
    platform   LowCardinality(String),
    post_id    String,
    {r.column:<10} DateTime('UTC'),
    subtype    LowCardinality(String) COMMENT 'interaction type, or "in" for private messages',
    events     AggregateFunction(uniqExact, String),
    questions  AggregateFunction(uniqExact, String),
    removed    AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM({r.column})
ORDER BY (page_id, platform, {r.column}, post_id, subtype)
COMMENT 'rollup: uniqExact states per {r.unit}, page, post and interaction type \
(read v_{r.table})'"""
    return (table,)


def change_statements(r: Rollup) -> tuple[str, ...]:
    """Migration 19: the removals' state column (a table from release 0.1 lacks it) and
    the materialized view that counts adds and removals apart."""
    return (
        f"ALTER TABLE {{db}}.{r.table} ADD COLUMN IF NOT EXISTS "
        "removed AggregateFunction(uniqExact, String)",
        *materialized_view_statements(r),
    )


def materialized_view_statements(r: Rollup) -> tuple[str, ...]:
    """The view that fills the rollup at insert (migration 19's, again in migration 24
    over the tables partitioned by year)."""
    return (
        f"DROP VIEW IF EXISTS {{db}}.{r.table}_mv",
        f"CREATE MATERIALIZED VIEW {{db}}.{r.table}_mv TO {{db}}.{r.table} AS\n"
        + select_statement(r),
    )


def select_statement(r: Rollup, condition: str = "") -> str:
    """The rollup's rows computed from its source: the materialized view's query, and
    the recomputation of a slice after an erasure (``condition`` on the source)."""
    filters = [condition] if condition else []
    if r.source == "events":
        states = (
            "uniqExactStateIf(event_id, verb = 'add') AS events,\n"
            # {db}_is_question for the rows kept (a migration cannot rely on functions)
            "    uniqExactStateIf(event_id, is_question AND verb = 'add') AS questions,\n"
            "    uniqExactStateIf(event_id, verb = 'remove') AS removed"
        )
        # edits, hides and unhides move no count: not a row here
        filters[:0] = [
            "kind = 'interaction' OR (kind = 'private_message' AND direction = 'in')",
            "verb IN ('add', 'remove')",
        ]
    else:
        states = (
            "uniqExactMergeState(events) AS events,\n"
            "    uniqExactMergeState(questions) AS questions,\n"
            "    uniqExactMergeState(removed) AS removed"
        )
    where = (
        ""
        if not filters
        else "\nWHERE "
        + (filters[0] if len(filters) == 1 else " AND ".join(f"({f})" for f in filters))
    )
    return f"""SELECT
    page_id, platform, post_id, {r.bucket} AS {r.column}, subtype,
    {states}
FROM {{db}}.{r.source}{where}
GROUP BY page_id, platform, post_id, {r.column}, subtype"""


def view_statement(r: Rollup, name: str | None = None, bucket: str | None = None) -> str:
    """The plain-number view: one column per counter and engagement (the rule of
    ``domain/signals.py``), per ``bucket`` (default: the rollup's own)."""
    column = bucket or r.column
    alias = "day" if bucket else r.column
    counters = ",\n    ".join(
        f"toInt64(uniqExactMergeIf(events, subtype = '{name_}'))"
        f" - toInt64(uniqExactMergeIf(removed, subtype = '{name_}')) AS {col}"
        for name_, col in COUNTERS
        if name_ != "question"
    )
    plural = dict(COUNTERS)
    engagement = " + ".join(plural[t] for t in ENGAGEMENT_TYPES)
    unit = "local day" if bucket else r.unit
    return f"""CREATE OR REPLACE VIEW {{db}}.{name or "v_" + r.table} AS
SELECT
    page_id, platform, post_id, {column} AS {alias},
    {counters},
    uniqExactMerge(questions) AS questions,
    {engagement} AS engagement
FROM {{db}}.{r.table}
GROUP BY page_id, platform, post_id, {alias}
COMMENT 'per {unit}, page, platform and post: {", ".join(c for _, c in COUNTERS)}, engagement \
(added − removed: a removal counts −1 when it happens)'"""


def view_statements() -> tuple[str, ...]:
    return (
        view_statement(MINUTE),
        view_statement(HOUR),
        view_statement(HOUR, "v_engagement_1d", "{db}_local_date(page_id, hour)"),
    )
