"""The worker's surge service: baselines from ClickHouse at start-up, observations from
the stream, transitions to the alerts topic, the ``alerts`` table and Alertmanager."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from datetime import datetime
from typing import Any

import orjson

from somepulse.alerts.delivery import (
    AlertmanagerClient,
    alertmanager_payload,
    firing_payload,
    record,
)
from somepulse.alerts.detector import AlertConfig, Transition
from somepulse.alerts.observe import Observation
from somepulse.alerts.stream import StreamDetector
from somepulse.store import Store

log = logging.getLogger(__name__)


class SurgeService:
    def __init__(
        self,
        config: AlertConfig,
        store: Store,
        executor: Executor,
        board_url: str,
        alertmanager: AlertmanagerClient | None = None,
        publish: Callable[[bytes, bytes], Awaitable[None]] | None = None,
    ) -> None:
        self.detector = StreamDetector(config)
        self.store = store
        self.executor = executor
        self.board_url = board_url
        self.alertmanager = alertmanager
        self.publish = publish
        self.fired: dict[tuple[str, str, str], tuple[int, datetime]] = {}
        self.recent: deque[dict[str, Any]] = deque(maxlen=50)

    def load(self) -> int:
        """Baselines from ClickHouse history (so a restarted worker is not blind) and the
        alerts still firing. Returns the number of buckets loaded."""
        db, n = self.store.database, 0
        hourly = self.store.query(
            f"SELECT page_id, toString(platform) AS pf, toUnixTimestamp(hour) AS h, "
            f"sum(questions) AS questions, sum(comments) AS comments, sum(shares) AS shares "
            f"FROM {db}.v_engagement_1h WHERE hour >= (SELECT max(hour) FROM {db}.engagement_1h)"
            f" - INTERVAL 54 WEEK GROUP BY page_id, pf, h"
        )
        five = self.store.query(
            f"SELECT page_id, toString(platform) AS pf, "
            f"toUnixTimestamp(toStartOfFiveMinutes(minute)) AS b, sum(comments) AS comments "
            f"FROM {db}.v_engagement_1m WHERE minute >= (SELECT max(minute) FROM "
            f"{db}.engagement_1m) - INTERVAL 6 WEEK GROUP BY page_id, pf, b"
        )
        reach = self.store.query(
            f"SELECT page_id, toString(any(platform)) AS pf, "
            f"toUnixTimestamp(toDateTime(day, 'UTC')) AS d, argMax(reach, occurred_at) AS r "
            f"FROM {db}.events WHERE kind = 'insights_snapshot' AND scope = 'page' "
            f"GROUP BY page_id, day"
        )
        latest = 0
        for rows, fields in (
            (hourly, ("questions", "comments", "shares")),
            (five, ("comments",)),
            (reach, ("r",)),
        ):
            for row in rows:
                for det in self.detector.detectors_for(row["page_id"], row["pf"]):
                    bucket = int(row.get("h") or row.get("b") or row.get("d") or 0)
                    source = det.rule.source
                    if ("r" in fields) != (source == "reach"):
                        continue
                    if "b" in row and det.rule.step != "5min":
                        continue
                    if "h" in row and det.rule.step != "hour":
                        continue
                    value = row["r"] if source == "reach" else row.get(source)
                    if value is not None:
                        det.set(bucket, float(value))
                        latest = max(latest, bucket)
                        n += 1
        if latest:  # evaluate from now on, not the loaded history again
            for detectors in self.detector.detectors.values():
                self.detector.advance(latest, detectors)
            self.detector.transitions.clear()
        for row in self.store.query(
            f"SELECT page_id, toString(platform) AS pf, toString(rule) AS r, alert_id, "
            f"toString(fired_at) AS at, observed, baseline, ratio, summary, "
            f"toString(metric) AS metric, toString(severity) AS severity "
            f"FROM {db}.v_alerts_firing"
        ):
            if self.alertmanager is not None:
                # still firing after a restart: tell Alertmanager again (nothing is lost
                # if it was down when the worker stopped)
                self.alertmanager.submit(row["alert_id"], firing_payload(row, self.board_url))
            for det in self.detector.detectors_for(row["page_id"], row["pf"]):
                if det.rule.name == row["r"]:
                    det.firing = True
                    bucket = int(row["alert_id"].rsplit("/", 1)[1])
                    fired_at = datetime.fromisoformat(row["at"] + "+00:00")
                    self.fired[(row["page_id"], row["pf"], row["r"])] = (bucket, fired_at)
        return n

    async def handle(self, obs: list[Observation]) -> list[Transition]:
        transitions = self.detector.observe(obs)
        for t in transitions:
            await self._deliver(t)
        return transitions

    async def _deliver(self, t: Transition) -> None:
        key = (t.page_id, t.platform, t.rule.name)
        if t.state == "firing":
            self.fired[key] = (t.verdict.bucket, t.at)
        bucket, fired_at = self.fired.get(key, (t.verdict.bucket, t.at))
        if t.state == "resolved":
            self.fired.pop(key, None)
        rec = record(t, bucket)
        self.recent.appendleft(rec)
        log.warning("ALERT %s: %s", t.state, rec["summary"])
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.executor, self.store.insert, "alerts", orjson.dumps(rec))
        if self.publish is not None:
            await self.publish(rec["alert_id"].encode(), orjson.dumps(rec))
        if self.alertmanager is not None:
            self.alertmanager.submit(
                rec["alert_id"], alertmanager_payload(t, fired_at, self.board_url)
            )
