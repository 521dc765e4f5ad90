"""The demo's March table compares reach like with like: a series break is named, not
turned into a percentage."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from somepulse.tools.demo import monthly_tables


def row(page: str, month: str, questions: int, reach: int, series: list[str]) -> dict[str, Any]:
    return {"page_id": page, "m": month, "posts": 1, "engagement": 1, "comments": 1,
            "questions": questions, "reach": reach, "reach_series_set": series}  # fmt: skip


def test_a_series_break_is_named_and_a_bridge_is_compared() -> None:
    rows = [
        row("a", "2019-03-01", 100, 1000, ["facebook.page.reach"]),
        row("a", "2020-03-01", 150, 1500, ["facebook.page.reach"]),
        row("b", "2019-03-01", 100, 1000, ["facebook.page.reach"]),
        row("b", "2020-03-01", 150, 1800, ["facebook.page.media_viewers"]),
        row("c", "2019-03-01", 20, 0, []),  # Bluesky: no reach exists there
        row("c", "2020-03-01", 30, 0, []),
    ]
    out = io.StringIO()
    Console(file=out, width=250, color_system=None).print(monthly_tables(rows)[-1])
    lines = {line.split("│")[1].strip(): line for line in out.getvalue().splitlines()
             if line.count("│") > 2}  # fmt: skip
    assert "+50 %" in lines["a"] and "series break" not in lines["a"]
    assert "series break: facebook.page.reach → facebook.page.media_viewers" in lines["b"]
    assert lines["b"].count("+50 %") == 1  # questions still compare; reach does not
    cells = [c.strip() for c in lines["c"].split("│")[1:-1]]
    assert cells == ["c", "20", "30", "+50 %", "—", "—", "not reported"]
