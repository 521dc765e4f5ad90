"""Consumer lag per partition, from the fetch highwater (the embedded broker answers
``end_offsets`` wrongly for multi-record batches; the highwater is right on both).

Faust keeps the last offset it read only in a private attribute; this is the one
place that reads it, so a Faust upgrade that renames it breaks one function."""

from __future__ import annotations

from typing import Any


def consumer_lag(consumer: Any, topic: str) -> dict[int, int]:
    read_offsets: dict[Any, int | None] = getattr(consumer, "_read_offset", {})
    lag = {}
    for tp in consumer.assignment():
        if tp.topic != topic:
            continue
        read = read_offsets.get(tp)
        lag[tp.partition] = max(0, consumer.highwater(tp) - (read + 1 if read is not None else 0))
    return lag
