"""docs/sql.md: the column reference is the schema's (current, every column explained)
and every example query runs as written on the scenario's data and answers its
question with the generator's ground truth where it states one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from somepulse.collectors.scenario.generator import ScenarioGenerator
from somepulse.collectors.scenario.profiles import PAGES
from somepulse.schemas import EVENT_ADAPTER, row_json
from somepulse.settings import Settings
from somepulse.store import Store, open_prepared_store
from somepulse.store.readonly import check_read_only
from somepulse.tools.sql_doc import BEGIN, END, reference, spliced
from tests.helpers import scrubbed

pytestmark = pytest.mark.clickhouse
DOC = Path(__file__).resolve().parents[2] / "docs" / "sql.md"
EXAMPLES = re.findall(r"```sql\n(.*?)```", DOC.read_text(), re.S)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, ScenarioGenerator]]:
    store = open_prepared_store(Settings(data_dir=tmp_path_factory.mktemp("sqldoc")))  # type: ignore[call-arg]
    gen = ScenarioGenerator(date(2019, 2, 1), date(2020, 4, 30), seed=7, pages=PAGES[:2])
    rows = [row_json(EVENT_ADAPTER.validate_python(scrubbed(e)), 0, 0) for e in gen]
    for start in range(0, len(rows), 100_000):
        store.insert("events", b"\n".join(rows[start : start + 100_000]))
    yield store, gen
    store.close()


def test_the_column_reference_is_the_schemas(loaded: tuple[Store, ScenarioGenerator]) -> None:
    store, _ = loaded
    generated, unexplained = reference(store)
    assert unexplained == [], "add a COMMENT or a store/sql/glossary.toml entry"
    doc = DOC.read_text()
    assert doc == spliced(doc, generated), "run `python -m somepulse.tools.sql_doc`"
    assert doc.count(BEGIN) == doc.count(END) == 1
    for view in ("v_page_monthly", "v_league_table", "v_open_questions", "v_alerts_firing"):
        assert f"### `{view}`" in doc


def test_there_are_examples_for_the_seed_reports_measures() -> None:
    text = " ".join(EXAMPLES)
    for view in ("v_page_monthly", "v_league_table", "v_response_times_monthly", "v_top_posts",
                 "v_measure_yoy", "v_mentions_daily"):  # fmt: skip
        assert view in text
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("sql", EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))])
def test_every_example_runs_as_written(loaded: tuple[Store, ScenarioGenerator], sql: str) -> None:
    store, _ = loaded
    # as an analyst sends it (somepulse sql, /sql): it passes their SQL check, and runs
    store.query(check_read_only(sql))  # the alerts example may be empty: no worker ran


def test_the_march_growth_example_matches_the_ground_truth(
    loaded: tuple[Store, ScenarioGenerator],
) -> None:
    store, gen = loaded
    rows = store.query(EXAMPLES[0])
    monthly = gen.truth.questions_monthly_local  # page -> local "YYYY-MM" -> questions
    for row in rows:
        page = monthly[row["page_id"]]
        assert int(row["march_2019"]) == page["2019-03"]
        assert int(row["march_2020"]) == page["2020-03"]
    assert {r["page_id"] for r in rows} == {p.page_id for p in PAGES[:2]}
    # the March 2020 surge: questions up by at least half on the first page
    assert max(float(r["growth"]) for r in rows) >= 0.5
