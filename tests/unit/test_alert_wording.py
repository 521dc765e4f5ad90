"""What an alert says: numbers a communicator reads, the posts that drove it, and a
board link to that page and time (all hand-worked)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from somepulse.alerts.delivery import alertmanager_payload, record, summary
from somepulse.alerts.detector import SeriesDetector, Transition, Verdict, load_alert_config
from somepulse.domain.links import post_url
from somepulse.domain.pages import load_pages

RULES = {r.name: r for r in load_alert_config().rules}
# 12 March 2020, 10:00 UTC: the last hour of the window
BUCKET = int(datetime(2020, 3, 12, 10, tzinfo=UTC).timestamp())


def fired(
    rule: str, observed: float, baseline: float, drivers: tuple[tuple[str, float], ...] = ()
) -> Transition:
    v = Verdict(BUCKET, observed, baseline, observed / baseline, 1e-9, True, 1.0)
    return Transition("nav.foreldrepenger", "facebook", RULES[rule], "firing", v, drivers)


def test_numbers_against_the_usual_range() -> None:
    # Poisson(170): 10th and 90th percentiles 153 and 187 (normal approximation with
    # continuity: 170 -/+ 1.2816 x 13.04 = 153.3 / 186.7)
    t = fired("questions", 412, 170.0, (("123_456", 120.0), ("123_789", 41.0)))
    text = summary(t, "NAV Foreldrepenger")
    assert text == (
        "NAV Foreldrepenger (facebook): incoming questions (comments and private messages), "
        "412 questions in 24 h, usually 153–187; most under post 123_456: 120 (29 %)"
    )


def test_from_none_when_the_page_usually_has_none() -> None:
    text = summary(fired("questions", 14, 0.2))
    assert text.endswith("from none to 14 questions in 24 h")
    assert "inf" not in text


def test_a_burst_counts_comments_that_ask_nothing() -> None:
    # Poisson(20) with the verdict's dispersion 1: 10th and 90th percentiles 14 and 26
    text = summary(fired("comment_burst", 83, 20.0, (("123_456", 61.0),)), "NAV")
    assert text == (
        "NAV (facebook): a burst of comments within the hour, 83 comments (questions "
        "aside) in 1 h, usually 14–26; most under post 123_456: 61 (73 %)"
    )


def test_reach_is_a_reported_figure_of_a_day() -> None:
    v = Verdict(BUCKET - 10 * 3600, 52_000, 31_000.0, 52 / 31, 1.0, True, 1.0)
    t = Transition("nav.foreldrepenger", "facebook", RULES["reach"], "firing", v)
    assert summary(t).endswith("52,000 people reached on 12 Mar 2020, usually about 31,000")


def test_the_posts_and_the_board_link_in_the_alert() -> None:
    pages = {p.page_id: p for p in load_pages()}
    t = fired("questions", 412, 170.0, (("123_456", 120.0), ("", 30.0)))
    alert = alertmanager_payload(t, t.at, "http://grafana/d/somepulse-duty", pages.get(t.page_id))
    assert alert["annotations"]["posts"].splitlines() == [
        "post 123_456: 120 (29 %) https://www.facebook.com/123/posts/456",
        "no post (private messages): 30 (7 %)",
    ]
    assert alert["annotations"]["usual"] == "153-187"
    link = urlsplit(alert["annotations"]["board"])
    query = {k: v[0] for k, v in parse_qs(link.query).items()}
    # the window is 11 Mar 11:00 to 12 Mar 11:00; a day before it to a day after it
    assert query == {
        "var-page": "nav.foreldrepenger",
        "var-platform": "facebook",
        "from": str(int(datetime(2020, 3, 10, 11, tzinfo=UTC).timestamp()) * 1000),
        "to": str(int(datetime(2020, 3, 13, 11, tzinfo=UTC).timestamp()) * 1000),
    }
    rec = record(t, BUCKET)
    assert rec["post_ids"] == ["123_456", ""] and rec["post_counts"] == [120.0, 30.0]


def test_the_detector_names_the_posts_of_the_window() -> None:
    det = SeriesDetector("nav.foreldrepenger", "facebook", RULES["comment_burst"])
    start = BUCKET - 28 * 86400
    for ts in range(start, BUCKET, 300):  # four weeks of 3 comments per 5 min, a post a day
        det.add(ts, 3, post=f"day{ts // 86400}")
    # today's post, commented on since midnight, then a storm on it; and yesterday's
    # (a new post would be expected to draw like the page's typical post: no burst)
    today, yesterday = f"day{BUCKET // 86400}", f"day{BUCKET // 86400 - 1}"
    out = []
    for i, ts in enumerate(range(BUCKET, BUCKET + 3600, 300)):
        det.add(ts, 20, post=today)  # 20 per 5 minutes
        det.add(ts, 2, post=yesterday)
        if (t := det.evaluate(ts)) is not None:
            out.append((i, t))
    [(i, t)] = out
    # at the i-th 5-minute step the window holds i + 1 steps of the storm (and of the
    # new post) and 11 - i steps of the same post's 3 per 5 minutes before it
    assert t.drivers == ((today, 20.0 * (i + 1) + 3.0 * (11 - i)), (yesterday, 2.0 * (i + 1)))
    assert len(det.by_post) <= RULES["comment_burst"].window + RULES["comment_burst"].hold + 1


def test_post_addresses() -> None:
    pages = {p.page_id: p for p in load_pages()}
    assert post_url("youtube", "dQw4w9WgXcQ") == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert (
        post_url("bluesky", "at://did:plc:abc/app.bsky.feed.post/3k2a")
        == "https://bsky.app/profile/did:plc:abc/post/3k2a"
    )
    assert (
        post_url("mastodon", "11223344", pages.get("region.exempel.social"))
        == "https://mastodon.example.se/@regionexempel/11223344"
    )
    assert post_url("instagram", "17895695668004550") is None  # needs the shortcode


def test_an_alert_restored_after_a_restart_still_names_its_posts() -> None:
    from somepulse.alerts.delivery import firing_payload

    row = {"page_id": "nav.foreldrepenger", "pf": "youtube", "metric": "questions",
           "r": "questions", "severity": "warning", "summary": "…", "observed": 200.0,
           "baseline": 80.0, "ratio": 2.5, "at": "2020-03-12 10:00:00.000",
           "post_ids": ["abc123", ""], "post_counts": [50.0, 10.0]}  # fmt: skip
    alert = firing_payload(row, "http://g/d/x")
    assert alert["annotations"]["posts"].splitlines() == [
        "post abc123: 50 (25 %) https://www.youtube.com/watch?v=abc123",
        "no post (private messages): 10 (5 %)",
    ]
    assert alert["labels"]["platform"] == "youtube"
