"""Supervising the embedded stack: broker (unless one is configured) and a worker
process, each stopped in order on exit, on Ctrl-C and on errors."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from types import TracebackType
from typing import Any

from rich.console import Console

from somepulse.embedded.broker import EmbeddedBroker
from somepulse.service.status import WorkerStatus
from somepulse.service.worker import read_worker_file
from somepulse.settings import Settings
from somepulse.streams.topics import ensure_topics
from somepulse.tools.sql import QueryError, http_json, worker_sql


class StackError(RuntimeError):
    pass


class Stack:
    def __init__(
        self,
        settings: Settings,
        console: Console | None = None,
        worker_env: dict[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.console = console or Console(stderr=True)
        self.broker: EmbeddedBroker | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.worker_url = ""
        self.token = ""
        self.bootstrap = settings.kafka_bootstrap or ""
        self._worker_env = worker_env or {}

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        existing = read_worker_file(self.settings.worker_file)
        if existing:
            raise StackError(
                f"a worker (pid {existing['pid']}) already runs on "
                f"{self.settings.data_dir}; stop it first"
            )
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.bootstrap:
            self.broker = EmbeddedBroker(self.settings.data_dir / "broker.log").start()
            self.bootstrap = self.broker.bootstrap
            self.console.print(
                f"embedded broker (Tansu) on {self.bootstrap}, pid {self.broker.pid}"
            )
        asyncio.run(ensure_topics(self.bootstrap, self.settings))
        self.start_worker()

    def worker_env(self) -> dict[str, str]:
        """The worker's environment: these settings, on this stack's broker."""
        own = self.settings if self.broker is None else self.settings.on_own_embedded_broker()
        env = dict(os.environ) | own.as_env()
        env.update(
            {
                "SOMEPULSE_KAFKA_BOOTSTRAP": self.bootstrap,
                "SOMEPULSE_DATA_DIR": str(self.settings.data_dir.resolve()),
            }
        )
        return env | self._worker_env

    def start_worker(self, timeout: float = 90.0) -> None:
        log = (self.settings.data_dir / "worker.log").open("ab")
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "somepulse", "worker"],
            env=self.worker_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.worker.poll() is not None:
                raise StackError(
                    f"worker exited with {self.worker.returncode}; see "
                    f"{self.settings.data_dir / 'worker.log'}"
                )
            info = read_worker_file(self.settings.worker_file)
            if info and info["pid"] == self.worker.pid:
                self.worker_url = f"http://127.0.0.1:{info['port']}"
                self.token = str(info["token"])
                try:
                    if http_json(f"{self.worker_url}/readyz", timeout=2.0)["ready"]:
                        self.console.print(
                            f"worker pid {self.worker.pid} ready on {self.worker_url}"
                        )
                        return
                except (OSError, QueryError):  # not up yet, or up but not ready (503)
                    pass
            time.sleep(0.2)
        raise StackError(f"worker not ready within {timeout:.0f} s")

    def sql(self, query: str, timeout: float = 120.0) -> list[dict[str, Any]]:
        """A read query through the running worker's ``/sql``."""
        return worker_sql(self.worker_url, self.token, query, timeout)

    def stats(self, timeout: float = 60.0) -> WorkerStatus:
        return WorkerStatus.model_validate(http_json(f"{self.worker_url}/stats", timeout=timeout))

    def wait_stored(self, events: int, timeout: float = 300.0) -> WorkerStatus:
        """Wait until the worker has handled ``events`` events (stored or dead-lettered)
        and its sink is empty."""
        deadline = time.monotonic() + timeout
        while True:
            stats = self.stats()
            handled = stats.events_stored + stats.dead_letters
            if handled >= events and stats.inflight_rows == 0:
                return stats
            if time.monotonic() > deadline:
                raise StackError(
                    f"only {handled:,} of {events:,} events handled after {timeout:.0f} s"
                )
            time.sleep(0.2)

    def kill_worker(self) -> None:
        """SIGKILL: no goodbye, no commit (the crash test)."""
        if self.worker is not None:
            self.worker.kill()
            self.worker.wait()
            self.worker = None

    def stop_worker(self, timeout: float = 30.0) -> None:
        worker, self.worker = self.worker, None
        if worker is None or worker.poll() is not None:
            return
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()

    def stop(self) -> None:
        self.stop_worker()
        if self.broker is not None:
            self.broker.stop()
            self.broker = None
