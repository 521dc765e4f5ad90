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


def sample(pid: int) -> ProcessSample | None:
    """None when the process is gone or /proc is not there."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            # the command name may hold spaces: the fields after its closing parenthesis
            fields = fh.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/status") as fh:
            status = dict(line.split(":", 1) for line in fh if ":" in line)
    except OSError:
        return None
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return ProcessSample(
        (utime + stime) / TICKS,
        int(status["VmRSS"].split()[0]) * 1024,
        int(status["VmHWM"].split()[0]) * 1024,
    )
