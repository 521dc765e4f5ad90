"""Shared fixtures. Tests that open ClickHouse (chDB) carry the ``clickhouse`` marker;
tests that run the broker and a worker carry ``integration``. Neither is mocked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from somepulse.settings import Settings
from somepulse.store import Store, open_store


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", pseudonym_secret="test-secret")  # type: ignore[arg-type]


@pytest.fixture(params=["chdb", "clickhouse-connect"])
def store(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Store]:
    """A migrated store in a fresh directory, once per implementation: ``ChdbStore``
    and ``ClickHouseStore`` (clickhouse-connect, here on its in-process chDB backend,
    since no ClickHouse server can run on this machine). chDB allows one open
    directory per process, so the fixture closes it."""
    if request.param == "clickhouse-connect":
        url = f"chdb://{(settings.data_dir / 'clickhouse').resolve()}"
        settings = settings.model_copy(update={"clickhouse_url": url})
    st = open_store(settings)
    try:
        yield st
    finally:
        st.close()
