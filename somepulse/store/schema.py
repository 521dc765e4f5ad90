"""Numbered, idempotent migrations from ``deploy/clickhouse/`` (the one place DDL lives).

Files are templates: ``{db}`` and ``{raw_retention_days}`` are filled from settings,
and ``LOCAL_DATE(expr)`` becomes the page's local date of ``expr`` (ClickHouse wants a
constant time zone, so the page -> zone map from ``somepulse/config/pages.toml`` is rendered in).
Tables are ``IF NOT EXISTS`` and views ``OR REPLACE``, so applying twice is harmless
and a changed page directory reaches the views; applied versions are recorded in
``schema_migrations`` for operators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from somepulse.domain.pages import PageInfo, load_pages, local_date_sql
from somepulse.domain.score import grade_sql, load_score_config, score_sql
from somepulse.domain.stopwords import stop_words_sql
from somepulse.store.base import Store
from somepulse.store.reference import sync_pages

DDL_DIR = Path(__file__).resolve().parent / "sql"
_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


_LOCAL_DATE = re.compile(r"LOCAL_DATE\(([^()]+)\)")


def load_migrations(
    db: str,
    raw_retention_days: int,
    pages: list[PageInfo] | None = None,
    default_tz: str = "Europe/Oslo",
    ddl_dir: Path = DDL_DIR,
) -> list[Migration]:
    pages = load_pages() if pages is None else pages
    migrations = []
    for path in sorted(ddl_dir.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            continue
        text = path.read_text().replace("{db}", db)
        text = text.replace("{raw_retention_days}", str(raw_retention_days))
        text = _LOCAL_DATE.sub(lambda m: local_date_sql(m.group(1), pages, default_tz), text)
        text = text.replace("STOP_WORDS", stop_words_sql())
        score = load_score_config()
        text = text.replace("SCORE_SQL", score_sql(score)).replace("GRADE_SQL", grade_sql("score"))
        statements = tuple(s.strip() for s in _split(text) if s.strip())
        migrations.append(Migration(int(match.group(1)), match.group(2), statements))
    return migrations


def _split(text: str) -> list[str]:
    # Statements end with ';' at a line end; comment lines are kept (ClickHouse skips them).
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return re.split(r";\s*(?:\n|$)", body)


def migrate(
    store: Store,
    raw_retention_days: int,
    pages: list[PageInfo] | None = None,
    default_tz: str = "Europe/Oslo",
) -> list[int]:
    """Apply every migration and load the page directory; return the versions newly
    recorded."""
    pages = load_pages() if pages is None else pages
    db = store.database
    store.command(f"CREATE DATABASE IF NOT EXISTS {db}")
    store.command(
        f"CREATE TABLE IF NOT EXISTS {db}.schema_migrations "
        "(version UInt32, name String, applied_at DateTime DEFAULT now()) "
        "ENGINE = ReplacingMergeTree ORDER BY version"
    )
    done = {r["version"] for r in store.query(f"SELECT version FROM {db}.schema_migrations")}
    new = []
    for migration in load_migrations(db, raw_retention_days, pages, default_tz):
        for statement in migration.statements:
            store.command(statement)
        if migration.version not in done:
            store.command(
                f"INSERT INTO {db}.schema_migrations (version, name) "
                f"VALUES ({migration.version}, '{migration.name}')"
            )
            new.append(migration.version)
    _apply_retention(store, raw_retention_days)
    sync_pages(store, pages)
    return new


def _apply_retention(store: Store, days: int) -> None:
    """Keep the raw-events TTL equal to the setting (a changed setting takes effect)."""
    db = store.database
    rows = store.query(
        f"SELECT engine_full FROM system.tables WHERE database = '{db}' AND name = 'events'"
    )
    if rows and f"toIntervalDay({days})" not in rows[0]["engine_full"]:
        store.command(
            f"ALTER TABLE {db}.events MODIFY TTL toDateTime(ingested_at) + INTERVAL {days} DAY"
        )
