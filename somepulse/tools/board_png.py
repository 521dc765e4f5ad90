"""``somepulse board --png``: the duty board's main panels, from the same SQL as the
Grafana board (macros expanded like the plugin), drawn with matplotlib — for the README
and for people without Grafana at hand.

Drawn honestly: the time axis is exactly the requested window (not whatever the data
covers), buckets without events are zeros up to 12 h and a gap beyond (nothing at all:
no data, and a line drawn across it would invent values), a missing day of reach is a
gap, the surge alerts that fired in the window are marked on every chart, and the
open-questions bars take the board's colours against each page's reply promise."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from somepulse.dashboards.boards import AGAINST_PROMISE, DUTY
from somepulse.dashboards.builder import NO_DATA_MS, Panel, SqlTarget, Steps, with_database
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


Point = tuple[datetime, float]
# no event at all for this long (all selected pages, every kind): no data, not a quiet
# spell — the board breaks the line (the same threshold as the Grafana panels' insertNulls)
NO_DATA_AFTER = timedelta(milliseconds=NO_DATA_MS)


def with_gaps(
    points: list[Point], step: timedelta, zero_up_to: timedelta = timedelta(0)
) -> list[Point]:
    """The points in time order, holes filled honestly: a count series has a row only
    for buckets with events, so a hole up to ``zero_up_to`` long is buckets with none
    (zeros: a quiet night); a longer one is no data at all (a collector down), and a NaN
    there breaks the line instead of drawing across it. Reported daily figures
    (``zero_up_to`` 0) break at any missing day."""
    out: list[Point] = []
    for when, value in sorted(points):
        if out and when - out[-1][0] > step:
            hole_start = out[-1][0] + step
            if when - hole_start <= zero_up_to:
                t = hole_start
                while t < when:
                    out.append((t, 0.0))
                    t += step
            else:
                out.append((hole_start, math.nan))
        out.append((when, value))
    return out


def colour(value: float, steps: Steps) -> str:
    """The colour of the threshold step ``value`` falls in (as Grafana picks it)."""
    chosen = steps[0][1]
    for start, name in steps[1:]:
        if start is not None and value >= start:
            chosen = name
    return chosen


def render_board(settings: Settings, out: Path, at: datetime | None, hours: int) -> Path:
    try:
        import matplotlib
    except ImportError as exc:  # an extra: servers do not draw
        raise ValueError("board --png needs matplotlib: pip install 'somepulse[board]'") from exc

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
    panels = {p.title: p for p in DUTY.panels if isinstance(p, Panel)}
    fired = [
        parse_utc(str(r["time"]))
        for r in _query(settings, DUTY.annotations[0], start, at, interval, pages, platforms)
        if str(r["text"]).startswith("FIRING")
    ]
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
                colours = [colour(float(r["oldest_of_promise"]), AGAINST_PROMISE) for r in rows]
                ax.barh(labels, [r["open"] for r in rows], color=colours)
                ax.set_xlabel("unanswered questions (colour: oldest against the reply promise)")
                continue
            daily = title == "Reach per day"
            step = timedelta(days=1) if daily else timedelta(seconds=interval)
            zero_up_to = timedelta(0) if daily else NO_DATA_AFTER
            series: dict[str, list[tuple[datetime, float]]] = {}
            for r in rows:
                when = datetime.fromisoformat(str(r["time"]).replace(" ", "T"))
                for key, value in r.items():
                    if key in ("time", "platform"):
                        continue
                    name = r.get("platform", key) if "platform" in r else key
                    series.setdefault(str(name), []).append((when, float(value)))
            for name, raw in series.items():
                points = with_gaps(raw, step, zero_up_to)
                ax.plot(
                    [p[0] for p in points],
                    [p[1] for p in points],
                    label=name,
                    linestyle="--" if "last" in name else "-",
                )
        if panel.kind != "table":
            ax.set_xlim(start, at)
            for i, when in enumerate(fired):
                ax.axvline(when, color="red", alpha=0.5, label="surge alert" if i == 0 else None)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=8)
            ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out


def parse_at(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)
