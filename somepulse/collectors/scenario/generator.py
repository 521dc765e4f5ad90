"""Deterministic synthetic traffic for the pages in ``profiles.py``, with ground truth.

Each page-day has its own random stream (seeded by seed, page and day), so a scenario
is reproducible event for event. Events are emitted day by day in time order; what a
post sets off later (comments on the next morning, a reply after the weekend) waits in
a heap until its day comes. The generator counts what it emits (``GroundTruth``): that
is what tests compare the stored numbers with, independently of the pipeline.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from somepulse.collectors.scenario.profiles import PAGES, PageProfile
from somepulse.collectors.scenario.truth import GroundTruth, WireEvent
from somepulse.domain.pages import closed_days

REACTIONS = (
    ("like", 0.7),
    ("love", 0.12),
    ("care", 0.05),
    ("haha", 0.03),
    ("wow", 0.04),
    ("sad", 0.04),
    ("angry", 0.02),
)
# Share of a day's comments by local hour (people write in daytime and evenings).
HOUR_WEIGHTS = (
    0.2,
    0.1,
    0.05,
    0.05,
    0.1,
    0.3,
    0.8,
    1.5,
    2.2,
    2.6,
    2.6,
    2.5,
    2.6,
    2.5,
    2.4,
    2.2,
    2.0,
    1.9,
    2.0,
    2.1,
    2.0,
    1.6,
    1.0,
    0.5,
)


def iso(ts: datetime) -> str:
    return f"{ts:%Y-%m-%dT%H:%M:%S}.{ts.microsecond // 1000:03d}Z"


def poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 40:  # normal approximation; exact enough and O(1)
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def surge_factor(page: PageProfile, day: date) -> float:
    for surge in page.surges:
        if surge.start <= day <= surge.end:
            return surge.factor
    return 1.0


class _PageDay:
    """Generates one page's events set off on one local day."""

    def __init__(self, gen: ScenarioGenerator, page: PageProfile, day: date) -> None:
        self.gen, self.page, self.day = gen, page, day
        self.rng = random.Random(f"{gen.seed}:{page.page_id}:{day.isoformat()}")
        self.tz = ZoneInfo(page.tz)
        self.factor = surge_factor(page, day) * 1.0
        self.seq = 0
        self.out: list[tuple[datetime, int, WireEvent]] = []

    def event_id(self) -> str:
        self.seq += 1
        return f"{self.page.page_id}-{self.day:%Y%m%d}-{self.seq:05d}"

    def local(self, hour: float) -> datetime:
        at = datetime.combine(self.day, time(0), self.tz) + timedelta(hours=hour)
        return at.astimezone(UTC)

    def emit(self, at: datetime, kind: str, post_id: str | None = None, **fields: Any) -> None:
        event: WireEvent = {
            "kind": kind,
            "event_id": self.event_id(),
            "platform": self.page.platform,
            "page_id": self.page.page_id,
            "occurred_at": iso(at),
        }
        if post_id is not None:
            event["post_id"] = post_id
        event.update(fields)
        self.out.append((at, self.seq, event))

    def person(self) -> str:
        # a pool of people per page; ids as a platform would send them (pseudonymised later)
        return f"{self.page.platform}-user-{self.rng.randrange(400_000)}"

    def daytime_delay(self, start: datetime, mean_hours: float) -> datetime:
        """When a person reacts: exponential delay, night hours mostly skipped."""
        for _ in range(8):
            at = start + timedelta(hours=self.rng.expovariate(1 / mean_hours))
            hour = at.astimezone(self.tz).hour
            if self.rng.random() < HOUR_WEIGHTS[hour] / 2.6:
                return at
        return at

    def generate(self) -> list[tuple[datetime, int, WireEvent]]:
        page, rng, scale = self.page, self.rng, self.gen.scale
        weekday = self.day.weekday()
        for _ in range(poisson(rng, page.posts_per_weekday[weekday] * max(scale, 0.2))):
            self.post(weekday)
        self.questions()
        for _ in range(poisson(rng, page.messages_per_day * self.factor * scale)):
            self.private_message()
        self.snapshots()
        self.mentions()
        for campaign in page.campaigns:
            if campaign.start <= self.day - timedelta(days=1) <= campaign.end:
                self.ad_spend(campaign)
        return self.out

    def post(self, weekday: int) -> None:
        page, rng, scale, factor = self.page, self.rng, self.gen.scale, self.factor
        hour = rng.uniform(8, 15) if weekday < 5 else rng.uniform(10, 14)
        at = self.local(hour)
        post_id = f"{page.page_id}-post-{self.day:%Y%m%d}-{self.seq + 1:05d}"
        fmt = rng.choices([f for f, _ in page.formats], [w for _, w in page.formats])[0]
        campaign = next((c for c in page.campaigns if c.start <= self.day <= c.end), None)
        paid = campaign is not None and rng.random() < 0.3
        words = rng.sample(_POST_WORDS[page.country], 8)
        self.emit(
            at,
            "post_published",
            post_id,
            format=fmt,
            paid=paid,
            campaign_id=campaign.campaign_id if campaign is not None and paid else None,
            text=" ".join(words).capitalize() + ".",
        )
        # some posts take off: a heavy tail on every post's audience
        pull = rng.lognormvariate(0, 0.6) * factor * scale
        open_network = page.platform in OPEN_NETWORKS
        for _ in range(poisson(rng, page.reactions_per_post * pull)):
            self.emit(
                self.daytime_delay(at, 3),
                "interaction",
                post_id,
                interaction_type="reaction",
                actor_id=self.person(),
                reaction_type="like"  # a favourite or a like: the open networks' only one
                if open_network
                else rng.choices([r for r, _ in REACTIONS], [w for _, w in REACTIONS])[0],
            )
        if open_network:
            self.open_network_post(at, post_id, pull)
            return
        # Shares, clicks and video views exist only as totals the platform reports (no
        # platform names who shared or clicked): when each happened sets which report
        # counts it. Drawn as before (time and person), so the scenario's other figures
        # stay as they were.
        shares = self.reported_times(poisson(rng, page.shares_per_post * pull), at, 4, 0)
        clicks = self.reported_times(poisson(rng, page.clicks_per_post * pull), at, 2, 1)
        if fmt in ("video", "live"):
            self.reported_times(poisson(rng, 3 * page.reactions_per_post * pull), at, 5)
        for _ in range(poisson(rng, page.comments_per_post * (1 - page.question_share) * pull)):
            self.comment(self.daytime_delay(at, 5), post_id, question=False)
        self.post_insights(at, post_id, pull, fmt, shares, clicks)
        self.remember(at, post_id)

    def open_network_post(self, at: datetime, post_id: str, pull: float) -> None:
        """Bluesky and Mastodon name who reposted or boosted (a notification each), and
        report no reach, impressions or clicks at all: people's events only."""
        page, rng = self.page, self.rng
        for _ in range(poisson(rng, page.shares_per_post * pull)):
            self.emit(
                self.daytime_delay(at, 4),
                "interaction",
                post_id,
                interaction_type="share",
                actor_id=self.person(),
            )
        for _ in range(poisson(rng, page.comments_per_post * (1 - page.question_share) * pull)):
            self.comment(self.daytime_delay(at, 5), post_id, question=False)
        self.remember(at, post_id)

    def remember(self, at: datetime, post_id: str) -> None:
        """The page's latest posts, which the day's questions are asked under."""
        recent = self.gen.recent_posts.setdefault(self.page.page_id, [])
        recent.append((at, post_id))
        del recent[:-20]

    def questions(self) -> None:
        """Questions come because people have cases, not because a post is popular: a
        daily count (surge included) under the latest post published before each one."""
        page, rng = self.page, self.rng
        posts = self.gen.recent_posts.get(page.page_id, [])
        for _ in range(poisson(rng, page.questions_per_day * self.factor * self.gen.scale)):
            at = self.local(rng.choices(range(24), HOUR_WEIGHTS)[0] + rng.random())
            post = next((p for p in reversed(posts) if p[0] < at), None)
            if post is not None:
                self.comment(at, post[1], question=True)

    def comment(self, at: datetime, post_id: str, question: bool) -> None:
        rng = self.rng
        comment_id = f"c-{self.event_id()}"
        self.emit(
            at,
            "interaction",
            post_id,
            interaction_type="comment",
            actor_id=self.person(),
            comment_id=comment_id,
            is_question=question,
            text="Hei! Når kommer pengene?" if question else "Takk for info!",
        )
        if rng.random() < 0.15:  # another person answers under the comment
            self.emit(
                self.daytime_delay(at, 2),
                "interaction",
                post_id,
                interaction_type="reply",
                actor_id=self.person(),
                comment_id=f"c-{self.event_id()}",
                parent_comment_id=comment_id,
            )
        if question and rng.random() < self.page.answer_rate:
            self.emit(
                self.answer_time(at),
                "page_reply",
                post_id,
                channel="comment",
                reply_id=f"r-{self.event_id()}",
                in_reply_to=comment_id,
            )

    def private_message(self) -> None:
        rng = self.rng
        at = self.local(rng.choices(range(24), HOUR_WEIGHTS)[0] + rng.random())
        thread_id = f"t-{self.event_id()}"
        message_id = f"m-{self.event_id()}"
        question = rng.random() < 0.85
        self.emit(
            at,
            "private_message",
            direction="in",
            message_id=message_id,
            thread_id=thread_id,
            actor_id=self.person(),
            is_question=question,
            text="Jeg lurer på om søknaden min er mottatt?",
        )
        if question and rng.random() < self.page.answer_rate:
            self.emit(
                self.answer_time(at),
                "page_reply",
                channel="message",
                reply_id=f"r-{self.event_id()}",
                in_reply_to=message_id,
                thread_id=thread_id,
            )

    def mentions(self) -> None:
        """Others naming the page; a generator of their own, so adding them left every
        other figure of the scenario as it was."""
        rng = random.Random(f"{self.gen.seed}:{self.page.page_id}:{self.day}:mentions")
        mean = self.page.mentions_per_day * self.factor * self.gen.scale
        for _ in range(poisson(rng, mean)):
            at = self.local(rng.choices(range(24), HOUR_WEIGHTS)[0] + rng.random())
            via = rng.choices(("tag", "mention", "quote", "hashtag"), (4, 3, 1, 2))[0]
            matched = {"matched": "#nav"} if via == "hashtag" else {}
            self.emit(
                at,
                "mention",
                mention_id=f"mn-{self.event_id()}",
                via=via,
                actor_id=f"{self.page.platform}-user-{rng.randrange(400_000)}",
                text="Noen som vet når NAV svarer?",
                **matched,
            )

    def answer_time(self, asked: datetime) -> datetime:
        """The page answers in office hours only: open time after the question plus an
        exponential number of office minutes (weekends and public holidays closed)."""
        page = self.page
        need = timedelta(minutes=self.rng.expovariate(1 / page.answer_minutes) + 2)
        at = asked.astimezone(self.tz)
        for _ in range(60):
            opens = datetime.combine(at.date(), page.opens, self.tz)
            closes = datetime.combine(at.date(), page.closes, self.tz)
            if self.gen.is_open_day(page, at.date()) and at < closes:
                at = max(at, opens)
                if at + need <= closes:
                    return (at + need).astimezone(UTC)
                need -= closes - at
            at = datetime.combine(at.date() + timedelta(days=1), time(0), self.tz)
        raise RuntimeError("no office day within 60 days")  # pragma: no cover

    def reported_times(
        self, n: int, start: datetime, mean_hours: float, total: int | None = None
    ) -> list[datetime]:
        """When each of ``n`` shares (``total`` 0), clicks (1) or views happened."""
        times = []
        for _ in range(n):
            times.append(self.daytime_delay(start, mean_hours))
            self.person()  # who it was: drawn, and unknown to the platform's report
        if total is not None:
            for at in times:
                self.gen.count_daily(self.page.page_id, at.astimezone(self.tz).date(), total)
        return times

    def post_insights(
        self,
        at: datetime,
        post_id: str,
        pull: float,
        fmt: str,
        shares: list[datetime],
        clicks: list[datetime],
    ) -> None:
        """The post's lifetime figures the platform reports the next morning and two
        days later (what a poller fetches): reach and impressions, shares and clicks so
        far. Platforms without these post metrics keep release 0.1's insights."""
        rng = self.rng
        base = self.page.page_reach_per_day * 0.35 * pull / max(self.gen.scale, 1e-9)
        reach = 0
        for after_days in (1, 3):
            reach += int(base * (0.8 if after_days == 1 else 0.2) * rng.uniform(0.8, 1.2))
            report = datetime.combine(self.day + timedelta(days=after_days), time(7, 5), self.tz)
            day = self.day + timedelta(days=after_days - 1)
            if self.page.platform != "facebook":
                self.emit(
                    report.astimezone(UTC),
                    "insights_snapshot",
                    post_id,
                    scope="post",
                    day=day.isoformat(),
                    reach=reach,
                    impressions=int(reach * 1.4),
                    video_views=int(reach * 0.3) if fmt in ("video", "live") else 0,
                )
                continue
            so_far = {
                "post_impressions_unique": reach,
                "post_impressions": int(reach * 1.4),
                "shares": sum(t < report for t in shares),
                "post_clicks": sum(t < report for t in clicks),
            }
            for metric, value in so_far.items():
                self.metric(report, metric, "lifetime", day, value, post_id)

    def metric(
        self,
        fetched: datetime,
        metric: str,
        period: str,
        day: date,
        value: int,
        post_id: str | None = None,
    ) -> None:
        self.emit(
            fetched.astimezone(UTC),
            "metric_snapshot",
            post_id,
            scope="page" if post_id is None else "post",
            metric=metric,
            period=period,
            day=day.isoformat(),
            value=value,
            source="generator",
            api_version="v4.0" if self.page.platform == "facebook" else None,
            fetched_at=iso(fetched.astimezone(UTC)),
        )

    def snapshots(self) -> None:
        """The page's day as its platform reports it the next morning (a fifth of the
        days revised a day later): reach, impressions and followers; on LinkedIn also
        the day's shares and clicks, which it reports per page and day."""
        page, rng, day = self.page, self.rng, self.day
        followers = self.gen.followers_on(page, day, rng)
        names = _PAGE_METRICS.get(page.platform)
        if names is None:
            self.emit(self.local(23.9), "follower_snapshot", followers=followers)
        else:
            self.metric(self.local(23.9), names["follows"], "total", day, followers)
        if page.platform in OPEN_NETWORKS:
            return  # followers are all the open networks report of a page
        weekday_pull = 1.1 if day.weekday() < 5 else 0.75
        reach = int(page.page_reach_per_day * weekday_pull * self.factor * rng.uniform(0.9, 1.1))
        report = datetime.combine(day + timedelta(days=1), time(7, 0), self.tz)
        revised = int(reach * rng.uniform(1.0, 1.05)) if rng.random() < 0.2 else None
        for fetched, value in ((report, reach), (report + timedelta(days=1), revised)):
            if value is None:
                continue
            if names is None:
                self.emit(
                    fetched.astimezone(UTC),
                    "insights_snapshot",
                    scope="page",
                    day=day.isoformat(),
                    reach=value,
                    impressions=int(value * 1.6),
                    video_views=int(value * 0.1),
                )
                continue
            self.metric(fetched, names["reach"], "day", day, value)
            self.metric(fetched, names["views"], "day", day, int(value * 1.6))
        if page.platform == "linkedin":
            # the day's shares and clicks (both drawn per post above) are complete once
            # the day's own posts are drawn: a post's are never earlier than the post
            totals = self.gen.daily_totals(page.page_id, day)
            self.metric(report, "shareCount", "day", day, totals[0])
            self.metric(report, "clickCount", "day", day, totals[1])

    def ad_spend(self, campaign: Any) -> None:
        rng = self.rng
        spend = round(campaign.daily_spend * rng.uniform(0.85, 1.1), 2)
        impressions = int(spend * rng.uniform(30, 45))
        reach = int(impressions * rng.uniform(0.55, 0.7))
        self.emit(
            self.local(6.5),
            "ad_spend",
            campaign_id=campaign.campaign_id,
            day=(self.day - timedelta(days=1)).isoformat(),
            spend=f"{spend:.2f}",
            currency=campaign.currency,
            impressions=impressions,
            clicks=int(impressions * rng.uniform(0.008, 0.02)),
            reach=reach,
        )


# The names a platform reports a page's day under (config/metrics.toml), for the
# platforms the scenario's pages are on; others keep release 0.1's snapshots.
_PAGE_METRICS = {
    "facebook": {"reach": "page_impressions_unique", "views": "page_impressions",
                 "follows": "page_fans"},
    "linkedin": {"reach": "uniqueImpressionsCount", "views": "impressionCount",
                 "follows": "followerCount"},
    "bluesky": {"follows": "followersCount"},  # getProfile
    "mastodon": {"follows": "followers_count"},  # the account's profile
}  # fmt: skip
# Platforms that name each person who reposted and report no reach (collectors/bluesky,
# collectors/mastodon): the scenario draws them as their collectors deliver them.
OPEN_NETWORKS = frozenset({"bluesky", "mastodon"})

_POST_WORDS = {
    "NO": [
        "foreldrepenger",
        "søknad",
        "permisjon",
        "barn",
        "mor",
        "far",
        "frister",
        "utbetaling",
        "nav",
        "jobb",
        "sommerjobb",
        "cv",
        "intervju",
        "arbeidsledig",
        "dagpenger",
        "permittert",
        "korona",
        "regler",
        "endring",
        "hjelp",
        "svar",
        "spørsmål",
        "skjema",
        "veileder",
    ],
    "SE": [
        "vård",
        "sjukhus",
        "vaccin",
        "patient",
        "besök",
        "regler",
        "hjälp",
        "vårdcentral",
        "mottagning",
        "covid",
        "region",
        "information",
        "frågor",
        "svar",
        "akut",
        "väntetid",
        "personal",
        "sjuksköterska",
        "läkare",
        "forskning",
        "tips",
    ],
}


class ScenarioGenerator:
    """Yields the scenario day by day (UTC days, events in time order)."""

    def __init__(
        self,
        start: date,
        end: date,
        *,
        seed: int = 2020,
        scale: float = 1.0,
        pages: tuple[PageProfile, ...] = PAGES,
    ) -> None:
        if end < start:
            raise ValueError("end before start")
        self.start, self.end, self.seed, self.scale, self.pages = start, end, seed, scale, pages
        self.truth = GroundTruth(
            seed, start, end, scale, {p.page_id: ZoneInfo(p.tz) for p in pages}
        )
        self._followers: dict[str, tuple[date, int]] = {}
        # (page, local day) -> [shares, clicks] that happened that day (LinkedIn reports
        # them per page and day)
        self._daily: dict[tuple[str, date], list[int]] = {}
        self.recent_posts: dict[str, list[tuple[datetime, str]]] = {}
        self._holidays = {c: closed_days(c) for c in {p.country for p in pages}}

    def is_open_day(self, page: PageProfile, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays[page.country]

    def count_daily(self, page_id: str, day: date, total: int) -> None:
        self._daily.setdefault((page_id, day), [0, 0])[total] += 1

    def daily_totals(self, page_id: str, day: date) -> list[int]:
        """The day's shares and clicks of a page (read once, when the day is reported)."""
        for key in [k for k in self._daily if k[0] == page_id and k[1] < day]:
            del self._daily[key]  # days before were reported already
        return self._daily.pop((page_id, day), [0, 0])

    def followers_on(self, page: PageProfile, day: date, rng: random.Random) -> int:
        _last_day, count = self._followers.get(page.page_id, (day, page.followers))
        gain = poisson(rng, page.followers_gain_per_day * surge_factor(page, day))
        loss = poisson(rng, page.followers_loss_per_day)
        count = max(0, count + gain - loss)
        self._followers[page.page_id] = (day, count)
        return count

    def days(self) -> Iterator[tuple[date, list[WireEvent]]]:
        """(UTC day, its events in time order); the last chunk drains later events.

        A Nordic local day starts one or two hours before its UTC day, so local day D+1
        is generated before UTC day D is emitted."""
        heap: list[tuple[datetime, int, WireEvent]] = []
        tiebreak = 0  # keeps equal times in generation order (and dicts uncompared)

        def generate(day: date) -> None:
            nonlocal tiebreak
            for page in self.pages:
                for at, _seq, event in _PageDay(self, page, day).generate():
                    tiebreak += 1
                    heapq.heappush(heap, (at, tiebreak, event))

        day = self.start
        generate(day)
        while day <= self.end:
            if day < self.end:
                generate(day + timedelta(days=1))
            horizon = datetime.combine(day + timedelta(days=1), time(0), UTC)
            out = []
            while heap and heap[0][0] < horizon:
                out.append(heapq.heappop(heap)[2])
            yield day, self._counted(out)
            day += timedelta(days=1)
        tail = [heapq.heappop(heap)[2] for _ in range(len(heap))]
        if tail:
            yield self.end + timedelta(days=1), self._counted(tail)

    def _counted(self, events: list[WireEvent]) -> list[WireEvent]:
        for event in events:
            if event.get("campaign_id") is None:
                event.pop("campaign_id", None)
            self.truth.count(event)
        return events

    def __iter__(self) -> Iterator[WireEvent]:
        for _, events in self.days():
            yield from events
