"""The metric catalogue is data with checks: a typo names its file and line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from somepulse.domain.measures import CatalogueError, current_metric, load_catalogue

ENTRY = """
[[metric]]
platform = "facebook"
scope = "page"
name = "{name}"
measure = "{measure}"
period = "day"
series = "{series}"
from = "2020-01-01"
definition = "d"
"""


def write(tmp_path: Path, *entries: dict[str, str]) -> Path:
    path = tmp_path / "metrics.toml"
    path.write_text("# catalogue\n" + "".join(ENTRY.format(**e) for e in entries))
    return path


def test_the_packaged_catalogue_loads_and_names_the_current_metric() -> None:
    catalogue = load_catalogue()
    assert current_metric(catalogue, "facebook", "page", "reach", date(2020, 3, 12)).name == (  # type: ignore[union-attr]
        "page_impressions_unique"
    )
    assert current_metric(catalogue, "facebook", "page", "reach", date(2026, 12, 1)).name == (  # type: ignore[union-attr]
        "page_total_media_view_unique"
    )
    assert current_metric(catalogue, "bluesky", "page", "reach", date(2026, 12, 1)) is None


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"name": "a", "measure": "likes", "series": "s"}], ":3: metric 'a': measure:"),
        (
            [{"name": "a", "measure": "reach", "series": "s"}] * 2,
            ":13: facebook/page/a appears twice",
        ),
        (
            [
                {"name": "a", "measure": "reach", "series": "s"},
                {"name": "b", "measure": "views", "series": "s"},
            ],
            "series 's' mixes a and b",
        ),
    ],
)
def test_mistakes_name_the_file_and_line(
    tmp_path: Path, entries: list[dict[str, str]], message: str
) -> None:
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(write(tmp_path, *entries))
