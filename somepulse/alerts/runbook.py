"""The on-call runbook: one entry per alert anyone may be paged with, what it means and
what to do, in the order a person works through it. It becomes the Grafana board
``somepulse-runbook`` (one text panel per alert, ``somepulse grafana build``), and every
alert's ``runbook_url`` opens its panel there: the runbook is where on-call already is,
in the agency's own Grafana, not a repository path nobody can click at 03:00.

Panel ids are fixed here because Prometheus's rule file carries them as literal URLs;
a test checks the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass

RUNBOOK_UID = "somepulse-runbook"


@dataclass(frozen=True)
class Entry:
    alertname: str
    title: str
    text: str


INTRO = """\
Each alert links to its own panel here. Silence an alert you are handling for the time
you need (`amtool silence add alertname=... page=... --duration 4h --comment "..."`, or
in Alertmanager's UI); never delete a rule to stop a page. The full method is in
docs/alerts.md (surges) and docs/deploy.md (the stack)."""

ENTRIES = (
    Entry(
        "SomePulseWorkerDown",
        "SomePulseWorkerDown — the worker is down",
        """\
**Means**: Prometheus cannot scrape the worker for 2 minutes (or has no target for it).
No surge alert, no live board, no source-silent alert until it is back.

1. `docker compose ps worker`, `docker compose logs --tail 100 worker`.
2. A configuration error prints one line naming the `SOMEPULSE_*` variable: fix `.env`.
3. ClickHouse or Kafka down: the worker waits for them; fix those first.
4. Restart: `docker compose up -d worker`. Nothing is lost: it resumes from its Kafka
   offsets and rebuilds its live state from ClickHouse (`/readyz` green when done).""",
    ),
    Entry(
        "SomePulseConsumerLagGrowing",
        "SomePulseConsumerLagGrowing — the worker falls behind",
        """\
**Means**: more than 5,000 events wait in Kafka and the backlog grows. Alerts and the
board come late by the backlog's time.

1. The health board: events in vs stored per second, insert latency.
2. A collector back-filling history is expected to do this; it catches up by itself.
3. Slow inserts: ClickHouse's disk and merges (`system.merges`, `system.parts`).
4. Sustained more than one worker can do: add partitions and workers (docs/deploy.md).""",
    ),
    Entry(
        "SomePulseDeadLetters",
        "SomePulseDeadLetters — events refused",
        """\
**Means**: over 1 % of messages in 15 minutes went to the dead-letter topic, each
with its reason, its source position and a redacted copy (no citizen's words or ids).

1. The health board's dead letters by reason.
2. A validation reason: a collector sends a shape the worker does not know (a version
   mismatch after an upgrade, or a home-made collector: docs/collectors.md).
3. "unknown account": a page missing from pages.toml, or a sender that is not yours.
4. A raw person id: a collector publishes unpseudonymised ids: stop it, fix its key.
5. Fix the sender, then re-send the period from the source (collectors back-fill;
   ClickHouse stores a re-sent event once).""",
    ),
    Entry(
        "SomePulseNoInserts",
        "SomePulseNoInserts — nothing reaches ClickHouse",
        """\
**Means**: events wait, but no insert succeeded for 10 minutes. The worker retries and
commits no offsets meanwhile, so nothing is lost, but the board stands still.

1. `docker compose logs worker | grep -i clickhouse`: refused password, disk full,
   a failed migration.
2. ClickHouse's own record: the `system.errors` table, newest `last_error_time` first.
3. Disk: the `system.disks` table. Free space, and the worker continues by itself.""",
    ),
    Entry(
        "SomePulseDetectorNotDeciding",
        "SomePulseDetectorNotDeciding — the surge detector is blind",
        """\
**Means**: events arrive but the detector made no decision for 30 minutes: it cannot
page for a surge.

1. `curl worker:8000/status`: `not_ready` says what the worker waits for.
2. The worker's log for a traceback in the detector; restart the worker.
3. If it persists, file an issue with the log: this is a defect.""",
    ),
    Entry(
        "SomePulseAlertDeliveryFailing",
        "SomePulseAlertDeliveryFailing — the worker cannot reach Alertmanager",
        """\
**Means**: the worker's posts to Alertmanager fail. It keeps the alerts and retries
with backoff (a surge is re-posted when Alertmanager is back).

1. `docker compose ps alertmanager`; `SOMEPULSE_ALERTMANAGER_URL`, its token or CA.
2. Meanwhile watch the duty board: firing surges are on it.""",
    ),
    Entry(
        "SomePulseNotificationsFailing",
        "SomePulseNotificationsFailing — Alertmanager cannot reach on-call",
        """\
**Means**: Alertmanager received alerts but could not deliver notifications over the
named integration (webhook, e-mail). You may be reading this because another path works.

1. Alertmanager's log: the receiver's HTTP status or SMTP error.
2. The receiver's URL, credentials and network path (alertmanager.yml).""",
    ),
    Entry(
        "SomePulseWatchdog",
        "SomePulseWatchdog — the heartbeat",
        """\
**Means**: nothing is wrong. This alert always fires so that a service outside this
stack (a dead man's switch) can call someone when it stops arriving: then Prometheus,
Alertmanager or the path to on-call is down. Route the `heartbeat` receiver to it.""",
    ),
    Entry(
        "SomePulseSurge",
        "SomePulseSurge — a page gets far more than usual",
        """\
**Means**: the surge detector found a page's questions, comments or reach well above
what its own history explains. The alert says how many, what is usual, which posts
drive it, and links to the duty board at that page and time. A rise in questions that
one post carries alone (an unclear post drawing twice a day's questions) does not page:
the board shows it, under that post.

1. Open the board link: which posts, which questions.
2. Tell the team on duty; the usual answer may be a pinned post or an FAQ update.
3. A known cause (a campaign, a planned announcement): silence for its duration.
4. Paged wrongly: tune the rule and prove it on your history with `somepulse backtest`
   (docs/alerts.md, tuning).""",
    ),
    Entry(
        "SomePulseSourceSilent",
        "SomePulseSourceSilent — a page's data stopped",
        """\
**Means**: the page has been quiet for longer than its own rhythm explains. A surge on
it would not be seen.

1. The health board's sources: is its collector up, limited, down or broken?
2. Meta: the page token or the webhook subscription (docs/collectors.md).
3. A page deliberately paused: silence it for the pause.""",
    ),
    Entry(
        "SomePulseSourceDown",
        "SomePulseSourceDown — a collector says its source fails",
        """\
**Means**: a collector reports `broken` (a person must act: token, app password,
permission), or `down`/`limited` for long, or stopped reporting.

1. The alert's summary says what failed, in one line.
2. Renew the credential (docs/collectors.md per platform); the collector back-fills
   the gap by itself where the platform allows.""",
    ),
)

# panel 1 is the introduction; entries follow in order
PANEL_IDS = {entry.alertname: pid for pid, entry in enumerate(ENTRIES, start=2)}


def runbook_url(board_url: str, alertname: str) -> str:
    """The runbook panel for ``alertname`` in the Grafana the duty board is on (none
    without a board)."""
    if not board_url:
        return ""
    grafana = board_url.split("/d/", 1)[0].rstrip("/")
    return f"{grafana}/d/{RUNBOOK_UID}?viewPanel={PANEL_IDS[alertname]}"
