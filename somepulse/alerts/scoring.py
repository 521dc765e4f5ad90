"""Scoring a detector's transitions against planted truth: detection delay, misses,
false pages per page per quarter, pages per episode (flapping) and how soon an episode's
alert resolves after it ended. Pure: the backtest and the benchmark feed it.

A *page* is a firing transition of severity warning or critical (``info`` stays on the
board). A page belongs to an episode when it is on the episode's page, from its start
until a day after its end; any other page is false.

An *incident* is what reaches on-call through Alertmanager, which groups a page's
alerts (``group_by: [alertname, page]``): it opens when a paging alert fires while none
of that page fires, and every alert that joins while one fires is an update of it (one
incident in a pager; a follow-up message in a chat).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

PAGING = frozenset({"warning", "critical"})
GRACE = timedelta(days=1)  # after an episode's end: its alert may still fire or resolve
QUARTER_DAYS = 365.25 / 4


@dataclass(frozen=True)
class Fired:
    """One transition as scored (from the detector or a backtest's JSON)."""

    page_id: str
    rule: str
    severity: str
    state: str  # firing or resolved
    at: datetime
    source: str = ""  # the rule's series: any paging rule on an episode's series counts


@dataclass
class EpisodeScore:
    page_id: str
    size: str
    what: str
    factor: float
    rules: tuple[str, ...]
    start: datetime
    end: datetime
    delay: timedelta | None = None  # to the first page by one of its rules; None: missed
    pages: int = 0  # paging firings during it (one means no flapping)
    incidents: int = 0  # of those, the ones that opened an incident
    resolved_after_end: timedelta | None = None  # of the first rule that paged
    # when the incident closed (none of the page's paging alerts firing any more) after
    # the first page, against the end: what on-call sees as the episode's end
    closed_after_end: timedelta | None = None


@dataclass
class Score:
    days: int
    episodes: list[EpisodeScore] = field(default_factory=list)
    false_pages: Counter[tuple[str, str]] = field(default_factory=Counter)  # (page, rule)
    false_incidents: Counter[str] = field(default_factory=Counter)  # page
    sizes: dict[str, str] = field(default_factory=dict)  # page -> size

    def false_per_quarter(self, page: str, rule: str | None = None) -> float:
        n = sum(
            c for (p, r), c in self.false_pages.items() if p == page and (rule is None or r == rule)
        )
        return n / (self.days / QUARTER_DAYS)

    def false_incidents_per_quarter(self, page: str) -> float:
        return self.false_incidents[page] / (self.days / QUARTER_DAYS)

    def as_dict(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "false_incidents_per_quarter": {
                page: round(self.false_incidents_per_quarter(page), 2)
                for page in sorted(self.sizes)
            },
            "false_pages_per_quarter": {
                page: round(self.false_per_quarter(page), 2) for page in sorted(self.sizes)
            },
            "false_pages": [
                {"page_id": p, "rule": r, "count": c}
                for (p, r), c in sorted(self.false_pages.items())
            ],
            "episodes": [
                {
                    "page_id": e.page_id,
                    "size": e.size,
                    "what": e.what,
                    "factor": e.factor,
                    "start": e.start.isoformat(),
                    "end": e.end.isoformat(),
                    "delay_hours": None
                    if e.delay is None
                    else round(e.delay / timedelta(hours=1), 2),
                    "pages": e.pages,
                    "incidents": e.incidents,
                    "resolved_hours_after_end": None
                    if e.resolved_after_end is None
                    else round(e.resolved_after_end / timedelta(hours=1), 1),
                    "closed_hours_after_end": None
                    if e.closed_after_end is None
                    else round(e.closed_after_end / timedelta(hours=1), 1),
                }
                for e in self.episodes
            ],
        }


def score(fired: list[Fired], truth: dict[str, Any]) -> Score:
    sizes = {p: str(info.get("size", "")) for p, info in truth.get("pages", {}).items()}
    result = Score(int(truth["days"]), sizes=sizes)
    episodes = [
        EpisodeScore(
            e["page_id"],
            sizes.get(e["page_id"], ""),
            e["what"],
            float(e["factor"]),
            tuple(e["rules"]),
            datetime.fromisoformat(e["start"]),
            datetime.fromisoformat(e["end"]),
        )
        for e in truth.get("episodes", [])
        if e.get("expect", "page") == "page"
    ]
    result.episodes = episodes
    firing: dict[str, set[str]] = {}  # page -> its paging rules firing now
    incident_of: dict[str, EpisodeScore | None] = {}  # page -> the episode of its incident
    for f in sorted(fired, key=lambda f: f.at):
        if f.severity not in PAGING:
            continue
        now = firing.setdefault(f.page_id, set())
        if f.state != "firing":
            now.discard(f.rule)
            closing = incident_of.pop(f.page_id, None) if not now else None
            if closing is not None:  # the last incident an episode opened sets its close
                closing.closed_after_end = f.at - closing.end
            continue
        opens = not now
        now.add(f.rule)
        episode = next(
            (e for e in episodes if e.page_id == f.page_id and e.start <= f.at <= e.end + GRACE),
            None,
        )
        if opens:
            incident_of[f.page_id] = episode
        if episode is None:
            result.false_pages[(f.page_id, f.rule)] += 1
            result.false_incidents[f.page_id] += opens
            sizes.setdefault(f.page_id, "")
            continue
        episode.pages += 1
        episode.incidents += opens
        if episode.delay is None and (f.rule in episode.rules or f.source in episode.rules):
            episode.delay = f.at - episode.start
            resolved = next(
                (
                    g
                    for g in fired
                    if g.page_id == f.page_id
                    and g.rule == f.rule
                    and g.state == "resolved"
                    and g.at > f.at
                ),
                None,
            )
            if resolved is not None:
                episode.resolved_after_end = resolved.at - episode.end
    return result


def false_table(scores: list[Score]) -> list[dict[str, Any]]:
    """Per page size and rule, over every page of that size and every seed: false pages
    per page per quarter, mean and worst."""
    sizes = sorted({s for sc in scores for s in sc.sizes.values() if s}, key=_SIZES.index)
    rules = sorted(
        {r for sc in scores for (_, r) in sc.false_pages} | {"questions", "reach", "comment_burst"}
    )
    rows = []
    for size in sizes:
        pages = [(sc, p) for sc in scores for p, s in sc.sizes.items() if s == size]
        for rule in [*rules, None]:
            per_page = [sc.false_per_quarter(p, rule) for sc, p in pages]
            rows.append(
                {
                    "size": size,
                    "rule": rule or "all rules",
                    "mean": statistics.fmean(per_page),
                    "max": max(per_page),
                }
            )
        incidents = [sc.false_incidents_per_quarter(p) for sc, p in pages]
        rows.append(
            {
                "size": size,
                "rule": "incidents (grouped by page)",
                "mean": statistics.fmean(incidents),
                "max": max(incidents),
            }
        )
    return rows


def episode_table(scores: list[Score]) -> list[dict[str, Any]]:
    """Per page size and kind of planted episode, over every seed: how many, missed,
    detection delay (median and worst), pages per episode (worst), how long after the
    end the alert resolved (worst) and how many resolved before the end."""
    kinds = sorted(
        {(e.size, e.what, e.factor) for sc in scores for e in sc.episodes},
        key=lambda k: (_SIZES.index(k[0]) if k[0] in _SIZES else 9, k[1], k[2]),
    )
    rows = []
    for size, what, factor in kinds:
        eps = [
            e
            for sc in scores
            for e in sc.episodes
            if (e.size, e.what, e.factor) == (size, what, factor)
        ]
        found = [e.delay / timedelta(hours=1) for e in eps if e.delay is not None]
        resolved = [
            e.resolved_after_end / timedelta(hours=1)
            for e in eps
            if e.resolved_after_end is not None
        ]
        closed = [
            e.closed_after_end / timedelta(hours=1) for e in eps if e.closed_after_end is not None
        ]
        rows.append(
            {
                "size": size,
                "episode": f"{what} ×{factor:g}",
                "episodes": len(eps),
                "missed": len(eps) - len(found),
                "delay_median_h": statistics.median(found) if found else None,
                "delay_max_h": max(found) if found else None,
                "pages_max": max(e.pages for e in eps),
                "incidents_max": max(e.incidents for e in eps),
                "resolved_after_end_max_h": max(resolved) if resolved else None,
                # the first page resolved while the episode went on: on-call told it was
                # over when it was not
                "resolved_early": sum(1 for h in resolved if h < 0),
                # the incident: every paging alert of the page resolved
                "closed_after_end_max_h": max(closed) if closed else None,
            }
        )
    return rows


_SIZES = ["tiny", "small", "medium", "large", ""]
