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
import math
import ssl as ssl_
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp

from somepulse.alerts.detector import Transition, Verdict
from somepulse.alerts.poisson import poisson_quantile
from somepulse.alerts.runbook import runbook_url
from somepulse.domain.links import post_url
from somepulse.domain.pages import PageInfo

log = logging.getLogger(__name__)


def alert_id(t: Transition, fired_bucket: int) -> str:
    return f"{t.page_id}/{t.platform}/{t.rule.name}/{fired_bucket}"


# what a count is of, in a communicator's words
NOUNS = {
    "questions": "questions",
    "comments": "comments",
    "remarks": "comments (questions aside)",
    "reach": "people reached",
}


def usual_range(v: Verdict) -> tuple[int, int]:
    """What the page usually has in such a window: the 10th to 90th percentile of the
    fitted model's count there (quasi-Poisson, as the detector tests: d x Poisson(b/d))."""
    b, d = v.baseline or 0.0, max(v.dispersion, 1.0)
    return round(d * poisson_quantile(0.1, b / d)), round(d * poisson_quantile(0.9, b / d))


def span(t: Transition) -> str:
    """The window in words: "in 24 h", "in 1 h", "in 15 min", "on 12 Mar 2020"."""
    seconds = t.rule.window * t.rule.step_seconds
    if t.rule.step == "day" and t.rule.window == 1:
        day = datetime.fromtimestamp(t.verdict.bucket, UTC)
        return f"on {day.day} {day:%b %Y}"
    if seconds % 3600 == 0:
        return f"in {seconds // 3600} h"
    return f"in {seconds // 60} min"


def numbers(t: Transition) -> str:
    """Seen against usual: "412 questions in 24 h, usually 153–187"; "from none to 14
    questions in 24 h" when the page usually has none; reported figures (reach) against
    the model's expectation."""
    v, noun = t.verdict, NOUNS.get(t.rule.source, t.rule.source)
    seen = f"{v.observed:,.0f}"
    if t.rule.reported:  # a reported figure: no count range
        return f"{seen} {noun} {span(t)}, usually about {v.baseline or 0:,.0f}"
    if (v.baseline or 0.0) < 0.5:  # usually none
        return f"from none to {seen} {noun} {span(t)}"
    low, high = usual_range(v)
    return f"{seen} {noun} {span(t)}, usually {low:,}–{high:,}"


def driver_text(post: str, count: float, observed: float) -> str:
    share = 100 * count / observed if observed else 0.0
    where = f"post {post}" if post else "no post (private messages)"
    return f"{where}: {count:,.0f} ({share:.0f} %)"


def posts_annotation(drivers: list[tuple[str, float, str | None]], observed: float) -> str:
    """One line per post that drove an alert: where, how many, share, and its address."""
    return "\n".join(
        driver_text(post, count, observed) + (f" {url}" if url else "")
        for post, count, url in drivers
    )


def summary(t: Transition, name: str | None = None) -> str:
    """One line a communicator reads: page, numbers, and where most of it came from."""
    who = f"{name or t.page_id} ({t.platform})"
    if t.state == "resolved":
        return f"{who}: {t.rule.summary} back to usual, {numbers(t)}"
    text = f"{who}: {t.rule.summary}, {numbers(t)}"
    if t.drivers:
        post, count = t.drivers[0]
        text += f"; most under {driver_text(post, count, t.verdict.observed)}"
    return text


def posts(t: Transition, page: PageInfo | None = None) -> list[dict[str, Any]]:
    """The posts that drove it: id, count, share of the window's count, address."""
    observed = t.verdict.observed
    return [
        {
            "post_id": post,
            "count": count,
            "share": round(count / observed, 3) if observed else 0.0,
            "url": post_url(t.platform, post, page),
        }
        for post, count in t.drivers
    ]


def board_link(board_url: str, t: Transition) -> str:
    """The duty board on the page and platform, from a window before the surge's window
    to a window after the decision (Grafana takes epoch milliseconds)."""
    width = t.rule.window * t.rule.step_seconds
    start = t.verdict.bucket - (t.rule.window - 1) * t.rule.step_seconds - width
    end = t.verdict.bucket + t.rule.step_seconds + width
    query = urlencode(
        {"var-page": t.page_id, "var-platform": t.platform, "from": start * 1000, "to": end * 1000}
    )
    return f"{board_url}?{query}"


def record(t: Transition, fired_bucket: int, page: PageInfo | None = None) -> dict[str, Any]:
    v = t.verdict
    drivers = posts(t, page)
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
        "ratio": v.ratio if v.ratio is not None and math.isfinite(v.ratio) else 0.0,
        "p_value": v.p_value or 1.0,
        "summary": summary(t, page.name if page else None),
        "post_ids": [d["post_id"] for d in drivers],
        "post_counts": [d["count"] for d in drivers],
    }


def alertmanager_payload(
    t: Transition, fired_at: datetime, board_url: str, page: PageInfo | None = None
) -> dict[str, Any]:
    v = t.verdict
    link = board_link(board_url, t)
    annotations = {
        "summary": summary(t, page.name if page else None),
        "value": f"{v.observed:g}",
        "baseline": f"{v.baseline or 0:g}",
        "ratio": f"{v.ratio:.2f}" if v.ratio is not None and math.isfinite(v.ratio) else "new",
        "board": link,
        "runbook_url": runbook_url(board_url, "SomePulseSurge"),
    }
    if not t.rule.reported:
        low, high = usual_range(v)
        annotations["usual"] = f"{low}-{high}"
    if t.drivers:
        annotations["posts"] = posts_annotation(
            [(d["post_id"], d["count"], d["url"]) for d in posts(t, page)], v.observed
        )
    alert: dict[str, Any] = {
        "labels": labels(t.page_id, t.platform, t.rule.source, t.rule.name, t.rule.severity),
        "annotations": annotations,
        "startsAt": fired_at.isoformat(),
        "generatorURL": link,
    }
    if t.state == "resolved":
        alert["endsAt"] = max(t.at, fired_at).isoformat()
    return alert


def labels(page: str, platform: str, metric: str, rule: str, severity: str) -> dict[str, str]:
    """One label set for the stream detector's alerts (Grafana's surge rules carry the
    same page and platform labels: one inhibition matches both)."""
    return {
        "alertname": "SomePulseSurge",
        "page": page,
        "platform": platform,
        "metric": metric,
        "rule": rule,
        "severity": severity,
    }


def firing_payload(row: dict[str, Any], board_url: str) -> dict[str, Any]:
    """An alert still firing, rebuilt from its ``v_alerts_firing`` row (after a restart:
    the summary as stored, which names the posts)."""
    query = urlencode({"var-page": row["page_id"], "var-platform": row["pf"]})
    annotations = {
        "summary": row["summary"],
        "value": f"{row['observed']:g}",
        "baseline": f"{row['baseline']:g}",
        "ratio": f"{row['ratio']:.2f}",
        "board": f"{board_url}?{query}",
    }
    drivers = list(zip(row.get("post_ids") or [], row.get("post_counts") or [], strict=False))
    if drivers:
        annotations["posts"] = posts_annotation(
            [(post, count, post_url(row["pf"], post)) for post, count in drivers], row["observed"]
        )
    return {
        "labels": labels(row["page_id"], row["pf"], row["metric"], row["r"], row["severity"]),
        "annotations": annotations,
        "startsAt": row["at"].replace(" ", "T") + "+00:00",
        "generatorURL": f"{board_url}?{query}",
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
    failures: int = 0  # posts that failed (the self-monitoring rules alert on them)
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
                    self.failures += 1
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
