"""Shared fixtures. Tests that open ClickHouse (chDB) carry the ``clickhouse`` marker;
tests that run the broker and a worker carry ``integration``. Neither is mocked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.settings import Settings
from streams.store import Store, open_store


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", pseudonym_secret="test-secret")  # type: ignore[arg-type]


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    """A migrated chDB store in a fresh directory. chDB allows one open directory per
    process, so store-using tests must close it (this fixture does)."""
    st = open_store(settings)
    try:
        yield st
    finally:
        st.close()
