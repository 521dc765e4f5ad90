"""The bench's alert phase: how long from the publish of the event that tips a surge to
its alert arriving at Alertmanager (issue 14: within 1 s).

Each of N bench pages gets three weeks of comments, a third of them questions (the
model needs two weeks), and then a fivefold surge. Which event tips it is found first
by running the worker's own detector path (``Backtest``) over the same events;
everything before it is published and stored, then each page's tipping event is
published alone and the clock runs until Alertmanager's ``POST /api/v2/alerts`` for
that page arrives. The Alertmanager here is
a loopback recorder (arrival times are what is measured: routing after arrival is
Alertmanager's own, tested in ``tests/integration/test_alertmanager.py``).
"""

from __future__ import annotations

import asyncio
import http.server
import json
import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from rich.console import Console
from rich.progress import Progress

from somepulse.alerts.detector import load_alert_config
from somepulse.collectors.scenario.generator import poisson
from somepulse.embedded.broker import free_port
from somepulse.privacy.pseudonyms import Pseudonymiser
from somepulse.tools.backtest import Backtest
from somepulse.tools.stack import Stack

HISTORY_DAYS = 21
PER_HOUR = 6.0  # comments an hour before the surge
SURGE = 5.0
ASKING = 0.3  # the share of comments that ask something (the rest: the burst rule's)


class AlertRecorder:
    """A loopback stand-in for Alertmanager's API: records when each page's firing
    alert first arrives (monotonic clock of this process)."""

    def __init__(self) -> None:
        self.first: dict[str, float] = {}
        arrivals = self.first

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                now = time.monotonic()
                for alert in json.loads(body):
                    if "endsAt" not in alert:
                        arrivals.setdefault(alert["labels"]["page"], now)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def page_events(page: str, seed: int, start: datetime) -> Iterator[dict[str, Any]]:
    """Three weeks of comments, some asking, then a fivefold surge (event time;
    recent, as live traffic is: the live state does not take what is older than its
    14-day horizon)."""
    rng = random.Random(seed)
    scrub = Pseudonymiser(b"bench").scrub
    n = 0
    for hour in range(HISTORY_DAYS * 24 + 12):
        rate = PER_HOUR * (SURGE if hour >= HISTORY_DAYS * 24 + 8 else 1.0)
        at = start + timedelta(hours=hour)
        for i in range(poisson(rng, rate)):
            n += 1
            ts = at + timedelta(seconds=rng.uniform(0, 3599))
            yield scrub(
                {
                    "kind": "interaction",
                    "event_id": f"{page}-q{n}",
                    "platform": "facebook",
                    "page_id": page,
                    "post_id": f"{page}-post{hour // 24}",
                    "occurred_at": ts.isoformat(),
                    "interaction_type": "comment",
                    "comment_id": f"{page}-c{n}",
                    "is_question": rng.random() < ASKING,
                    "actor_id": f"person{i}",
                },
                keep_text=False,
            )


def split_at_tip(events: list[dict[str, Any]]) -> int:
    """The index of the event after which the worker's detector path first fires."""
    bt = Backtest(load_alert_config(), {})
    for i, event in enumerate(events):
        bt.feed([orjson.dumps(event)])
        if any(t.state == "firing" for t in bt.transitions):
            return i
    raise RuntimeError("the bench surge did not fire in the backtest")


async def alert_delivery(
    stack: Stack,
    producer: AIOKafkaProducer,
    topic: str,
    recorder: AlertRecorder,
    pages: int,
    console: Console,
) -> list[float]:
    """Seconds from each tipping event's publish to its alert at Alertmanager, sorted."""
    plan = []
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(days=HISTORY_DAYS, hours=12)
    for p in range(pages):
        page = f"bench.surge{p:02d}"
        events = sorted(page_events(page, p, start), key=lambda e: e["occurred_at"])
        plan.append((page, events, split_at_tip(events)))
    await producer.start()
    base = stack.stats().events_stored
    before = sum(tip for _, _, tip in plan)
    for page, events, tip in plan:
        for i in range(0, tip, 500):
            chunk = events[i : min(i + 500, tip)]
            await producer.send(topic, orjson.dumps(chunk), key=page.encode())
    await producer.flush()
    while (stats := stack.stats()).events_stored - base < before or stats.surge_backlog:
        await asyncio.sleep(0.05)  # stored, and decided on by the surge agent (it follows)
    waits = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("alerts: tipping event → Alertmanager", total=pages)
        for page, events, tip in plan:
            sent = time.monotonic()
            await producer.send_and_wait(topic, orjson.dumps(events[tip]), key=page.encode())
            while page not in recorder.first and time.monotonic() - sent < 30:
                await asyncio.sleep(0.002)
            if page in recorder.first:
                waits.append(recorder.first[page] - sent)
            progress.advance(task)
    await producer.stop()
    return sorted(waits)
