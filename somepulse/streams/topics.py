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
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from somepulse.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    retention_hours: int  # how long the broker keeps what it holds (retention.ms)
    replicas: int = 1

    @property
    def configs(self) -> dict[str, str]:
        configs = {"retention.ms": str(self.retention_hours * 3_600_000)}
        if self.replicas > 1:
            # with acks=all a write needs two copies: one broker may fail, none is lost
            configs["min.insync.replicas"] = str(min(2, self.replicas))
        return configs


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """Raw events are kept a week (enough to replay into a rebuilt store); dead letters,
    which may hold redacted copies of bad input, three days; alerts a month."""
    replicas = settings.topic_replication_factor
    return [
        TopicSpec(
            settings.events_topic,
            settings.topic_partitions,
            settings.events_topic_retention_hours,
            replicas,
        ),
        TopicSpec(settings.dlq_topic, 1, settings.dlq_topic_retention_hours, replicas),
        TopicSpec(settings.alerts_topic, 1, 24 * 30, replicas),
    ]


async def ensure_topics(bootstrap: str, settings: Settings, timeout: float = 30.0) -> None:
    """Create missing topics; warn when an existing one has other partition counts."""
    deadline = asyncio.get_running_loop().time() + timeout
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=10_000, **settings.kafka_client_options()
    )
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
            NewTopic(
                spec.name,
                num_partitions=spec.partitions,
                replication_factor=spec.replicas,
                topic_configs=spec.configs,
            )
            for spec in wanted
            if spec.name not in existing
        ]
        if new:
            # a concurrent starter may win the race; it creates the same specs
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
        await _keep_retention(admin, [s for s in wanted if s.name in existing])
        described = await admin.describe_topics([s.name for s in wanted])
        for spec, info in zip(wanted, described, strict=True):
            got = len(info.get("partitions", []))
            if got != spec.partitions:
                log.warning(
                    "topic %s has %d partitions, expected %d", spec.name, got, spec.partitions
                )
    finally:
        await admin.close()


async def _keep_retention(admin: AIOKafkaAdminClient, specs: list[TopicSpec]) -> None:
    """Existing topics get the configured retention too (a changed setting takes
    effect). A broker that cannot change it (the embedded one has no AlterConfigs; its
    topics live in memory and end with it) is named in the log, never fatal."""
    if not specs:
        return
    try:
        described = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, s.name) for s in specs]
        )
        current = {
            name: {entry[0]: entry[1] for entry in entries}
            for response in described
            for _code, _msg, _type, name, entries in response.resources
        }
        stale = [
            s
            for s in specs
            if current.get(s.name, {}).get("retention.ms") != s.configs["retention.ms"]
        ]
        if stale:
            await admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, s.name, s.configs) for s in stale]
            )
    except Exception as exc:  # a broker's refusal must not stop the worker
        log.warning("could not set topic retention (%s): %s", type(exc).__name__, exc)
