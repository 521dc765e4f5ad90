"""``somepulse backtest FILE.jsonl [--json OUT] [--truth TRUTH.json]``: the worker's surge
detector over a recorded file at full speed, and how it would have done.

The path is the worker's, without Faust or ClickHouse: the same ``MessageProcessor``
validates each line, ``classify`` turns events into signals, the live state's replay
filter keeps the first-seen ones, ``observations`` and the ``StreamDetector`` decide —
so what a team sees here is what paging would have done on its own history. With a
truth file (planted episodes: page, rules, start, end) it scores detection delays,
misses, false pages per page per quarter and pages per episode.

``somepulse bench --alerts`` runs the same over the unkind scenario
(``collectors/scenario/unkind.py``) for several seeds and prints the table in
docs/alerts.md.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as clock
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from somepulse.alerts.detector import AlertConfig, Transition
from somepulse.alerts.observe import observations
from somepulse.alerts.scoring import Fired, Score, episode_table, false_table, score
from somepulse.alerts.stream import StreamDetector
from somepulse.domain.pages import PageInfo
from somepulse.domain.signals import classify
from somepulse.live.state import LiveState
from somepulse.streams.processor import MessageProcessor


@dataclass
class Backtest:
    config: AlertConfig
    pages: dict[str, PageInfo]
    detector: StreamDetector = field(init=False)
    live: LiveState = field(init=False)
    processor: MessageProcessor = field(default_factory=lambda: MessageProcessor("backtest"))
    events: int = 0
    dead: int = 0
    # (month, detector state size at its end): memory must stay flat with history
    sizes: list[tuple[str, int]] = field(default_factory=list)
    _next_month: int = 0

    def __post_init__(self) -> None:
        self.detector = StreamDetector(self.config, self.pages)
        self.live = LiveState(self.pages)

    def feed(self, lines: Iterable[bytes]) -> None:
        """Lines of a JSONL file (an event or a JSON array of events each), in order."""
        take, observe, process = self.live.take, self.detector.observe, self.processor.process
        for offset, line in enumerate(lines):
            if not line.strip():
                continue
            result = process(line, 0, offset)
            self.dead += len(result.dead)
            self.events += len(result.events)
            fresh = [s for s in map(classify, result.events) if s is not None and take(s)]
            if fresh:
                observe(observations(fresh))
                if fresh[-1].ts >= self._next_month:
                    self._measure(fresh[-1].ts)
            if offset % 10_000 == 0:
                self.live.evict()

    def _measure(self, ts: int) -> None:
        """The detector's size as a new month of event time begins."""
        day = datetime.fromtimestamp(ts, UTC).date()
        self.sizes.append((f"{day:%Y-%m}", self.detector.state_size()))
        nxt = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        self._next_month = int(datetime(nxt.year, nxt.month, 1, tzinfo=UTC).timestamp())

    @property
    def transitions(self) -> list[Transition]:
        return self.detector.transitions


def fired(transitions: Iterable[Transition]) -> list[Fired]:
    return [
        Fired(t.page_id, t.rule.name, t.rule.severity, t.state, t.at, t.rule.source)
        for t in transitions
    ]


def transition_row(t: Transition) -> dict[str, Any]:
    v = t.verdict
    return {
        "page_id": t.page_id,
        "platform": t.platform,
        "rule": t.rule.name,
        "severity": t.rule.severity,
        "state": t.state,
        "at": t.at.isoformat(),
        "observed": v.observed,
        "baseline": None if v.baseline is None else round(v.baseline, 2),
    }


def pages_of(truth: dict[str, Any] | None, directory: list[PageInfo]) -> dict[str, PageInfo]:
    """The page directory, plus the pages a truth file describes (a generated scenario's
    pages are in no pages.toml)."""
    pages = {p.page_id: p for p in directory}
    for page_id, info in (truth or {}).get("pages", {}).items():
        pages.setdefault(
            page_id,
            PageInfo(
                page_id=page_id,
                name=page_id,
                platform="facebook",
                country=info["country"],
                tz=info["tz"],
                opens=clock(8),
                closes=clock(15, 30),
                promise_minutes=120,
            ),
        )
    return pages


def lines_of(path: Path) -> Iterator[bytes]:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    with path.open("rb") as fh:
        yield from fh


def run_backtest(
    config: AlertConfig,
    directory: list[PageInfo],
    path: Path,
    truth_path: Path | None,
    json_out: Path | None,
    console: Console,
) -> int:
    truth = json.loads(truth_path.read_text()) if truth_path else None
    bt = Backtest(config, pages_of(truth, directory))
    started = time.perf_counter()
    with console.status(f"replaying {path} through the detector …"):
        bt.feed(lines_of(path))
    seconds = time.perf_counter() - started
    table = Table(title=f"{len(bt.transitions)} transitions")
    for col in ("at (event time)", "page", "rule", "severity", "state", "observed", "baseline"):
        table.add_column(col)
    for t in bt.transitions:
        row = transition_row(t)
        table.add_row(
            row["at"][:16],
            row["page_id"],
            row["rule"],
            row["severity"],
            row["state"],
            f"{row['observed']:,.0f}",
            "—" if row["baseline"] is None else f"{row['baseline']:,.1f}",
        )
    console.print(table)
    console.print(
        f"{bt.events:,} events ({bt.dead:,} refused) in {seconds:.1f} s = "
        f"{bt.events / max(seconds, 1e-9):,.0f} events/s"
    )
    doc: dict[str, Any] = {"transitions": [transition_row(t) for t in bt.transitions]}
    if truth is not None:
        result = score(fired(bt.transitions), truth)
        print_score([result], console)
        doc["score"] = result.as_dict()
    if json_out is not None:
        json_out.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
        console.print(f"written: {json_out}")
    return 0


def state_line(sizes: list[tuple[str, int]]) -> str:
    """The detector's size when each month began, every third month: it grows while
    the first 13 weeks fill and is flat after."""
    shown = sizes[::3] + ([sizes[-1]] if sizes and (len(sizes) - 1) % 3 else [])
    return ", ".join(f"{month}: {n:,}" for month, n in shown)


def print_score(scores: list[Score], console: Console) -> None:
    false = Table(title="False pages per page per quarter (warning or critical, nothing planted)")
    for col in ("page size", "rule", "mean", "worst page"):
        false.add_column(col, justify="left" if col in ("page size", "rule") else "right")
    for row in false_table(scores):
        worst = row["max"]
        false.add_row(
            row["size"],
            row["rule"],
            f"{row['mean']:.2f}",
            f"[red]{worst:.2f}[/]" if worst > 1 else f"{worst:.2f}",
        )
    console.print(false)
    planted = Table(title="Planted episodes")
    for col in (
        "page size",
        "episode",
        "n",
        "missed",
        "delay median",
        "delay worst",
        "pages/episode (worst)",
        "incidents/episode (worst)",
        "resolved after end (worst)",
        "resolved before end",
        "incident closed after end (worst)",
    ):
        planted.add_column(col, justify="left" if col in ("page size", "episode") else "right")
    for row in episode_table(scores):
        planted.add_row(
            row["size"],
            row["episode"],
            str(row["episodes"]),
            f"[red]{row['missed']}[/]" if row["missed"] else "0",
            _hours(row["delay_median_h"]),
            _hours(row["delay_max_h"]),
            str(row["pages_max"]),
            str(row["incidents_max"]),
            _hours(row["resolved_after_end_max_h"]),
            f"[red]{row['resolved_early']}[/]" if row["resolved_early"] else "0",
            _hours(row["closed_after_end_max_h"]),
        )
    console.print(planted)


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} h"


def run_alert_bench(
    config: AlertConfig, seeds: list[int], console: Console, json_out: Path | None = None
) -> list[Score]:
    """The unkind scenario for each seed, through the backtest; the tables."""
    from somepulse.collectors.scenario.unkind import UnkindScenario

    scores = []
    sizes: dict[str, list[tuple[str, int]]] = {}
    for seed in seeds:
        scenario = UnkindScenario(seed)
        truth = scenario.truth
        bt = Backtest(config, pages_of(truth, []))
        started = time.perf_counter()
        with console.status(f"seed {seed}: {truth['days']} days of {len(truth['pages'])} pages"):
            bt.feed(orjson.dumps(e) for e in scenario.events())
        seconds = time.perf_counter() - started
        scores.append(score(fired(bt.transitions), truth))
        console.print(
            f"seed {seed}: {bt.events:,} events, {len(bt.transitions)} transitions, "
            f"{seconds:.1f} s ({bt.events / seconds:,.0f} events/s)"
        )
        console.print(f"  detector state (numbers held) {state_line(bt.sizes)}")
        sizes[str(seed)] = bt.sizes
    print_score(scores, console)
    if json_out is not None:
        doc = {
            "seeds": seeds,
            "scores": [s.as_dict() for s in scores],
            "false": false_table(scores),
            "episodes": episode_table(scores),
            "state_sizes": sizes,
        }
        json_out.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    return scores
