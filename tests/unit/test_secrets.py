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


def test_the_token_never_travels_in_clear_unless_told() -> None:
    """Security review A2: http:// to a remote Grafana and verify=false are refused
    without --insecure; a Grafana on this machine may speak plain HTTP."""
    from somepulse.dashboards.push import check_url

    check_url("https://grafana.example.org", insecure=False)
    check_url("http://localhost:3000", insecure=False)
    with pytest.raises(ValueError, match="in clear"):
        check_url("http://grafana.example.org", insecure=False)
    with pytest.raises(ValueError, match="verify=false"):
        check_url("https://grafana.example.org/?verify=false", insecure=False)
    check_url("http://grafana.example.org", insecure=True)


def test_clickhouse_password_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("from-file\n")
    assert Settings(clickhouse_password_file=secret).clickhouse_secret() == "from-file"  # type: ignore[call-arg]
    assert Settings(clickhouse_password="env").clickhouse_secret() == "env"  # type: ignore[call-arg]
