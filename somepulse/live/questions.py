"""The live open-question queue and today's response times, in the worker.

Matching follows ``responses`` in ClickHouse (the record): a question is answered by
the page's earliest reply pointing at it (``in_reply_to``) or, for private messages,
by the first page message in the same thread at or after it. Replies that arrive
before their question are kept, so the question is matched when it comes. Fed
signals that ``LiveState`` deduplicated; rebuilt from ClickHouse on assignment.

Items change (``v_questions`` holds the same rules): an edit may make a comment a
question or unmake one; a removed or hidden question leaves the queue (an unhide
brings it back), and one withdrawn before any answer leaves the response figures too,
while one already answered stays answered.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from somepulse.domain.pages import PageInfo
from somepulse.domain.signals import QuestionRef, ReplyRef, Signal, counts_as_answer
from somepulse.store.base import parse_utc


@dataclass
class Question:
    question_id: str
    page_id: str
    platform: str
    asked_at: datetime
    item_id: str
    thread_id: str | None


@dataclass(frozen=True)
class Response:
    question_id: str
    page_id: str
    asked_at: datetime
    replied_at: datetime
    calendar_minutes: float
    office_minutes: float


class LiveQuestions:
    def __init__(self, pages: dict[str, PageInfo], horizon: timedelta = timedelta(days=14)):
        self.pages = pages
        self.horizon = horizon
        self.open: dict[tuple[str, str], Question] = {}  # (page, item id) -> question
        # answered ones stay until the horizon: an earlier reply may still arrive late
        self._answered: dict[tuple[str, str], Question] = {}
        self._in_thread: dict[tuple[str, str], set[str]] = {}  # (page, thread) -> items
        self.responses: dict[str, Response] = {}
        self._replies: dict[tuple[str, str], datetime] = {}  # (page, in_reply_to) -> first
        self._thread_replies: dict[tuple[str, str], list[datetime]] = {}
        # (page, item) -> the latest remove/hide/unhide and when; withdrawn questions wait
        # in _held (an unhide, or a question arriving after its removal, meets them there)
        self._visibility: dict[tuple[str, str], tuple[datetime, str]] = {}
        self._held: dict[tuple[str, str], Question] = {}
        # (page, item) -> when the person on duty decided it: edits and late arrivals of
        # the item no longer change whether it is a question
        self._marked: dict[tuple[str, str], datetime] = {}
        self.watermark: datetime | None = None
        self._evicted_at: datetime | None = None

    def add(self, signal: Signal) -> None:
        """Take a first-seen question, page reply or item change (others are ignored)."""
        if signal.question is None and signal.reply is None and signal.item is None:
            return
        at = signal.at
        if self.watermark is None or at > self.watermark:
            self.watermark = at
        if signal.change:
            self._change(signal, at)
        elif signal.reply is not None:
            self._reply(signal, signal.reply, at)
        elif signal.question is not None:
            self._question(signal, signal.question, at)

    def _question(self, signal: Signal, ref: QuestionRef, at: datetime) -> None:
        question = Question(
            ref.question_id or signal.event_id,
            signal.page_id,
            signal.platform,
            ref.asked_at or at,
            ref.item_id,
            ref.thread_id,
        )
        at = question.asked_at
        key = (signal.page_id, ref.item_id)
        if key in self._marked and signal.change != "mark":
            return  # the person on duty decided this item
        if ref.thread_id is not None:
            self._in_thread.setdefault((signal.page_id, ref.thread_id), set()).add(ref.item_id)
        seen = self._visibility.get(key)
        if seen is not None and seen[1] != "unhide" and seen[0] >= at:
            self._held[key] = question  # removed or hidden before it reached us
            return
        self.open[key] = question
        self._settle(question)

    def _change(self, signal: Signal, at: datetime) -> None:
        item = signal.item
        if item is None:
            return
        key = (signal.page_id, item.item_id)
        if signal.change == "mark":
            self._marked[key] = at
        if signal.change in ("edit", "mark"):
            if signal.change == "edit" and key in self._marked:
                return  # the person on duty's verdict stands
            known = self.open.get(key) or self._answered.get(key) or self._held.get(key)
            if signal.question is None:
                if known is not None:
                    self._forget(known)  # no longer a question: out of queue and figures
            elif known is None:
                self._question(signal, signal.question, at)  # now a question
            return
        seen = self._visibility.get(key)
        if seen is not None and seen[0] > at:
            return  # a later visibility change already arrived
        self._visibility[key] = (at, signal.change)
        if signal.change == "unhide":
            question = self._held.pop(key, None)
            if question is not None:
                self.open[key] = question
                self._settle(question)
        else:
            question = self.open.pop(key, None)
            if question is not None:
                self._held[key] = question

    def _reply(self, signal: Signal, ref: ReplyRef, at: datetime) -> None:
        page = signal.page_id
        if not counts_as_answer(ref.automated, ref.app_id, self.pages.get(page)):
            return  # stored, but an automated reply answers nobody
        key = (page, ref.in_reply_to)
        if key not in self._replies or at < self._replies[key]:
            self._replies[key] = at
        if ref.thread_id is not None:
            self._thread_replies.setdefault((page, ref.thread_id), []).append(at)
        # the questions this reply may answer: the one it points at, and for a message
        # the thread's questions (open, or answered by a later reply than this one)
        items = {ref.in_reply_to}
        if ref.thread_id is not None:
            items |= self._in_thread.get((page, ref.thread_id), set())
        for item in items:
            key = (page, item)
            question = self.open.get(key) or self._answered.get(key) or self._held.get(key)
            if question is not None:
                self._settle(question)

    def _settle(self, question: Question) -> None:
        """(Re)compute a question's first reply; move it from open to answered."""
        first = self._first_reply(question)
        if first is None:
            return
        key = (question.page_id, question.item_id)
        self.open.pop(key, None)
        self._held.pop(key, None)  # answered, then hidden: it stays answered
        self._answered[key] = question
        self._answer(question, first)

    def _forget(self, question: Question) -> None:
        key = (question.page_id, question.item_id)
        self.open.pop(key, None)
        self._answered.pop(key, None)
        self._held.pop(key, None)
        self.responses.pop(question.question_id, None)
        if question.thread_id is not None:
            items = self._in_thread.get((question.page_id, question.thread_id))
            if items is not None:
                items.discard(question.item_id)
                if not items:
                    del self._in_thread[(question.page_id, question.thread_id)]

    def _first_reply(self, question: Question) -> datetime | None:
        candidates = []
        direct = self._replies.get((question.page_id, question.item_id))
        if direct is not None:
            candidates.append(direct)
        if question.thread_id is not None:
            later = [
                t
                for t in self._thread_replies.get((question.page_id, question.thread_id), [])
                if t >= question.asked_at
            ]
            if later:
                candidates.append(min(later))
        return min(candidates) if candidates else None

    def _answer(self, question: Question, replied_at: datetime) -> None:
        known = self.responses.get(question.question_id)
        if known is not None and known.replied_at == replied_at:
            return
        page = self.pages.get(question.page_id)
        calendar = max(0.0, (replied_at - question.asked_at).total_seconds() / 60)
        office = page.office_minutes(question.asked_at, replied_at) if page else calendar
        self.responses[question.question_id] = Response(
            question.question_id, question.page_id, question.asked_at, replied_at, calendar, office
        )

    def evict(self) -> None:
        """Forget what is older than the horizon (event time; call once per batch)."""
        if self.watermark is None:
            return
        # a sweep touches every held question: do it when an hour of event time passed
        if self._evicted_at is not None and self.watermark - self._evicted_at < timedelta(hours=1):
            return
        self._evicted_at = self.watermark
        cutoff = self.watermark - self.horizon
        held = (*self.open.values(), *self._answered.values(), *self._held.values())
        for question in [q for q in held if q.asked_at < cutoff]:
            self._forget(question)
        self._visibility = {k: v for k, v in self._visibility.items() if v[0] >= cutoff}
        self._marked = {k: t for k, t in self._marked.items() if t >= cutoff}
        self._replies = {k: t for k, t in self._replies.items() if t >= cutoff}
        self._thread_replies = {
            k: kept
            for k, ts in self._thread_replies.items()
            if (kept := [t for t in ts if t >= cutoff])
        }

    def queue(self, now: datetime, since: datetime | None = None) -> dict[str, dict[str, Any]]:
        """Per page: open questions (asked since ``since``) and the oldest one's age."""
        out: dict[str, dict[str, Any]] = {}
        for q in self.open.values():
            if since is not None and q.asked_at < since:
                continue
            page = out.setdefault(q.page_id, {"open": 0, "oldest_asked_at": q.asked_at})
            page["open"] += 1
            page["oldest_asked_at"] = min(page["oldest_asked_at"], q.asked_at)
        for page_id, page in out.items():
            info = self.pages.get(page_id)
            oldest = page["oldest_asked_at"]
            page["oldest_age_minutes"] = (now - oldest).total_seconds() / 60
            page["oldest_age_office_minutes"] = (
                info.office_minutes(oldest, now) if info else page["oldest_age_minutes"]
            )
        return out

    def response_times(self, since: datetime) -> dict[str, dict[str, float]]:
        """Per page, for questions answered since ``since`` (e.g. today's start)."""
        by_page: dict[str, list[Response]] = {}
        for r in self.responses.values():
            if r.replied_at >= since:
                by_page.setdefault(r.page_id, []).append(r)
        return {
            page: {
                "answered": len(rs),
                "median_office_minutes": statistics.median(r.office_minutes for r in rs),
                "median_calendar_minutes": statistics.median(r.calendar_minutes for r in rs),
                "mean_office_minutes": statistics.fmean(r.office_minutes for r in rs),
            }
            for page, rs in by_page.items()
        }

    def load(
        self,
        open_rows: Iterable[dict[str, Any]],
        reply_rows: Iterable[dict[str, Any]],
        response_rows: Iterable[dict[str, Any]],
    ) -> None:
        """Rebuild from ClickHouse: open questions, recent page replies (so that a
        question arriving after its reply is matched) and recent responses."""
        for row in reply_rows:
            at = parse_utc(row["at"])
            key = (row["page_id"], row["in_reply_to"])
            if key not in self._replies or at < self._replies[key]:
                self._replies[key] = at
            if row["channel"] == "message" and row["thread_id"]:
                self._thread_replies.setdefault((row["page_id"], row["thread_id"]), []).append(at)
            self.watermark = at if self.watermark is None else max(self.watermark, at)
        for row in open_rows:
            self._remember(_question_from(row))
        for row in response_rows:
            q = self._remember(_question_from(row))
            self.open.pop((q.page_id, q.item_id))
            self._answered[(q.page_id, q.item_id)] = q
            self.responses[q.question_id] = Response(
                q.question_id,
                q.page_id,
                q.asked_at,
                parse_utc(row["replied"]),
                float(row["calendar_minutes"]),
                float(row["office_minutes"]),
            )

    def _remember(self, q: Question) -> Question:
        self.open[(q.page_id, q.item_id)] = q
        if q.thread_id is not None:
            self._in_thread.setdefault((q.page_id, q.thread_id), set()).add(q.item_id)
        return q


def _question_from(row: dict[str, Any]) -> Question:
    return Question(
        row["question_id"],
        row["page_id"],
        row["platform"],
        parse_utc(row["asked"]),
        row["item_id"],
        row["thread_id"] or None,
    )
