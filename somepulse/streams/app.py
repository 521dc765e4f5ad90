"""Creates the Faust app and nothing else (Faust's own layout advice)."""

from __future__ import annotations

import aiokafka
import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types.auth import SASLMechanism

from somepulse.settings import Settings


def credentials(settings: Settings) -> faust.SASLCredentials | None:
    """The worker's Kafka user (deployed brokers admit only authenticated clients)."""
    options = settings.kafka_client_options()
    if not options:
        return None
    return faust.SASLCredentials(
        username=options["sasl_plain_username"],
        password=options["sasl_plain_password"],
        mechanism=SASLMechanism(options["sasl_mechanism"]),
        ssl_context=options.get("ssl_context"),
    )


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(
        self, transport: faust_aiokafka.Transport
    ) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        wait = transport.fetch_max_wait if isinstance(transport, _Transport) else None
        if wait is not None:
            # Faust passes a fixed 1.5 s to aiokafka, which keeps it here until start()
            if not isinstance(getattr(consumer, "_fetch_max_wait_ms", None), int):
                raise RuntimeError("aiokafka changed: cannot set the fetch wait")
            consumer._fetch_max_wait_ms = int(wait * 1000)
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(faust_aiokafka.Transport):
    """Faust's aiokafka transport with the fetch wait the broker needs: Faust fixes it
    at 1.5 s, and Tansu holds a fetch for about half its wait even when events arrive
    (measured: ~390 ms median delivery at 1.5 s, ~30 ms at 0.1 s)."""

    Consumer = _Consumer
    fetch_max_wait: float | None = None  # seconds; None: Faust's


def create_app(settings: Settings, bootstrap: str) -> faust.App:
    app = faust.App(
        settings.consumer_group,
        broker=f"kafka://{bootstrap}",
        broker_credentials=credentials(settings),
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
        # Faust buffers up to 4 096 messages by default: of 250 events (~60 kB) each,
        # that is ~250 MB waiting in the worker. With Faust's 1.5 s fetch wait on the
        # embedded broker, two batches starved the agent while the consumer fetched
        # again, and eight kept it fed. With the 0.1 s wait (_Transport) two no longer
        # starve it (bench, two runs each: 8 batches 30 500 - 30 600 events/s, peak
        # 613 - 693 MB; 4: 31 100 - 31 400, 610 - 634 MB; 2: 30 000 - 32 300, 591 -
        # 637 MB), and hold ~25 MB of messages instead of ~100 MB.
        stream_buffer_maxsize=2 * settings.worker_batch_max_messages,
    )
    transport = _Transport(app.conf.broker_consumer, app)
    transport.fetch_max_wait = settings.broker_fetch_max_wait
    app.transport = transport
    return app
