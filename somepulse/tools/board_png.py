"""``somepulse board --png``: the duty board's main panels, from the same SQL as the
Grafana board (macros expanded like the plugin), drawn with matplotlib — for the README
and for people without Grafana at hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from somepulse.dashboards.boards import DUTY
from somepulse.dashboards.builder import SqlTarget, with_database
from somepulse.dashboards.macros import expand
from somepulse.settings import Settings
from somepulse.store.base import parse_utc
from somepulse.tools.sql import run_sql

PANELS = (
    "Incoming questions",
    "Reach per day",
    "Engagement per platform",
    "Open questions (asked in the last 7 days)",
)


def _query(
    settings: Settings,
    target: SqlTarget,
    start: datetime,
    end: datetime,
    interval: int,
    pages: list[str],
    platforms: list[str],
) -> list[dict[str, Any]]:
    sql = with_database(target.sql, settings.clickhouse_database)
    sql = expand(sql, start, end, interval, {"page": pages, "platform": platforms})
    return run_sql(settings, sql)


def render_board(settings: Settings, out: Path, at: datetime | None, hours: int) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    db = settings.clickhouse_database
    pages = [r["page_id"] for r in run_sql(settings, f"SELECT page_id FROM {db}.pages FINAL")]
    platforms = [
        r["p"]
        for r in run_sql(settings, f"SELECT DISTINCT toString(platform) AS p FROM {db}.pages FINAL")
    ]
    if at is None:  # the newest event time: "now" for a live stack, the replay's end otherwise
        latest = run_sql(settings, f"SELECT toString(max(occurred_at)) AS t FROM {db}.events")
        at = parse_utc(latest[0]["t"])
    start = at - timedelta(hours=hours)
    interval = max(3600, hours * 3600 // 48)
    panels = {p.title: p for p in DUTY.panels}
    fig, axes = plt.subplots(2, 2, figsize=(15, 9))
    fig.suptitle(
        f"SoMe Pulse — duty board, {start:%Y-%m-%d %H:%M} to {at:%Y-%m-%d %H:%M} UTC", fontsize=14
    )
    for ax, title in zip(axes.flat, PANELS, strict=True):
        panel = panels[title]
        ax.set_title(title)
        for target in panel.targets:
            assert isinstance(target, SqlTarget)
            window = start - timedelta(days=7) if title == "Reach per day" else start
            rows = _query(settings, target, window, at, interval, pages, platforms)
            if target.format == "table":
                labels = [r["page_id"] for r in rows]
                ax.barh(labels, [r["open"] for r in rows], color="tab:red")
                ax.set_xlabel("unanswered questions")
                continue
            series: dict[str, list[tuple[datetime, float]]] = {}
            for r in rows:
                when = datetime.fromisoformat(str(r["time"]).replace(" ", "T"))
                for key, value in r.items():
                    if key in ("time", "platform"):
                        continue
                    name = r.get("platform", key) if "platform" in r else key
                    series.setdefault(str(name), []).append((when, float(value)))
            for name, points in series.items():
                points.sort()
                ax.plot(
                    [p[0] for p in points],
                    [p[1] for p in points],
                    label=name,
                    linestyle="--" if "last" in name else "-",
                )
        if panel.kind != "table" and ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
            ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out


def parse_at(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)
