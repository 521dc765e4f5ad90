"""``somepulse collect import``: files → checked → published, with a progress bar."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from somepulse.collectors.exports.importer import Event, ImportReport, import_file
from somepulse.collectors.metrics import collector_metrics
from somepulse.collectors.publisher import KafkaPublisher
from somepulse.domain.pages import load_pages
from somepulse.settings import Settings


async def run_import(
    settings: Settings, bootstrap: str, page_id: str, files: list[Path], console: Console
) -> int:
    if page_id not in {p.page_id for p in load_pages(settings.config_file("pages.toml"))}:
        raise ValueError(f"no page {page_id!r} in pages.toml")
    report = ImportReport()
    events: list[Event] = []
    now = datetime.now(UTC)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}/s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        # every file is read and checked before anything is published: a bad line in
        # the third file publishes nothing of the first two
        reading = progress.add_task("rows read", total=None, rate="—")
        started = time.monotonic()

        def tick() -> None:
            done = report.rows + 1
            if done % 500 == 0:
                rate = f"{done / max(time.monotonic() - started, 1e-6):,.0f} rows"
                progress.update(reading, completed=done, rate=rate)

        for path in files:
            events += import_file(path, page_id, now, report, tick)
        progress.update(reading, completed=report.rows)
        for warning in report.warnings:
            console.print(f"[yellow]{warning}[/]")
        async with KafkaPublisher.from_settings(
            settings, bootstrap, metrics=collector_metrics(settings, "import")
        ) as publisher:
            sending = progress.add_task("snapshots published", total=len(events), rate="—")
            started = time.monotonic()
            for start in range(0, len(events), 1000):
                chunk = events[start : start + 1000]
                await publisher.deliver(chunk, 30.0)
                done = start + len(chunk)
                rate = f"{done / max(time.monotonic() - started, 1e-6):,.0f} snapshots"
                progress.update(sending, completed=done, rate=rate)
    console.print(
        f"imported {report.rows:,} rows from {len(files)} file(s) as {len(events):,} "
        f"metric snapshots for {page_id}"
    )
    return 0
