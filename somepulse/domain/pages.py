"""The page directory (``somepulse/config/pages.toml``) and each page's office hours.

Office hours are local (per page time zone, DST included) and closed on weekends and
on the national public holidays of the page's country (the ``holidays`` package). The
same calendar, as UTC intervals, is loaded into ClickHouse so that SQL and Python
compute identical office-hours minutes.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from somepulse.config import config_file
from somepulse.domain.config_files import entry_lines, problems
from somepulse.schemas.base import Platform

DEFAULT_PAGES_FILE = config_file("pages.toml")


# What a page's own account id looks like on each platform (what webhooks, streams and
# APIs send): a typo here would silently drop a page's events at the door.
ACCOUNT_FORMATS: dict[Platform, tuple[str, str]] = {
    Platform.FACEBOOK: (r"^\d{5,20}$", "the numeric Facebook page id"),
    Platform.MESSENGER: (r"^\d{5,20}$", "the numeric Facebook page id"),
    Platform.INSTAGRAM: (r"^\d{5,20}$", "the numeric Instagram professional account id"),
    Platform.THREADS: (r"^\d{5,20}$", "the numeric Threads user id"),
    Platform.BLUESKY: (
        r"^did:(plc:[a-z2-7]{24}|web:[a-z0-9.-]+)$",
        "a DID (did:plc:… or did:web:…)",
    ),
    Platform.MASTODON: (r"^@?[A-Za-z0-9_]+@[a-z0-9.-]+\.[a-z]{2,}$", "user@instance"),
    Platform.YOUTUBE: (r"^UC[A-Za-z0-9_-]{22}$", "the channel id (UC + 22 characters)"),
    Platform.LINKEDIN: (r"^(urn:li:organization:)?\d{3,20}$", "urn:li:organization:<number>"),
    Platform.X: (r"^\d{1,20}$", "the numeric X user id"),
    Platform.TIKTOK: (r"^[A-Za-z0-9_.-]{2,64}$", "the TikTok open id"),
}


class PagesFileError(ValueError):
    """A page directory that cannot be used, with the file and line to fix."""


class PageInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    page_id: str = Field(min_length=1, max_length=200)
    name: str
    platform: Platform
    # the page's own account id per platform (a Facebook page and its Messenger inbox
    # share one id); maps what platforms send to this page
    accounts: dict[Platform, str] = {}
    # Which page replies stop the response clock (automated ones do not): replies sent
    # through one of `automated_reply_apps`; when `human_reply_apps` is set, through
    # any other app than those; `automated_replies_answer = true` counts every reply
    human_reply_apps: tuple[str, ...] = ()
    automated_reply_apps: tuple[str, ...] = ()
    automated_replies_answer: bool = False
    country: str = Field(pattern=r"^[A-Z]{2}$")
    tz: str
    opens: time
    closes: time
    promise_minutes: int = Field(gt=0)
    peer_group: str = "default"

    @field_validator("accounts")
    @classmethod
    def _account_formats(cls, accounts: dict[Platform, str]) -> dict[Platform, str]:
        for platform, account in accounts.items():
            pattern, what = ACCOUNT_FORMATS[platform]
            if not re.match(pattern, account):
                raise ValueError(f"{platform.value} account {account!r} is not {what}")
        return accounts

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, tz: str) -> str:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {tz!r}") from None
        return tz

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
    """The directory, checked: every page valid, ids and accounts unique. Errors name
    the file and the line of the page (``pages.toml:14: page 'nav.x': …``)."""
    text = path.read_text()
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PagesFileError(f"{path}: {exc}") from None
    defaults = doc.get("defaults", {})
    pages: list[PageInfo] = []
    for index, page in enumerate(doc.get("page", [])):
        where = f"{path}:{_line_of(text, index)}"
        name = page.get("page_id", f"#{index + 1}")
        try:
            pages.append(PageInfo.model_validate(defaults | page))
        except ValidationError as exc:
            raise PagesFileError(f"{where}: page {name!r}: {problems(exc)}") from None
    seen: dict[str, int] = {}
    for index, page in enumerate(pages):
        if page.page_id in seen:
            where = f"{path}:{_line_of(text, index)}"
            raise PagesFileError(f"{where}: page_id {page.page_id!r} appears twice")
        seen[page.page_id] = index
    try:
        account_index(pages)
    except PagesFileError as exc:
        raise PagesFileError(f"{path}: {exc}") from None
    return pages


def _line_of(text: str, index: int) -> int:
    """The line of the ``index``-th page's ``page_id`` (else of its ``[[page]]``)."""
    lines = text.splitlines()
    headers = entry_lines(text, "page")
    if index >= len(headers):
        return 0
    end = headers[index + 1] if index + 1 < len(headers) else len(lines) + 1
    for number in range(headers[index], end):
        if re.match(r"\s*page_id\s*=", lines[number - 1]):
            return number
    return headers[index]


def account_index(pages: list[PageInfo]) -> dict[tuple[str, str], str]:
    """(platform, account id as platforms send it) -> page id, for every page's accounts.
    A Mastodon account is indexed with and without its leading @, a LinkedIn
    organisation with and without its URN prefix."""
    index: dict[tuple[str, str], str] = {}
    for page in pages:
        for platform, account in page.accounts.items():
            for form in _forms(platform, account):
                owner = index.setdefault((platform.value, form), page.page_id)
                if owner != page.page_id:
                    raise PagesFileError(
                        f"{platform.value} account {account!r} belongs to both "
                        f"{owner!r} and {page.page_id!r}"
                    )
    return index


def _forms(platform: Platform, account: str) -> tuple[str, ...]:
    if platform is Platform.MASTODON:
        bare = account.lstrip("@")
        return (bare, "@" + bare)
    if platform is Platform.LINKEDIN:
        number = account.removeprefix("urn:li:organization:")
        return (number, "urn:li:organization:" + number)
    return (account,)


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
