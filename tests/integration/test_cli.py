"""The commands a person types: demo, sql (through the worker and directly)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def somepulse(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOMEPULSE_DATA_DIR": str(data_dir), "COLUMNS": "120"}
    env.pop("SOMEPULSE_KAFKA_BOOTSTRAP", None)
    return subprocess.run(
        [sys.executable, "-m", "somepulse", *args],
        env=env,
        capture_output=True,
        text=True,
        check=check,
        timeout=300,
    )


def test_demo_then_sql(tmp_path: Path) -> None:
    data = tmp_path / "var"
    demo = somepulse(
        data,
        "demo",
        "--start",
        "2019-03-01",
        "--end",
        "2019-03-03",
        "--scale",
        "0.3",
        "--seconds",
        "2",
    )
    assert "Incoming questions per month" in demo.stdout
    assert "2019-03" in demo.stdout
    truth = json.loads((data / "ground_truth.json").read_text())

    # after the demo no worker runs: `sql` opens chDB directly
    out = somepulse(
        data, "sql", "--format", "json", "SELECT count() AS n FROM somepulse.events FINAL"
    )
    assert json.loads(out.stdout) == [{"n": truth["events"]}]
    questions = sum(sum(m.values()) for m in truth["questions_monthly"].values())
    out = somepulse(
        data, "sql", "--format", "json", "SELECT sum(questions) AS q FROM somepulse.v_page_monthly"
    )
    assert json.loads(out.stdout) == [{"q": str(questions)}] or json.loads(out.stdout) == [
        {"q": questions}
    ]

    refused = somepulse(data, "sql", "DROP TABLE somepulse.events", check=False)
    assert refused.returncode == 1 and "only SELECT" in refused.stderr
    listing = somepulse(data, "sql")
    assert "v_page_monthly" in listing.stdout

    png = tmp_path / "board.png"
    somepulse(data, "board", "--png", str(png), "--hours", "48")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
