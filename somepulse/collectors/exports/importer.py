"""``somepulse collect import --page P FILE...``: export files as metric snapshots.

Errors name the file, the line and the column; a file the importer does not recognise
is refused whole (nothing of it published). Unknown columns are ignored with a warning.
Event ids are the file's own ids and dates, so importing a file twice adds nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from somepulse.collectors.exports.formats import FORMATS, ExportFormat, recognise

Event = dict[str, Any]


class ExportError(ValueError):
    """A file that cannot be imported as it is, with where to look."""


@dataclass
class ImportReport:
    rows: int = 0
    events: int = 0
    warnings: list[str] = field(default_factory=list)


def read_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    if path.suffix.lower() in (".xls", ".xlsx"):
        raise ExportError(
            f"{path}: a spreadsheet; open it and save the sheet as CSV (UTF-8), then import that"
        )
    text = path.read_text(encoding="utf-8-sig")
    dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if text.strip() else "excel"
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [c.strip() for c in (reader.fieldnames or [])]
    reader.fieldnames = header

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for row in reader:
            yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}

    return header, rows()


def identify(path: Path, header: list[str]) -> ExportFormat:
    found = recognise(header)
    if found is not None:
        return found
    # the closest format, to name what is missing
    have = set(header)
    best = max(FORMATS, key=lambda f: len(f.required & have))
    missing = sorted(best.required - have)
    if len(best.required & have) * 2 >= len(best.required):
        raise ExportError(
            f"{path}:1: looks like {best.name} but lacks the column(s) {', '.join(missing)}"
        )
    raise ExportError(
        f"{path}:1: not an export SoMe Pulse knows (see docs/collectors.md for the column "
        "sets it reads)"
    )


def import_file(
    path: Path,
    page_id: str,
    fetched: datetime,
    report: ImportReport,
    tick: Callable[[], None] | None = None,
) -> list[Event]:
    header, rows = read_rows(path)
    fmt = identify(path, header)
    known = set(fmt.metrics) | {fmt.id_column, fmt.date_column}
    unknown = [c for c in header if c and c not in known]
    if unknown:
        report.warnings.append(f"{path}: ignored columns {', '.join(unknown)}")
    parsed: list[tuple[str, date, dict[str, int]]] = []
    for line, row in rows:
        report.rows += 1
        if tick is not None:
            tick()
        ident = row.get(fmt.id_column, "")
        if not ident or ident.lower() in ("total", "totals"):
            continue  # YouTube Studio's total row, empty lines
        when = _date(row.get(fmt.date_column, ""), fmt, path, line)
        values = {}
        for column, metric in fmt.metrics.items():
            raw = row.get(column, "")
            if raw in ("", "-", "—"):
                continue
            values[metric] = _count(raw, path, line, column)
        parsed.append((_post_id(ident, fmt), when, values))
    if not parsed:
        return []
    as_of = max(when for _, when, _ in parsed)  # a lifetime total stands for the newest day
    slug = fmt.name.split(" (")[0].lower().replace(" ", "-").replace(",", "")
    events = []
    for ident, when, values in parsed:
        day = as_of if fmt.scope == "post" else when
        for metric, value in values.items():
            event: Event = {
                "kind": "metric_snapshot", "platform": fmt.platform, "page_id": page_id,
                "event_id": f"export:{fmt.platform}:{slug}:{ident}:{metric}:{day}",
                "occurred_at": fetched.isoformat(), "scope": fmt.scope, "metric": metric,
                "period": fmt.period, "day": day.isoformat(), "value": value,
                "source": "export", "fetched_at": fetched.isoformat(),
            }  # fmt: skip
            if fmt.scope == "post":
                event["post_id"] = ident
            events.append(event)
    report.events += len(events)
    return events


def _post_id(ident: str, fmt: ExportFormat) -> str:
    # LinkedIn names a post by its link: the activity URN in it is the post's id
    if fmt.platform == "linkedin" and "urn:li:" in ident:
        return "urn:li:" + ident.split("urn:li:", 1)[1].rstrip("/")
    return ident


def _date(raw: str, fmt: ExportFormat, path: Path, line: int) -> date:
    text = raw.strip()
    for pattern in fmt.date_formats:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).date()
    except ValueError:
        raise ExportError(
            f"{path}:{line}: column {fmt.date_column!r}: {raw!r} is not a date"
        ) from None


def _count(raw: str, path: Path, line: int, column: str) -> int:
    text = raw.replace("\u00a0", "").replace(" ", "")
    if "," in text and "." not in text and text.replace(",", "").isdigit():
        text = text.replace(",", "")  # 1,234 (a thousands separator)
    try:
        value = float(text)
    except ValueError:
        raise ExportError(f"{path}:{line}: column {column!r}: {raw!r} is not a number") from None
    if value < 0 or value != int(value):
        raise ExportError(f"{path}:{line}: column {column!r}: {raw!r} is not a count")
    return int(value)
