"""``somepulse demo``: broker + worker + scenario collector, live progress, and the
March 2020 surge read back from ClickHouse with SQL."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import date
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table

from somepulse.collectors.publisher import KafkaPublisher, PublishReport
from somepulse.collectors.run import replay_scenario, stop_on_signals
from somepulse.collectors.scenario.generator import ScenarioGenerator
from somepulse.service.status import WorkerStatus
from somepulse.settings import Settings
from somepulse.tools.stack import Stack

MONTHLY_SQL = """
SELECT page_id, toString(v.month) AS m, posts, engagement, comments, questions, reach,
       reach_series_set
FROM {db}.v_page_monthly AS v
WHERE v.month BETWEEN toDate('{start}') AND toDate('{end}')
ORDER BY page_id, m
"""


class DemoView:
    """What the terminal shows while the replay runs."""

    def __init__(self, start: date, end: date) -> None:
        self.start, self.end = start, end
        self.day = start
        self.report = PublishReport()
        self.stats: WorkerStatus | None = None
        self.samples: list[tuple[float, int]] = []

    def on_day(self, day: date, report: PublishReport) -> None:
        self.day, self.report = day, report

    def rate(self) -> float:
        now = time.monotonic()
        self.samples.append((now, self.report.events))
        self.samples = [s for s in self.samples if now - s[0] <= 5.0]
        (t0, n0), (t1, n1) = self.samples[0], self.samples[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0

    def render(self) -> Group:
        total = (self.end - self.start).days + 1
        done = min(total, (self.day - self.start).days + 1)
        bar = "█" * int(40 * done / total) + "░" * (40 - int(40 * done / total))
        s = self.stats
        stored = s.events_stored if s else 0
        head = Table.grid(padding=(0, 2))
        head.add_row("simulated day", f"[bold]{self.day:%a %d %b %Y}[/]  {bar} {done}/{total}")
        head.add_row("published", f"{self.report.events:,} events  ({self.rate():,.0f} events/s)")
        head.add_row(
            "stored in ClickHouse",
            f"{stored:,} rows in {s.inserts if s else 0:,} "
            f"inserts (last {1000 * (s.last_insert_seconds if s else 0):.0f} ms)",
        )
        head.add_row("dead letters", f"{s.dead_letters if s else 0:,}")
        for alert in (s.alerts_recent if s else [])[:4]:
            colour = "red" if alert["state"] == "firing" else "green"
            head.add_row(
                f"[{colour}]ALERT {alert['state']}[/]",
                f"[{colour}]{alert['at'][:16]} {alert['summary']}[/]",
            )
        pages = Table(
            title="last 24 h of event time up to "
            f"{(s.live_until if s else None) or '—'} (live, in the Faust worker; open q = "
            "unanswered in 7 days, reply today = median office minutes)"
        )
        columns = (
            "page",
            "reactions",
            "comments",
            "shares",
            "questions",
            "engagement",
            "open q",
            "reply today",
        )
        for col in columns:
            pages.add_column(col, justify="left" if col == "page" else "right", no_wrap=True)
        queue = s.question_queue if s else {}
        replies = s.responses_today if s else {}
        for page, counts in sorted((s.live_pages if s else {}).items()):
            answered = replies.get(page)
            median = answered.median_office_minutes if answered else None
            pages.add_row(
                page,
                *(
                    f"{counts.get(k, 0):,}"
                    for k in ("reaction", "comment", "share", "question", "engagement")
                ),
                f"{q.open if (q := queue.get(page)) else 0:,}",
                "—" if median is None else f"{median:.0f} min",
            )
        return Group(
            Panel(head, title="SoMe Pulse demo — replaying the March 2020 scenario"), pages
        )


def monthly_tables(rows: list[dict[str, Any]]) -> list[Table]:
    pages = sorted({r["page_id"] for r in rows})
    months = sorted({r["m"] for r in rows})
    by = {(r["page_id"], r["m"]): r for r in rows}
    tables = []
    for metric, title in (
        ("questions", "Incoming questions per month (comments + messages)"),
        ("reach", "Page reach per month (sum of daily reach, latest snapshot)"),
    ):
        table = Table(title=title)
        table.add_column("month")
        for page in pages:
            table.add_column(page, justify="right")
        for month in months:
            style = (
                "bold red"
                if month.startswith("2020-03")
                else ("bold" if month.startswith("2019-03") else None)
            )
            table.add_row(month[:7], *(_cell(by.get((p, month)), metric) for p in pages),
                          style=style)  # fmt: skip
        tables.append(table)
    jump = Table(title="March 2020 against March 2019")
    for col in (
        "page",
        "questions 2019",
        "questions 2020",
        "change",
        "reach 2019",
        "reach 2020",
        "change",
    ):
        jump.add_column(col, justify="left" if col == "page" else "right")
    for page in pages:
        a, b = by.get((page, "2019-03-01")), by.get((page, "2020-03-01"))
        if not a or not b:
            continue
        jump.add_row(
            page,
            f"{a['questions']:,}",
            f"{b['questions']:,}",
            _pct(a["questions"], b["questions"]),
            _cell(a, "reach"),
            _cell(b, "reach"),
            "not reported"
            if not a["reach_series_set"] and not b["reach_series_set"]
            else _pct(a["reach"], b["reach"])
            if a["reach_series_set"] == b["reach_series_set"]
            # a platform renamed or redefined reach in between: no like-for-like %
            else f"[yellow]series break: {_names(a)} → {_names(b)}[/]",
        )
    tables.append(jump)
    return tables


def _cell(row: dict[str, Any] | None, metric: str) -> str:
    """A month's figure; reach a platform does not report (Bluesky, Mastodon: no reach
    exists there) is "—", not a zero nobody measured."""
    if row is None:
        return "0"
    if metric == "reach" and not row.get("reach_series_set"):
        return "—"
    return f"{int(row.get(metric) or 0):,}"


def _names(row: dict[str, Any]) -> str:
    return " + ".join(row["reach_series_set"]) or "none"


def _pct(before: float, after: float) -> str:
    if not before:
        return "—"
    change = 100.0 * (float(after) - float(before)) / float(before)
    colour = "red" if change >= 40 else "default"
    return f"[{colour}]{change:+.0f} %[/]"


def run_demo(
    settings: Settings,
    start: date,
    end: date,
    seconds: float,
    scale: float,
    seed: int,
    console: Console,
) -> None:
    console.print(
        f"[bold]SoMe Pulse[/] demo: {start} → {end}, scale {scale}, seed {seed}; "
        f"data in {settings.data_dir.resolve()}"
    )
    with Stack(settings, console=console) as stack:
        gen = ScenarioGenerator(start, end, seed=seed, scale=scale)
        view = DemoView(start, end)
        speed = ((end - start).days + 1) * 86_400 / seconds
        report = asyncio.run(_replay(settings, stack, gen, view, speed))
        console.print(report.summary())
        gen.truth.write(settings.data_dir / "ground_truth.json")
        with console.status("waiting for the worker to store everything…"):
            stats = stack.wait_stored(report.events)
        console.print(f"stored {stats.events_stored:,} rows, {stats.dead_letters:,} dead letters")
        rows = stack.sql(
            MONTHLY_SQL.format(db=settings.clickhouse_database, start=start.replace(day=1), end=end)
        )
    for table in monthly_tables(rows):
        console.print(table)
    console.print(
        f"\nThe data stays in [bold]{settings.data_dir}[/]. Ask it yourself, e.g.:\n"
        '  somepulse sql "SELECT page_id, toString(month) m, questions, reach '
        'FROM somepulse.v_page_monthly WHERE toMonth(month) = 3 ORDER BY page_id, m"'
    )


async def _replay(
    settings: Settings, stack: Stack, gen: ScenarioGenerator, view: DemoView, speed: float
) -> PublishReport:
    publisher = KafkaPublisher.from_settings(settings, stack.bootstrap)
    async with publisher:
        with Live(view.render(), console=stack.console, refresh_per_second=4) as live:

            async def refresh() -> None:
                while True:
                    with contextlib.suppress(OSError):
                        view.stats = await asyncio.to_thread(stack.stats)
                    live.update(view.render())
                    await asyncio.sleep(0.5)

            task = asyncio.create_task(refresh())
            try:
                with stop_on_signals() as stop:
                    await replay_scenario(
                        gen, publisher, speed=speed, on_day=view.on_day, stop=stop
                    )
            finally:
                task.cancel()
            return await publisher.flush()
