"""``somepulse bench --history N``: N copies of the run's events stored before it,
each moved back two years with ids of its own (what the worker's memory is measured
against)."""

from __future__ import annotations

import pytest
from rich.console import Console

from somepulse.settings import Settings
from somepulse.store import open_prepared_store
from somepulse.tools.bench import prepare_messages, seed_history

pytestmark = pytest.mark.clickhouse


def test_history_copies_lie_before_the_run(settings: Settings) -> None:
    messages, count = prepare_messages(2_000, settings)
    stored = seed_history(settings, messages, 3, Console(quiet=True))
    assert stored == 3 * count
    store = open_prepared_store(settings)
    rows = store.query(
        "SELECT splitByChar('~', event_id)[2] AS copy, count() AS n, uniqExact(event_id) AS ids, "
        "toYear(min(occurred_at)) AS first, toYear(max(occurred_at)) AS last "
        "FROM somepulse.events GROUP BY copy ORDER BY copy"
    )
    store.close()
    # the run's own events begin in February 2019: copy k lies 2k years before
    assert [(r["copy"], r["n"], r["ids"], r["first"]) for r in rows] == [
        ("h1", count, count, 2017),
        ("h2", count, count, 2015),
        ("h3", count, count, 2013),
    ]
    assert all(r["last"] < 2019 for r in rows)
