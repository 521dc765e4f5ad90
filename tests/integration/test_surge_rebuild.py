"""A worker that gains a partition mid-stream rebuilds its surge detectors from
ClickHouse; they must then hold what detectors that had read the partition all along
hold, or the next decisions differ. Rebuilt at message 65 of this partition, the
comment-burst detector of `sahlgrenska` once held a streak of 2 where one that ran all
along held 0 (it had no post's course to expect comments from) and paged a burst for
nothing on the next bucket.

The broker (embedded Tansu) and the store (chDB) are real."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from somepulse.settings import Settings
from somepulse.store import open_prepared_store
from tests.helpers import TEST_SECRET
from tests.integration.test_partitions import START, Member
from tests.integration.test_rebuild_race import feed, the_partition

CHECKPOINTS = (26, 65, 104)  # messages of the partition read before the rebuild


def detectors(member: Member) -> dict[tuple[str, str, str], dict[str, Any]]:
    """What each detector's next decisions read."""
    surge = member.surge.detector
    return {
        (page, platform, det.rule.name): {
            "next": surge._next.get(id(det)),
            "buckets": dict(det.buckets),
            "first": det.first,
            "firing": det.firing,
            "streak": det._streak,
            "posts": {p: (t.birth, dict(t.counts), t.total) for p, t in det.posts.items()},
            # the counts per post the next decisions and alert texts read (a running
            # detector trims older ones only as new buckets come)
            "by_post": {
                b: dict(c)
                for b, c in det.by_post.items()
                if b
                >= (surge._next.get(id(det)) or 0)
                - (det.rule.window + det.rule.hold) * det.rule.step_seconds
            },
            "top_shares": list(det.top_shares),
        }
        for (page, platform), dets in surge.detectors.items()
        for det in dets
    }


def difference(got: Any, want: Any) -> str:
    if isinstance(got, dict) and isinstance(want, dict):
        extra, missing = sorted(got.keys() - want.keys()), sorted(want.keys() - got.keys())
        other = [k for k in sorted(got.keys() & want.keys()) if got[k] != want[k]]
        return (
            f"extra {extra[:3]}, missing {missing[:3]}, "
            f"differing {[(k, got[k], want[k]) for k in other[:2]]!r:.200}"
        )
    return f"{got!r:.80} (running: {want!r:.80})"


def test_rebuilt_detectors_hold_what_running_ones_hold(tmp_path: Path) -> None:
    base = Settings(data_dir=tmp_path / "var", pseudonym_secret=TEST_SECRET)  # type: ignore[call-arg]
    messages = the_partition(tmp_path, base, START, date(2020, 3, 20))
    partition = messages[0][0]

    async def compare() -> list[str]:
        settings = base.model_copy(update={"data_dir": tmp_path / "s"})
        store, pool = open_prepared_store(settings), ThreadPoolExecutor(1)
        try:
            running = Member(settings, "127.0.0.1:1", "unused", store, pool)
            await running.consumer.stop()
            await running.runtime.assign([partition])
            read, differ = 0, []
            for k in CHECKPOINTS:
                await feed(running, messages[read:k])
                read = k
                rebuilt = Member(settings, "127.0.0.1:1", "unused", store, pool)
                await rebuilt.consumer.stop()
                await rebuilt.runtime.assign([partition])
                want, got = detectors(running), detectors(rebuilt)
                assert want.keys() <= got.keys()
                differ += [
                    f"at message {k}: {key[0]} {key[2]} {field}: {difference(a, b)}"
                    for key in sorted(want)
                    for field in want[key]
                    if (a := got[key][field]) != (b := want[key][field])
                ]
            return differ
        finally:
            pool.shutdown()
            store.close()

    differ = asyncio.run(compare())
    assert not differ, "\n".join(differ[:12])
