"""The embedded broker does not outlive the process that started it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from somepulse.embedded.broker import LOOPBACK, wait_for_port

pytestmark = pytest.mark.integration

OWNER = """
import sys, time
from pathlib import Path
from somepulse.embedded.broker import EmbeddedBroker
broker = EmbeddedBroker(Path(sys.argv[1])).start()
print(broker.pid, broker.port, flush=True)
time.sleep(600)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by init) counts as gone
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


def test_a_broker_whose_owner_is_killed_goes_with_it(tmp_path: Path) -> None:
    """Robustness review, finding 6: a worker killed with SIGKILL left its embedded
    broker running, holding its port and memory for events nobody would read."""
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(tmp_path / "broker.log")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None
    pid, port = map(int, owner.stdout.readline().split())
    assert alive(pid) and wait_for_port(LOOPBACK, port, 5)

    owner.send_signal(signal.SIGKILL)  # no finally, no atexit: only the kernel can tell
    owner.wait()
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pid), "the broker outlived its owner"
    assert not wait_for_port(LOOPBACK, port, 1), "its port is still taken"
