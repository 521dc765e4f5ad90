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
from somepulse.store.chdb import (
    ChdbStore, EnginePageWatch, release_engine_pages, resident_file_bytes,
)

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
# the watch: work the engine has not done yet reads more of the library; a check
# hands it back only once it grew by the watch's step
watch = EnginePageWatch(growth=4 * 2**20)
watch.release()
quiet = watch.check()
store.command("CREATE DATABASE IF NOT EXISTS somepulse")
store.command(
    "CREATE TABLE somepulse.j (k String, v Array(Float64)) ENGINE = ReplacingMergeTree ORDER BY k"
)
store.insert("j", b'{"k": "a", "v": [1.5, 2]}\\n{"k": "b", "v": []}')
store.query(
    "SELECT k, sum(arraySum(v)) s, quantileExact(0.5)(length(v)) q FROM somepulse.j GROUP BY k"
)
resident = resident_file_bytes()
grown = resident - watch.after_last
handed = watch.check()
print(json.dumps({"before": before, "after": after, "advised": advised, "sum": answer,
                  "quiet": quiet, "grown": grown, "handed": handed,
                  "resident": resident, "after_watch": watch.after_last,
                  "handbacks": watch.handbacks}))
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
    # the watch: nothing new ran, nothing handed back; new work read over 4 MB more of
    # the library, and the check handed it back
    assert got["quiet"] is False
    assert got["grown"] >= 4 * 2**20, got
    assert got["handed"] is True and got["handbacks"] == 2
    assert got["after_watch"] < got["resident"] - 4 * 2**20
