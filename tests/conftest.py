"""Shared fixtures, and the test layers (Snuba's rule: a test that touches a service
says so, and a unit test that does is a failure):

* ``tests/unit/``: no I/O. An autouse guard makes opening a ClickHouse store or a
  network connection raise ``UnitTestIO``;
* ``tests/clickhouse/``: a real ClickHouse engine (chDB), marked ``clickhouse``;
* ``tests/integration/``: real processes (embedded broker, workers, Alertmanager,
  HTTP stand-ins of external services), marked ``integration``;
* ``tests/kafka/``: Apache Kafka from Maven (``tests/kafka_broker.py``), the deployed
  stack's broker with its users and ACLs, marked ``kafka``.

Nothing of Kafka or ClickHouse is mocked in any layer.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from somepulse.settings import Settings
from somepulse.store import Store, open_prepared_store
from tests.helpers import TEST_SECRET

LAYERS = ("unit", "clickhouse", "integration", "kafka")


class UnitTestIO(RuntimeError):
    """A unit test opened a store or a socket."""


def _layer(node: Any) -> str | None:
    parts = Path(str(node.fspath)).parts
    return next((layer for layer in LAYERS if layer in parts), None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        layer = _layer(item)
        if layer in ("clickhouse", "integration", "kafka"):
            item.add_marker(layer)


@pytest.fixture(autouse=True)
def _unit_tests_do_no_io(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if _layer(request.node) != "unit":
        return

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise UnitTestIO(
            "a unit test opened a store or a socket: move it to tests/clickhouse or "
            "tests/integration"
        )

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "bind", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    from chdb import session

    monkeypatch.setattr(session.Session, "__init__", refuse)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", pseudonym_secret=TEST_SECRET)  # type: ignore[arg-type]


@pytest.fixture(params=["chdb", "clickhouse-connect"])
def store(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Store]:
    """A prepared store in a fresh directory, once per implementation: ``ChdbStore``
    and ``ClickHouseStore`` (clickhouse-connect, here on its in-process chDB backend,
    since no ClickHouse server can run on this machine). chDB allows one open
    directory per process, so the fixture closes it."""
    if request.param == "clickhouse-connect":
        url = f"chdb://{(settings.data_dir / 'clickhouse').resolve()}"
        settings = settings.model_copy(update={"clickhouse_url": url})
    st = open_prepared_store(settings)
    try:
        yield st
    finally:
        st.close()
