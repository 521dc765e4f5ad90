"""The ClickHouse schema: tables through numbered, recorded migrations; functions and
views re-created from their files at every start (PostHog's split: DDL written once,
tables evolve forward only, views are cheap to replace).

* ``sql/tables/NNN_name.sql`` (and the rollups of ``rollups.py``) are migrations:
  each is applied once, in order, and recorded in ``schema_migrations``. A change to
  an existing table is a new migration with an ``ALTER`` (``012_reference_data``).
  The only macro is ``{db}`` (and ``{raw_retention_days}`` in the events TTL, which
  ``apply_retention`` keeps equal to the setting).
* ``sql/functions.sql`` and ``sql/views/NN_name.sql`` are re-created at every start
  (``CREATE OR REPLACE``), after the reference data (``reference.py``) defined
  ``{db}_local_date``. A view never carries configuration.

Only the worker (and the demo that runs it) prepares the schema; read commands open
the store as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from somepulse.store import rollups
from somepulse.store.base import ReadOnlyStore, Store

SQL_DIR = Path(__file__).resolve().parent / "sql"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


def _file(name: str) -> Callable[[], tuple[str, ...]]:
    return lambda: split(((SQL_DIR / "tables") / name).read_text())


# Versions 3, 5, 6, 7 and 8 were views in release 0.1 (now views/); 2 and 9 are the
# rollups, generated from one definition. max_migration: the newest version below.
MIGRATIONS: tuple[tuple[int, str, Callable[[], tuple[str, ...]]], ...] = (
    (1, "events", _file("001_events.sql")),
    (2, "engagement_1m", lambda: rollups.table_statements(rollups.MINUTE)),
    (4, "pages", _file("004_pages.sql")),
    (9, "engagement_1h", lambda: rollups.table_statements(rollups.HOUR)),
    (10, "alerts", _file("010_alerts.sql")),
    (11, "drop_daily_rollup", _file("011_drop_daily_rollup.sql")),
    (12, "reference_data", _file("012_reference_data.sql")),
    (13, "erasure_log", _file("013_erasure_log.sql")),
    (14, "accounts", _file("014_accounts.sql")),
    (15, "metric_snapshots", _file("015_metric_snapshots.sql")),
    (16, "score_min_questions", _file("016_score_min_questions.sql")),
    (17, "automated_replies", _file("017_automated_replies.sql")),
    (18, "mentions", _file("018_mentions.sql")),
    (
        19,
        "item_changes",
        lambda: (
            _file("019_item_changes.sql")()
            + rollups.change_statements(rollups.MINUTE)
            + rollups.change_statements(rollups.HOUR)
        ),
    ),
    (20, "needs_reply", _file("020_needs_reply.sql")),
    (21, "source_status", _file("021_source_status.sql")),
    (22, "surge_verdicts", _file("022_surge_verdicts.sql")),
    (23, "alert_posts", _file("023_alert_posts.sql")),
    (
        24,
        "yearly_partitions",
        lambda: (
            _file("024_yearly_partitions.sql")()
            + rollups.materialized_view_statements(rollups.MINUTE)
            + rollups.materialized_view_statements(rollups.HOUR)
        ),
    ),
)
MAX_MIGRATION = MIGRATIONS[-1][0]


def split(text: str) -> tuple[str, ...]:
    """Statements end with ';' at a line end; comment lines are dropped."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return tuple(s.strip() for s in re.split(r";\s*(?:\n|$)", body) if s.strip())


def render(statement: str, db: str, raw_retention_days: int = 730) -> str:
    return statement.replace("{db}", db).replace("{raw_retention_days}", str(raw_retention_days))


def migrations(db: str, raw_retention_days: int = 730) -> list[Migration]:
    return [
        Migration(v, name, tuple(render(s, db, raw_retention_days) for s in build()))
        for v, name, build in MIGRATIONS
    ]


def functions(db: str) -> tuple[str, ...]:
    return tuple(render(s, db) for s in split((SQL_DIR / "functions.sql").read_text()))


def views(db: str) -> tuple[str, ...]:
    """Every view, in dependency order: the semantic layer first, then the rollup
    views, then the files' order."""
    files = sorted((SQL_DIR / "views").glob("*.sql"))
    statements = list(split(files[0].read_text())) + list(rollups.view_statements())
    for path in files[1:]:
        statements += split(path.read_text())
    return tuple(render(s, db) for s in statements)


_VIEW = re.compile(r"CREATE OR REPLACE VIEW \{db\}\.(\w+)")
_PARAMETER = re.compile(r"\{\w+:[^}]+\}")  # a query parameter, ``{since:DateTime64(3)}``


@cache
def parameterised_views() -> frozenset[str]:
    """The views that take query parameters (``responses_since(since = ...)``): called
    like table functions, so the analysts' SQL check must know them by name."""
    names = set()
    for path in sorted((SQL_DIR / "views").glob("*.sql")):
        for statement in split(path.read_text()):
            view = _VIEW.search(statement)
            if view and _PARAMETER.search(statement):
                names.add(view.group(1))
    return frozenset(names)


def applied(store: ReadOnlyStore) -> set[int]:
    db = store.database
    rows = store.query(
        f"SELECT count() AS n FROM system.tables WHERE database = '{db}' "
        "AND name = 'schema_migrations'"
    )
    if not rows or not int(rows[0]["n"]):
        return set()
    return {int(r["version"]) for r in store.query(f"SELECT version FROM {db}.schema_migrations")}


def migrate_tables(
    store: Store, raw_retention_days: int, text_retention_days: int = 30
) -> list[int]:
    """Apply the migrations not yet recorded, in order; return their versions."""
    db = store.database
    store.command(f"CREATE DATABASE IF NOT EXISTS {db}")
    store.command(
        f"CREATE TABLE IF NOT EXISTS {db}.schema_migrations "
        "(version UInt32, name String, applied_at DateTime DEFAULT now()) "
        "ENGINE = ReplacingMergeTree ORDER BY version"
    )
    done = applied(store)
    new = []
    for migration in migrations(db, raw_retention_days):
        if migration.version in done:
            continue
        for statement in migration.statements:
            store.command(statement)
        store.command(
            f"INSERT INTO {db}.schema_migrations (version, name) "
            f"VALUES ({migration.version}, '{migration.name}')"
        )
        new.append(migration.version)
    apply_retention(store, raw_retention_days, text_retention_days)
    return new


def create_functions(store: Store) -> None:
    for statement in functions(store.database):
        store.command(statement)


def create_views(store: Store) -> None:
    for statement in views(store.database):
        store.command(statement)


def apply_retention(store: Store, days: int, text_days: int = 30) -> None:
    """Keep the events' TTLs equal to the settings (a changed setting takes effect):
    rows after ``days``; text people wrote after ``text_days`` (the page's own post text
    lives as long as its row)."""
    db = store.database
    rows = store.query(
        f"SELECT engine_full, create_table_query FROM system.tables "
        f"WHERE database = '{db}' AND name = 'events'"
    )
    if not rows:
        return
    if f"toIntervalDay({days})" not in rows[0]["engine_full"]:
        store.command(
            f"ALTER TABLE {db}.events MODIFY TTL toDateTime(ingested_at) + INTERVAL {days} DAY"
        )
    text_ttl = (
        "toDateTime(ingested_at) + "
        f"toIntervalDay(if(kind = 'post_published', {days}, {min(text_days, days)}))"
    )
    if text_ttl not in rows[0]["create_table_query"].replace("\\'", "'"):
        store.command(
            f"ALTER TABLE {db}.events MODIFY COLUMN text String DEFAULT '' TTL {text_ttl}"
        )


class SchemaMissing(Exception):
    """A read command found no schema: nothing has been stored yet."""


def require_schema(store: ReadOnlyStore) -> None:
    """For read paths: fail clearly when no worker ever prepared this store."""
    if MAX_MIGRATION not in applied(store):
        raise SchemaMissing(
            f"database {store.database!r} has no current SoMe Pulse schema yet: "
            "start `somepulse worker` (or `somepulse demo`) once to create it"
        )


def ddl_text(db: str = "somepulse") -> str:
    """Every statement as applied (the snapshot ``tests/snapshots/ddl.sql`` pins it)."""
    parts = [
        f"-- migration {m.version:03d}_{m.name}\n" + ";\n\n".join(m.statements) + ";\n"
        for m in migrations(db)
    ]
    parts.append("-- functions (every start)\n" + ";\n\n".join(functions(db)) + ";\n")
    parts.append("-- views (every start)\n" + ";\n\n".join(views(db)) + ";\n")
    return "\n".join(parts)
