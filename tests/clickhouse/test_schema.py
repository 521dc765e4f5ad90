"""Schema management: tables through recorded migrations, applied once; views and
functions re-created; reference data as data; read paths that never write; and an
upgrade of a store created by the previous release (0.1) without losing rows."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from somepulse.domain.pages import PageInfo
from somepulse.schemas import EVENT_ADAPTER, row_json
from somepulse.settings import Settings
from somepulse.store import (
    Reference,
    SchemaMissing,
    Store,
    open_prepared_store,
    open_store,
    prepare,
    require_schema,
)
from somepulse.store.reference import sync_reference
from somepulse.store.schema import (
    MAX_MIGRATION,
    MIGRATIONS,
    SQL_DIR,
    applied,
    migrations,
    split,
)
from tests.helpers import person

pytestmark = pytest.mark.clickhouse
RELEASE_0_1 = Path(__file__).parents[1] / "fixtures" / "release_0_1" / "ddl.sql.gz"


def comment(i: int, day: str = "2020-03-12", page: str = "nav.jobblyst") -> bytes:
    event = EVENT_ADAPTER.validate_python(
        {
            "kind": "interaction",
            "event_id": f"e{i}",
            "platform": "facebook",
            "page_id": page,
            "post_id": "p1",
            "occurred_at": f"{day}T22:30:00Z",  # 23:30 in Oslo: same local day
            "interaction_type": "comment",
            "actor_id": person("a"),
            "comment_id": f"c{i}",
            "is_question": i % 2 == 0,
        }
    )
    return row_json(event, 0, i)


def test_every_table_file_is_a_recorded_migration() -> None:
    files = {p.name for p in (SQL_DIR / "tables").glob("*.sql")}
    versions = [v for v, _, _ in MIGRATIONS]
    assert versions == sorted(set(versions)) and versions[-1] == MAX_MIGRATION
    named = {f"{v:03d}_{name}.sql" for v, name, _ in MIGRATIONS}
    assert files <= named, "a file in sql/tables/ is not listed in MIGRATIONS"


def test_migrations_apply_once(settings: Settings) -> None:
    store = open_prepared_store(settings)
    try:
        store.insert("events", b"\n".join(comment(i) for i in range(4)))
        assert prepare(store, settings.raw_retention_days, Reference.load()) == []
        assert applied(store) >= {v for v, _, _ in MIGRATIONS}
        assert store.query("SELECT count() AS n FROM somepulse.schema_migrations FINAL") == [
            {"n": len(MIGRATIONS)}
        ]
        assert store.query("SELECT count() AS n FROM somepulse.events") == [{"n": 4}]
    finally:
        store.close()


def test_upgrade_of_a_release_0_1_store_keeps_every_row(settings: Settings) -> None:
    """Create the store exactly as 0.1 did (its applied DDL, its version records, its
    office calendar without versions), write data, then start this release on it."""
    store = open_store(settings)
    try:
        store.command("CREATE DATABASE somepulse")
        store.command(
            "CREATE TABLE somepulse.schema_migrations (version UInt32, name String, "
            "applied_at DateTime DEFAULT now()) ENGINE = ReplacingMergeTree ORDER BY version"
        )
        for statement in split(gzip.decompress(RELEASE_0_1.read_bytes()).decode()):
            store.command(statement)
        for version in range(1, 11):
            store.command(f"INSERT INTO somepulse.schema_migrations VALUES ({version}, 'v', now())")
        store.insert(
            "office_hours",
            orjson.dumps(
                {
                    "page_id": "nav.jobblyst",
                    "day": "2020-03-12",
                    "opens_at": "2020-03-12 07:00:00",
                    "closes_at": "2020-03-12 15:00:00",
                }
            ),
        )
        store.insert("events", b"\n".join(comment(i) for i in range(10)))
        before = store.query(
            "SELECT sum(comments) AS c, sum(questions) AS q FROM somepulse.v_engagement_1d"
        )
        assert before == [{"c": 10, "q": 5}]

        # release 0.1 had migrations up to 10: every later one is applied, once
        newer = [v for v, _, _ in MIGRATIONS if v > 10]
        assert newer[0] == 11
        assert prepare(store, settings.raw_retention_days, Reference.load()) == newer

        assert store.query("SELECT count() AS n FROM somepulse.events") == [{"n": 10}]
        # the daily view now comes from the hourly rollup, by local day: same numbers
        after = store.query(
            "SELECT toString(day) AS d, sum(comments) AS c, sum(questions) AS q "
            "FROM somepulse.v_engagement_1d GROUP BY d"
        )
        assert after == [{"d": "2020-03-12", "c": 10, "q": 5}]
        tables = {r["name"] for r in store.query("SHOW TABLES FROM somepulse")}
        assert "engagement_1d" not in tables and "engagement_1d_mv" not in tables
        assert {"score_settings", "stop_words", "reference_digests", "v_questions"} <= tables
        # the calendar of 0.1 (version 0) is replaced by the directory's latest version
        versions = store.query("SELECT DISTINCT version FROM somepulse.office_hours")
        assert len(versions) == 1 and int(versions[0]["version"]) > 0
        # new events flow through the old rollup tables as before
        store.insert("events", comment(99, "2020-03-13"))
        assert store.query("SELECT sum(comments) AS c FROM somepulse.v_engagement_1d") == [
            {"c": 11}
        ]
    finally:
        store.close()


def test_a_new_page_changes_data_not_ddl(store: Store) -> None:
    """Reference data lives in tables: a new page (another time zone) reaches the
    views through {db}_local_date and the calendar, with no view DDL change."""
    ref = Reference.load()
    extra = PageInfo.model_validate(
        ref.pages[0].model_dump()
        | {"page_id": "island.page", "name": "Ísland", "tz": "Atlantic/Reykjavik", "country": "IS"}
        | {"accounts": {}}
    )
    before = store.query("SELECT count() AS n FROM somepulse.pages FINAL")
    assert sync_reference(store, Reference((*ref.pages, extra), ref.score, ref.metrics)) == [
        "pages"
    ]
    assert store.query("SELECT count() AS n FROM somepulse.pages FINAL") == [
        {"n": before[0]["n"] + 1}
    ]
    # 23:30 UTC on 12 March is 13 March in Oslo but still 12 March in Reykjavik
    rows = store.query(
        "SELECT somepulse_local_date('island.page', toDateTime('2020-03-12 23:30:00', 'UTC')) "
        "AS ice, somepulse_local_date('nav.jobblyst', toDateTime('2020-03-12 23:30:00', 'UTC')) "
        "AS oslo"
    )
    assert rows == [{"ice": "2020-03-12", "oslo": "2020-03-13"}]
    assert (
        sync_reference(store, Reference((*ref.pages, extra), ref.score, ref.metrics)) == []
    )  # unchanged


def test_score_weights_are_data(store: Store) -> None:
    # by hand, with score.toml's weights 3,3,2,2,1,1 (sum 12):
    #   response rate 0.9                       -> 0.9   x3 = 2.7
    #   median 180 office min, promise 120, 0 at 4x (480): 1 - 60/360 = 0.8333 x3 = 2.5
    #   ER 7d 1 % of a 2 % target               -> 0.5   x2 = 1.0
    #   5 of 10 dialogues with the page         -> 0.5   x2 = 1.0
    #   2 posts a day, target 1 (capped)        -> 1.0   x1 = 1.0
    #   growth 1.5 % of a 3 % target            -> 0.5   x1 = 0.5
    #   (8.7 / 12) * 100 = 72.5 -> "good" (65-79)
    query = (
        "SELECT somepulse_score(40, 0.9, 180, 120, 0.01, 10, 5, 2, 1.5, "
        "(w_response_rate, w_response_time, w_engagement_rate, w_dialogue_participation, "
        "w_activity, w_growth), (t_engagement_rate_7d, t_posts_per_day, t_growth_pct, "
        "t_response_time_zero_at, t_min_questions)) AS score FROM somepulse.score_settings "
        "ORDER BY loaded_at DESC LIMIT 1"
    )
    assert store.query(query) == [{"score": 72.5}]
    ref = Reference.load()
    only_rate = ref.score.model_copy(
        update={
            "weights": ref.score.weights.model_copy(
                update={
                    "response_time": 0,
                    "engagement_rate": 0,
                    "dialogue_participation": 0,
                    "activity": 0,
                    "growth": 0,
                }
            )
        }
    )
    assert sync_reference(store, Reference(ref.pages, only_rate, ref.metrics)) == ["score"]
    assert store.query(query) == [{"score": 90.0}]  # the response rate alone


def test_read_paths_never_write(settings: Settings) -> None:
    # a fresh directory: a read command says so and creates nothing
    store = open_store(settings)
    try:
        with pytest.raises(SchemaMissing, match="start `somepulse worker`"):
            require_schema(store)
        assert store.query(
            "SELECT count() AS n FROM system.databases WHERE name = 'somepulse'"
        ) == [{"n": 0}]
    finally:
        store.close()
    open_prepared_store(settings).close()
    store = open_store(settings)
    try:
        store.command("DROP VIEW somepulse.v_top_words")  # opening must not re-create it
        store.close()
        store = open_store(settings)
        require_schema(store)
        names = {r["name"] for r in store.query("SHOW TABLES FROM somepulse")}
        assert "v_top_words" not in names
    finally:
        store.close()


def test_citizens_text_expires_before_the_row(settings: Settings) -> None:
    """Security review R1: kept citizens' text has its own, shorter TTL; the page's own
    post text lives as long as its row; a changed setting takes effect at start."""
    store = open_prepared_store(settings)
    try:
        old = "2026-01-01 00:00:00.000"  # well past 30 days, within 730
        rows = [
            {"event_id": "q", "kind": "interaction", "platform": "facebook", "page_id": "nav",
             "occurred_at": "2025-12-31 12:00:00", "text": "Kari, 01017012345",
             "ingested_at": old},
            {"event_id": "p", "kind": "post_published", "platform": "facebook", "page_id": "nav",
             "occurred_at": "2025-12-31 12:00:00", "text": "Nye regler for dagpenger",
             "ingested_at": old},
        ]  # fmt: skip
        store.insert("events", b"\n".join(orjson.dumps(r) for r in rows))
        store.command("OPTIMIZE TABLE somepulse.events FINAL")
        texts = store.query("SELECT event_id, text FROM somepulse.events ORDER BY event_id")
        assert texts == [
            {"event_id": "p", "text": "Nye regler for dagpenger"},
            {"event_id": "q", "text": ""},
        ]
        prepare(store, 730, Reference.load(), text_retention_days=7)
        (table,) = store.query(
            "SELECT create_table_query AS q FROM system.tables "
            "WHERE database = 'somepulse' AND name = 'events'"
        )
        assert "if(kind = 'post_published', 730, 7)" in table["q"]
    finally:
        store.close()


def test_yearly_partitions_keep_every_row_even_after_a_crash_mid_way(
    settings: Settings,
) -> None:
    """Migration 24 copies the events and rollups into tables partitioned by year. A
    store of migration 23 with two years of data is upgraded; the first start is made
    to stop right after the events' swap (the old table still beside the new one), and
    the next start completes it: every row and count as before, one partition a year,
    the rollups still filled at insert, the retention kept."""
    store = open_store(settings)
    db = "somepulse"
    try:
        store.command(f"CREATE DATABASE {db}")
        store.command(
            f"CREATE TABLE {db}.schema_migrations (version UInt32, name String, "
            "applied_at DateTime DEFAULT now()) ENGINE = ReplacingMergeTree ORDER BY version"
        )
        *before_24, yearly = migrations(db, 730)
        assert yearly.version == 24
        for migration in before_24:
            for statement in migration.statements:
                store.command(statement)
            store.command(
                f"INSERT INTO {db}.schema_migrations VALUES ({migration.version}, 'v', now())"
            )
        days = ["2019-03-04", "2019-03-05", "2019-11-20", "2020-03-12", "2020-06-01"]
        # 20 comments, every second a question, over five months of two years
        store.insert("events", b"\n".join(comment(i, days[i % 5]) for i in range(20)))

        def counts() -> list[dict[str, object]]:
            return store.query(
                f"SELECT (SELECT count() FROM {db}.events) AS events, "
                f"(SELECT uniqExactMerge(events) FROM {db}.engagement_1m) AS m, "
                f"(SELECT uniqExactMerge(questions) FROM {db}.engagement_1h) AS q"
            )

        def partitions(table: str) -> list[str]:
            rows = store.query(
                f"SELECT DISTINCT partition AS p FROM system.parts WHERE database = '{db}' "
                f"AND table = '{table}' AND active ORDER BY p"
            )
            return [str(r["p"]) for r in rows]

        assert counts() == [{"events": 20, "m": 20, "q": 10}]
        assert partitions("events") == ["201903", "201911", "202003", "202006"]
        swap = next(
            i
            for i, s in enumerate(yearly.statements)
            if s.startswith(f"EXCHANGE TABLES {db}.events")
        )
        for statement in yearly.statements[: swap + 1]:  # the first start stops here
            store.command(statement)

        assert prepare(store, 730, Reference.load()) == [24]
        assert counts() == [{"events": 20, "m": 20, "q": 10}]
        for table in ("events", "engagement_1m", "engagement_1h"):
            assert partitions(table) == ["2019", "2020"], table
        tables = {r["name"] for r in store.query(f"SHOW TABLES FROM {db}")}
        assert not {t for t in tables if t.endswith("_by_year")}
        assert {"engagement_1m_mv", "engagement_1h_mv"} <= tables
        # new events still reach both rollups, in their year's partition
        store.insert("events", comment(99, "2021-01-05"))
        assert counts() == [{"events": 21, "m": 21, "q": 10}]
        assert partitions("engagement_1h") == ["2019", "2020", "2021"]
        (table,) = store.query(
            "SELECT engine_full, create_table_query AS q FROM system.tables "
            f"WHERE database = '{db}' AND name = 'events'"
        )
        assert "PARTITION BY toYear(occurred_at)" in table["engine_full"]
        # the views prune by {db}_events_partition: it names each row's own partition
        assert store.query(
            f"SELECT DISTINCT _partition_id = {db}_events_partition(occurred_at) AS same "
            f"FROM {db}.events"
        ) == [{"same": True}]
        assert "toIntervalDay(730)" in table["engine_full"]
        assert "if(kind = 'post_published', 730, 30)" in table["q"].replace("\\'", "'")
    finally:
        store.close()
