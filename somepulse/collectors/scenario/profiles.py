"""The scenario's pages, sized from the public figures in shared/domain.md.

Only rates live here, per day at scale 1.0 (reactions, comments and shares per post;
messages and reach per page-day). What a page *is* (name, platform, country, time
zone, office hours) comes from the page directory (``pages.toml``), the same one the
worker and the views use; the generator answers questions only in office hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from functools import cached_property

from somepulse.domain.pages import PageInfo, load_pages


@dataclass(frozen=True)
class Surge:
    """Multiplier on people's activity and reach between two dates (inclusive)."""

    start: date
    end: date
    factor: float


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    start: date
    end: date
    daily_spend: float
    currency: str


@dataclass(frozen=True)
class PageProfile:
    page_id: str  # a page of the directory (pages.toml)
    followers: int  # at the scenario's start
    followers_gain_per_day: float
    followers_loss_per_day: float
    posts_per_weekday: tuple[float, ...]  # Monday..Sunday, mean posts per day
    reactions_per_post: float
    comments_per_post: float
    shares_per_post: float
    clicks_per_post: float
    question_share: float  # of comments, asking the page something
    messages_per_day: float  # incoming private messages
    page_reach_per_day: float
    answer_rate: float
    answer_minutes: float = 45.0  # mean office minutes to the first reply
    # others naming the page (tags, @mentions, quotes, tracked hashtags); NAV's X account
    # saw 182 a month on average (domain.md): ~6 a day
    mentions_per_day: float = 3.0
    formats: tuple[tuple[str, float], ...] = (
        ("image", 0.45),
        ("link", 0.25),
        ("video", 0.15),
        ("text", 0.1),
        ("live", 0.05),
    )
    surges: tuple[Surge, ...] = ()
    campaigns: tuple[Campaign, ...] = field(default_factory=tuple)

    @cached_property
    def info(self) -> PageInfo:
        return DIRECTORY[self.page_id]

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def platform(self) -> str:
        return self.info.platform

    @property
    def country(self) -> str:
        """ISO code: the public holidays the page's office is closed on."""
        return self.info.country

    @property
    def tz(self) -> str:
        return self.info.tz

    @property
    def opens(self) -> time:
        return self.info.opens

    @property
    def closes(self) -> time:
        return self.info.closes

    @property
    def questions_per_day(self) -> float:
        """Mean questions a day: the question share of the comments on an average day."""
        return self.comments_per_post * self.question_share * sum(self.posts_per_weekday) / 7


# March 2020: Norway shut down on 12 March. Days 1-11 run as usual, so a factor of
# 1.775 on days 12-31 makes the month (11*1 + 20*1.775)/31 = 1.5 times March 2019:
# the +50 % NAV reported. April fell back but stayed above the year before.
MARCH_2020 = (
    Surge(date(2020, 3, 12), date(2020, 3, 31), 1.775),
    Surge(date(2020, 4, 1), date(2020, 4, 30), 1.2),
)

DIRECTORY = {p.page_id: p for p in load_pages()}

PAGES: tuple[PageProfile, ...] = (
    PageProfile(
        page_id="nav.foreldrepenger",
        followers=45_000,
        # +8 000 net a year with high churn (people leave when the child turns three)
        followers_gain_per_day=45.0,
        followers_loss_per_day=23.0,
        posts_per_weekday=(3, 2.5, 2.5, 2.5, 2, 0.3, 0.2),
        reactions_per_post=60.0,
        comments_per_post=42.0,
        shares_per_post=4.0,
        clicks_per_post=25.0,
        question_share=0.45,
        messages_per_day=6.0,
        page_reach_per_day=11_500.0,
        answer_rate=0.93,
        surges=MARCH_2020,
    ),
    PageProfile(
        page_id="nav.jobblyst",
        followers=22_000,
        followers_gain_per_day=12.0,
        followers_loss_per_day=6.0,
        posts_per_weekday=(1, 1, 1, 1, 1, 0.2, 0.1),
        reactions_per_post=35.0,
        comments_per_post=9.0,
        shares_per_post=3.0,
        clicks_per_post=30.0,
        question_share=0.5,
        messages_per_day=4.5,
        page_reach_per_day=10_000.0,
        answer_rate=0.95,
        surges=MARCH_2020,
        campaigns=(
            Campaign("jobblyst-sommerjobb-2019", date(2019, 5, 6), date(2019, 6, 2), 900.0, "NOK"),
            Campaign("jobblyst-korona-2020", date(2020, 3, 20), date(2020, 4, 19), 1500.0, "NOK"),
        ),
    ),
    PageProfile(
        page_id="nav.linkedin",
        followers=34_800,
        followers_gain_per_day=22.0,
        followers_loss_per_day=2.5,
        posts_per_weekday=(1, 1, 1, 1, 0.8, 0, 0),
        reactions_per_post=70.0,
        comments_per_post=6.0,
        shares_per_post=12.0,
        clicks_per_post=40.0,
        question_share=0.15,
        messages_per_day=0.5,
        page_reach_per_day=4_500.0,
        answer_rate=0.8,
    ),
    PageProfile(
        page_id="sahlgrenska",
        followers=60_000,
        followers_gain_per_day=20.0,
        followers_loss_per_day=8.0,
        posts_per_weekday=(3, 3, 3, 3, 3, 1.5, 1.5),
        reactions_per_post=90.0,
        comments_per_post=12.0,
        shares_per_post=6.0,
        clicks_per_post=15.0,
        question_share=0.3,
        messages_per_day=4.0,
        page_reach_per_day=25_000.0,
        answer_rate=0.9,
        answer_minutes=60.0,
    ),
    PageProfile(
        page_id="region.exempel",
        followers=38_000,
        followers_gain_per_day=10.0,
        followers_loss_per_day=4.0,
        posts_per_weekday=(1.6, 1.6, 1.6, 1.6, 1.4, 0.6, 0.5),
        reactions_per_post=40.0,
        comments_per_post=5.0,
        shares_per_post=3.0,
        clicks_per_post=10.0,
        question_share=0.4,
        messages_per_day=1.5,
        page_reach_per_day=8_000.0,
        answer_rate=0.85,
        answer_minutes=120.0,
    ),
    # The open networks report no reach, impressions or clicks: followers and people's
    # own likes, reposts and replies only; no private messages are collected there.
    PageProfile(
        page_id="nav.bsky",
        followers=3_200,
        followers_gain_per_day=6.0,
        followers_loss_per_day=1.0,
        posts_per_weekday=(1, 1, 1, 1, 0.8, 0.1, 0.1),
        reactions_per_post=25.0,
        comments_per_post=4.0,
        shares_per_post=5.0,
        clicks_per_post=0.0,
        question_share=0.4,
        messages_per_day=0.0,
        page_reach_per_day=0.0,
        answer_rate=0.85,
        answer_minutes=90.0,
        mentions_per_day=2.0,
        formats=(("image", 0.4), ("link", 0.35), ("text", 0.2), ("video", 0.05)),
        surges=MARCH_2020,
    ),
    PageProfile(
        page_id="region.exempel.social",
        followers=1_400,
        followers_gain_per_day=2.0,
        followers_loss_per_day=0.5,
        posts_per_weekday=(1, 1, 1, 1, 0.8, 0, 0),
        reactions_per_post=10.0,
        comments_per_post=2.0,
        shares_per_post=3.0,
        clicks_per_post=0.0,
        question_share=0.35,
        messages_per_day=0.0,
        page_reach_per_day=0.0,
        answer_rate=0.8,
        answer_minutes=120.0,
        mentions_per_day=1.0,
        formats=(("image", 0.4), ("link", 0.35), ("text", 0.25)),
    ),
)
