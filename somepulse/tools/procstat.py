"""CPU time and memory of a process, read from ``/proc`` (Linux): what the bench prints
per process (worker, broker, the bench itself), so a claim about cores used or peak
memory is a measured figure."""

from __future__ import annotations

import os
from dataclasses import dataclass

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcessSample:
    cpu_seconds: float  # user + system, since the process started
    rss_bytes: int  # resident now
    peak_rss_bytes: int  # the high-water mark since start (VmHWM)
    # what is resident now, split: the process's own memory (heap, stacks) and pages of
    # files it maps (libraries: clean copies the kernel can drop and read back)
    anon_bytes: int = 0
    file_bytes: int = 0


def _cpu_seconds(stat: str) -> float:
    """User + system seconds from a ``/proc/.../stat`` line (fields 14 and 15 of
    proc(5)); the command name may hold spaces: the fields after its closing
    parenthesis."""
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def sample(pid: int) -> ProcessSample | None:
    """None when the process is gone or /proc is not there."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            cpu = _cpu_seconds(fh.read())
        with open(f"/proc/{pid}/status") as fh:
            status = dict(line.split(":", 1) for line in fh if ":" in line)
    except OSError:
        return None

    def kib(name: str) -> int:
        return int(status.get(name, "0 kB").split()[0]) * 1024

    return ProcessSample(
        cpu, kib("VmRSS"), kib("VmHWM"), kib("RssAnon"), kib("RssFile") + kib("RssShmem")
    )


class MemoryWatch:
    """The peak of a process's own (anonymous) and file-backed resident memory,
    sampled every ``every`` seconds in a thread: the high-water mark (VmHWM) does not
    say which of the two a peak was, nor when. Set ``phase`` to have the own memory's
    peak kept per phase as well (``phase_peaks``)."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        import threading

        self.pid = pid
        self.every = every
        self.peak_anon_bytes = 0
        self.peak_file_bytes = 0
        self.phase = ""
        self.phase_peaks: dict[str, int] = {}  # phase -> own memory's peak (bytes)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while True:
            got = sample(self.pid)
            if got is not None:
                self.peak_anon_bytes = max(self.peak_anon_bytes, got.anon_bytes)
                self.peak_file_bytes = max(self.peak_file_bytes, got.file_bytes)
                if self.phase:
                    peak = self.phase_peaks.get(self.phase, 0)
                    self.phase_peaks[self.phase] = max(peak, got.anon_bytes)
            if self._stop.wait(self.every):
                return


def thread_cpu(pid: int) -> dict[str, float] | None:
    """CPU seconds of a process's threads by kind: ``main`` (the worker's event loop),
    ``python`` (its other Python threads: inserts, analysts' queries), ``merges``
    (ClickHouse's background merges) and ``engine`` (chDB's other threads, which run
    the inserts' parsing, parts and materialized views). chDB names its threads; Python
    threads keep the process's name. A thread that ends between two samples takes its
    time with it (the engine's pools keep theirs). None when the process is gone."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
        with open(f"/proc/{pid}/comm") as fh:
            own = fh.read().strip()
    except OSError:
        return None
    out = dict.fromkeys(("main", "python", "merges", "engine"), 0.0)
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as fh:
                text = fh.read()
        except OSError:
            continue  # the thread ended meanwhile
        name = text[text.index("(") + 1 : text.rindex(")")]
        seconds = _cpu_seconds(text)
        if tid == str(pid):
            kind = "main"
        elif name == own:
            kind = "python"
        else:
            kind = "merges" if name.startswith("MergeMutate") else "engine"
        out[kind] += seconds
    return out
