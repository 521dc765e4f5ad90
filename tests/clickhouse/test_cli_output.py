"""The operators' CLI: results on stdout in the format asked for, errors on stderr in one
line with an exit code a script can tell apart, files checked before anything is
connected to, help on every option."""

from __future__ import annotations

import argparse
import csv
import io
import json
import time
from pathlib import Path

import orjson
import pytest

from somepulse import __version__
from somepulse.settings import Settings
from somepulse.store import open_prepared_store
from somepulse.tools.cli import USAGE, _parser, main

pytestmark = pytest.mark.clickhouse


def alert(state: str, at: str, rule: str = "questions") -> bytes:
    return orjson.dumps(
        {
            "alert_id": f"nav.foreldrepenger/facebook/{rule}/1",
            "state": state,
            "at": at,
            "decided_at": at,
            "page_id": "nav.foreldrepenger",
            "platform": "facebook",
            "rule": rule,
            "metric": rule,
            "severity": "warning",
            "observed": 412,
            "baseline": 170,
            "ratio": 412 / 170,
            "p_value": 1e-9,
            "summary": "412 questions in 24 h, usually 153-187",
        }
    )


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SOMEPULSE_DATA_DIR", str(tmp_path / "var"))
    settings = Settings()
    store = open_prepared_store(settings)
    # questions fired and resolved; reach fired and still firing
    store.insert(
        "alerts",
        b"\n".join(
            [
                alert("firing", "2020-03-12 10:00:00"),
                alert("resolved", "2020-03-20 08:00:00"),
                alert("firing", "2020-03-13 00:00:00", "reach"),
            ]
        ),
    )
    store.close()
    return settings


def test_alerts_as_json_and_csv(env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alerts", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["list"], r["rule"], r["state"]) for r in rows] == [
        ("firing now", "reach", "firing"),
        ("recent", "questions", "resolved"),
        ("recent", "reach", "firing"),
        ("recent", "questions", "firing"),
    ]
    assert rows[0]["ratio"] == round(412 / 170, 2) and rows[0]["page_id"] == "nav.foreldrepenger"
    assert main(["alerts", "--format", "csv", "--limit", "1"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["list"], r["state"], r["at"][:16]) for r in table] == [
        ("firing now", "firing", "2020-03-13 00:00"),
        ("recent", "resolved", "2020-03-20 08:00"),
    ]


def test_report_without_data_fails_on_stderr(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--period", "2020Q1", "--format", "json"]) == 1
    out = capsys.readouterr()
    assert out.out == "" and "no data for 2020Q1" in out.err


def test_version_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"somepulse {__version__}"
    with pytest.raises(SystemExit) as done:
        main(["report", "--period", "2020-Q1"])
    assert done.value.code == USAGE
    assert "a quarter looks like 2020Q1, not '2020-Q1'" in capsys.readouterr().err


def test_a_bad_setting_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOMEPULSE_TOPIC_PARTITIONS", "abc")
    monkeypatch.setenv("SOMEPULSE_CLICKHOUSE_PASSWORD", "")
    monkeypatch.setenv("SOMEPULSE_WORKER_PORT", "-5")
    assert main(["config"]) == USAGE
    out = capsys.readouterr()
    assert out.out == "" and "Traceback" not in out.err
    lines = out.err.strip().splitlines()
    assert lines == [
        "error: SOMEPULSE_TOPIC_PARTITIONS: input should be a valid integer, unable to parse "
        "string as an integer (got 'abc')",
        "error: SOMEPULSE_WORKER_PORT: input should be greater than or equal to 0 (got '-5')",
    ]


def test_a_missing_file_fails_at_once_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # a broker that never answers: the command must not get as far as trying it
    monkeypatch.setenv("SOMEPULSE_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    missing = tmp_path / "missing.jsonl"
    for argv in (
        ["collect", "jsonl", str(missing)],
        ["collect", "import", "--page", "nav.x", str(missing)],
        ["backtest", str(missing)],
    ):
        began = time.monotonic()
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code == USAGE
        assert f"{missing}: no such file" in capsys.readouterr().err
        assert time.monotonic() - began < 2


def test_every_option_has_help() -> None:
    def walk(parser: argparse.ArgumentParser, path: str) -> list[str]:
        missing = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    missing += walk(child, f"{path} {name}")
            elif not action.help and not isinstance(
                action, argparse._HelpAction | argparse._VersionAction
            ):
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
        return missing

    assert walk(_parser(), "somepulse") == []


def test_a_reader_that_goes_away_is_no_error() -> None:
    """``somepulse config | head -1``: the pipe closes before everything is written;
    what was read was delivered, so no traceback and exit code 0."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "somepulse", "config"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0
    assert b"BrokenPipe" not in err and b"Traceback" not in err, err.decode()
