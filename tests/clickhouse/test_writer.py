"""The writer on a real engine: a poison row never stalls ingestion (the batch is
split until the refused rows are isolated), and a transient error is retried."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
import pytest

from somepulse.schemas import EVENT_ADAPTER, row_json
from somepulse.store import Store, StoreError
from somepulse.streams.pipeline import PreparedBatch
from somepulse.streams.writer import ClickHouseWriter
from somepulse.telemetry import WorkerMetrics
from tests.helpers import KeptDeadLetters, person, pipeline_on

pytestmark = pytest.mark.clickhouse


def good(i: int) -> bytes:
    event = EVENT_ADAPTER.validate_python(
        {
            "kind": "interaction",
            "event_id": f"e{i}",
            "platform": "facebook",
            "page_id": "nav.jobblyst",
            "post_id": "p1",
            "occurred_at": "2020-03-12T09:00:00Z",
            "interaction_type": "share",
            "actor_id": person("a"),
        }
    )
    return row_json(event, 0, i)


def poison(i: int) -> bytes:
    """A row ClickHouse refuses for its content (an unsigned column given -1), as a
    schema change without its column migration would produce."""
    return orjson.dumps(
        {
            "event_id": f"bad{i}",
            "kind": "insights_snapshot",
            "schema_version": 1,
            "platform": "facebook",
            "page_id": "nav.jobblyst",
            "occurred_at": "2020-03-12T09:00:00Z",
            "scope": "page",
            "day": "2020-03-11",
            "reach": -1,
        }
    )


class FlakyStore:
    """The real store behind a network that fails the first ``failures`` inserts
    (what ClickHouse answers when a server has too many parts)."""

    def __init__(self, store: Store, failures: int) -> None:
        self._store, self.failures, self.calls = store, failures, 0
        self.database = store.database

    def insert(self, table: str, data: bytes) -> int:
        self.calls += 1
        if self.calls <= self.failures:
            raise StoreError("Code: 252. DB::Exception: Too many parts (TOO_MANY_PARTS)")
        return self._store.insert(table, data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_poison_rows_are_isolated_and_the_rest_stored(store: Store) -> None:
    rows = [good(i) for i in range(1000)]
    rows.insert(137, poison(1))
    rows.insert(800, poison(2))
    with ThreadPoolExecutor(1) as executor:
        writer = ClickHouseWriter(store, "events", executor, max_rows=10_000)
        result = asyncio.run(writer.write(rows))
    assert [index for index, _ in result.rejected] == [137, 800]
    assert all("CANNOT_PARSE_NUMBER" in reason for _, reason in result.rejected)
    assert result.rows == 1000
    assert store.query("SELECT count() AS n FROM somepulse.events FINAL") == [{"n": 1000}]
    # bisection: far fewer inserts than rows (about 2 x log2(1002) per bad row)
    assert result.inserts < 40


def test_refused_rows_become_dead_letters_with_their_source(store: Store) -> None:
    kept = KeptDeadLetters()
    with ThreadPoolExecutor(1) as executor:
        pipeline = pipeline_on(store, executor, kept, 100)
        rows = [good(1), poison(1), good(2)]
        batch = PreparedBatch(rows, [], 2, positions=[(0, 3, 40), (1, 3, 41)])
        asyncio.run(pipeline.store(batch))
    (letter,) = kept.letters
    assert letter.reason.startswith("rejected by ClickHouse: Unsigned type must not contain '-'")
    assert (letter.partition, letter.offset, letter.key) == (3, 41, b"nav.jobblyst")
    assert letter.value == poison(1)
    assert pipeline.stats.events_stored == 2 and pipeline.stats.dead_letters == 1


def test_transient_errors_are_retried_until_stored(store: Store) -> None:
    flaky = FlakyStore(store, failures=3)
    with ThreadPoolExecutor(1) as executor:
        writer = ClickHouseWriter(flaky, "events", executor, max_rows=100, max_backoff=0.05)  # type: ignore[arg-type]
        result = asyncio.run(writer.write([good(i) for i in range(10)]))
    assert (result.rows, result.rejected, flaky.calls) == (10, [], 4)
    assert store.query("SELECT count() AS n FROM somepulse.events FINAL") == [{"n": 10}]


def test_events_of_unknown_pages_are_stored_and_flagged(store: Store) -> None:
    """Security review D5: a page id the directory does not know is stored (a new page
    is data) but named in /stats and counted in a metric, with a bounded list of names
    (they come from input)."""
    from somepulse.domain.pages import load_pages
    from somepulse.live.state import LivePartitions
    from somepulse.streams.pipeline import MAX_UNKNOWN_NAMES

    metrics = WorkerMetrics()
    with ThreadPoolExecutor(1) as executor:
        pipeline = pipeline_on(store, executor, KeptDeadLetters(), 100, metrics)
        pipeline.live = LivePartitions({p.page_id: p for p in load_pages()}, assigned={0})
        known = {k: v for k, v in orjson.loads(good(1)).items() if not k.startswith("kafka_")}
        messages = [orjson.dumps(known)] + [
            orjson.dumps(known | {"event_id": f"u{i}", "page_id": f"nav.fake{i}"})
            for i in range(MAX_UNKNOWN_NAMES + 5)
        ]
        batch = pipeline.prepare([(0, n, None, m) for n, m in enumerate(messages)])
        asyncio.run(pipeline.store(batch))
    assert pipeline.stats.events_stored == len(messages)
    seen = pipeline.stats.unknown_pages
    assert len(seen) == MAX_UNKNOWN_NAMES + 1 and seen["(others)"] == 5
    assert "nav.jobblyst" not in seen
    assert metrics.unknown_pages._value.get() == MAX_UNKNOWN_NAMES + 5


def test_a_batch_prepared_in_slices_is_the_same_batch(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agent prepares a batch handing the event loop back between slices (so /sql,
    /stats and heartbeats are answered meanwhile): the batch, the live numbers and the
    counters must be those of preparing it in one go."""
    from somepulse.domain.pages import load_pages
    from somepulse.live.state import LivePartitions
    from somepulse.streams import pipeline as pipeline_module

    monkeypatch.setattr(pipeline_module, "SLICE_SECONDS", 0.0)  # yield at every chance
    pages = {p.page_id: p for p in load_pages()}
    base = {k: v for k, v in orjson.loads(good(1)).items() if not k.startswith("kafka_")}
    messages = [
        (n % 2, n, None, orjson.dumps([base | {"event_id": f"e{n}-{i}"} for i in range(3)]))
        for n in range(40)
    ] + [(0, 40, None, b"not json")]

    async def sliced() -> tuple[object, int]:
        turns = 0
        done = asyncio.Event()

        async def other() -> None:  # what else runs on the loop meanwhile
            nonlocal turns
            while not done.is_set():
                turns += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(other())
        batch = await one.prepare_sliced(messages)
        done.set()
        await task
        return batch, turns

    with ThreadPoolExecutor(1) as executor:
        one = pipeline_on(store, executor, KeptDeadLetters(), 100, WorkerMetrics())
        two = pipeline_on(store, executor, KeptDeadLetters(), 100, WorkerMetrics())
        one.live = LivePartitions(pages)
        two.live = LivePartitions(pages)
        got, turns = asyncio.run(sliced())
        want = two.prepare(messages)
    assert turns >= 40 // 8  # the loop was handed back at least every 8 messages
    assert got == want and len(want.rows) == 120 and len(want.dead) == 1
    assert one.live.page_totals() == two.live.page_totals() != {}
    assert one.stats.inflight_rows == two.stats.inflight_rows == 120


def test_the_heap_is_handed_back_after_inserts_at_most_once_a_second(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an insert the C heap is trimmed (the worker stayed ~240 MB above what it
    used after a burst without it), at most once a second, in a thread of its own that
    the next insert does not wait for (a trim after a burst takes 0.1-0.16 s)."""
    from somepulse.streams import writer as writer_module

    assert writer_module.trim_heap is not None  # glibc here and in the image
    threads: list[str] = []
    release = threading.Event()

    def trim() -> None:
        release.wait(10)
        threads.append(threading.current_thread().name)

    monkeypatch.setattr(writer_module, "trim_heap", trim)
    with ThreadPoolExecutor(1, thread_name_prefix="inserts") as executor:
        writer = ClickHouseWriter(store, "events", executor, max_rows=100)
        for i in range(3):  # three writes within a second: one trim
            asyncio.run(writer.write([good(i)]))
        assert threads == []  # the writes returned while the trim still ran
        release.set()
        writer_module._trimmer.submit(lambda: None).result()  # the trims queued so far
        assert len(threads) == 1
        monkeypatch.setattr(writer_module, "TRIM_EVERY", 0.0)
        asyncio.run(writer.write([good(9)]))
        writer_module._trimmer.submit(lambda: None).result()
    assert len(threads) == 2 and all(t.startswith("trim") for t in threads)


def test_messages_of_a_partition_no_longer_held_are_left_to_its_holder(store: Store) -> None:
    """A message taken before a revoke is neither stored nor dead-lettered here: its
    new holder reads it again (its offset is not ours to commit) and stores, counts
    and decides on it. Stored here, it would reach the store unseen by any surge
    detector, and the holder's rebuild would take its hours as decided."""
    from somepulse.domain.pages import load_pages
    from somepulse.live.state import LivePartitions

    dead = KeptDeadLetters()
    with ThreadPoolExecutor(1) as executor:
        pipeline = pipeline_on(store, executor, dead, 100)
        pipeline.live = LivePartitions({p.page_id: p for p in load_pages()}, assigned={0})

        def wire(i: int) -> bytes:  # as a collector sends it (no Kafka position)
            doc = orjson.loads(good(i))
            return orjson.dumps({k: v for k, v in doc.items() if not k.startswith("kafka_")})

        held = [(0, n, None, wire(n)) for n in range(3)]
        revoked = [(1, 0, None, wire(10)), (1, 1, None, b"not json")]
        batch = pipeline.prepare([held[0], revoked[0], held[1], revoked[1], held[2]])
        asyncio.run(pipeline.store(batch))
    assert batch.messages == 3 and len(batch.rows) == 3 and not batch.dead
    assert [(p, o) for _, p, o in batch.positions] == [(0, 0), (0, 1), (0, 2)]
    assert not dead.letters
    ids = store.query(f"SELECT event_id FROM {store.database}.events ORDER BY event_id")
    assert [r["event_id"] for r in ids] == ["e0", "e1", "e2"]
