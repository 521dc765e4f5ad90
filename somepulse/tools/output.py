"""What commands print: results on stdout (a table for a person, CSV or JSON for a
script), errors on stderr, one line each."""

from __future__ import annotations

import csv
import json
import sys
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table


def error(message: object) -> None:
    """An error for a person: one line on stderr (stdout stays the command's output)."""
    Console(stderr=True, soft_wrap=True).print(f"[red]error:[/] {message}", highlight=False)


def write_csv_rows(rows: list[dict[str, Any]], fh: TextIO) -> None:
    """Rows as CSV with a header (nothing at all for no rows)."""
    if rows:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def print_rows(
    rows: list[dict[str, Any]], fmt: str, console: Console, title: str | None = None
) -> None:
    """Rows as a table for a person, or CSV / JSON for a script (stdout, nothing else)."""
    if fmt == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
    elif fmt == "csv":
        write_csv_rows(rows, sys.stdout)
    else:
        table = Table(title=title, show_lines=False)
        for name in rows[0].keys() if rows else ("(no rows)",):
            table.add_column(str(name))
        for row in rows:
            style = {"firing": "red", "resolved": "green"}.get(str(row.get("state")))
            table.add_row(*(str(v) for v in row.values()), style=style)
        console.print(table)
