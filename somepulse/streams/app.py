"""Creates the Faust app and nothing else (Faust's own layout advice)."""

from __future__ import annotations

import faust

from somepulse.settings import Settings


def create_app(settings: Settings, bootstrap: str) -> faust.App:
    return faust.App(
        settings.consumer_group,
        broker=f"kafka://{bootstrap}",
        store="memory://",
        # No changelog-backed tables: the embedded broker answers end offsets wrongly,
        # which breaks changelog recovery. State that matters lives in ClickHouse.
        processing_guarantee="at_least_once",
        producer_acks=-1,
        broker_session_timeout=settings.broker_session_timeout,
        broker_heartbeat_interval=settings.broker_heartbeat_interval,
        broker_commit_interval=1.0,
        consumer_auto_offset_reset="earliest",
        topic_disable_leader=True,
        topic_allow_declare=False,
        web_enabled=False,
        autodiscover=False,
        datadir=str(settings.data_dir / "faust"),
    )
