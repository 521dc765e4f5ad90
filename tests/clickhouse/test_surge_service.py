"""The surge service's decisions reach ``surge_verdicts`` (what Grafana's rules read):
in batches while it runs, and the rest when the worker stops."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from somepulse.alerts.detector import load_alert_config
from somepulse.alerts.service import SurgeService
from somepulse.store import Store


def verdict(bucket: int, firing: bool) -> dict[str, object]:
    return {"page_id": "nav.foreldrepenger", "platform": "facebook", "rule": "questions",
            "bucket": bucket, "observed": 412.0, "expected": 170.0, "ratio": 412 / 170,
            "p_value": 1e-9, "dispersion": 1.4, "condition": True, "firing": firing}  # fmt: skip


def test_decisions_not_yet_flushed_are_stored_at_stop(store: Store) -> None:
    with ThreadPoolExecutor(1) as pool:
        service = SurgeService(load_alert_config(), store, pool, "http://grafana/d/x")
        assert service.detector.verdicts is not None
        service.detector.verdicts += [verdict(1584007200, False), verdict(1584010800, True)]
        asyncio.run(service.flush_verdicts())  # fewer than 5,000 and within 10 s: waits
        db = store.database
        count = f"SELECT count() AS n FROM {db}.surge_verdicts"
        assert store.query(count)[0]["n"] == 0
    service.close()
    rows = store.query(
        f"SELECT toString(bucket) AS b, firing FROM {db}.surge_verdicts FINAL ORDER BY bucket"
    )
    assert [(r["b"], bool(r["firing"])) for r in rows] == [
        ("2020-03-12 10:00:00", False),
        ("2020-03-12 11:00:00", True),
    ]
    service.close()  # nothing left: nothing written twice
    assert store.query(count)[0]["n"] == 2
