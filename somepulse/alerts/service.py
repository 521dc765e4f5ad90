"""The worker's surge service: baselines from ClickHouse at start-up, observations from
the stream, transitions to the alerts topic, the ``alerts`` table and Alertmanager."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
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
from somepulse.alerts.detector import ONE_POST_DAYS, AlertConfig, SeriesDetector, Transition
from somepulse.alerts.observe import Observation
from somepulse.alerts.stream import StreamDetector, verdict_row
from somepulse.domain.pages import PageInfo, sql_string
from somepulse.store import Store
from somepulse.store.base import parse_utc

log = logging.getLogger(__name__)


SLICE = 512  # observations fed between checks of the clock
YIELD_SECONDS = 0.05  # the longest the detector holds the event loop at a time
# ... and then how long it leaves the loop to the others. A bare turn (sleep(0)) moved
# the ingest one step per slice: right after a burst the detector replayed its backlog
# (18 000 observations, 0.7 s) while new events waited up to 1 s to be stored.
YIELD_PAUSE = 0.01


class SurgeService:
    def __init__(
        self,
        config: AlertConfig,
        store: Store,
        executor: Executor,
        board_url: str,
        alertmanager: AlertmanagerClient | None = None,
        publish: Callable[[bytes, bytes], Awaitable[None]] | None = None,
        pages: Mapping[str, PageInfo] | None = None,
    ) -> None:
        self.pages = pages or {}
        self.detector = StreamDetector(config, pages)
        self.detector.verdicts = []  # every decision goes to surge_verdicts (Grafana's)
        self._verdicts_flushed = time.monotonic()
        self.decisions = 0  # made since start (somepulse_detector_decisions_total)
        self.backlog = 0  # observations sent by the ingest, not yet decided on
        self.store = store
        self.executor = executor
        self.board_url = board_url
        self.alertmanager = alertmanager
        self.publish = publish
        self.fired: dict[tuple[str, str, str], tuple[int, datetime]] = {}
        self.recent: deque[dict[str, Any]] = deque(maxlen=50)

    def load(self, page_ids: list[str]) -> int:
        """For newly assigned pages: baselines from ClickHouse history (so a worker that
        gains a partition is not blind) and the alerts still firing. Returns the number
        of buckets loaded."""
        if not page_ids:
            return 0
        db, n = self.store.database, 0
        pages = f"page_id IN ({', '.join(sql_string(p) for p in page_ids)})"
        # counted as the live path counts them: arrivals (a removal takes nothing back),
        # and the comments that ask nothing (remarks: the burst rule's series)
        hourly = self.store.query(
            f"SELECT page_id, toString(platform) AS pf, toUnixTimestamp(hour) AS bucket, "
            f"toInt64(uniqExactMerge(questions)) AS questions, "
            f"toInt64(uniqExactMergeIf(events, subtype = 'comment')) AS comments "
            f"FROM {db}.engagement_1h WHERE {pages} AND hour >= (SELECT max(hour) FROM "
            f"{db}.engagement_1h WHERE {pages}) - INTERVAL 14 WEEK GROUP BY page_id, pf, bucket"
        )
        five = self.store.query(
            f"SELECT page_id, toString(platform) AS pf, "
            f"toUnixTimestamp(toStartOfFiveMinutes(minute)) AS bucket, "
            f"toInt64(uniqExactMergeIf(events, subtype = 'comment')) "
            f"- toInt64(uniqExactMergeIf(questions, subtype = 'comment')) AS remarks "
            f"FROM {db}.engagement_1m WHERE {pages} AND minute >= (SELECT max(minute) FROM "
            f"{db}.engagement_1m WHERE {pages}) - INTERVAL 14 WEEK GROUP BY page_id, pf, bucket"
        )
        reach = self.store.query(
            f"SELECT page_id, toString(platform) AS pf, "
            f"toUnixTimestamp(toDateTime(day, 'UTC')) AS bucket, reach "
            f"FROM {db}.v_page_reach_daily WHERE {pages}"
        )
        # per detector and bucket: a page-wide series (questions) sums its channels
        loaded: dict[tuple[int, int], tuple[SeriesDetector, float]] = {}
        for rows, step, sources in (
            (hourly, "hour", ("questions", "comments")),
            (five, "5min", ("remarks",)),
            (reach, "day", ("reach",)),
        ):
            for row in rows:
                for source in sources:
                    value = float(row[source])
                    if not value and source != "reach":  # a count series starts at its first
                        continue
                    platform = self.detector.platform_of(row["page_id"], row["pf"], source)
                    for det in self.detector.detectors_for(row["page_id"], platform):
                        if det.rule.step == step and det.rule.source == source:
                            key = (id(det), int(row["bucket"]))
                            had = loaded.get(key, (det, 0.0))[1]
                            loaded[key] = (det, had + value)
        for (_, bucket), (det, value) in loaded.items():
            det.set(bucket, value)
            n += 1
        self._load_posts(pages)
        self._restore_firing(pages)
        # evaluate from each page's last observation on, not the loaded history again
        last = self.store.query(
            f"SELECT page_id, toString(platform) AS pf, toUnixTimestamp(max(occurred_at)) AS ts "
            f"FROM {db}.events WHERE {pages} AND ((kind = 'interaction' AND interaction_type "
            f"IN ('comment', 'share')) OR {db}_is_question(kind, direction, is_question, verb) "
            f"OR (kind = 'insights_snapshot' AND scope = 'page')) GROUP BY page_id, pf"
        )
        for row in last:
            self.detector.resume(
                int(row["ts"]), self.detector.detectors_for(row["page_id"], row["pf"])
            )
        return n

    def _load_posts(self, pages: str) -> None:
        """The last four weeks' hourly counts per post, for the rules that tell one
        post's rise from the page's (``Rule.one_post``; ``resume`` then rebuilds the
        busiest posts' shares from them)."""
        rules = self.detector.config.rules
        sources = {r.source for r in rules if r.one_post is not None and r.step == "hour"}
        if not sources:
            return
        db, days = self.store.database, ONE_POST_DAYS + 2  # and the first window's day
        rows = self.store.query(
            f"SELECT page_id, toString(platform) AS pf, toUnixTimestamp(hour) AS bucket, "
            f"post_id, toInt64(uniqExactMerge(questions)) AS questions, "
            f"toInt64(uniqExactMergeIf(events, subtype = 'comment')) AS comments "
            f"FROM {db}.engagement_1h WHERE {pages} AND hour >= (SELECT max(hour) FROM "
            f"{db}.engagement_1h WHERE {pages}) - INTERVAL {days} DAY "
            f"GROUP BY page_id, pf, bucket, post_id"
        )
        for row in rows:
            for source in sources & {"questions", "comments"}:
                if not row[source]:
                    continue
                platform = self.detector.platform_of(row["page_id"], row["pf"], source)
                for det in self.detector.detectors_for(row["page_id"], platform):
                    if det.rule.source == source and det.rule.one_post is not None:
                        det.load_post(int(row["bucket"]), row["post_id"], float(row[source]))

    def _restore_firing(self, pages: str) -> None:
        db = self.store.database
        for row in self.store.query(
            f"SELECT page_id, toString(platform) AS pf, toString(rule) AS r, alert_id, "
            f"toString(fired_at) AS at, observed, baseline, ratio, summary, "
            f"toString(metric) AS metric, toString(severity) AS severity, post_ids, post_counts "
            f"FROM {db}.v_alerts_firing WHERE {pages}"
        ):
            if self.alertmanager is not None:
                # still firing after a restart: tell Alertmanager again (nothing is lost
                # if it was down when the worker stopped)
                self.alertmanager.submit(row["alert_id"], firing_payload(row, self.board_url))
            for det in self.detector.detectors_for(row["page_id"], row["pf"]):
                if det.rule.name == row["r"]:
                    bucket = int(row["alert_id"].rsplit("/", 1)[1])
                    det.restore_firing(bucket)
                    fired_at = parse_utc(row["at"])
                    self.fired[(row["page_id"], row["pf"], row["r"])] = (bucket, fired_at)

    def drop(self, page_ids: set[str]) -> None:
        """Forget revoked pages: another worker now owns them (and their alerts)."""
        self.detector.drop(page_ids)
        for key in [k for k in self.fired if k[0] in page_ids]:
            del self.fired[key]

    async def handle(self, obs: list[Observation]) -> list[Transition]:
        """Feed a batch's observations to the detector, giving the event loop back
        every ``YIELD_SECONDS`` for ``YIELD_PAUSE``: a batch of a replayed history spans
        months of event time (hundreds of refits), and the ingest, the consumer's
        heartbeats, ``/readyz`` and ``/stats`` share this loop. The detector is
        incremental per observation, so feeding it in slices decides exactly what one
        call would."""
        before = len(self.detector.verdicts or ())
        transitions: list[Transition] = []
        since = time.monotonic()
        for start in range(0, len(obs), SLICE):
            transitions += self.detector.observe(obs[start : start + SLICE])
            if time.monotonic() - since > YIELD_SECONDS:
                await asyncio.sleep(YIELD_PAUSE)
                since = time.monotonic()
        self.decisions += len(self.detector.verdicts or ()) - before
        for t in transitions:
            await self._deliver(t)
        await self.flush_verdicts()
        return transitions

    async def flush_verdicts(self) -> None:
        """Insert the decisions made since the last flush: every 10 s at most, or at
        once when many wait (a replay of history)."""
        pending = self.detector.verdicts
        if not pending:
            return
        if len(pending) < 5_000 and time.monotonic() - self._verdicts_flushed < 10:
            return
        body = self._verdict_body()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.executor, self.store.insert, "surge_verdicts", body)

    def close(self) -> None:
        """At stop (the event loop gone, the executor drained): the decisions made since
        the last flush, so Grafana's rules read the last state the detector knew."""
        if self.detector.verdicts:
            self.store.insert("surge_verdicts", self._verdict_body())

    def _verdict_body(self) -> bytes:
        pending = self.detector.verdicts or []
        body = b"\n".join(orjson.dumps(verdict_row(v)) for v in pending)
        pending.clear()
        self._verdicts_flushed = time.monotonic()
        return body

    async def _deliver(self, t: Transition) -> None:
        key = (t.page_id, t.platform, t.rule.name)
        if t.state == "firing":
            self.fired[key] = (t.verdict.bucket, t.at)
        bucket, fired_at = self.fired.get(key, (t.verdict.bucket, t.at))
        if t.state == "resolved":
            self.fired.pop(key, None)
        page = self.pages.get(t.page_id)
        rec = record(t, bucket, page)
        self.recent.appendleft(rec)
        log.warning("ALERT %s: %s", t.state, rec["summary"])
        if self.alertmanager is not None:  # first: on-call's page waits for nothing else
            self.alertmanager.submit(
                rec["alert_id"], alertmanager_payload(t, fired_at, self.board_url, page)
            )
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.executor, self.store.insert, "alerts", orjson.dumps(rec))
        if self.publish is not None:
            await self.publish(rec["alert_id"].encode(), orjson.dumps(rec))
