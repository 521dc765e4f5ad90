"""The "source silent" alert: a page whose people usually do things has gone quiet for
longer than its own rhythm explains (``v_source_silence``: the events its usual
hour-of-week pattern expected in the whole hours since its last one). A broken token,
an expired webhook subscription or a stopped collector looks exactly like that.

Under Poisson, 8 expected events and none seen happens by chance 3 times in 10,000, so
``expected_events > 8`` pages; it resolves when events come back (the view's expected
count restarts from the new last event). Checked by the worker every few minutes of
wall-clock time, and by the Grafana rule of the same name (``grafana_rules.py``) for a
deployed stack, where no data at all counts as silence too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Submission = tuple[str, dict[str, Any]]  # (key, Alertmanager alert)
SILENCE_THRESHOLD = 8.0  # expected events not seen
SILENCE_SQL = (
    "SELECT page_id, toString(last_event_at) AS last_at, silent_minutes, expected_events "
    "FROM {db}.v_source_silence"
)


@dataclass
class SilenceWatch:
    threshold: float = SILENCE_THRESHOLD
    board_url: str = ""
    firing: dict[str, dict[str, Any]] = field(default_factory=dict)  # page -> alert

    def check(self, rows: Iterable[dict[str, Any]], now: datetime) -> list[Submission]:
        """The alerts to send: new silences firing, silences that ended resolved."""
        out: list[Submission] = []
        silent = {r["page_id"]: r for r in rows if float(r["expected_events"]) > self.threshold}
        for page, row in sorted(silent.items()):
            if page not in self.firing:
                self.firing[page] = self._alert(page, row, now)
                out.append((self._key(page), self.firing[page]))
        for page in sorted(set(self.firing) - set(silent)):
            ended = dict(self.firing.pop(page), endsAt=now.isoformat())
            out.append((self._key(page), ended))
        return out

    @staticmethod
    def _key(page: str) -> str:
        return f"source_silent:{page}"

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
                "board": f"{self.board_url}?var-page={page}" if self.board_url else "",
            },
            "startsAt": now.isoformat(),
        }
