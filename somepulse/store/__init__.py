"""ClickHouse behind one small interface: chDB embedded, clickhouse-connect for servers."""

from __future__ import annotations

from somepulse.settings import Settings
from somepulse.store.base import Store, StoreError
from somepulse.store.schema import migrate


def open_store(settings: Settings, *, run_migrations: bool = True) -> Store:
    """The store the settings point at, migrated to the current schema."""
    store: Store
    if settings.clickhouse_url is None:
        from somepulse.store.chdb import ChdbStore

        store = ChdbStore(settings.chdb_dir, settings.clickhouse_database)
    else:
        from somepulse.store.server import ClickHouseStore

        store = ClickHouseStore(
            settings.clickhouse_url,
            settings.clickhouse_user,
            settings.clickhouse_password.get_secret_value(),
            settings.clickhouse_database,
        )
    if run_migrations:
        migrate(store, settings.raw_retention_days)
    return store


__all__ = ["Store", "StoreError", "migrate", "open_store"]
