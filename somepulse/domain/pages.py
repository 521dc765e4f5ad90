"""The page directory (``somepulse/config/pages.toml``) and each page's office hours.

Office hours are local (per page time zone, DST included) and closed on weekends and
on the national public holidays of the page's country (the ``holidays`` package). The
same calendar, as UTC intervals, is loaded into ClickHouse so that SQL and Python
compute identical office-hours minutes.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
from pydantic import BaseModel, ConfigDict, Field

from somepulse.config import config_file

DEFAULT_PAGES_FILE = config_file("pages.toml")


class PageInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    page_id: str
    name: str
    platform: str
    country: str = Field(pattern=r"^[A-Z]{2}$")
    tz: str
    opens: time
    closes: time
    promise_minutes: int = Field(gt=0)
    peer_group: str = "default"

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        return closed_days(self.country)

    def is_open_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays

    def office_intervals(
        self, first: date, last: date
    ) -> Iterator[tuple[date, datetime, datetime]]:
        """(local day, opens, closes) in UTC for every open day in [first, last]."""
        day = first
        while day <= last:
            if self.is_open_day(day):
                opens = datetime.combine(day, self.opens, self.zone).astimezone(UTC)
                closes = datetime.combine(day, self.closes, self.zone).astimezone(UTC)
                yield day, opens, closes
            day += timedelta(days=1)

    def office_minutes(self, start: datetime, end: datetime) -> float:
        """Office minutes between two instants (0 if end <= start)."""
        if end <= start:
            return 0.0
        first = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        seconds = 0.0
        for _, opens, closes in self.office_intervals(first, last):
            overlap = (min(end, closes) - max(start, opens)).total_seconds()
            seconds += max(0.0, overlap)
        return seconds / 60


def closed_days(country: str) -> holidays.HolidayBase:
    """National public holidays, plus the de facto ones where the package knows them
    (in Sweden: midsummer eve, Christmas eve, New Year's eve, when offices close)."""
    supported = type(holidays.country_holidays(country)).supported_categories
    categories = tuple(c for c in ("public", "de_facto") if c in supported)
    return holidays.country_holidays(country, categories=categories)


def load_pages(path: Path = DEFAULT_PAGES_FILE) -> list[PageInfo]:
    with path.open("rb") as fh:
        doc = tomllib.load(fh)
    defaults = doc.get("defaults", {})
    return [PageInfo.model_validate(defaults | page) for page in doc.get("page", [])]


def local_date_sql(
    column: str, pages: list[PageInfo], default_tz: str, page_column: str = "page_id"
) -> str:
    """SQL for the local date of ``column`` per page (the body of ``{db}_local_date``).
    ClickHouse needs a constant time zone in toDate(), so the page -> zone map is
    rendered into the function when the directory is loaded."""
    by_tz: dict[str, list[str]] = {}
    for page in pages:
        by_tz.setdefault(page.tz, []).append(page.page_id)
    branches = []
    for tz, ids in sorted(by_tz.items()):
        if tz == default_tz:
            continue
        quoted = ", ".join(sql_string(i) for i in sorted(ids))
        branches.append(f"{page_column} IN ({quoted}), toDate({column}, {sql_string(tz)})")
    fallback = f"toDate({column}, {sql_string(default_tz)})"
    return f"multiIf({', '.join(branches)}, {fallback})" if branches else fallback


def sql_string(value: str) -> str:
    """A ClickHouse string literal (configuration is data, never SQL)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
