"""ClickHouse behind one small interface: chDB embedded, clickhouse-connect for servers."""

from __future__ import annotations

from somepulse.settings import Settings
from somepulse.store.base import ReadOnlyStore, Store, StoreError
from somepulse.store.reference import Reference, sync_reference
from somepulse.store.schema import (
    SchemaMissing,
    create_functions,
    create_views,
    migrate_tables,
    require_schema,
)


def open_store(settings: Settings) -> Store:
    """The store the settings point at, as it is (read paths: no DDL, no INSERT)."""
    if settings.clickhouse_url is None:
        from somepulse.store.chdb import ChdbStore

        return ChdbStore(settings.chdb_dir, settings.clickhouse_database)
    from somepulse.store.server import ClickHouseStore

    return ClickHouseStore(
        settings.clickhouse_url,
        settings.clickhouse_user,
        settings.clickhouse_secret(),
        settings.clickhouse_database,
        str(settings.clickhouse_ca_file) if settings.clickhouse_ca_file else None,
    )


def open_read_only(settings: Settings) -> ReadOnlyStore:
    """Analysts' store: read-only by construction. Embedded: a chDB connection with
    ``readonly=1`` and the limits; server: the configured (analyst) user, whose profile
    is read-only (``deploy/clickhouse/users.d``)."""
    if settings.clickhouse_url is None:
        from somepulse.store.chdb import ReadOnlyChdbStore

        return ReadOnlyChdbStore(
            settings.chdb_dir, settings.clickhouse_database, settings.sql_limits
        )
    return open_store(settings)


def prepare(
    store: Store, raw_retention_days: int, reference: Reference, text_retention_days: int = 30
) -> list[int]:
    """The worker's start: migrate tables, (re)define functions, load changed
    reference data, re-create views. Returns the migrations newly applied."""
    new = migrate_tables(store, raw_retention_days, text_retention_days)
    create_functions(store)
    sync_reference(store, reference)
    create_views(store)
    return new


def open_prepared_store(settings: Settings, reference: Reference | None = None) -> Store:
    """The writer's store (worker, demo, tests): opened and prepared."""
    store = open_store(settings)
    try:
        prepare(
            store,
            settings.raw_retention_days,
            reference or settings_reference(settings),
            settings.text_retention_days,
        )
    except BaseException:
        store.close()
        raise
    return store


def settings_reference(settings: Settings) -> Reference:
    return Reference.load(settings.config_dir)


__all__ = [
    "ReadOnlyStore",
    "Reference",
    "SchemaMissing",
    "Store",
    "StoreError",
    "open_prepared_store",
    "open_read_only",
    "open_store",
    "prepare",
    "require_schema",
]
