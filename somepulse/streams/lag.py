"""Consumer lag per partition: the fetch highwater (public consumer API; the embedded
broker answers ``end_offsets`` wrongly for multi-record batches, the highwater is
right on both) minus the next offset the pipeline will process (its own record, so no
private Faust attribute is read)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def consumer_lag(consumer: Any, topic: str, processed: Mapping[int, int]) -> dict[int, int]:
    """``processed``: partition -> last offset the pipeline prepared."""
    lag = {}
    for tp in consumer.assignment():
        if tp.topic != topic:
            continue
        done = processed.get(tp.partition)
        highwater = consumer.highwater(tp)
        if highwater is None:  # nothing fetched from the partition yet
            continue
        lag[tp.partition] = max(0, highwater - (done + 1 if done is not None else 0))
    return lag
