"""Secrets come from the environment or files, never from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from somepulse.settings import Settings
from somepulse.tools.cli import _parser


def test_grafana_token_from_env_or_file(tmp_path: Path) -> None:
    assert Settings(grafana_token="t1").grafana_api_token() == "t1"  # type: ignore[call-arg]
    secret = tmp_path / "token"
    secret.write_text("t2\n")
    assert Settings(grafana_token_file=secret).grafana_api_token() == "t2"  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="SOMEPULSE_GRAFANA_TOKEN"):
        Settings().grafana_api_token()  # type: ignore[call-arg]
    assert "t1" not in repr(Settings(grafana_token="t1"))  # type: ignore[call-arg]


def test_grafana_push_takes_no_token_argument() -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["grafana", "push", "--url", "http://g", "--token", "x"])
