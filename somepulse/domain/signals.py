"""What an event tells the metrics: the one Python home of the field's event rules.

``classify`` is called once per event on the worker's hot path; the live caches and
the surge detector read its ``Signal`` instead of looking at event types themselves.
The SQL side of the same rules lives in ``store/sql/functions.sql``
(``{db}_is_question``, ``{db}_is_engagement``, ``{db}_virality``) and the semantic
views built on them; ``tests/clickhouse/test_rules_contract.py`` feeds the same events
to both and asserts equal answers.

The rules:

* **question**: a person's comment or reply marked as a question, or an incoming
  private message marked as a question, when it is added (the volume of questions
  asked); an edit may make or unmake a question and a removal or hide withdraws it,
  which the queue and the response figures honour (``LiveQuestions``, ``v_questions``);
* **the person on duty decides**: a ``needs_reply_mark`` makes a comment or message a
  question (asked when it was written) or unmakes one, whatever the detector said or
  says after an edit;
* **counts move on add and remove only** (``count_sign``): an item removed counts −1
  at the time of its removal (the day's figure is net, like a platform's net follows);
  edits, hides and unhides move no count;
* **engagement**: reactions + comments + shares + clicks (views and replies under
  comments are not engagement with the page's post in the field's definition);
* **reply**: the page answering a comment or a message; an automated reply (an instant
  reply, an away message, a chatbot: ``counts_as_answer``) is kept but does not stop
  the response clock, unless the page says it should;
* **reach of a day**: the page's latest reported reach for that day (a metric snapshot
  the catalogue maps to reach, or release 0.1's insights snapshot; a later snapshot
  revises an earlier one, never adds to it);
* **virality**: shares ÷ reach of the same post (Facebook's classic definition uses
  people who shared; per post both are the same measure).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from somepulse.domain.measures import CatalogueMetric, load_catalogue
from somepulse.domain.pages import PageInfo
from somepulse.schemas.events import Event
from somepulse.schemas.health import SourceStatus
from somepulse.schemas.interactions import Interaction, PageReply, ReplyChannel
from somepulse.schemas.marks import NeedsReplyMark
from somepulse.schemas.messages import Direction, PrivateMessage
from somepulse.schemas.snapshots import InsightsScope, InsightsSnapshot, MetricSnapshot

ENGAGEMENT_TYPES = ("reaction", "comment", "share", "click")
# the per-minute counters the live cache and the rollups keep (rollup column names)
COUNTERS = (
    ("reaction", "reactions"),
    ("comment", "comments"),
    ("reply", "replies"),
    ("share", "shares"),
    ("click", "clicks"),
    ("view", "views"),
    ("question", "questions"),
)
_IN = Direction.IN
_PAGE = InsightsScope.PAGE
_MESSAGE = ReplyChannel.MESSAGE
_SIGNS = {"add": 1, "remove": -1}


@dataclass(frozen=True, slots=True)
class QuestionRef:
    """A question's identity for matching: the comment or message id, its thread."""

    item_id: str
    thread_id: str | None
    # a marked question: the marked comment's or message's own event id and time
    question_id: str = ""
    asked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ReplyRef:
    in_reply_to: str
    thread_id: str | None  # set only for replies by private message
    automated: bool = False
    app_id: str = ""


@dataclass(frozen=True, slots=True)
class ReachRef:
    """A reported figure: reach of a page's day or of a post, or a post's shares or
    clicks so far (``measure``)."""

    scope: str  # "page" or "post"
    day_ts: int  # the reported day, 00:00 UTC as epoch seconds
    value: int
    measure: str = "reach"


@dataclass(slots=True)
class Signal:
    """What one event means for live state and the surge detector. Not frozen only
    because a frozen dataclass is several times slower to build, and one is built per
    event on the hot path: treat it as immutable."""

    event_id: str
    page_id: str
    platform: str
    post_id: str
    ts: int  # event time, epoch seconds (converted once: utcoffset() is slow)
    at: datetime  # event time as sent (sub-second: response times are in ms)
    counters: tuple[str, ...] = ()
    question: QuestionRef | None = None
    reply: ReplyRef | None = None
    reach: ReachRef | None = None
    sign: int = 1  # -1: the counters are taken back (a removal)
    change: str = ""  # a later change of an item: edit, remove, hide or unhide
    item: QuestionRef | None = None  # the comment or message a change is about
    source_down: bool | None = None  # a collector's word: its source down (or back up)


# Which reported metrics the live state takes (the catalogue's measures): a page's day
# of reach, and a post's lifetime reach, shares and clicks (its top posts). The packaged
# catalogue unless the worker says which one it runs with (``use_catalogue``).
_LIVE_MEASURES = {("page", "day"): ("reach",), ("post", "lifetime"): ("reach", "shares", "clicks")}
_REPORTED: dict[tuple[str, str, str, str], str] | None = None


def use_catalogue(metrics: list[CatalogueMetric]) -> None:
    global _REPORTED
    _REPORTED = {
        (m.platform, m.scope, m.name, m.period): m.measure
        for m in metrics
        if m.measure in _LIVE_MEASURES.get((m.scope, m.period), ())
    }


def _measure_of(snap: MetricSnapshot) -> str | None:
    if _REPORTED is None:
        use_catalogue(load_catalogue())
    assert _REPORTED is not None
    if snap.breakdown is not None:
        return None
    return _REPORTED.get((snap.platform, snap.scope, snap.metric, snap.period))


def count_sign(verb: str) -> int:
    """How an item change moves counts (SQL: ``{db}_net``): add +1, remove −1, else 0."""
    return _SIGNS.get(verb, 0)


def is_question(event: Event) -> bool:
    """A question asked: counted once, when its item is added."""
    if type(event) is Interaction:
        return event.is_question and event.verb == "add"
    return (
        type(event) is PrivateMessage
        and event.direction is _IN
        and event.is_question
        and event.verb == "add"
    )


def counts_as_answer(automated: bool, app_id: str, page: PageInfo | None) -> bool:
    """Whether a page reply stops the response clock (SQL: ``{db}_counts_as_answer``)."""
    if page is None:
        return not automated
    if page.automated_replies_answer:
        return True
    if automated or app_id in page.automated_reply_apps:
        return False
    return not (page.human_reply_apps and app_id and app_id not in page.human_reply_apps)


def is_engagement(interaction_type: str) -> bool:
    return interaction_type in ENGAGEMENT_TYPES


def engagement(counts: Mapping[str, int]) -> int:
    """Engagement from per-type counts keyed by interaction type."""
    return sum(counts.get(t, 0) for t in ENGAGEMENT_TYPES)


def virality(shares: int, reach: int) -> float | None:
    """Shares ÷ reach, rounded like the SQL function; None without reach."""
    return round(shares / reach, 5) if reach else None


def classify(event: Event) -> Signal | None:
    """The signal of one event, or None when it moves no live number."""
    kind = type(event)
    if kind is Interaction:
        ev: Interaction = event  # type: ignore[assignment]
        # StrEnum members are str already: no .value lookups on the hot path
        if ev.verb != "add":
            item = None if ev.comment_id is None else QuestionRef(ev.comment_id, None)
            return _change(ev, ev.verb, (ev.interaction_type,), item, ev.is_question)
        if ev.is_question:
            question = QuestionRef(ev.comment_id or "", None)
            return _signal(ev, (ev.interaction_type, "question"), question)
        return _signal(ev, (ev.interaction_type,))
    if kind is PrivateMessage:
        msg: PrivateMessage = event  # type: ignore[assignment]
        if msg.direction is not _IN:
            return None
        if msg.verb != "add":
            item = QuestionRef(msg.message_id, msg.thread_id)
            return _change(msg, msg.verb, (), item, msg.is_question)
        if not msg.is_question:
            return None
        return _signal(msg, ("question",), QuestionRef(msg.message_id, msg.thread_id))
    if kind is PageReply:
        reply: PageReply = event  # type: ignore[assignment]
        if reply.verb != "add":
            return None  # an edited or removed answer was still given when it was
        thread = reply.thread_id if reply.channel is _MESSAGE and reply.thread_id else None
        ref = ReplyRef(reply.in_reply_to, thread, reply.automated, reply.app_id or "")
        return _signal(reply, (), reply=ref)
    if kind is NeedsReplyMark:
        mark: NeedsReplyMark = event  # type: ignore[assignment]
        item = QuestionRef(mark.target_id, mark.thread_id)
        asked = QuestionRef(mark.target_id, mark.thread_id, mark.target_event_id, mark.target_at)
        signal = _signal(mark, (), asked if mark.needs_reply else None)
        signal.change = "mark"
        signal.item = item
        return signal
    if kind is SourceStatus:
        status: SourceStatus = event  # type: ignore[assignment]
        signal = _signal(status, ())
        signal.source_down = status.state != "up"
        return signal
    if kind is MetricSnapshot:
        report: MetricSnapshot = event  # type: ignore[assignment]
        measure = _measure_of(report)
        if measure is None:
            return None
        day = int(datetime(*report.day.timetuple()[:3], tzinfo=UTC).timestamp())
        return _signal(report, (), reach=ReachRef(str(report.scope), day, report.value, measure))
    if kind is InsightsSnapshot:
        snap: InsightsSnapshot = event  # type: ignore[assignment]
        day = int(datetime(snap.day.year, snap.day.month, snap.day.day, tzinfo=UTC).timestamp())
        return _signal(snap, (), reach=ReachRef(str(snap.scope), day, snap.reach))
    return None


def _change(
    event: Interaction | PrivateMessage,
    verb: str,
    counters: tuple[str, ...],
    item: QuestionRef | None,
    now_a_question: bool,
) -> Signal | None:
    """A later change of an item: a removal takes its counts back; an edit carries the
    new question verdict; any change of a comment or message reaches the queue."""
    sign = count_sign(verb)
    if sign == 0:
        counters = ()
    if item is None and not counters:
        return None  # an edited reaction: nothing live moves
    signal = _signal(event, counters, item if now_a_question and verb == "edit" else None)
    signal.sign = sign or 1
    signal.change = verb
    signal.item = item
    return signal


def _signal(
    event: Event,
    counters: tuple[str, ...],
    question: QuestionRef | None = None,
    reply: ReplyRef | None = None,
    reach: ReachRef | None = None,
) -> Signal:
    at = event.occurred_at
    return Signal(
        event.event_id,
        event.page_id,
        event.platform,
        event.post_id or "",
        int(at.timestamp()),  # utcoffset() is slow: once per event
        at,
        counters,
        question,
        reply,
        reach,
    )


__all__ = [
    "COUNTERS",
    "ENGAGEMENT_TYPES",
    "QuestionRef",
    "ReachRef",
    "ReplyRef",
    "Signal",
    "classify",
    "count_sign",
    "counts_as_answer",
    "engagement",
    "is_engagement",
    "is_question",
    "use_catalogue",
    "virality",
]
