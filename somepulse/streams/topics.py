"""Create the project's topics explicitly with their final partition counts.

The embedded broker cannot add partitions later and forgets everything on restart,
and auto-created topics would get one partition: so topics are declared here, once,
before any producer or consumer starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from somepulse.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int


def topic_specs(settings: Settings) -> list[TopicSpec]:
    return [
        TopicSpec(settings.events_topic, settings.topic_partitions),
        TopicSpec(settings.dlq_topic, 1),
        TopicSpec(settings.alerts_topic, 1),
    ]


async def ensure_topics(bootstrap: str, settings: Settings, timeout: float = 30.0) -> None:
    """Create missing topics; warn when an existing one has other partition counts."""
    deadline = asyncio.get_running_loop().time() + timeout
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    while True:
        try:
            await admin.start()
            break
        except KafkaConnectionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)
    try:
        existing = set(await admin.list_topics())
        wanted = topic_specs(settings)
        new = [
            NewTopic(spec.name, num_partitions=spec.partitions, replication_factor=1)
            for spec in wanted
            if spec.name not in existing
        ]
        if new:
            # a concurrent starter may win the race; it creates the same specs
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
        described = await admin.describe_topics([s.name for s in wanted])
        for spec, info in zip(wanted, described, strict=True):
            got = len(info.get("partitions", []))
            if got != spec.partitions:
                log.warning(
                    "topic %s has %d partitions, expected %d", spec.name, got, spec.partitions
                )
    finally:
        await admin.close()
