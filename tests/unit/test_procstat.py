"""The bench's CPU and memory figures come from /proc: they move when a process
computes and allocates."""

from __future__ import annotations

import os

from somepulse.tools.procstat import sample


def test_cpu_and_peak_memory_follow_what_the_process_does() -> None:
    first = sample(os.getpid())
    assert first is not None and first.rss_bytes > 0
    assert first.peak_rss_bytes >= first.rss_bytes
    block = bytearray(64 * 2**20)  # 64 MiB, touched page by page
    for i in range(0, len(block), 4096):
        block[i] = 1
    total = sum(i * i for i in range(2_000_000))  # some CPU
    after = sample(os.getpid())
    assert after is not None and total > 0
    assert after.rss_bytes - first.rss_bytes >= 48 * 2**20  # the block is resident
    assert after.peak_rss_bytes >= after.rss_bytes
    assert after.cpu_seconds > first.cpu_seconds
    assert sample(2**22 + 12345) is None  # no such process
    del block
