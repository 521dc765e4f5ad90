"""Dashboards as code: built JSON is current, provisioning is consistent, and every
ClickHouse panel's SQL runs on chDB with the scenario and returns what the panel needs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml  # type: ignore[import-untyped]

from somepulse.collectors.scenario.generator import ScenarioGenerator
from somepulse.collectors.scenario.profiles import PAGES
from somepulse.dashboards.boards import BOARDS, VARIABLES
from somepulse.dashboards.build import OUT_DIR, render
from somepulse.dashboards.builder import PromTarget, SqlTarget, with_database
from somepulse.dashboards.macros import expand
from somepulse.schemas import EVENT_ADAPTER, row_json
from somepulse.settings import Settings
from somepulse.store import Store, open_prepared_store
from somepulse.telemetry import WorkerMetrics
from tests.helpers import scrubbed

ROOT = Path(__file__).resolve().parents[2]
PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"


def test_built_dashboards_are_current() -> None:
    on_disk = {p.name: p.read_text() for p in (ROOT / OUT_DIR).glob("*.json")}
    assert on_disk == render(), "run `somepulse grafana build`"


def test_provisioning_is_consistent() -> None:
    sources = yaml.safe_load((PROVISIONING / "datasources" / "somepulse.yaml").read_text())
    uids = {d["uid"] for d in sources["datasources"]}
    assert {d["type"] for d in sources["datasources"]} == {
        "grafana-clickhouse-datasource",
        "prometheus",
    }
    for board in BOARDS:
        for panel in board.to_json()["panels"]:
            if panel["type"] == "text":  # the runbook: no data source
                continue
            assert panel["datasource"]["uid"] in uids, panel["title"]
            for target in panel["targets"]:
                assert target["datasource"]["uid"] in uids
    providers = yaml.safe_load((PROVISIONING / "dashboards" / "somepulse.yaml").read_text())
    assert providers["providers"][0]["folder"] == "SoMe Pulse"
    alerting = yaml.safe_load((PROVISIONING / "alerting" / "somepulse.yaml").read_text())
    for rule in alerting["groups"][0]["rules"]:
        assert rule["data"][0]["datasourceUid"] in uids


def test_health_panels_use_metrics_the_worker_exports() -> None:
    names = {m.name for m in WorkerMetrics().registry.collect()}
    exported = names | {f"{n}{suffix}" for n in names for suffix in ("_total", "_bucket", "_info")}
    for board in BOARDS:
        for panel in board.panels:
            for target in panel.targets:
                if isinstance(target, PromTarget):
                    used = {
                        w
                        for w in target.expr.translate(str.maketrans("()[]", "    ")).split()
                        if w.startswith("somepulse_")
                    }
                    assert used <= exported, (panel.title, used - exported)


@pytest.fixture(scope="module")
def scenario_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = open_prepared_store(Settings(data_dir=tmp_path_factory.mktemp("boards")))  # type: ignore[call-arg]
    rows = [
        row_json(EVENT_ADAPTER.validate_python(scrubbed(e)), 0, 0)
        for e in ScenarioGenerator(date(2019, 3, 1), date(2020, 3, 20), seed=1, pages=PAGES[:2])
    ]
    for start in range(0, len(rows), 100_000):
        store.insert("events", b"\n".join(rows[start : start + 100_000]))
    store.insert(
        "alerts",
        orjson.dumps(
            {
                "alert_id": "nav.foreldrepenger/facebook/questions/1",
                "state": "firing",
                "at": "2020-03-12T22:00:00+00:00",
                "decided_at": "2020-03-12T22:00:01+00:00",
                "page_id": "nav.foreldrepenger",
                "platform": "facebook",
                "rule": "questions",
                "metric": "questions",
                "severity": "warning",
                "observed": 67,
                "baseline": 42,
                "ratio": 1.6,
                "p_value": 0.0001,
                "summary": "incoming questions at 67",
            }
        ),
    )
    yield store
    store.close()


RANGES = {
    "somepulse-duty": (datetime(2020, 3, 12, tzinfo=UTC), datetime(2020, 3, 19, 12, tzinfo=UTC)),
    "somepulse-analyst": (datetime(2019, 3, 1, tzinfo=UTC), datetime(2020, 3, 20, tzinfo=UTC)),
}
CASES = [
    (b.uid, p.title, i, t)
    for b in BOARDS
    if b.uid in RANGES
    for p in b.panels
    for i, t in enumerate(p.targets)
] + [
    (b.uid, "annotations", i, a)
    for b in BOARDS
    if b.uid in RANGES
    for i, a in enumerate(b.annotations)
]


@pytest.mark.clickhouse
@pytest.mark.parametrize(
    ("uid", "title", "index", "target"), CASES, ids=[f"{c[0]}:{c[1]}:{c[2]}" for c in CASES]
)
def test_every_panel_query_returns_rows(
    scenario_store: Store, uid: str, title: str, index: int, target: SqlTarget
) -> None:
    start, end = RANGES[uid]
    sql = expand(
        with_database(target.sql, "somepulse"),
        start,
        end,
        3600,
        {"page": ["nav.foreldrepenger", "nav.jobblyst"], "platform": ["facebook"]},
    )
    rows = scenario_store.query(sql)
    assert rows, f"{title}: no rows"
    if target.format == "time_series":
        assert "time" in rows[0]
        assert any(isinstance(v, int | float) for k, v in rows[0].items() if k != "time")
    json.dumps(rows)  # what Grafana gets must be plain JSON


DUTY_BOARD = next(b for b in BOARDS if b.uid == "somepulse-duty")


def test_the_duty_board_filters_every_panel_by_page_and_platform() -> None:
    for panel in DUTY_BOARD.panels:
        for target in panel.targets:
            assert isinstance(target, SqlTarget)
            assert "${page:singlequote}" in target.sql, panel.title
            assert "${platform:singlequote}" in target.sql, panel.title
    assert DUTY_BOARD.refresh == "30s"


def test_the_duty_board_shows_units_and_red() -> None:
    """Every number has a unit; the reply promise, the queue's age and the surge ratio
    have thresholds that turn red (Grafana's fieldConfig, as the JSON model documents)."""
    doc = DUTY_BOARD.to_json()
    coloured = set()
    for panel in doc["panels"]:
        defaults = panel["fieldConfig"]["defaults"]
        units = [
            p["value"]
            for o in panel["fieldConfig"]["overrides"]
            for p in o["properties"]
            if p["id"] == "unit"
        ]
        assert defaults.get("unit") or units, panel["title"]
        for override in panel["fieldConfig"]["overrides"]:
            props = {p["id"]: p["value"] for p in override["properties"]}
            if "thresholds" in props:
                steps = props["thresholds"]["steps"]
                assert steps[0]["value"] is None and "red" in {s["color"] for s in steps}
                coloured.add(override["matcher"]["options"])
        if panel["type"] == "timeseries":
            # a hole over 12 h (no event at all) breaks the line; a quiet night does not
            assert defaults["custom"]["spanNulls"] is False
            assert defaults["custom"]["insertNulls"] == 12 * 3_600_000
    assert {"within_promise", "oldest_of_promise", "ratio"} <= coloured
    stat = next(p for p in doc["panels"] if p["type"] == "stat")
    assert stat["options"]["reduceOptions"] == {"values": False, "calcs": ["sum"], "fields": ""}


def panel_rows(store: Store, title: str, pages: list[str], end: datetime) -> list[dict[str, Any]]:
    panel = next(p for p in DUTY_BOARD.panels if p.title == title)
    target = panel.targets[0]
    assert isinstance(target, SqlTarget)
    sql = expand(
        with_database(target.sql, "somepulse"),
        end - timedelta(days=1),
        end,
        3600,
        {"page": pages, "platform": ["facebook"]},
    )
    return store.query(sql)


@pytest.mark.clickhouse
def test_the_follower_stat_sums_the_selected_pages(scenario_store: Store) -> None:
    end = datetime(2020, 3, 15, 12, tzinfo=UTC)
    title = "Follower change today (all selected pages)"
    pages = ["nav.foreldrepenger", "nav.jobblyst"]
    each = [panel_rows(scenario_store, title, [p], end)[0]["change"] for p in pages]
    both = panel_rows(scenario_store, title, pages, end)
    assert len(both) == 1 and both[0]["change"] == sum(each)
    assert all(c != 0 for c in each)  # both pages moved: a last-row stat would show one
    # from the generator's own follower counts per local day (its ground truth): the
    # day the board calls today is 15 March in Oslo, and the change is since the 14th
    truth: dict[tuple[str, str], int] = {}
    for e in ScenarioGenerator(date(2020, 3, 13), date(2020, 3, 16), seed=1, pages=PAGES[:2]):
        if e.get("kind") == "metric_snapshot" and e.get("metric") == "page_fans":
            truth[(e["page_id"], e["day"])] = int(e["value"])
        elif e.get("kind") == "follower_snapshot":
            truth[(e["page_id"], str(e["occurred_at"])[:10])] = int(e["followers"])
    for page, change in zip(pages, each, strict=True):
        assert change == truth[(page, "2020-03-15")] - truth[(page, "2020-03-14")], page


@pytest.mark.clickhouse
def test_response_time_today_is_the_pages_own_day(scenario_store: Store) -> None:
    """At 00:30 Oslo time (23:30 UTC the day before) "today" has just begun for an
    Oslo page: nothing answered yet, where a UTC day would show the whole previous day."""
    title = "Response time today against the promise (office minutes)"
    just_after_midnight = datetime(2020, 3, 11, 23, 30, tzinfo=UTC)  # 00:30 CET
    rows = panel_rows(scenario_store, title, ["nav.foreldrepenger"], just_after_midnight)
    assert rows == [] or rows[0]["answered"] == 0
    afternoon = datetime(2020, 3, 12, 15, tzinfo=UTC)
    rows = panel_rows(scenario_store, title, ["nav.foreldrepenger"], afternoon)
    assert rows and rows[0]["answered"] > 0


# a parameterised view's call, ``name_since(since = <expression with a call or two>)``
SINCE = re.compile(r"_since\(since = (?:[^()]|\([^()]*\))*\)")
WINDOWED = [
    (b.uid, p.title, t)
    for b in BOARDS
    for p in b.panels
    for t in p.targets
    if isinstance(t, SqlTarget) and SINCE.search(t.sql)
]
MOMENTS = {  # (from, to) a board is looked at
    "somepulse-duty": [
        (datetime(2020, 3, 18, 12, tzinfo=UTC), datetime(2020, 3, 19, 12, tzinfo=UTC)),
        (datetime(2020, 3, 11, 15, tzinfo=UTC), datetime(2020, 3, 12, 15, tzinfo=UTC)),
    ],
    "somepulse-analyst": [(datetime(2019, 10, 15, tzinfo=UTC), datetime(2020, 3, 20, tzinfo=UTC))],
}


@pytest.mark.clickhouse
@pytest.mark.parametrize(("uid", "title", "target"), WINDOWED, ids=[w[1] for w in WINDOWED])
def test_windowed_panels_answer_as_the_whole_history(
    scenario_store: Store, uid: str, title: str, target: SqlTarget
) -> None:
    """The boards' question and league panels read the weeks or quarters they show
    (``*_since`` views, not years of history every 30 s): their rows equal the same
    query over the whole history's view."""
    whole = SINCE.sub("", target.sql)
    variables = {"page": ["nav.foreldrepenger", "nav.jobblyst"], "platform": ["facebook"]}
    for start, end in MOMENTS[uid]:
        got, want = (
            scenario_store.query(expand(sql, start, end, 3600, variables))
            for sql in (with_database(target.sql, "somepulse"), with_database(whole, "somepulse"))
        )
        assert want, (title, end)
        assert got == want, (title, end)


@pytest.mark.clickhouse
def test_the_platform_choice_offers_the_pages_inboxes(scenario_store: Store) -> None:
    """Grafana's "All" is the variable's listed values: a Facebook page's private
    messages come as Messenger's, so Messenger must be listed or the open questions
    panel leaves the inbox out (pages.toml gives its pages Messenger accounts)."""
    (platform,) = [v for v in VARIABLES if v.name == "platform"]
    listed = [r["p"] for r in scenario_store.query(with_database(platform.sql, "somepulse"))]
    assert "facebook" in listed and "messenger" in listed
    assert len(listed) == len(set(listed))


def test_the_question_panels_are_windowed() -> None:
    assert {w[1] for w in WINDOWED} == {
        "Open questions (asked in the last 7 days)",
        "Response time today against the promise (office minutes)",
        "Response time per month (median office minutes)",
        "League table per quarter",
    }
