"""The bench's CPU and memory figures come from /proc: they move when a process
computes and allocates (measured on fresh child processes, whose memory no earlier
allocation has already made resident)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from somepulse.tools.procstat import MemoryWatch, ProcessSample, sample, thread_cpu

ALLOCATE = (
    "import time; b = bytearray(64 << 20)\n"
    "for i in range(0, len(b), 4096): b[i] = 1\n"
    "print('ready', flush=True); time.sleep(30)"
)
COMPUTE = (
    "import time; t = time.process_time()\n"
    "while time.process_time() - t < 0.4: pass\n"
    "print('ready', flush=True); time.sleep(30)"
)
IDLE = "import time; print('ready', flush=True); time.sleep(30)"


@contextmanager
def running(code: str) -> Iterator[int]:
    """A child process running ``code``, once it printed 'ready': its pid."""
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        yield child.pid
    finally:
        child.kill()
        child.wait()


def measured(code: str) -> ProcessSample:
    with running(code) as pid:
        got = sample(pid)
    assert got is not None
    return got


def test_cpu_and_peak_memory_follow_what_the_process_does() -> None:
    idle, allocated, computed = measured(IDLE), measured(ALLOCATE), measured(COMPUTE)
    assert allocated.peak_rss_bytes - idle.peak_rss_bytes >= 60 * 2**20
    assert allocated.rss_bytes - idle.rss_bytes >= 60 * 2**20
    assert computed.cpu_seconds - idle.cpu_seconds >= 0.3
    assert idle.peak_rss_bytes >= idle.rss_bytes > 0
    # the allocation is the process's own memory; the interpreter's library, a file's
    assert allocated.anon_bytes - idle.anon_bytes >= 60 * 2**20
    assert 0 < idle.file_bytes < idle.rss_bytes
    assert allocated.anon_bytes + allocated.file_bytes <= allocated.rss_bytes
    assert sample(2**22 + 12345) is None  # no such process


def test_a_process_cpu_is_split_by_thread() -> None:
    """A second thread's work shows under ``python``, the main thread's under ``main``;
    a process without named engine threads has no ``engine`` or ``merges``."""
    code = (
        "import threading, time\n"
        "spun = threading.Event()\n"
        "def spin():\n"
        "    t = time.thread_time()\n"
        "    while time.thread_time() - t < 0.4: pass\n"
        "    spun.set(); time.sleep(30)\n"
        "threading.Thread(target=spin, daemon=True).start(); spun.wait()\n"
        "t = time.thread_time()\n"
        "while time.thread_time() - t < 0.2: pass\n"
        "print('ready', flush=True); time.sleep(30)"
    )
    with running(code) as pid:
        got = thread_cpu(pid)
    assert got is not None
    assert got["python"] >= 0.3 and 0.15 <= got["main"] < 0.4
    assert got["engine"] == got["merges"] == 0.0
    assert thread_cpu(2**22 + 12345) is None


def test_the_memory_watch_keeps_the_peak_of_own_memory() -> None:
    """64 MB allocated and then freed: the watch saw the peak the process no longer has."""
    code = (
        "import time; print('ready', flush=True); time.sleep(0.5)\n"
        "b = bytearray(64 << 20)\n"
        "for i in range(0, len(b), 4096): b[i] = 1\n"
        "time.sleep(0.5); del b; time.sleep(30)"
    )
    with running(code) as pid, MemoryWatch(pid, every=0.05) as watch:
        watch.phase = "before"
        idle = sample(pid)
        time.sleep(0.3)  # the child allocates 0.5 s after it said ready
        watch.phase = "during"
        time.sleep(1.2)
        watch.phase = "after"
        time.sleep(0.3)
        now = sample(pid)
    assert idle is not None and now is not None
    assert watch.peak_anon_bytes - idle.anon_bytes >= 60 * 2**20
    assert now.anon_bytes - idle.anon_bytes < 30 * 2**20  # freed: only the peak has it
    assert watch.peak_file_bytes > 0
    # the peak is kept for the phase it happened in
    phases = watch.phase_peaks
    assert list(phases) == ["before", "during", "after"]
    assert phases["during"] == watch.peak_anon_bytes
    assert phases["before"] - idle.anon_bytes < 30 * 2**20
    assert phases["after"] - idle.anon_bytes < 30 * 2**20
