"""The wheel is the product: it installs the one package ``somepulse`` (nothing else at
top level) with everything it reads at run time as package data, and the demo runs
from it in an unrelated directory (no checkout, no ``parents[N]`` of a source file)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_holds_one_package_and_its_data_and_runs_the_demo(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        timeout=600,
    )
    (wheel,) = tmp_path.glob("somepulse-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/", 1)[0] for n in names} == {
        "somepulse",
        wheel.name.split("-py")[0] + ".dist-info",
    }
    for data in (
        "somepulse/config/pages.toml",
        "somepulse/config/score.toml",
        "somepulse/config/alerts.toml",
        "somepulse/store/sql/functions.sql",
        "somepulse/store/sql/tables/001_events.sql",
        "somepulse/store/sql/views/01_semantic.sql",
        "somepulse/schemas/json/event.schema.json",
        "somepulse/py.typed",
    ):
        assert data in names, data

    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOMEPULSE_")}
    env |= {"PYTHONPATH": str(site), "SOMEPULSE_PSEUDONYM_SECRET": "wheel-test-" + "0" * 32}
    where = subprocess.run(
        [sys.executable, "-c", "import somepulse; print(somepulse.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(site)), where.stdout  # the wheel's, not the checkout's
    demo = subprocess.run(
        [
            sys.executable,
            "-m",
            "somepulse",
            "demo",
            "--seconds",
            "15",
            "--start",
            "2020-02-17",
            "--end",
            "2020-03-22",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    assert "0 dead letters" in demo.stdout
    assert (elsewhere / "var" / "chdb").is_dir()  # data in the working directory
