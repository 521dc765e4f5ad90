"""The worker hands back the pages of chDB's library that only the engine's start read
(``store.chdb.release_engine_pages``): resident memory falls, and the engine still
works, reading back what it needs.

Measured in a fresh process on its own copy of the library: the kernel does not
reclaim a page another process maps too, and this test run's own process has read
much of the installed library (in the worker no other process maps it)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import chdb

PROBE = """
import json, sys
from pathlib import Path
from somepulse.store.chdb import ChdbStore, release_engine_pages

def library_kib():
    total, inside = 0, False
    with open("/proc/self/smaps") as fh:
        for line in fh:
            head = line.split()
            if "-" in head[0] and len(head[0].split("-")) == 2 and len(head) >= 5:
                inside = len(head) >= 6 and "_chdb" in head[5]
            elif inside and head[0] == "Rss:":
                total += int(head[1])
    return total

import chdb
assert chdb.__file__.startswith(sys.argv[2]), chdb.__file__  # the copy, mapped here only
store = ChdbStore(Path(sys.argv[1]), "somepulse")
store.command("CREATE TABLE t (n UInt64) ENGINE = MergeTree ORDER BY n")
store.command("INSERT INTO t SELECT number FROM numbers(1000)")
before = library_kib()
advised = release_engine_pages()
after = library_kib()
answer = store.query("SELECT sum(n) AS s FROM t")[0]["s"]
print(json.dumps({"before": before, "after": after, "advised": advised, "sum": answer}))
"""


def test_the_library_pages_only_the_start_read_are_handed_back(tmp_path: Path) -> None:
    installed = Path(chdb.__file__).parent.parent
    site = tmp_path / "site"
    for name in ("chdb", "chdb_core.libs"):  # the package and the libraries it links
        shutil.copytree(installed / name, site / name)
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "db"), str(site)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env=os.environ | {"PYTHONPATH": os.pathsep.join([str(site), *sys.path])},
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["advised"] > 100 * 2**20  # the library's read-only mappings
    assert got["before"] > 100 * 1024  # kB: the start read well over 100 MB of it
    assert got["after"] < got["before"] / 2
    assert int(got["sum"]) == 999 * 1000 // 2  # and the engine still answers right
