"""``somepulse bench --store``: every configuration stores exactly the run's rows, the
same rows whatever the input format (what its figures are a ceiling of)."""

from __future__ import annotations

import orjson
import pytest
from rich.console import Console

from somepulse.settings import Settings
from somepulse.tools.bench import prepare_messages
from somepulse.tools.bench_store import CONFIGURATIONS, run_store_bench

pytestmark = pytest.mark.clickhouse


def test_every_configuration_stores_the_same_rows(settings: Settings) -> None:
    _, count = prepare_messages(3_000, settings)  # the generator's own count
    processing, *inserts = run_store_bench(settings, 3_000, Console(quiet=True))
    assert processing.rows == count
    assert [f.rows for f in inserts] == [count] * len(CONFIGURATIONS)
    assert len({f.checksum for f in inserts}) == 1 and inserts[0].checksum != 0
    assert [f.what for f in inserts] == [
        "JSONEachRow, with the rollups' views",
        "Native, with the rollups' views",
        "JSONEachRow, without the rollups' views",
        "Native, without the rollups' views",
    ]
    assert all(f.seconds > 0 and f.cpu_seconds > 0 for f in inserts)
    saved = orjson.loads((settings.data_dir / "bench_store.json").read_bytes())
    assert [f["rows"] for f in saved["inserts"]] == [count] * 4
    assert not (settings.data_dir / "bench-store").exists()  # the scratch store is gone
