"""``somepulse bench --store``: what the embedded store alone takes, with no Python per
event and nothing else running: the ceiling any worker on this machine is under.

The run's rows, exactly as the worker builds them, are inserted into a fresh store in
the worker's inserts of ``insert_max_rows``, one at a time (one chDB connection runs one
statement at a time), as fast as the engine takes them:

* in JSONEachRow, as the worker sends them;
* in ClickHouse's Native format, the engine's own columns (converted by the engine
  before the clock starts: the cheapest input there is, whoever would build it);

each with the rollups' materialized views and without them. CPU is this process's
(the engine's threads, background merges included while the inserts run). The
worker's own processing of the same messages into rows is timed too, on one thread.
End to end also needs the broker, the worker's classification, live state and
detector, and the merges that follow: it cannot be faster than the best line here.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import asdict, dataclass
from typing import Any

import orjson
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from somepulse.settings import Settings
from somepulse.store import open_prepared_store
from somepulse.store.chdb import ChdbStore
from somepulse.store.rollups import HOUR, MINUTE
from somepulse.streams.processor import MessageProcessor
from somepulse.tools.bench import prepare_messages
from somepulse.tools.procstat import sample

TARGET_EVENTS_PER_SECOND = 150_000  # issue 17's end-to-end target
CONFIGURATIONS = (  # (format, with the rollups' views)
    ("JSONEachRow", True),
    ("Native", True),
    ("JSONEachRow", False),
    ("Native", False),
)


@dataclass(frozen=True)
class StoreFigure:
    what: str
    rows: int  # stored (counted in the table afterwards)
    seconds: float
    cpu_seconds: float
    checksum: int = 0  # over the stored rows' ids, times and pages: same input, same sum

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    @property
    def cpu_us_per_row(self) -> float:
        return self.cpu_seconds / self.rows * 1e6 if self.rows else 0.0


def cpu_seconds() -> float:
    """This process's CPU so far, every thread (the engine's too)."""
    own = sample(os.getpid())
    assert own is not None  # this process is running
    return own.cpu_seconds


def worker_rows(
    messages: list[tuple[bytes, bytes]], settings: Settings
) -> tuple[list[bytes], StoreFigure]:
    """The rows the worker's processor makes of the messages, and what that cost."""
    processor = MessageProcessor(settings.events_topic)
    rows: list[bytes] = []
    started, cpu = time.perf_counter(), cpu_seconds()
    for offset, (key, value) in enumerate(messages):
        rows.extend(processor.process(value, 0, offset, key).rows)
    figure = StoreFigure(
        "the worker's processing into rows (one thread)",
        len(rows),
        time.perf_counter() - started,
        cpu_seconds() - cpu,
    )
    return rows, figure


def measure(scratch: Settings, chunks: list[bytes], fmt: str, views: bool) -> StoreFigure:
    """Insert ``chunks`` (JSONEachRow) in ``fmt``, timed, into a fresh store in
    ``scratch``'s data directory (removed first: never the worker's)."""
    shutil.rmtree(scratch.data_dir, ignore_errors=True)
    store = open_prepared_store(scratch)
    assert isinstance(store, ChdbStore)  # the embedded store's ceiling
    db = store.database
    try:
        if not views:
            for rollup in (HOUR, MINUTE):
                store.command(f"DROP VIEW {db}.{rollup.table}_mv")
        data = chunks if fmt == "JSONEachRow" else _converted(store, chunks, fmt)
        started, cpu = time.perf_counter(), cpu_seconds()
        for chunk in data:
            store.insert("events", chunk, fmt)
        seconds, used = time.perf_counter() - started, cpu_seconds() - cpu
        [row] = store.query(
            f"SELECT count() AS n, sum(cityHash64(event_id, occurred_at, page_id)) AS h "
            f"FROM {db}.events"
        )
    finally:
        store.close()
    label = f"{fmt}, {'with' if views else 'without'} the rollups' views"
    return StoreFigure(label, int(row["n"]), seconds, used, int(row["h"]))


def _converted(store: ChdbStore, chunks: list[bytes], fmt: str) -> list[bytes]:
    """Each chunk in ``fmt``, converted by the engine through a scratch table of the
    events' own types."""
    db = store.database
    store.command(f"CREATE TABLE {db}.bench_convert AS {db}.events ENGINE = Memory")
    out = []
    for chunk in chunks:
        store.insert("bench_convert", chunk)
        out.append(store.export(f"SELECT * FROM {db}.bench_convert", fmt))
        store.command(f"TRUNCATE TABLE {db}.bench_convert")
    store.command(f"DROP TABLE {db}.bench_convert")
    return out


def run_store_bench(settings: Settings, events: int, console: Console) -> list[StoreFigure]:
    if settings.clickhouse_url is not None:
        raise ValueError(
            "--store measures the embedded store (chDB): unset SOMEPULSE_CLICKHOUSE_URL"
        )
    console.print(f"preparing {events:,} scenario events…")
    messages, _ = prepare_messages(events, settings)
    rows, processing = worker_rows(messages, settings)
    size = settings.insert_max_rows
    chunks = [b"\n".join(rows[i : i + size]) for i in range(0, len(rows), size)]
    del rows
    scratch = settings.model_copy(update={"data_dir": settings.data_dir / "bench-store"})
    figures = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("inserting", total=len(CONFIGURATIONS))
        for fmt, views in CONFIGURATIONS:
            figures.append(measure(scratch, chunks, fmt, views))
            progress.advance(task)
    shutil.rmtree(scratch.data_dir, ignore_errors=True)
    show(figures, processing, console)
    (settings.data_dir / "bench_store.json").write_bytes(
        orjson.dumps(
            {"processing": _json(processing), "inserts": [_json(f) for f in figures]},
            option=orjson.OPT_INDENT_2,
        )
    )
    return [processing, *figures]


def _json(figure: StoreFigure) -> dict[str, Any]:
    return asdict(figure) | {
        "rows_per_second": figure.rows_per_second,
        "cpu_us_per_row": figure.cpu_us_per_row,
    }


def show(figures: list[StoreFigure], processing: StoreFigure, console: Console) -> None:
    cores = os.cpu_count() or 1
    budget = cores / TARGET_EVENTS_PER_SECOND * 1e6
    table = Table(title=f"the embedded store alone: {figures[0].rows:,} of the worker's rows")
    for column in ("", "rows/s", "CPU µs a row", "cores"):
        table.add_column(column, justify="left" if not column else "right")
    for figure in (*figures, processing):
        table.add_row(
            figure.what,
            f"{figure.rows_per_second:,.0f}",
            f"{figure.cpu_us_per_row:.1f}",
            f"{figure.cpu_seconds / figure.seconds:.2f}" if figure.seconds else "-",
        )
    console.print(table)
    console.print(
        f"{TARGET_EVENTS_PER_SECOND:,} events/s end to end leaves {budget:.1f} µs of CPU an "
        f"event on this machine's {cores} cores, for the broker, the worker and the store "
        "together."
    )
