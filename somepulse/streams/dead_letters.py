"""Dead letters to their topic: the original bytes as the value, the reason and source
position as headers, keyed like the source message (the page id), so a page's dead
letters stay in order on one partition. A batch is sent at once and then awaited
together (one round trip, not one per letter)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import faust

from somepulse.streams.processor import DeadLetter


def headers(letter: DeadLetter) -> list[tuple[str, bytes]]:
    out = [
        ("reason", letter.reason.encode()),
        ("source_topic", letter.topic.encode()),
        ("source_partition", str(letter.partition).encode()),
        ("source_offset", str(letter.offset).encode()),
    ]
    if letter.index is not None:
        out.append(("source_index", str(letter.index).encode()))
    out.append(("original_size", str(letter.original_size).encode()))
    out.append(("sha256", letter.sha256.encode()))
    return out


class FaustDeadLetterPublisher:
    def __init__(self, app: faust.App, topic: str) -> None:
        self._app = app
        self.topic = topic

    async def publish(self, dead: Sequence[DeadLetter]) -> None:
        producer: Any = self._app.producer
        pending = [
            await producer.send(self.topic, letter.key, letter.value, None, None, headers(letter))
            for letter in dead
        ]
        await asyncio.gather(*pending)
