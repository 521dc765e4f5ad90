"""The export files teams download (samples in tests/data/exports, with the columns the
platforms write) become metric snapshots; what cannot be read is named by file, line and
column, and nothing of such a file is published."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from somepulse.collectors.exports.importer import ExportError, ImportReport, import_file
from somepulse.domain.measures import load_catalogue
from somepulse.schemas import EVENT_ADAPTER

DATA = Path(__file__).resolve().parents[1] / "data" / "exports"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
MAPPED = {(m.platform, m.scope, m.name) for m in load_catalogue()}


def values(name: str) -> tuple[dict[tuple[str, str, str], int], ImportReport]:
    report = ImportReport()
    events = import_file(DATA / name, "nav.x", NOW, report)
    for event in events:
        EVENT_ADAPTER.validate_python(event)
        # every metric read feeds a measure of the catalogue
        assert (str(event["platform"]), event["scope"], event["metric"]) in MAPPED
    out = {(e.get("post_id", ""), e["metric"], e["day"]): e["value"] for e in events}
    return out, report


def test_x_post_activity() -> None:
    got, report = values("tweet_activity_metrics_navno_20200301_20200401_en.csv")
    # lifetime totals as of the newest day in the file (15 March)
    assert got[("1238047391234560001", "impressions", "2020-03-15")] == 48213
    assert got[("1238047391234560001", "retweets", "2020-03-15")] == 212
    assert got[("1239112233445566778", "url_clicks", "2020-03-15")] == 502
    assert got[("1239112233445566778", "engagements", "2020-03-15")] == 1100
    assert len(got) == 8 and report.rows == 2
    assert "ignored columns" in report.warnings[0] and "likes" in report.warnings[0]


def test_x_account_analytics_content() -> None:
    got, _ = values("account_analytics_content_2025-03-01_2025-03-31.csv")
    assert got[("1899001122334455667", "reposts", "2025-03-13")] == 51
    assert got[("1900112233445566778", "impressions", "2025-03-13")] == 9800


def test_linkedin_content_followers_and_visitors() -> None:
    content, _ = values("nav_linkedin_content.csv")
    assert content[("urn:li:activity:7041234567890123456", "export.clicks", "2025-03-18")] == 388
    assert content[("urn:li:activity:7042234567890123456", "export.reposts", "2025-03-18")] == 11
    followers, _ = values("nav_linkedin_followers.csv")
    assert followers == {("", "followerCount", "2025-03-01"): 41,
                         ("", "followerCount", "2025-03-02"): 37}  # fmt: skip
    visitors, _ = values("nav_linkedin_visitors.csv")
    assert visitors[("", "export.page_views", "2025-03-02")] == 530


def test_youtube_studio_table_data_skips_the_total_row() -> None:
    got, _ = values("Table data.csv")
    assert got == {
        ("dQw4w9WgXcQ", "export.views", "2020-03-16"): 12840,
        ("dQw4w9WgXcQ", "export.impressions", "2020-03-16"): 160000,
        ("a1B2c3D4e5F", "export.views", "2020-03-16"): 5500,
        ("a1B2c3D4e5F", "export.impressions", "2020-03-16"): 80100,
    }


def test_the_same_file_twice_makes_the_same_events(tmp_path: Path) -> None:
    name = "tweet_activity_metrics_navno_20200301_20200401_en.csv"
    first = import_file(DATA / name, "nav.x", NOW, ImportReport())
    copy = tmp_path / "again.csv"
    shutil.copy(DATA / name, copy)
    later = datetime(2027, 1, 1, tzinfo=UTC)  # imported again, another day
    second = import_file(copy, "nav.x", later, ImportReport())
    assert [e["event_id"] for e in first] == [e["event_id"] for e in second]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("broken_missing_column.csv", r"broken_missing_column\.csv:1: looks like X post activity "
                                      r".* lacks the column\(s\) time"),
        ("broken_value.csv", r"broken_value\.csv:3: column 'Impressions': 'lots' is not a number"),
    ],
)  # fmt: skip
def test_what_cannot_be_read_is_named(name: str, message: str) -> None:
    with pytest.raises(ExportError, match=message):
        import_file(DATA / name, "nav.x", NOW, ImportReport())


def test_a_spreadsheet_is_asked_for_as_csv(tmp_path: Path) -> None:
    sheet = tmp_path / "nav_followers.xls"
    sheet.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ExportError, match="save the sheet as CSV"):
        import_file(sheet, "nav.x", NOW, ImportReport())
