"""The unit layer's guard works: opening a store or a socket fails the test."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from somepulse.settings import Settings
from somepulse.store import open_store
from tests.conftest import UnitTestIO


def test_a_unit_test_cannot_open_a_store(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="a unit test opened a store"):
        open_store(Settings(data_dir=tmp_path))  # type: ignore[call-arg]


def test_a_unit_test_cannot_open_a_socket() -> None:
    with pytest.raises(UnitTestIO):
        socket.create_connection(("127.0.0.1", 9))
    with pytest.raises(UnitTestIO), socket.socket() as s:
        s.bind(("127.0.0.1", 0))
