"""The worker refuses to put the embedded store's SQL on a network interface."""

from __future__ import annotations

from pathlib import Path

import pytest

from somepulse.service.worker import WorkerConfigError, run_worker
from somepulse.settings import Settings


def test_embedded_store_with_a_public_bind_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, worker_bind="0.0.0.0")  # type: ignore[call-arg]
    with pytest.raises(WorkerConfigError, match="must be loopback"):
        run_worker(settings)
    assert not list(tmp_path.iterdir())  # refused before starting or writing anything


def test_replicated_topics_need_two_copies_of_each_write() -> None:
    from somepulse.streams.topics import topic_specs

    one = topic_specs(Settings(topic_replication_factor=1))  # type: ignore[call-arg]
    three = topic_specs(Settings(topic_replication_factor=3))  # type: ignore[call-arg]
    assert all(s.replicas == 1 and "min.insync.replicas" not in s.configs for s in one)
    assert all(s.replicas == 3 and s.configs["min.insync.replicas"] == "2" for s in three)
