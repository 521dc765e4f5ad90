"""Is every page's data still arriving? Two watches the worker runs every few minutes.

**Source silent**: a page whose people usually do things has gone quiet for
longer than its own rhythm explains (``v_source_silence``: the events its usual
hour-of-week pattern expected in the whole hours since its last one). A broken token,
an expired webhook subscription or a stopped collector looks exactly like that.

Under Poisson, 8 expected events and none seen happens by chance 3 times in 10,000, so
``expected_events > 8`` pages; it resolves when events come back (the view's expected
count restarts from the new last event). Checked by the worker every few minutes of
wall-clock time, and by the Grafana rule of the same name (``grafana_rules.py``) for a
deployed stack, where no data at all counts as silence too.

**Source down** (``SourceWatch``): what the collectors say about themselves
(``source_status`` events, ``v_source_status``). A refused credential pages at once (a
person must act); a source failing for 15 minutes (the collector retries by itself
meanwhile) or rate-limited for an hour pages; so does a collector not heard for twice
the time it promised to speak again, and at least 20 minutes (a daemon says "up" every
5 minutes, a scheduled poll once a run: it stopped). Faster than silence,
and it works on quiet pages too. A collector not heard for a week is taken as retired.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from somepulse.alerts.runbook import runbook_url

Submission = tuple[str, dict[str, Any]]  # (key, Alertmanager alert)
SILENCE_THRESHOLD = 8.0  # expected events not seen
SILENCE_SQL = (
    "SELECT page_id, toString(last_event_at) AS last_at, silent_minutes, expected_events "
    "FROM {db}.v_source_silence"
)


@dataclass
class _Watch:
    """Alerts that fire while a condition holds and resolve when it ends, once each."""

    board_url: str = ""
    firing: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> alert

    def _diff(self, wanted: dict[str, dict[str, Any]], now: datetime) -> list[Submission]:
        out: list[Submission] = []
        for key, alert in sorted(wanted.items()):
            if key not in self.firing:
                self.firing[key] = alert
                out.append((key, alert))
        for key in sorted(set(self.firing) - set(wanted)):
            out.append((key, dict(self.firing.pop(key), endsAt=now.isoformat())))
        return out

    def _board(self, page: str) -> str:
        return f"{self.board_url}?var-page={page}" if self.board_url else ""

    def _runbook(self, alertname: str) -> str:
        return runbook_url(self.board_url, alertname)


@dataclass
class SilenceWatch(_Watch):
    threshold: float = SILENCE_THRESHOLD

    def check(self, rows: Iterable[dict[str, Any]], now: datetime) -> list[Submission]:
        """The alerts to send: new silences firing, silences that ended resolved."""
        wanted = {
            f"source_silent:{r['page_id']}": self._alert(r["page_id"], r, now)
            for r in rows
            if float(r["expected_events"]) > self.threshold
        }
        return self._diff(wanted, now)

    def _alert(self, page: str, row: dict[str, Any], now: datetime) -> dict[str, Any]:
        hours = int(row["silent_minutes"]) / 60
        expected = float(row["expected_events"])
        return {
            "labels": {
                "alertname": "SomePulseSourceSilent",
                "page": page,
                "rule": "source_silent",
                "metric": "events",
                "severity": "warning",
            },
            "annotations": {
                "summary": f"{page}: no events for {hours:.1f} h, where its usual rhythm "
                f"expected {expected:.0f}; check the collector, its token and the "
                "webhook subscription",
                "last_event_at": str(row["last_at"]),
                "expected_events": f"{expected:.1f}",
                "board": self._board(page),
                "runbook_url": self._runbook("SomePulseSourceSilent"),
            },
            "startsAt": now.isoformat(),
        }


STATUS_SQL = (
    "SELECT page_id, toString(platform) AS platform, collector, state, detail, "
    "toString(state_since) AS since, dateDiff('minute', state_since, now()) AS minutes, "
    "minutes_since_heard, next_within FROM {db}.v_source_status "
    "WHERE minutes_since_heard < 7 * 24 * 60"
)
DOWN_MINUTES = 15  # a collector retries by itself meanwhile
LIMITED_MINUTES = 60  # rate limits and quotas reset within the hour (YouTube's: at midnight)
UNHEARD_MINUTES = 20  # at least; twice the promised interval


@dataclass
class SourceWatch(_Watch):
    def check(self, rows: Iterable[dict[str, Any]], now: datetime) -> list[Submission]:
        """The alerts to send: sources newly down firing, sources back up resolved."""
        wanted = {}
        for row in rows:
            why = self._why(row)
            if why is not None:
                key = f"source_down:{row['page_id']}:{row['collector']}"
                wanted[key] = self.firing.get(key) or self._alert(row, why, now)
        return self._diff(wanted, now)

    @staticmethod
    def _why(row: dict[str, Any]) -> str | None:
        state, minutes, detail = row["state"], int(row["minutes"]), row["detail"]
        platform = row["platform"]
        if state == "broken":
            return f"cannot read {platform}: {detail}; a person must act"
        if state == "down" and minutes >= DOWN_MINUTES:
            return f"has failed to read {platform} for {_duration(minutes)}: {detail}"
        if state == "limited" and minutes >= LIMITED_MINUTES:
            return f"has waited out {platform}'s limits for {_duration(minutes)}: {detail}"
        promised = int(row["next_within"])
        unheard = int(row["minutes_since_heard"])
        if promised and unheard >= max(UNHEARD_MINUTES, 2 * promised / 60):
            heard = _duration(unheard)
            return f"has said nothing for {heard}: is it still running?"
        return None

    def _alert(self, row: dict[str, Any], why: str, now: datetime) -> dict[str, Any]:
        page, collector = row["page_id"], row["collector"]
        return {
            "labels": {
                "alertname": "SomePulseSourceDown",
                "page": page,
                "rule": "source_down",
                "collector": collector,
                "severity": "warning",
            },
            "annotations": {
                "summary": f"{page}: the {collector} collector {why}",
                "state": row["state"],
                "since": str(row["since"]),
                "board": self._board(page),
                "runbook_url": self._runbook("SomePulseSourceDown"),
            },
            "startsAt": now.isoformat(),
        }


def _duration(minutes: int) -> str:
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"
