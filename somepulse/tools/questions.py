"""``somepulse questions``: check the question detector on one's own comments
(``classify``), measure it on a labelled file (``evaluate``), and correct a verdict
as the person on duty (``mark``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from somepulse.domain.needs_reply import LANGUAGES, classify
from somepulse.settings import Settings

# The labelled set shipped with the tests: language, label (1 = needs a reply),
# category, text; every third line is held out (``test``), the rest is ``dev``.
SPLITS = ("dev", "test", "all")


def add_parser(sub: Any) -> None:
    questions = sub.add_parser("questions", help="the question detector: check, measure, correct")
    qsub = questions.add_subparsers(dest="action", required=True)
    qsub.add_parser(
        "classify", help="one text per line on standard input → one JSON verdict per line"
    )
    evaluate = qsub.add_parser(
        "evaluate", help="precision and recall per language on labelled TSV files"
    )
    evaluate.add_argument("files", nargs="+", type=Path, help="lang<TAB>0|1<TAB>category<TAB>text")
    evaluate.add_argument(
        "--split",
        choices=SPLITS,
        default="all",
        help="dev, test or all of the labelled lines (default all)",
    )
    evaluate.add_argument("--mistakes", action="store_true", help="list every wrong verdict")
    mark = qsub.add_parser("mark", help="correct a verdict: this comment or message needs a reply")
    mark.add_argument("event_id", help="the comment's or message's event id")
    verdict = mark.add_mutually_exclusive_group(required=True)
    verdict.add_argument(
        "--needs-reply", dest="needs_reply", action="store_true", help="it needs a reply"
    )
    verdict.add_argument(
        "--no-reply", dest="needs_reply", action="store_false", help="it needs no reply"
    )


def run(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    if args.action == "classify":
        classify_lines(sys.stdin, sys.stdout)
        return 0
    if args.action == "evaluate":
        scores = evaluate(read_labelled(args.files), args.split)
        console.print(scores.table(args.split))
        if args.mistakes:
            for line in scores.mistakes:
                console.print(line, markup=False, highlight=False)
        return 0
    return mark(settings, args.event_id, args.needs_reply, console)


def classify_lines(lines: Iterable[str], out: TextIO) -> None:
    for line in lines:
        text = line.rstrip("\r\n")
        if text.strip():
            out.write(json.dumps(classify(text).as_dict(), ensure_ascii=False) + "\n")
            out.flush()  # a pipe reader sees each verdict as it comes


@dataclass(frozen=True)
class Labelled:
    file: str
    line: int
    language: str
    needs_reply: bool
    category: str
    text: str

    @property
    def split(self) -> str:
        return "test" if (self.line - 1) % 3 == 2 else "dev"


def read_labelled(paths: Iterable[Path]) -> Iterator[Labelled]:
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip() or line.startswith("#"):
                    continue
                parts = line.rstrip("\r\n").split("\t")
                if len(parts) != 4 or parts[1] not in ("0", "1"):
                    raise ValueError(
                        f"{path}:{number}: expected language, 0 or 1, category and text "
                        "separated by tabs"
                    )
                yield Labelled(path.name, number, parts[0], parts[1] == "1", parts[2], parts[3])


@dataclass
class Counts:
    items: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    language_known: int = 0  # items with words (emoji and links have no language)
    language_right: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def language_accuracy(self) -> float:
        return self.language_right / self.language_known if self.language_known else 1.0


@dataclass
class Scores:
    by_language: dict[str, Counts] = field(default_factory=dict)
    mistakes: list[str] = field(default_factory=list)

    def table(self, split: str) -> Table:
        table = Table(title=f"question detector, {split} items")
        for name in ("language", "items", "precision", "recall", "language id"):
            table.add_column(name, justify="left" if name == "language" else "right")
        order = [lang for lang in LANGUAGES if lang in self.by_language]
        order += sorted(set(self.by_language) - set(order))
        for lang in order:
            c = self.by_language[lang]
            table.add_row(
                lang,
                str(c.items),
                f"{c.precision:.3f}",
                f"{c.recall:.3f}",
                f"{c.language_accuracy:.3f}",
            )
        return table


def evaluate(items: Iterable[Labelled], split: str = "all") -> Scores:
    scores = Scores()
    for item in items:
        if split != "all" and item.split != split:
            continue
        verdict = classify(item.text)
        c = scores.by_language.setdefault(item.language, Counts())
        c.items += 1
        if verdict.language != "und":
            c.language_known += 1
            c.language_right += verdict.language == item.language
        if verdict.needs_reply and item.needs_reply:
            c.tp += 1
        elif verdict.needs_reply:
            c.fp += 1
        elif item.needs_reply:
            c.fn += 1
        if verdict.needs_reply != item.needs_reply:
            wrong = "false alarm" if verdict.needs_reply else "missed"
            scores.mistakes.append(
                f"{item.file}:{item.line} {wrong} ({item.category}; {verdict.reason}): {item.text}"
            )
    return scores


def mark(settings: Settings, event_id: str, needs_reply: bool, console: Console) -> int:
    """Publish the duty communicator's verdict on one comment or message."""
    from somepulse.collectors.publisher import KafkaPublisher
    from somepulse.domain.pages import sql_string
    from somepulse.schemas import EVENT_ADAPTER
    from somepulse.tools.cli import bootstrap
    from somepulse.tools.sql import run_sql

    db = settings.clickhouse_database
    rows = run_sql(
        settings,
        "SELECT event_id, toString(kind) AS kind, toString(platform) AS platform, page_id, "
        "post_id, comment_id, message_id, thread_id, toString(direction) AS direction, "
        f"toString(occurred_at) AS at FROM {db}.events WHERE event_id = {sql_string(event_id)} "
        "AND (kind = 'interaction' AND comment_id != '' OR kind = 'private_message') LIMIT 1",
    )
    if not rows:
        raise ValueError(f"no comment or message with event id {event_id!r}")
    row = rows[0]
    if row["kind"] == "private_message" and row["direction"] != "in":
        raise ValueError("that is the page's own message")
    now = datetime.now(UTC)
    is_message = row["kind"] == "private_message"
    event: dict[str, Any] = {
        "kind": "needs_reply_mark",
        "event_id": f"mark:{event_id}:{now.strftime('%Y%m%dT%H%M%S.%fZ')}",
        "platform": row["platform"],
        "page_id": row["page_id"],
        "post_id": row["post_id"] or None,
        "occurred_at": now.isoformat(),
        "target_event_id": event_id,
        "channel": "message" if is_message else "comment",
        "target_id": row["message_id"] if is_message else row["comment_id"],
        "target_at": row["at"].replace(" ", "T") + "Z",
        "thread_id": row["thread_id"] or None,
        "needs_reply": needs_reply,
    }
    EVENT_ADAPTER.validate_python(event)  # refuse here, not in the dead-letter topic

    async def send() -> None:
        async with KafkaPublisher.from_settings(settings, bootstrap(settings)) as publisher:
            await publisher.publish([event])

    asyncio.run(send())
    verdict = "needs a reply" if needs_reply else "needs no reply"
    console.print(f"marked {event_id}: {verdict} (the queue follows within seconds)")
    return 0
