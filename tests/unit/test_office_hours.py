"""Office-hours arithmetic, worked by hand (the expected minutes are counted on the
clock in the comments, not computed by the code under test)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from somepulse.domain.pages import PageInfo, load_pages, local_date_sql

OSLO, STOCKHOLM = ZoneInfo("Europe/Oslo"), ZoneInfo("Europe/Stockholm")
NAV = PageInfo(
    page_id="nav",
    name="NAV",
    platform="facebook",
    country="NO",
    tz="Europe/Oslo",
    opens=time(8, 0),
    closes=time(15, 30),
    promise_minutes=120,
)
REGION = PageInfo(
    page_id="region",
    name="Region",
    platform="facebook",
    country="SE",
    tz="Europe/Stockholm",
    opens=time(8, 0),
    closes=time(16, 30),
    promise_minutes=240,
)


def oslo(*args: int) -> datetime:
    return datetime(*args, tzinfo=OSLO)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("page", "asked", "answered", "office", "calendar"),
    [
        # same morning: 09:10 -> 09:55
        (NAV, oslo(2019, 3, 12, 9, 10), oslo(2019, 3, 12, 9, 55), 45, 45),
        # across a weekend: Fri 15:00-15:30 (30) + Mon 08:00-09:00 (60);
        # calendar Fri 15:00 -> Mon 09:00 = 66 h
        (NAV, oslo(2019, 3, 15, 15, 0), oslo(2019, 3, 18, 9, 0), 90, 66 * 60),
        # 17 May (Constitution Day, a Friday) is closed: Thu 15:00-15:30 (30) + Mon
        # 08:00-08:30 (30); calendar Thu 15:00 -> Mon 08:30 = 3 d 17.5 h
        (NAV, oslo(2019, 5, 16, 15, 0), oslo(2019, 5, 20, 8, 30), 60, (3 * 24 + 17.5) * 60),
        # DST starts Sun 31 March 02:00: Fri 15:00 CET -> Mon 08:30 CEST is 64.5 real
        # hours (the wall clock says 65.5); office: Fri 30 + Mon 30
        (NAV, oslo(2019, 3, 29, 15, 0), oslo(2019, 4, 1, 8, 30), 60, 64.5 * 60),
        # asked at 20:00, answered by on-call at 22:00: no office time passed
        (NAV, oslo(2019, 3, 12, 20, 0), oslo(2019, 3, 12, 22, 0), 0, 120),
        # Swedish midsummer eve (Fri 21 June 2019) closed: Thu 16:00-16:30 (30) + Mon
        # 08:00-09:00 (60)
        (
            REGION,
            datetime(2019, 6, 20, 16, 0, tzinfo=STOCKHOLM),
            datetime(2019, 6, 24, 9, 0, tzinfo=STOCKHOLM),
            90,
            (3 * 24 + 17) * 60,
        ),
    ],
    ids=["same-morning", "weekend", "17-may", "dst", "evening", "midsummer-eve"],
)
def test_office_and_calendar_minutes(
    page: PageInfo, asked: datetime, answered: datetime, office: float, calendar: float
) -> None:
    assert page.office_minutes(asked, answered) == pytest.approx(office)
    # in UTC: Python subtracts two times of the same zone by wall clock, ignoring DST
    elapsed = answered.astimezone(UTC) - asked.astimezone(UTC)
    assert elapsed.total_seconds() / 60 == pytest.approx(calendar)


def test_office_intervals_follow_dst_in_utc() -> None:
    days = list(NAV.office_intervals(oslo(2019, 3, 29).date(), oslo(2019, 4, 1).date()))
    # Friday at UTC+1, Monday at UTC+2; the weekend is closed
    assert [(d.isoformat(), o.strftime("%H:%M"), c.strftime("%H:%M")) for d, o, c in days] == [
        ("2019-03-29", "07:00", "14:30"),
        ("2019-04-01", "06:00", "13:30"),
    ]


def test_directory_loads_with_defaults() -> None:
    pages = {p.page_id: p for p in load_pages()}
    assert pages["nav.foreldrepenger"].tz == "Europe/Oslo"
    assert pages["region.exempel"].closes == time(16, 30)
    assert pages["sahlgrenska"].country == "SE"
    sql = local_date_sql("ts", list(pages.values()), "Europe/Oslo")
    assert sql == (
        "multiIf(page_id IN ('region.exempel', 'region.exempel.social', 'sahlgrenska'), "
        "toDate(ts, 'Europe/Stockholm'), toDate(ts, 'Europe/Oslo'))"
    )


def test_scenario_pages_are_in_the_directory() -> None:
    from somepulse.collectors.scenario.profiles import PAGES

    directory = {p.page_id: p for p in load_pages()}
    for profile in PAGES:  # the scenario takes what a page is from the directory
        assert profile.info == directory[profile.page_id]
