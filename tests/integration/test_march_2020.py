"""Scenario level: the monthly views reproduce the generator's March 2020 surge."""

from __future__ import annotations

from datetime import date

import pytest

from somepulse.settings import Settings
from somepulse.tools.stack import Stack

from .conftest import publish_scenario, sql, wait_for

pytestmark = pytest.mark.integration


def test_march_2020_against_march_2019_in_the_monthly_view(
    stack: Stack, settings: Settings
) -> None:
    g19 = publish_scenario(stack, settings, date(2019, 2, 20), date(2019, 3, 31), seed=3)
    g20 = publish_scenario(stack, settings, date(2020, 2, 20), date(2020, 3, 31), seed=3)
    stack.wait_stored(g19.truth.events + g20.truth.events, timeout=300)
    rows = {
        (r["page_id"], r["m"]): r
        for r in sql(
            stack,
            """
        SELECT page_id, toString(month) AS m, questions, reach FROM somepulse.v_page_monthly
        WHERE toMonth(month) = 3""",
        )
    }
    for page in ("nav.foreldrepenger", "nav.jobblyst"):
        march19, march20 = rows[(page, "2019-03-01")], rows[(page, "2020-03-01")]
        # exactly the generator's counts (local months) and reach (latest snapshots)
        assert int(march19["questions"]) == g19.truth.questions_monthly_local[page]["2019-03"]
        assert int(march20["questions"]) == g20.truth.questions_monthly_local[page]["2020-03"]
        assert int(march19["reach"]) == g19.truth.reach_monthly()[page]["2019-03"]
        assert int(march20["reach"]) == g20.truth.reach_monthly()[page]["2020-03"]
        # and the surge the generator was told to make: +50 % (Poisson noise allowed)
        assert int(march20["reach"]) / int(march19["reach"]) == pytest.approx(1.5, abs=0.08)
        assert int(march20["questions"]) / int(march19["questions"]) == pytest.approx(
            1.5, abs=0.25 if page == "nav.jobblyst" else 0.1
        )

    # the worker's surge agent caught it, in the stream, and recorded the alerts (reach
    # needs three reported days in a row: its alert is at 15 March's, questions' earlier)
    expected = {
        ("nav.foreldrepenger", "questions"),
        ("nav.foreldrepenger", "reach"),
        ("nav.jobblyst", "reach"),
    }

    def fired() -> set[tuple[str, str]]:
        return {
            (r["page_id"], r["rule"])
            for r in sql(
                stack,
                """
            SELECT page_id, toString(rule) AS rule FROM somepulse.alerts
            WHERE state = 'firing' AND at >= '2020-03-12' AND at < '2020-03-15 12:00:00'""",
            )
        }

    wait_for(lambda: expected <= fired(), 60, "the March 2020 surge alerts")
