"""The backtest's scorecard, hand-worked: delay, pages per episode, resolution after the
end, and false pages per page per quarter."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from rich.console import Console

from somepulse.alerts.scoring import Fired, episode_table, false_table, score

T = datetime(2020, 3, 12, 8, tzinfo=UTC)
TRUTH = {
    "days": 91,
    "pages": {"big": {"size": "large"}, "calm": {"size": "large"}},
    "episodes": [{"page_id": "big", "rules": ["questions", "reach"], "what": "questions",
                  "factor": 1.5, "start": T.isoformat(),
                  "end": (T + timedelta(days=7)).isoformat(), "expect": "page"}],
}  # fmt: skip


def test_a_scorecard_by_hand() -> None:
    fired = [
        Fired("big", "questions", "warning", "firing", T + timedelta(hours=3)),
        Fired("big", "reach", "warning", "firing", T + timedelta(days=2)),  # same episode
        Fired("big", "comments", "info", "firing", T + timedelta(hours=1)),  # board only
        Fired("big", "questions", "warning", "resolved", T + timedelta(days=7, hours=10)),
        Fired("calm", "comment_burst", "critical", "firing", T + timedelta(days=30)),  # false
        Fired("big", "questions", "warning", "firing", T + timedelta(days=9)),  # after grace
    ]
    result = score(fired, TRUTH)
    (episode,) = result.episodes
    assert episode.delay == timedelta(hours=3)
    assert episode.pages == 2
    assert episode.resolved_after_end == timedelta(hours=10)
    per_quarter = (365.25 / 4) / 91  # one false page in 91 days
    assert result.false_per_quarter("calm") == pytest.approx(per_quarter)
    # the page two days after the end (beyond the day of grace) is false too
    assert result.false_per_quarter("big") == pytest.approx(per_quarter)
    rows = {r["rule"]: r for r in false_table([result])}
    assert rows["comment_burst"]["mean"] == pytest.approx(per_quarter / 2)
    assert rows["comment_burst"]["max"] == pytest.approx(per_quarter)
    assert rows["all rules"]["mean"] == pytest.approx(per_quarter)
    (kind,) = episode_table([result])
    assert (kind["missed"], kind["delay_median_h"], kind["pages_max"]) == (0, 3.0, 2)
    assert (kind["resolved_after_end_max_h"], kind["resolved_early"]) == (10.0, 0)
    # grouped by page, as Alertmanager does: the reach page joins the questions incident;
    # the late questions page joins the reach alert, still firing: no new incident
    assert episode.incidents == 1 and kind["incidents_max"] == 1
    assert +result.false_incidents == {"calm": 1}
    incidents = {r["size"]: r for r in false_table([result]) if r["rule"].startswith("incidents")}
    assert incidents["large"]["mean"] == pytest.approx(per_quarter / 2)


def test_any_paging_rule_on_an_episodes_series_detects_it() -> None:
    fired = [
        Fired("big", "questions_fast", "warning", "firing", T + timedelta(hours=5), "questions"),
        Fired("big", "comments", "info", "firing", T + timedelta(hours=1), "comments"),
        Fired("big", "questions", "warning", "firing", T + timedelta(hours=9), "questions"),
    ]
    (episode,) = score(fired, TRUTH).episodes
    assert episode.delay == timedelta(hours=5)
    assert (episode.pages, episode.incidents) == (2, 1)


def test_a_page_that_resolved_while_the_episode_went_on_is_counted() -> None:
    fired = [
        Fired("big", "questions", "warning", "firing", T + timedelta(hours=3)),
        Fired("big", "questions", "warning", "resolved", T + timedelta(days=4)),  # 3 days early
    ]
    (episode,) = score(fired, TRUTH).episodes
    assert episode.resolved_after_end == timedelta(days=-3)
    (kind,) = episode_table([score(fired, TRUTH)])
    assert (kind["resolved_after_end_max_h"], kind["resolved_early"]) == (-72.0, 1)


def test_backtest_command_replays_a_file_and_writes_its_findings(tmp_path: Path) -> None:
    from somepulse.alerts.detector import load_alert_config
    from somepulse.collectors.scenario.unkind import PAGES, UnkindScenario
    from somepulse.tools.backtest import run_backtest

    scenario = UnkindScenario(5, end=date(2019, 4, 30), pages=(PAGES[-1],))
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in scenario.events()))
    truth = tmp_path / "truth.json"
    truth.write_bytes(orjson.dumps(scenario.truth))
    out = tmp_path / "out.json"
    console = Console(file=io.StringIO(), width=160)
    assert run_backtest(load_alert_config(), [], events, truth, out, console) == 0
    doc = orjson.loads(out.read_bytes())
    lines = sum(1 for _ in events.open())
    assert f"{lines:,} events (0 refused)" in console.file.getvalue()  # type: ignore[attr-defined]
    assert doc["score"]["days"] == 120
    for t in doc["transitions"]:
        assert t["page_id"] == "large.surge" and t["state"] in ("firing", "resolved")
    with pytest.raises(FileNotFoundError, match="no such file"):
        run_backtest(load_alert_config(), [], tmp_path / "missing.jsonl", None, None, console)


def test_the_incident_closes_when_the_pages_last_paging_alert_resolves() -> None:
    end = T + timedelta(days=7)
    fired = [
        Fired("big", "questions", "warning", "firing", T + timedelta(hours=3)),
        Fired("big", "reach", "warning", "firing", T + timedelta(days=2)),
        Fired("big", "questions", "warning", "resolved", end + timedelta(hours=10)),
        Fired("big", "reach", "warning", "resolved", end + timedelta(hours=30)),
        # a false page later on: its incident is not the episode's
        Fired("big", "comment_burst", "critical", "firing", T + timedelta(days=40)),
        Fired("big", "comment_burst", "critical", "resolved", T + timedelta(days=40, hours=1)),
    ]
    (episode,) = score(fired, TRUTH).episodes
    assert episode.resolved_after_end == timedelta(hours=10)  # the first rule's
    assert episode.closed_after_end == timedelta(hours=30)  # what on-call sees
    (kind,) = episode_table([score(fired, TRUTH)])
    assert kind["closed_after_end_max_h"] == 30.0
    # closed early and opened again: the last incident of the episode sets its close
    early = [
        Fired("big", "questions", "warning", "firing", T + timedelta(hours=3)),
        Fired("big", "questions", "warning", "resolved", T + timedelta(days=3)),
        Fired("big", "questions", "warning", "firing", T + timedelta(days=4)),
        Fired("big", "questions", "warning", "resolved", end + timedelta(hours=20)),
    ]
    (episode,) = score(early, TRUTH).episodes
    assert (episode.incidents, episode.closed_after_end) == (2, timedelta(hours=20))
    assert episode.resolved_after_end == timedelta(days=-4)
