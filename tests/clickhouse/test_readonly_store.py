"""The second wall: analysts' queries run on a chDB connection opened read-only with
the limits in the connection itself. Even a statement that slipped past the parser
cannot write, lift a limit or read files, and a slow query does not hold up the
writer."""

from __future__ import annotations

import threading
import time

import pytest

from somepulse.settings import Settings
from somepulse.store import StoreError, open_prepared_store, open_read_only
from somepulse.store.readonly import check_read_only

pytestmark = pytest.mark.clickhouse


def test_the_read_only_connection_refuses_what_the_parser_would(settings: Settings) -> None:
    writer = open_prepared_store(settings)
    reader = open_read_only(settings.model_copy(update={"sql_max_result_rows": 1_000_000}))
    try:
        tables = len(writer.query("SHOW TABLES FROM somepulse"))
        for statement, why in (
            ("DROP TABLE somepulse.pages", "READONLY"),
            ("INSERT INTO somepulse.stop_words VALUES ('x')", "READONLY"),
            ("SELECT 1 SETTINGS readonly = 0", "readonly"),
            ("SELECT 1 SETTINGS max_result_rows = 0", "readonly"),
            ("SELECT * FROM file('/etc/hostname', 'LineAsString')", "READONLY"),
            ("SELECT number FROM numbers(2000000)", "TOO_MANY_ROWS"),  # 2 million rows
        ):
            with pytest.raises(StoreError, match=why):
                reader.query(statement)
        assert len(writer.query("SHOW TABLES FROM somepulse")) == tables  # nothing written
        # a refused query leaves nothing behind for the next one
        assert len(reader.query("SHOW TABLES FROM somepulse")) == tables
        assert reader.query("SELECT count() AS n FROM somepulse.pages") != []
    finally:
        reader.close()
        writer.close()


def test_a_slow_analyst_query_does_not_hold_up_inserts(settings: Settings) -> None:
    writer = open_prepared_store(settings)
    reader = open_read_only(settings.model_copy(update={"sql_max_execution_seconds": 3}))
    errors: list[str] = []

    def slow() -> None:
        try:
            reader.query(
                "SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) % 7 = 3"
            )
        except StoreError as exc:
            errors.append(exc.reason)

    try:
        thread = threading.Thread(target=slow)
        thread.start()
        time.sleep(0.5)
        started = time.perf_counter()
        writer.insert("stop_words", b'{"word": "zzz"}')
        waited = time.perf_counter() - started
        thread.join(10)
        assert waited < 1.0, f"the insert waited {waited:.2f} s behind an analyst query"
        assert errors and "Timeout exceeded" in errors[0]  # the limit stopped it
    finally:
        reader.close()
        writer.close()


def test_every_view_answers_the_same_on_the_read_only_connection(settings: Settings) -> None:
    """Views must not depend on a session setting: the analysts' connection cannot set
    one (``responses`` once needed join_use_nulls and then called every question
    answered)."""
    from somepulse.schemas import row_json
    from tests.clickhouse.test_rules_contract import events

    writer = open_prepared_store(settings)
    writer.insert("events", b"\n".join(row_json(e, 0, i) for i, e in enumerate(events())))
    reader = open_read_only(settings)
    try:
        views = [
            r["name"]
            for r in writer.query(
                "SELECT name FROM system.tables WHERE database = 'somepulse' "
                "AND engine = 'View' ORDER BY name"
            )
        ]
        assert "responses" in views and len(views) > 20
        for view in views:
            # the parameterised views (``*_since``) over the whole history
            window = "(since = '1900-01-01 00:00:00')" if view.endswith("_since") else ""
            # as an analyst asks it: each passes the SQL check
            query = check_read_only(f"SELECT * FROM somepulse.{view}{window}")
            mine, theirs = (_timeless(writer.query(query)), _timeless(reader.query(query)))
            assert theirs == mine, view
        assert reader.query(
            "SELECT count() AS n FROM somepulse.responses WHERE NOT is_answered"
        ) == [{"n": 1}]  # the question comment reply; the message question is answered
    finally:
        reader.close()
        writer.close()


def _timeless(rows: list[dict[str, object]]) -> list[str]:
    """Rows in a stable order, without ages measured against now()."""
    return sorted(
        repr(sorted((k, v) for k, v in r.items() if not k.startswith("age_"))) for r in rows
    )
