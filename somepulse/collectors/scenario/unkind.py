"""Traffic as unkind to a surge detector as real pages are, with the episodes planted in
it written down (the truth a backtest scores against).

Six pages from a couple of questions a day to a hundred, over 17 months (the first
twelve without a year-ago baseline). What makes it unkind, all drawn per seed:

* **questions cluster on posts**: most arrive as comments in the hours after a post,
  in numbers that follow the post's pull (lognormal: a few posts draw most); the rest
  are people's own cases, by hour of day, in messages;
* **posting times vary**, and a page's rhythm changes (from office-hour posts to fewer,
  later ones) part-way;
* **national holidays** (the page's country) at a third of a day's traffic, the days
  after a long closure busier, a **summer dip** in July, **Christmas**;
* **collector outages** of hours to days: nothing arrives, and the collector says
  ``down`` then ``up`` (``source_status``), as the collectors do;
* a **slow trend** (+3 % a week for half a year; +10 % a week for six weeks on another
  page), a **seasonal** page (±40 % over the year), a **one-off viral post** a year;
* planted **surges**: +50 % and +100 % questions and reach for weeks, a reach-only rise,
  and 5× comment **bursts** of two hours.

Events are wire events as collectors publish them (people already pseudonymised), in
event-time order; ``truth`` lists the planted episodes (page, size, the rules expected
to page, start, end) and the pages (size, country, time zone).
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from somepulse.collectors.scenario.generator import poisson
from somepulse.domain.pages import closed_days

WireEvent = dict[str, Any]
START, END = date(2019, 1, 1), date(2020, 5, 31)
MAX_FACTOR = 2.0  # the largest planted surge
VIRAL, VIRAL_QUESTIONS = 10.0, 3.0  # a viral post's pull on comments, and on questions
# share of a day's own-case questions and comments by local hour (office-heavy, evenings)
HOURS = (
    0.2,
    0.1,
    0.1,
    0.1,
    0.1,
    0.3,
    0.8,
    1.6,
    2.4,
    2.6,
    2.5,
    2.3,
    2.2,
    2.3,
    2.2,
    2.0,
    1.8,
    1.6,
    1.5,
    1.5,
    1.4,
    1.1,
    0.7,
    0.4,
)


@dataclass(frozen=True)
class UnkindPage:
    page_id: str
    size: str  # tiny, small, medium, large: for the benchmark's table
    questions_per_day: float  # at level 1: comments asking and messages
    comments_per_day: float  # other comments at level 1
    posts_per_weekday: float
    reach_per_day: float
    country: str = "NO"
    tz: str = "Europe/Oslo"
    post_bound: float = 0.7  # share of questions asked under posts (the rest: messages)
    trend: tuple[date, date, float] | None = None  # from, until, growth a week
    season: float = 0.0  # amplitude of the yearly swing (peaks in April)
    rhythm_change: date | None = None  # from then on: fewer posts, later in the day


@dataclass(frozen=True)
class Episode:
    page_id: str
    rules: tuple[str, ...]  # rules expected to page for it (any of them counts)
    start: datetime
    end: datetime
    what: str  # "questions", "reach", "comments" or several joined with "+"
    factor: float


PAGES = (
    UnkindPage("tiny.seasonal", "tiny", 2.0, 6.0, 0.6, 2_000, season=0.4),
    UnkindPage(
        "small.trend",
        "small",
        8.0,
        25.0,
        1.0,
        8_000,
        trend=(date(2019, 4, 1), date(2019, 10, 1), 0.03),
    ),
    UnkindPage(
        "small.rhythm",
        "small",
        10.0,
        30.0,
        1.5,
        10_000,
        country="SE",
        tz="Europe/Stockholm",
        rhythm_change=date(2019, 6, 10),
    ),
    UnkindPage("medium.burst", "medium", 30.0, 90.0, 2.0, 30_000),
    UnkindPage(
        "medium.fast",
        "medium",
        25.0,
        80.0,
        2.0,
        25_000,
        country="DK",
        tz="Europe/Copenhagen",
        trend=(date(2019, 9, 2), date(2019, 10, 14), 0.10),
    ),
    UnkindPage("large.surge", "large", 100.0, 250.0, 3.0, 100_000),
)


@dataclass
class _Plan:
    """Per seed: when the planted episodes, the outages and the viral posts happen."""

    episodes: list[Episode] = field(default_factory=list)
    outages: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    viral: dict[str, list[date]] = field(default_factory=dict)


class UnkindScenario:
    def __init__(
        self,
        seed: int = 1,
        start: date = START,
        end: date = END,
        pages: tuple[UnkindPage, ...] = PAGES,
        quiet: bool = False,
    ) -> None:
        """``quiet``: the pages as they usually are, without the planted episodes, viral
        posts and outages (what ``tools.detection_bound`` learns "usual" from)."""
        self.seed, self.start, self.end, self.pages = seed, start, end, pages
        self.rng = random.Random(f"unkind:{seed}")
        self.holidays = {p.country: closed_days(p.country) for p in pages}
        none: dict[str, list[Any]] = {p.page_id: [] for p in pages}
        self.plan = _Plan(outages=dict(none), viral=dict(none)) if quiet else self._plan()

    # -- the plan -------------------------------------------------------------------

    def _at(self, page: UnkindPage, day: date, hour: float) -> datetime:
        local = datetime.combine(day, time(0), ZoneInfo(page.tz)) + timedelta(hours=hour)
        return local.astimezone(UTC)

    def _jitter(self, day: date, days: int = 10) -> date:
        return day + timedelta(days=self.rng.randint(-days, days))

    def _plan(self) -> _Plan:
        plan = _Plan()
        by_id = {p.page_id: p for p in self.pages}

        def surge(
            page_id: str,
            day: date,
            hour: float,
            days: int,
            factor: float,
            rules: tuple[str, ...],
            what: str,
        ) -> None:
            if page_id not in by_id:
                return
            page = by_id[page_id]
            start = self._at(page, self._jitter(day), hour)
            plan.episodes.append(
                Episode(page_id, rules, start, start + timedelta(days=days), what, factor)
            )

        def burst(page_id: str, day: date) -> None:
            if page_id not in by_id:
                return
            page = by_id[page_id]
            day = self._jitter(day)
            while day.weekday() >= 5 or day in self.holidays[page.country]:
                day += timedelta(days=1)
            start = self._at(page, day, self.rng.uniform(9, 15))
            plan.episodes.append(
                Episode(
                    page_id, ("comment_burst",), start, start + timedelta(hours=2), "comments", 5.0
                )
            )

        # the March 2020 case on the large page, and a doubling in year one
        surge(
            "large.surge", date(2020, 3, 12), 8, 21, 1.5, ("questions", "reach"), "questions+reach"
        )
        surge(
            "large.surge", date(2019, 10, 15), 9, 7, 2.0, ("questions", "reach"), "questions+reach"
        )
        surge(
            "small.trend", date(2019, 11, 20), 9, 21, 1.5, ("questions", "reach"), "questions+reach"
        )
        surge(
            "small.rhythm", date(2020, 3, 16), 9, 21, 1.5, ("questions", "reach"), "questions+reach"
        )
        surge("medium.fast", date(2020, 4, 14), 0, 14, 1.5, ("reach",), "reach")
        burst("medium.burst", date(2019, 9, 18))
        burst("medium.burst", date(2020, 2, 12))
        burst("small.rhythm", date(2019, 12, 4))
        for page in self.pages:
            outages = []
            # one of hours, one of a day or two, one of nearly a week, away from episodes
            for length in (
                self.rng.uniform(3, 10),
                self.rng.uniform(20, 50),
                self.rng.uniform(100, 140),
            ):
                for _ in range(50):
                    day = self.start + timedelta(
                        days=self.rng.randint(35, (self.end - self.start).days - 10)
                    )
                    begin = self._at(page, day, self.rng.uniform(0, 24))
                    end = begin + timedelta(hours=length)
                    if not self._near_episode(plan, page.page_id, begin, end, days=7):
                        outages.append((begin, end))
                        break
            plan.outages[page.page_id] = sorted(outages)
            # a viral post a year, on a weekday away from episodes
            viral = []
            for year_start in (date(2019, 3, 1), date(2020, 1, 10)):
                for _ in range(50):
                    day = year_start + timedelta(days=self.rng.randint(0, 120))
                    at = self._at(page, day, 12)
                    if day.weekday() < 5 and not self._near_episode(
                        plan, page.page_id, at, at, days=10
                    ):
                        viral.append(day)
                        break
            plan.viral[page.page_id] = viral
        return plan

    @staticmethod
    def _near_episode(plan: _Plan, page_id: str, begin: datetime, end: datetime, days: int) -> bool:
        margin = timedelta(days=days)
        return any(
            e.page_id == page_id and begin < e.end + margin and end > e.start - margin
            for e in plan.episodes
        )

    @property
    def truth(self) -> dict[str, Any]:
        days = (self.end - self.start).days + 1
        return {
            "scenario": "unkind",
            "seed": self.seed,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "days": days,
            "pages": {
                p.page_id: {"size": p.size, "country": p.country, "tz": p.tz} for p in self.pages
            },
            "episodes": [
                {
                    "page_id": e.page_id,
                    "rules": list(e.rules),
                    "start": e.start.isoformat(),
                    "end": e.end.isoformat(),
                    "what": e.what,
                    "factor": e.factor,
                    "expect": "page",
                }
                for e in sorted(self.plan.episodes, key=lambda e: e.start)
            ],
            "outages": {
                p: [[a.isoformat(), b.isoformat()] for a, b in spans]
                for p, spans in self.plan.outages.items()
            },
            "viral_posts": {
                p: [d.isoformat() for d in days_] for p, days_ in self.plan.viral.items()
            },
        }

    # -- the traffic ------------------------------------------------------------------

    def level(self, page: UnkindPage, day: date) -> float:
        """People's activity on a day, before any planted surge: trend, season,
        holidays, the summer dip, Christmas, and the day after a long closure."""
        f = 1.0
        if page.trend is not None:
            since, until, weekly = page.trend
            weeks = (min(max(day, since), until) - since).days / 7
            f *= (1 + weekly) ** weeks
        if page.season:
            f *= 1 + page.season * math.cos(2 * math.pi * (day.timetuple().tm_yday - 105) / 365)
        closed = self.holidays[page.country]
        if day in closed or (day.month == 12 and day.day >= 24) or (day.month, day.day) == (1, 1):
            f *= 0.35
        elif day.weekday() < 5 and all(
            (day - timedelta(days=k)) in closed or (day - timedelta(days=k)).weekday() >= 5
            for k in (1, 2, 3)
        ):
            f *= 1.25  # back after three closed days: the cases that waited
        if day.month == 7:
            f *= 0.6
        elif day.weekday() >= 5:
            f *= 0.55
        return f

    def surge(self, page_id: str, at: datetime, what: str) -> float:
        for e in self.plan.episodes:
            if e.page_id == page_id and what in e.what.split("+") and e.start <= at < e.end:
                return e.factor
        return 1.0

    def events(self) -> Iterator[WireEvent]:
        """Every page's events, merged in event-time order."""
        streams = [self._page(p) for p in self.pages]
        for _, _, event in heapq.merge(*streams, key=lambda item: (item[0], item[1])):
            yield event

    def _page(self, page: UnkindPage) -> Iterator[tuple[datetime, int, WireEvent]]:
        rng = random.Random(f"unkind:{self.seed}:{page.page_id}")
        out: list[tuple[datetime, int, WireEvent]] = []
        seq = 0
        tz = ZoneInfo(page.tz)
        outages = self.plan.outages[page.page_id]

        def lost(at: datetime) -> bool:
            return any(a <= at < b for a, b in outages)

        def emit(at: datetime, kind: str, **fields: Any) -> None:
            nonlocal seq
            seq += 1
            if lost(at) and kind != "source_status":
                return
            event = {
                "kind": kind,
                "event_id": f"{page.page_id}-{seq}",
                # as the Meta collectors deliver them: a page's inbox is Messenger's
                "platform": "messenger" if kind == "private_message" else "facebook",
                "page_id": page.page_id,
                "occurred_at": at.isoformat(),
            } | fields
            out.append((at, seq, event))

        def person() -> str:
            return f"p1_{rng.getrandbits(128):032x}"

        def hour_of_day() -> float:
            return rng.choices(range(24), HOURS)[0] + rng.random()

        def later(at: datetime, mean_hours: float) -> datetime:
            """A person's delay after a post; night hours mostly skipped."""
            for _ in range(6):
                when = at + timedelta(hours=rng.expovariate(1 / mean_hours))
                if rng.random() < HOURS[when.astimezone(tz).hour] / 2.6:
                    return when
            return when

        def comment(at: datetime, post_id: str, question: bool) -> None:
            emit(
                at,
                "interaction",
                post_id=post_id,
                interaction_type="comment",
                actor_id=person(),
                comment_id=f"c{seq + 1}",
                is_question=question,
            )

        sigma = 0.8  # the pull of posts: lognormal with mean 1
        for begin, end in outages:
            emit(
                begin,
                "source_status",
                collector="meta-webhooks",
                state="down",
                detail="the webhook subscription lapsed",
                next_within=300,
            )
            emit(end, "source_status", collector="meta-webhooks", state="up", next_within=300)
        day = self.start - timedelta(days=1)
        latest: tuple[datetime, str] | None = None  # the newest post: questions go there
        while day < self.end:
            day += timedelta(days=1)
            base = self.level(page, day)
            weekday = day.weekday() < 5
            late = page.rhythm_change is not None and day >= page.rhythm_change
            rate = page.posts_per_weekday * (1.0 if weekday else 0.3) * (0.6 if late else 1.0)
            posts = []
            for _ in range(poisson(rng, rate)):
                hour = rng.uniform(14, 21) if late else rng.uniform(8, 16)
                pull = rng.lognormvariate(-sigma * sigma / 2, sigma)
                posts.append((self._at(page, day, hour), pull))
            if day in self.plan.viral[page.page_id]:
                posts.append((self._at(page, day, rng.uniform(10, 14)), VIRAL))
            posts.sort()
            expected_posts = page.posts_per_weekday * (5 + 0.6) / 7 * (0.6 if late else 1.0)
            pulls = 0.0
            # Questions come because people have cases: the day's number is theirs
            # (Poisson, the level and any surge), but they ask under the page's posts, in
            # the hours after one, more under the posts that draw (their pull on
            # questions is milder than on comments); a viral post adds its own few.
            weights = []
            posts_today: list[tuple[datetime, str]] = []
            for at, pull in posts:
                post_id = f"{page.page_id}-p{seq + 1}"
                emit(at, "post_published", post_id=post_id, format="image")
                posts_today.append((at, post_id))
                pulls += pull
                per_post = base / max(expected_posts, 0.1)
                for _ in range(poisson(rng, page.comments_per_day * per_post * pull)):
                    comment(later(at, 3.0), post_id, False)
                q_pull = rng.lognormvariate(-0.125, 0.5) * (VIRAL_QUESTIONS if pull >= VIRAL else 1)
                weights.append((at, post_id, q_pull))
            before_today = latest
            if not weights and latest is not None:
                weights = [(self._at(page, day, rng.uniform(7, 10)), latest[1], 1.0)]
            if weights:
                latest = weights[-1][:2]
                bound = page.questions_per_day * page.post_bound * base
                extra = sum(w - 1 for _, _, w in weights if w >= VIRAL_QUESTIONS)
                chosen = [(at, pid) for at, pid, _ in weights]
                for _ in range(poisson(rng, bound * MAX_FACTOR + extra * bound / len(weights))):
                    at, post_id = rng.choices(chosen, [w for _, _, w in weights])[0]
                    when = later(at, 2.0)
                    if rng.random() < self.surge(page.page_id, when, "questions") / MAX_FACTOR:
                        comment(when, post_id, True)
            # people's own cases: messages through the day (a Poisson process thinned
            # to the surge factor at each moment)
            cases = page.questions_per_day * (1 - page.post_bound) * base
            for _ in range(poisson(rng, cases * MAX_FACTOR)):
                at = self._at(page, day, hour_of_day())
                if rng.random() < self.surge(page.page_id, at, "questions") / MAX_FACTOR:
                    emit(
                        at,
                        "private_message",
                        direction="in",
                        message_id=f"m{seq + 1}",
                        thread_id=person(),
                        actor_id=person(),
                        is_question=True,
                    )
            # planted comment bursts: five times the hour's usual comments, under the
            # newest post published before the burst began, for the burst's two hours
            for e in self.plan.episodes:
                if e.page_id == page.page_id and e.what == "comments" and e.start.date() == day:
                    usual = page.comments_per_day + page.questions_per_day * page.post_bound
                    per_hour = usual * base * HOURS[e.start.astimezone(tz).hour] / sum(HOURS)
                    extra = (e.factor - 1) * per_hour * 2
                    published = [(at, pid) for at, pid in posts_today if at <= e.start]
                    newest = published[-1] if published else before_today
                    target = newest[1] if newest else f"{page.page_id}-burst"
                    for _ in range(poisson(rng, extra)):
                        at = e.start + timedelta(seconds=rng.uniform(0, 7200))
                        comment(at, target, rng.random() < 0.2)
            # the day's reach, reported the next morning (a fifth revised a day later)
            reach_factor = self.surge(page.page_id, self._at(page, day, 12), "reach")
            pull_part = 0.7 + 0.3 * pulls / max(expected_posts, 0.1)
            reach = int(
                page.reach_per_day * base * reach_factor * pull_part * rng.lognormvariate(0, 0.1)
            )
            report = self._at(page, day + timedelta(days=1), 7)
            emit(
                report,
                "metric_snapshot",
                scope="page",
                metric="page_impressions_unique",
                period="day",
                day=day.isoformat(),
                value=reach,
                source="poll",
                fetched_at=report.isoformat(),
            )
        out.sort(key=lambda item: (item[0], item[1]))
        yield from out
