"""Alert transitions as records (topic, ClickHouse) and as Alertmanager alerts.

Alertmanager owns routing, grouping, silencing and repeat; we only tell it what fires
and when it ends (``POST /api/v2/alerts``). Posts that fail are kept and retried with
backoff, and firing alerts are re-posted every minute (Alertmanager expects that, and
it heals a restart of Alertmanager).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl as ssl_
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from somepulse.alerts.detector import Transition

log = logging.getLogger(__name__)


def alert_id(t: Transition, fired_bucket: int) -> str:
    return f"{t.page_id}/{t.platform}/{t.rule.name}/{fired_bucket}"


def record(t: Transition, fired_bucket: int) -> dict[str, Any]:
    v = t.verdict
    return {
        "alert_id": alert_id(t, fired_bucket),
        "state": t.state,
        "at": t.at.isoformat(),
        "decided_at": datetime.now(UTC).isoformat(),
        "page_id": t.page_id,
        "platform": t.platform,
        "rule": t.rule.name,
        "metric": t.rule.source,
        "severity": t.rule.severity,
        "observed": v.observed,
        "baseline": v.baseline or 0.0,
        "ratio": v.ratio or 0.0,
        "p_value": v.p_value or 1.0,
        "summary": summary(t),
    }


def summary(t: Transition) -> str:
    v = t.verdict
    if t.state == "resolved":
        return f"{t.page_id}: {t.rule.summary} back to normal ({v.ratio or 0:.1f}x the baseline)"
    return (
        f"{t.page_id} ({t.platform}): {t.rule.summary} at {v.observed:,.0f}, "
        f"{v.ratio or 0:.1f}x the usual {v.baseline or 0:,.0f}"
    )


def alertmanager_payload(t: Transition, fired_at: datetime, board_url: str) -> dict[str, Any]:
    v = t.verdict
    alert: dict[str, Any] = {
        "labels": {
            "alertname": "SomePulseSurge",
            "page": t.page_id,
            "platform": t.platform,
            "metric": t.rule.source,
            "rule": t.rule.name,
            "severity": t.rule.severity,
        },
        "annotations": {
            "summary": summary(t),
            "value": f"{v.observed:g}",
            "baseline": f"{v.baseline or 0:g}",
            "ratio": f"{v.ratio or 0:.2f}",
            "board": f"{board_url}?var-page={t.page_id}",
        },
        "startsAt": fired_at.isoformat(),
        "generatorURL": f"{board_url}?var-page={t.page_id}",
    }
    if t.state == "resolved":
        alert["endsAt"] = max(t.at, fired_at).isoformat()
    return alert


def firing_payload(row: dict[str, Any], board_url: str) -> dict[str, Any]:
    """An alert still firing, rebuilt from its ``v_alerts_firing`` row."""
    return {
        "labels": {
            "alertname": "SomePulseSurge",
            "page": row["page_id"],
            "platform": row["pf"],
            "metric": row["metric"],
            "rule": row["r"],
            "severity": row["severity"],
        },
        "annotations": {
            "summary": row["summary"],
            "value": f"{row['observed']:g}",
            "baseline": f"{row['baseline']:g}",
            "ratio": f"{row['ratio']:.2f}",
            "board": f"{board_url}?var-page={row['page_id']}",
        },
        "startsAt": row["at"].replace(" ", "T") + "+00:00",
        "generatorURL": f"{board_url}?var-page={row['page_id']}",
    }


def redacted(url: str) -> str:
    """The URL for a log line: credentials in it (user:password@) replaced."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


# What waits for an Alertmanager that is away: transitions beyond this are dropped
# oldest first (the firing set is re-posted whole once it is back, so nothing firing
# is lost; only the history of transitions in between is).
MAX_PENDING = 10_000


@dataclass
class AlertmanagerClient:
    url: str
    max_backoff: float = 30.0
    token: str | None = None  # bearer token of an authenticating proxy
    ca_file: str | None = None  # a private CA's bundle
    pending: list[dict[str, Any]] = field(default_factory=list)
    firing: dict[str, dict[str, Any]] = field(default_factory=dict)
    delivered: int = 0
    last_latency: float | None = None
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def submit(self, key: str, alert: dict[str, Any]) -> None:
        alert = dict(alert, _queued=time.monotonic())
        self.pending.append(alert)
        if len(self.pending) > MAX_PENDING:
            del self.pending[: len(self.pending) - MAX_PENDING]
        if "endsAt" in alert:
            self.firing.pop(key, None)
        else:
            self.firing[key] = alert
        self._wake.set()

    async def run(self) -> None:
        """Deliver pending alerts; re-post firing ones every minute."""
        delay = 0.5
        ssl: ssl_.SSLContext | bool = (
            ssl_.create_default_context(cafile=self.ca_file) if self.ca_file else True
        )
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
        connector = aiohttp.TCPConnector(ssl=ssl)
        async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 60.0)
                self._wake.clear()
                batch = self.pending or list(self.firing.values())
                if not batch:
                    continue
                body = [{k: v for k, v in a.items() if not k.startswith("_")} for a in batch]
                try:
                    async with session.post(
                        f"{self.url.rstrip('/')}/api/v2/alerts",
                        json=body,
                        timeout=aiohttp.ClientTimeout(total=10),
                    ) as resp:
                        resp.raise_for_status()
                except (aiohttp.ClientError, TimeoutError) as exc:
                    log.warning(
                        "Alertmanager at %s unreachable (%s); retrying in %.1f s",
                        redacted(self.url),
                        exc,
                        delay,
                    )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.max_backoff)
                    self._wake.set()
                    continue
                delay = 0.5
                now = time.monotonic()
                for a in batch:
                    if "_queued" in a and a in self.pending:
                        self.last_latency = now - a["_queued"]
                        self.delivered += 1
                self.pending = [a for a in self.pending if a not in batch]
