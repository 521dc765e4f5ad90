"""``somepulse report --period 2020Q1``: the quarter's league table and every page's
measurement points, in the terminal and as CSV (read from ``v_league_table``)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from somepulse.settings import Settings
from somepulse.tools.output import print_rows, write_csv_rows
from somepulse.tools.sql import QueryError, run_sql

PERIOD = re.compile(r"^(\d{4})Q([1-4])$")
COLUMNS: tuple[tuple[str, str, str], ...] = (
    # column, header, format
    ("rank_score", "#", "{:d}"),
    ("page_id", "page", "{}"),
    ("score", "score", "{:.1f}"),
    ("grade", "grade", "{}"),
    ("followers", "followers", "{:,}"),
    ("follower_growth_pct", "growth%", "{:+.1f}"),
    ("posts_per_day", "posts/d", "{:.2f}"),
    ("engagement_rate_7d", "ER7d", "{:.2%}"),
    ("share_of_influence", "infl.", "{:.0%}"),
    ("response_rate", "answ.", "{:.0%}"),
    ("median_office_minutes", "reply", "{:.0f}"),
    ("dialogues", "dial.", "{:d}"),
    ("dialogues_with_page", "w/page", "{:d}"),
)


def league_rows(settings: Settings, period: str) -> list[dict[str, Any]]:
    match = PERIOD.match(period)
    if match is None:
        raise QueryError(f"period must look like 2020Q1, not {period!r}")
    # the quarter's questions, not the history's (a day early: pages' local time)
    year, quarter = map(int, match.groups())
    since = date(year, 3 * quarter - 2, 1) - timedelta(days=1)
    return run_sql(
        settings,
        f"SELECT * FROM {settings.clickhouse_database}.v_league_table_since"
        f"(since = '{since} 00:00:00') WHERE period = '{period}' ORDER BY rank_score, page_id",
    )


def render(rows: list[dict[str, Any]], period: str) -> Table:
    table = Table(
        title=f"League table {period}: score 0-100 and grade; reply = median office minutes",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
    )
    for _, header, _ in COLUMNS:
        table.add_column(
            header,
            justify="left" if header in ("page", "grade") else "right",
            no_wrap=True,
            min_width=18 if header == "page" else len(header),
        )
    for row in rows:
        table.add_row(*(_fmt(row.get(col), fmt) for col, _, fmt in COLUMNS))
    return table


def _fmt(value: Any, fmt: str) -> str:
    if value is None:
        return "—"
    try:
        return fmt.format(
            int(value)
            if "d}" in fmt or ",}" in fmt
            else float(value)
            if "f}" in fmt or "%}" in fmt
            else value
        )
    except (TypeError, ValueError):
        return str(value)


def write_csv(rows: list[dict[str, Any]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        write_csv_rows(rows, fh)
    return path


def run_report(
    settings: Settings,
    period: str,
    csv_path: Path | None,
    console: Console,
    fmt: str = "table",
) -> int:
    rows = league_rows(settings, period)
    if not rows:
        raise ValueError(f"no data for {period}")
    if fmt != "table":  # every measurement point per page, for a script
        print_rows(rows, fmt, console)
        return 0
    # the table is wide: let it be as wide as it needs rather than cut the numbers
    wide = Console(width=max(console.width, 132), file=console.file)
    wide.print(render(rows, period))
    path = write_csv(rows, csv_path or settings.data_dir / "reports" / f"league_{period}.csv")
    console.print(f"all {len(rows[0])} measurement points per page: {path}")
    return 0
