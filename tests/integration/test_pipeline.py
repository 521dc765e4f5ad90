"""Collectors -> Kafka (Tansu) -> Faust worker -> ClickHouse (chDB), compared with the
generator's ground truth."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from somepulse.settings import Settings
from somepulse.tools.stack import Stack

from .conftest import assert_stored_days, publish_scenario, sql, sql_cli, truth_daily, wait_for

pytestmark = pytest.mark.integration


def test_stored_counts_equal_ground_truth(stack: Stack, settings: Settings) -> None:
    gen = publish_scenario(stack, settings, date(2019, 3, 1), date(2019, 3, 14), scale=0.5)
    stats = stack.wait_stored(gen.truth.events)
    assert stats.dead_letters == 0
    assert_stored_days(stack, truth_daily(gen))

    # the per-minute rollup agrees with the generator, per page and interaction type
    expected: Counter[tuple[str, str]] = Counter()
    for page, days in gen.truth.daily.items():
        expected[(page, "interactions")] += sum(k.get("interaction", 0) for k in days.values())
    rollup = sql(
        stack,
        "SELECT page_id, sum(reactions + comments + replies + shares + clicks "
        "+ views) AS n FROM somepulse.v_engagement_1m GROUP BY page_id",
    )
    assert {(r["page_id"], "interactions"): int(r["n"]) for r in rollup} == dict(expected)


def test_people_are_pseudonymous_and_citizen_text_is_not_stored(
    stack: Stack,
    settings: Settings,
) -> None:
    gen = publish_scenario(stack, settings, date(2019, 3, 4), date(2019, 3, 5), scale=0.5)
    stack.wait_stored(gen.truth.events)
    row = sql(
        stack,
        """
        SELECT countIf(NOT match(actor_id, '^(p2_[0-9a-f]{8}_[0-9a-f]{32})?$')
                       OR NOT match(thread_id, '^(p2_[0-9a-f]{8}_[0-9a-f]{32})?$')) AS raw_ids,
               countIf(actor_id LIKE 'p2_%') AS pseudonyms,
               countIf(text != '' AND kind IN ('interaction', 'private_message')) AS texts,
               countIf(text != '' AND kind = 'post_published') AS post_texts
        FROM somepulse.events""",
    )[0]
    assert row["raw_ids"] == 0 and row["texts"] == 0
    assert row["pseudonyms"] > 0 and row["post_texts"] > 0


def test_sql_command_goes_through_the_running_worker(stack: Stack, settings: Settings) -> None:
    """chDB lets one process own the directory: while the worker runs, `somepulse sql`
    must ask the worker's loopback endpoint instead of opening chDB itself."""

    gen = publish_scenario(stack, settings, date(2019, 3, 4), date(2019, 3, 4), scale=0.3)
    stack.wait_stored(gen.truth.events)
    rows = sql_cli(settings, "SELECT count() AS n FROM somepulse.events FINAL")
    assert rows == [{"n": gen.truth.events}]


def test_worker_serves_prometheus_metrics(stack: Stack, settings: Settings) -> None:
    import urllib.request

    gen = publish_scenario(stack, settings, date(2019, 3, 4), date(2019, 3, 4), scale=0.3)
    stack.wait_stored(gen.truth.events)
    with urllib.request.urlopen(f"{stack.worker_url}/metrics", timeout=10) as response:
        text = response.read().decode()
    samples = dict(
        line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    key = f'somepulse_events_consumed_total{{topic="{settings.events_topic}"}}'
    assert float(samples[key]) == gen.truth.events
    assert any(k.startswith("somepulse_consumer_lag_messages{") for k in samples)
    assert all(
        float(v) == 0
        for k, v in samples.items()
        if k.startswith("somepulse_consumer_lag_messages{")
    )
    # the detector's backlog: back to 0 once it has decided on all that was stored
    assert "somepulse_detector_backlog" in samples
    wait_for(lambda: stack.stats().surge_backlog == 0, 60, "the detector caught up")
    with urllib.request.urlopen(f"{stack.worker_url}/metrics", timeout=10) as response:
        after = response.read().decode().splitlines()
    assert "somepulse_detector_backlog 0.0" in after
