"""Alerts reach a real Prometheus Alertmanager (Debian's prometheus-alertmanager,
started here) within seconds, resolutions end them, and an Alertmanager that is down
gets them when it is back. On-call's endpoint is a local webhook receiver."""

from __future__ import annotations

import asyncio
import http.server
import json
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from somepulse.alerts.delivery import AlertmanagerClient, alertmanager_payload
from somepulse.alerts.detector import SeriesDetector, Transition, load_alert_config
from somepulse.embedded.broker import free_port, wait_for_port
from tests.helpers import TEST_SECRET

pytestmark = pytest.mark.integration
BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "alertmanager" / "alertmanager.yml"


class Alertmanager:
    def __init__(self, tmp: Path, webhook: str) -> None:
        if BINARY is None:
            pytest.fail(
                "prometheus-alertmanager is not installed (apt-get install "
                "prometheus-alertmanager; .ci/run does)"
            )
        self.port = free_port()
        self.tmp = tmp
        text = CONFIG.read_text().replace("http://127.0.0.1:9099/somepulse/on-call", webhook)
        self.config = tmp / "alertmanager.yml"
        # seconds instead of the deployed minute, so the test sees notifications quickly
        text = re.sub(r"group_wait: \S+", "group_wait: 1s", text)
        self.config.write_text(re.sub(r"group_interval: \S+", "group_interval: 2s", text))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert BINARY is not None
        self.proc = subprocess.Popen(
            [
                BINARY,
                f"--config.file={self.config}",
                f"--storage.path={self.tmp / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",
            ],
            stdout=(self.tmp / "am.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        assert wait_for_port("127.0.0.1", self.port, 20), "alertmanager did not start"

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


def spike() -> Transition:
    rule = {r.name: r for r in load_alert_config().rules}["comment_burst"]
    det = SeriesDetector("nav.foreldrepenger", "facebook", rule)
    t0 = int(datetime(2024, 3, 4, tzinfo=UTC).timestamp())
    for ts in range(t0, t0 + 28 * 86400, 300):
        det.add(ts, 3)
    for ts in range(t0 + 28 * 86400, t0 + 28 * 86400 + 3600, 300):
        det.add(ts, 30)
    for b in range(t0 + 28 * 86400, t0 + 28 * 86400 + 3600, 300):
        if (t := det.evaluate(b)) is not None:
            return t
    raise AssertionError("the spike did not fire")


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """On-call's webhook endpoint: records what Alertmanager notifies."""
    got: list[dict[str, Any]] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", got
    server.shutdown()


async def active_alerts(url: str) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession() as s, s.get(f"{url}/api/v2/alerts?active=true") as r:
        data: list[dict[str, Any]] = await r.json()
        return data


def test_alerts_reach_alertmanager_and_resolve(
    tmp_path: Path, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    hook_url, notifications = receiver
    am = Alertmanager(tmp_path, hook_url)
    am.start()
    try:
        fired = spike()
        asyncio.run(scenario(am, fired, notifications))
    finally:
        am.stop()


async def scenario(
    am: Alertmanager, fired: Transition, notifications: list[dict[str, Any]]
) -> None:
    client = AlertmanagerClient(am.url)
    runner = asyncio.create_task(client.run())
    board = "http://grafana.local/d/somepulse-duty"
    try:
        started = time.monotonic()
        client.submit("a1", alertmanager_payload(fired, fired.at, board))
        while not await active_alerts(am.url):
            assert time.monotonic() - started < 5, "not in Alertmanager within 5 s"
            await asyncio.sleep(0.05)
        latency = time.monotonic() - started
        [alert] = await active_alerts(am.url)
        assert alert["labels"] == {
            "alertname": "SomePulseSurge",
            "page": "nav.foreldrepenger",
            "platform": "facebook",
            "metric": "remarks",
            "rule": "comment_burst",
            "severity": "critical",
        }
        assert "3" in alert["annotations"]["ratio"] or float(alert["annotations"]["ratio"]) >= 3
        assert alert["annotations"]["board"].startswith(board)
        print(f"\nfiring alert visible in Alertmanager after {latency * 1000:.0f} ms")

        # on-call is notified (grouped by Alertmanager), then the resolution ends it
        await wait_until(lambda: any(n["status"] == "firing" for n in notifications), 15)
        resolved = Transition(fired.page_id, fired.platform, fired.rule, "resolved", fired.verdict)
        client.submit("a1", alertmanager_payload(resolved, fired.at, board))
        await wait_until_async(lambda: active_alerts(am.url), lambda a: not a, 10)
        await wait_until(lambda: any(n["status"] == "resolved" for n in notifications), 20)

        # Alertmanager away: the alert waits and is delivered when it is back
        am.stop()
        client.submit("a2", alertmanager_payload(fired, datetime.now(UTC), board))
        await asyncio.sleep(2)
        assert client.pending, "kept while Alertmanager is down"
        am.start()
        await wait_until_async(lambda: active_alerts(am.url), bool, 40)
    finally:
        runner.cancel()


async def wait_until(predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def wait_until_async(fetch: Any, predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate(await fetch()):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.2)


def test_worker_sends_the_march_surge_to_alertmanager(
    tmp_path: Path,
    receiver: tuple[str, list[dict[str, Any]]],
) -> None:
    """End to end: scenario -> broker -> worker's surge agent -> real Alertmanager."""
    import io
    from datetime import date

    from rich.console import Console

    from somepulse.settings import Settings
    from somepulse.tools.stack import Stack

    from .conftest import publish_scenario, wait_for

    hook_url, _ = receiver
    am = Alertmanager(tmp_path, hook_url)
    am.start()
    settings = Settings(data_dir=tmp_path / "var", pseudonym_secret=TEST_SECRET)  # type: ignore[arg-type]
    try:
        with Stack(
            settings,
            console=Console(file=io.StringIO()),
            worker_env={"SOMEPULSE_ALERTMANAGER_URL": am.url},
        ) as stack:
            publish_scenario(stack, settings, date(2020, 2, 1), date(2020, 3, 14), seed=4)

            def surge_in_alertmanager() -> bool:
                alerts = asyncio.run(active_alerts(am.url))
                return any(
                    a["labels"]["page"] == "nav.foreldrepenger"
                    and a["labels"]["rule"] in ("questions", "reach")
                    for a in alerts
                )

            wait_for(surge_in_alertmanager, 90, "the surge alert in Alertmanager")
            # what the bench waits for before it times a tipping event: every stored
            # observation decided on (the count returns to 0, never below)
            wait_for(lambda: stack.stats().surge_backlog == 0, 60, "the detector caught up")
            delivery = stack.stats().alertmanager
            assert delivery is not None and delivery.last_latency_seconds is not None
            assert delivery.delivered >= 1 and delivery.last_latency_seconds < 5
            print(
                f"\nworker -> Alertmanager: {delivery.delivered} alerts, last after "
                f"{delivery.last_latency_seconds * 1000:.0f} ms"
            )
    finally:
        am.stop()


def test_an_alertmanager_behind_an_authenticating_proxy_is_reached(tmp_path: Path) -> None:
    """Security review A1: a bearer token (from a file) reaches a proxy that demands it;
    the URL in the log carries no credentials; a long outage keeps a bounded queue."""
    from aiohttp import web

    from somepulse.alerts.delivery import MAX_PENDING, redacted

    received: list[Any] = []

    async def alerts(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer s3cret-token":
            return web.Response(status=401)
        received.append(await request.json())
        return web.json_response({})

    async def go() -> None:
        app = web.Application()
        app.router.add_post("/api/v2/alerts", alerts)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        client = AlertmanagerClient(f"http://127.0.0.1:{port}", token="s3cret-token")
        task = asyncio.create_task(client.run())
        try:
            fired = spike()
            client.submit("a1", alertmanager_payload(fired, fired.at, "http://g/d/x"))
            await wait_until(lambda: received, 5)
        finally:
            task.cancel()
            await runner.cleanup()

    asyncio.run(go())
    assert received[0][0]["labels"]["rule"] == "comment_burst"
    assert redacted("https://am:pw@alerts.example:9093/x") == "https://***@alerts.example:9093/x"
    client = AlertmanagerClient("http://127.0.0.1:9")
    for i in range(MAX_PENDING + 5):
        client.submit(f"k{i}", {"labels": {}, "endsAt": "x"})
    assert len(client.pending) == MAX_PENDING


def test_one_episode_reaches_on_call_once(
    tmp_path: Path, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    """The deployed routing on a real Alertmanager (group_wait 1 s, group_interval 2 s
    here): a warning re-posted every second for 8 s is notified once, and Grafana's copy
    of the same decision adds nothing; a critical burst of comments on the same page is
    an escalation (notified, the questions warning inhibited); the end of both is one
    resolved notification."""
    hook_url, notifications = receiver
    am = Alertmanager(tmp_path, hook_url)
    am.start()
    try:
        asyncio.run(episode(am, notifications))
    finally:
        am.stop()


async def episode(am: Alertmanager, notifications: list[dict[str, Any]]) -> None:
    from somepulse.alerts.detector import Verdict

    rules = {r.name: r for r in load_alert_config().rules}
    bucket = int(datetime(2020, 3, 12, 10, tzinfo=UTC).timestamp())
    verdict = Verdict(bucket, 412, 170.0, 412 / 170, 1e-9, True, 1.0)
    warning = Transition("nav.foreldrepenger", "facebook", rules["questions"], "firing", verdict)
    critical_rule = rules["comment_burst"]
    assert (critical_rule.severity, critical_rule.source) == ("critical", "remarks")
    critical = Transition("nav.foreldrepenger", "facebook", critical_rule, "firing", verdict)
    grafana_copy = {  # as Grafana's rule posts it (grafana_rules.py)
        "labels": {
            "alertname": "SoMe Pulse surge: incoming questions",
            "page": "nav.foreldrepenger",
            "platform": "facebook",
            "rule": "questions",
            "metric": "questions",
            "severity": "warning",
            "copy": "grafana",
            "team": "somepulse",
            "grafana_folder": "SoMe Pulse",
        },
        "annotations": {"summary": "nav.foreldrepenger: incoming questions well above"},
    }
    client = AlertmanagerClient(am.url)
    runner = asyncio.create_task(client.run())
    board = "http://grafana.local/d/somepulse-duty"
    now = datetime.now(UTC)

    def firing() -> list[dict[str, Any]]:
        return [n for n in notifications if n["status"] == "firing"]

    try:
        for _ in range(8):  # the worker's re-posts of a firing alert; Grafana's copy
            client.submit("w", alertmanager_payload(warning, now, board))
            client.submit("g", grafana_copy)
            await asyncio.sleep(1)
        assert len(firing()) == 1, notifications
        assert [a["labels"]["severity"] for a in firing()[0]["alerts"]] == ["warning"]

        for _ in range(6):  # escalation: a critical burst for the same page
            client.submit("w", alertmanager_payload(warning, now, board))
            client.submit("c", alertmanager_payload(critical, now, board))
            await asyncio.sleep(1)
        assert len(firing()) == 2, notifications
        states = {
            a["labels"]["severity"]: a["status"]["state"]
            for a in await active_alerts(am.url)
            if "copy" not in a["labels"]
        }
        assert states == {"warning": "suppressed", "critical": "active"}
        assert all(n["receiver"] == "on-call" for n in notifications)

        end = datetime.now(UTC)
        for t, key in ((warning, "w"), (critical, "c")):
            ended = Transition(t.page_id, t.platform, t.rule, "resolved", t.verdict)
            payload = alertmanager_payload(ended, now, board)
            payload["endsAt"] = end.isoformat()
            client.submit(key, payload)
        await wait_until(lambda: any(n["status"] == "resolved" for n in notifications), 15)
        await asyncio.sleep(4)  # two more group intervals: nothing else arrives
        assert len(firing()) == 2
        assert len([n for n in notifications if n["status"] == "resolved"]) == 1
    finally:
        runner.cancel()
