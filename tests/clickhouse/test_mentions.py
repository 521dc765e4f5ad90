"""Mentions by others, counted per page and the page's local day. Hand-worked."""

from __future__ import annotations

import pytest

from somepulse.schemas import EVENT_ADAPTER, row_json
from somepulse.store import Store
from tests.helpers import person

pytestmark = pytest.mark.clickhouse


def test_mentions_per_local_day_with_authors_and_how_found(store: Store) -> None:
    rows = []
    for n, (utc, via, who) in enumerate(
        (
            ("2020-03-12T10:00:00Z", "tag", "kari"),
            ("2020-03-12T22:30:00Z", "hashtag", "kari"),  # 23:30 in Oslo: still the 12th
            ("2020-03-12T23:30:00Z", "mention", "ola"),  # 00:30 in Oslo: the 13th
            ("2020-03-12T23:30:00Z", "mention", "ola"),  # delivered twice: one mention
        )
    ):
        event = {
            "kind": "mention",
            "event_id": f"mn{min(n, 2)}",
            "platform": "facebook",
            "page_id": "nav.foreldrepenger",
            "occurred_at": utc,
            "mention_id": f"post{min(n, 2)}",
            "via": via,
            "actor_id": person(who),
        }
        rows.append(row_json(EVENT_ADAPTER.validate_python(event), 0, n))
    store.insert("events", b"\n".join(rows))
    daily = store.query(
        "SELECT toString(day) AS d, mentions, authors, tags, at_mentions, tracked "
        "FROM somepulse.v_mentions_daily ORDER BY d"
    )
    assert daily == [
        {"d": "2020-03-12", "mentions": 2, "authors": 1, "tags": 1, "at_mentions": 0, "tracked": 1},
        {"d": "2020-03-13", "mentions": 1, "authors": 1, "tags": 0, "at_mentions": 1, "tracked": 0},
    ]
