"""The one settings object. Nothing else in the project reads ``os.environ``.

Every field is configurable as ``SOMEPULSE_<FIELD>`` (upper case). The README's
configuration table is generated from this class (``somepulse config``) and a test
checks that it is current.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# Tansu answers a waiting fetch after about half of its wait even when events arrive
# in the meantime (Kafka answers at once). Measured with one aiokafka consumer, events
# every 50 ms: median delivery 390 ms at Faust's fixed 1.5 s wait, 150 ms at 0.5 s,
# 30 ms at 0.1 s. The worker's consumer waits 0.1 s on the embedded broker.
EMBEDDED_FETCH_MAX_WAIT = 0.1


class Settings(BaseSettings):
    """Configuration of collectors, worker, store and CLI."""

    model_config = SettingsConfigDict(
        env_prefix="SOMEPULSE_", frozen=True, extra="ignore", env_file=None
    )

    data_dir: Path = Field(
        Path("var"), description="Directory for chDB data, broker log, keys and reports."
    )
    config_dir: Path | None = Field(
        None,
        description="Directory with pages.toml, score.toml, alerts.toml (missing ones: packaged).",
    )
    kafka_bootstrap: str | None = Field(
        None,
        description="Kafka bootstrap servers. Unset: start the embedded Tansu broker.",
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="How clients reach Kafka (deployed: SASL_PLAINTEXT or SASL_SSL)."
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        "SCRAM-SHA-512", description="SASL mechanism when the protocol is SASL_*."
    )
    kafka_username: str | None = Field(None, description="Kafka SASL user (worker, collector).")
    kafka_password_file: Path | None = Field(
        None, description="File holding that user's Kafka password (a Docker secret)."
    )
    kafka_ca_file: Path | None = Field(
        None, description="CA bundle of the brokers' TLS certificates (SASL_SSL; default: system)."
    )
    events_topic: str = Field("somepulse.events.v1", description="Topic of all events.")
    dlq_topic: str = Field("somepulse.events.dlq.v1", description="Dead-letter topic.")
    alerts_topic: str = Field("somepulse.alerts.v1", description="Topic of surge alerts.")
    topic_partitions: int = Field(4, ge=1, description="Partitions of the events topic.")
    topic_replication_factor: int = Field(
        1,
        ge=1,
        description="Replicas of each topic the worker creates (3 on a 3-broker cluster; "
        "min.insync.replicas is then 2).",
    )
    consumer_group: str = Field(
        "somepulse-worker", description="Kafka consumer group / Faust app id."
    )
    broker_session_timeout: float = Field(
        6.0, gt=0, description="Consumer session timeout in seconds (group joins wait half)."
    )
    broker_heartbeat_interval: float = Field(1.0, gt=0, description="Consumer heartbeat, seconds.")
    broker_fetch_max_wait: float | None = Field(
        None,
        gt=0,
        le=30,
        description="Longest the worker's fetch waits for new events, seconds. Unset: 0.1 on "
        "the embedded broker (which answers a waiting fetch only after about half of this "
        "wait, even when events arrive), Faust's 1.5 on Apache Kafka (which answers at once).",
    )
    max_message_bytes: int = Field(
        1_048_576, ge=1024, description="Largest Kafka message accepted (the broker enforces none)."
    )

    clickhouse_url: str | None = Field(
        None,
        description="ClickHouse HTTP URL, e.g. http://clickhouse:8123. Unset: embedded chDB.",
    )
    clickhouse_user: str = Field("default", description="ClickHouse user (server mode).")
    clickhouse_password: SecretStr = Field(
        SecretStr(""), description="ClickHouse password (server mode)."
    )
    clickhouse_password_file: Path | None = Field(
        None, description="File holding the ClickHouse password (a Docker secret)."
    )
    clickhouse_ca_file: Path | None = Field(
        None, description="CA bundle of ClickHouse's TLS certificate (https://; default: certifi)."
    )
    clickhouse_database: str = Field("somepulse", description="Database holding all tables.")
    raw_retention_days: int = Field(
        730,
        ge=1,
        description="Days raw events are kept after ingestion (ClickHouse TTL).",
    )
    text_retention_days: int = Field(
        30,
        ge=1,
        description="Days citizens' text is kept when keep_message_text is on (a column TTL).",
    )
    events_topic_retention_hours: int = Field(
        168, ge=1, description="How long the broker keeps raw events (Kafka retention.ms)."
    )
    dlq_topic_retention_hours: int = Field(
        72, ge=1, description="How long the broker keeps dead letters (retention.ms)."
    )

    sql_max_execution_seconds: int = Field(
        60, ge=1, description="Longest an analyst's query may run (read-only connection)."
    )
    sql_max_result_rows: int = Field(
        1_000_000, ge=1, description="Most rows an analyst's query may return."
    )
    sql_max_result_bytes: int = Field(
        256_000_000, ge=1, description="Most bytes an analyst's query may return."
    )
    sql_max_memory_bytes: int = Field(
        2_000_000_000, ge=1, description="Most memory an analyst's query may use."
    )

    pseudonym_key_file: Path | None = Field(
        None,
        description="HMAC key file for people's ids (mode 0600; keep it outside data_dir, "
        "e.g. a Docker secret). Unset: data_dir/pseudonym.key, created on first use.",
    )
    pseudonym_secret: SecretStr | None = Field(
        None, description="The HMAC key itself (at least 32 bytes); prefer the key file."
    )
    keep_message_text: bool = Field(
        False, description="Carry citizens' comment/message text (off by default: privacy)."
    )

    # a 50,000-row INSERT held ~100 MB more of the worker's memory while it ran; at
    # 25,000 the bench's worker peaked ~200 MB lower and ran faster (README's figures)
    insert_max_rows: int = Field(25_000, ge=1, description="Most rows in one ClickHouse INSERT.")
    # under steady traffic a batch waits this long to fill: 0.25 s put the bench's p99
    # (publish -> queryable at 5,000 events/s) at 1.14-1.16 s, 0.1 s at 1.00 s; a burst
    # fills batches before it runs out either way
    worker_batch_max_seconds: float = Field(
        0.1, gt=0, description="Longest a message waits for its worker batch to fill."
    )
    # 200 messages = up to 50,000 events: a batch is processed on the event loop, and
    # at 1,000 a replay's batch held it ~5 s (heartbeats, /readyz waited) and put the
    # p99 right after a burst at 6 s; at 200 it is ~1 s and 1.1 s for 10 % less
    # throughput (somepulse bench, README)
    worker_batch_max_messages: int = Field(
        200, ge=1, description="Most Kafka messages in one worker batch."
    )
    # a batch's working set (events, rows, the insert) grows with its events, and a
    # message holds one event or 20,000 (200 messages of the bench's alert phase were
    # 95,000 events). 4 MiB is ~12,500 events of the bench. Its own memory's peak,
    # runs alternated with the same code at 8 MiB: 394-409 MB (four runs) against
    # 396-497 (mean 445, eight runs), at 30,600-34,500 events/s against 33,600-37,400;
    # 2 MiB cost a fifth of the throughput (28,000) and its peak was no lower. (16 MiB
    # had been 438-462 MB against 8 MiB's 373-379 in the burst, a release before.)
    worker_batch_max_bytes: int = Field(
        4_194_304,
        ge=1,
        description="Most bytes of messages in one worker batch (a larger message alone).",
    )
    collector_batch_events: int = Field(
        250, ge=1, description="Events of one page packed into one Kafka message."
    )
    collector_connect_timeout: float = Field(
        60.0, gt=0, description="Seconds a collector keeps retrying a broker that is not up."
    )
    ready_max_lag_messages: int = Field(
        10_000, ge=1, description="/readyz turns red when the lag stays above this many messages."
    )
    ready_lag_grace_seconds: float = Field(
        60.0, gt=0, description="How long the lag may stay above that before /readyz is red."
    )
    ready_stall_seconds: float = Field(
        60.0, gt=0, description="/readyz is red when messages wait and none is processed this long."
    )
    alertmanager_url: str | None = Field(
        None, description="Prometheus Alertmanager, e.g. http://alertmanager:9093. Unset: none."
    )
    alertmanager_token_file: Path | None = Field(
        None, description="Bearer token for an Alertmanager behind an authenticating proxy."
    )
    alertmanager_ca_file: Path | None = Field(
        None, description="CA bundle that signs the Alertmanager's TLS certificate."
    )
    board_url: str = Field(
        "http://localhost:3000/d/somepulse-duty",
        description="The duty board's URL, linked from every alert.",
    )
    grafana_token: SecretStr | None = Field(
        None, description="Grafana service account token for `grafana push` (never an argument)."
    )
    grafana_token_file: Path | None = Field(
        None, description="File holding that token (a Docker secret, mode 0600)."
    )
    meta_app_secret: SecretStr | None = Field(
        None, description="The Meta app's secret: checks each webhook's X-Hub-Signature-256."
    )
    meta_app_secret_file: Path | None = Field(None, description="File holding that secret.")
    meta_verify_token: SecretStr | None = Field(
        None, description="The verify token given to Meta when subscribing the webhook."
    )
    meta_verify_token_file: Path | None = Field(None, description="File holding that token.")
    meta_access_token: SecretStr | None = Field(
        None, description="A token that reads the pages' insights (a system user's)."
    )
    meta_access_token_file: Path | None = Field(None, description="File holding that token.")
    mastodon_token: SecretStr | None = Field(
        None, description="The Mastodon account's access token (read scopes)."
    )
    mastodon_token_file: Path | None = Field(None, description="File holding that token.")
    bluesky_app_password: SecretStr | None = Field(
        None, description="The Bluesky account's app password (Settings → App passwords)."
    )
    bluesky_app_password_file: Path | None = Field(None, description="File holding it.")
    bluesky_service: str = Field(
        "https://bsky.social", description="The account's PDS: sessions and notifications."
    )
    bluesky_jetstream: str = Field(
        "wss://jetstream2.us-east.bsky.network",
        description="The Jetstream instance that streams the account's own posts.",
    )
    youtube_api_key: SecretStr | None = Field(
        None, description="A YouTube Data API v3 key (Google Cloud console, read only)."
    )
    youtube_api_key_file: Path | None = Field(None, description="File holding that key.")
    youtube_api_url: str = Field(
        "https://www.googleapis.com/youtube/v3", description="The YouTube Data API."
    )
    youtube_daily_quota: int = Field(
        10_000, ge=1, description="The project's daily quota units (10,000 by default)."
    )
    meta_graph_url: str = Field(
        "https://graph.facebook.com/v25.0",
        description="The Graph API with its version (the pollers' base URL).",
    )
    webhook_max_bytes: int = Field(
        4 * 1024 * 1024,
        ge=1024,
        le=64 * 1024 * 1024,
        description="Largest webhook delivery accepted (a batch of 1,000 changes fits).",
    )
    webhook_ack_timeout: float = Field(
        10.0,
        gt=0,
        le=60,
        description="Seconds a webhook waits for the broker's acknowledgement before 503.",
    )
    collector_metrics_port: int = Field(
        0, ge=0, description="Port of a collector's Prometheus /metrics (0 = not served)."
    )
    worker_bind: str = Field(
        "127.0.0.1",
        description="Address of the worker's HTTP endpoint (0.0.0.0 in containers for Prometheus).",
    )
    worker_port: int = Field(
        0, ge=0, description="Loopback port of the worker's HTTP endpoint (0 = pick a free one)."
    )

    def on_own_embedded_broker(self) -> Settings:
        """These settings for a worker on an embedded broker its own process started:
        the broker's fetch wait unless one is set."""
        if self.broker_fetch_max_wait is not None:
            return self
        return self.model_copy(update={"broker_fetch_max_wait": EMBEDDED_FETCH_MAX_WAIT})

    def as_env(self) -> dict[str, str]:
        """The settings given explicitly, as the environment of a child process (the
        embedded stack's worker gets what its parent was configured with)."""
        env = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            env[f"SOMEPULSE_{name.upper()}"] = str(value)
        return env

    def kafka_client_options(self) -> dict[str, Any]:
        """Keyword arguments of every aiokafka client (producer, consumer, admin)."""
        if self.kafka_security_protocol == "PLAINTEXT":
            return {}
        if self.kafka_username is None or self.kafka_password_file is None:
            raise ValueError(
                f"{self.kafka_security_protocol} needs SOMEPULSE_KAFKA_USERNAME and "
                "SOMEPULSE_KAFKA_PASSWORD_FILE"
            )
        options: dict[str, Any] = {
            "security_protocol": self.kafka_security_protocol,
            "sasl_mechanism": self.kafka_sasl_mechanism,
            "sasl_plain_username": self.kafka_username,
            "sasl_plain_password": read_secret_file(self.kafka_password_file),
        }
        if self.kafka_security_protocol == "SASL_SSL":
            # a private CA (an agency's own PKI) or the system's store
            options["ssl_context"] = ssl.create_default_context(
                cafile=str(self.kafka_ca_file) if self.kafka_ca_file else None
            )
        return options

    def clickhouse_secret(self) -> str:
        """The ClickHouse password: from its file when one is given, else the variable."""
        if self.clickhouse_password_file is not None:
            return read_secret_file(self.clickhouse_password_file)
        return self.clickhouse_password.get_secret_value()

    def alertmanager_bearer(self) -> str | None:
        """The token of an authenticating proxy in front of Alertmanager, if any."""
        if self.alertmanager_token_file is None:
            return None
        return read_secret_file(self.alertmanager_token_file)

    def meta_secrets(self) -> tuple[str, str]:
        """The Meta app secret and the webhook verify token (environment or files)."""
        return (
            _secret("META_APP_SECRET", self.meta_app_secret, self.meta_app_secret_file),
            _secret("META_VERIFY_TOKEN", self.meta_verify_token, self.meta_verify_token_file),
        )

    def mastodon_access_token(self) -> str:
        return _secret("MASTODON_TOKEN", self.mastodon_token, self.mastodon_token_file)

    def bluesky_password(self) -> str:
        return _secret(
            "BLUESKY_APP_PASSWORD", self.bluesky_app_password, self.bluesky_app_password_file
        )

    def youtube_key(self) -> str:
        return _secret("YOUTUBE_API_KEY", self.youtube_api_key, self.youtube_api_key_file)

    def meta_token(self) -> str:
        return _secret("META_ACCESS_TOKEN", self.meta_access_token, self.meta_access_token_file)

    def grafana_api_token(self) -> str:
        """The token from the environment or its file; never from the command line,
        where ``ps`` and shell history would see it."""
        if self.grafana_token is not None:
            return self.grafana_token.get_secret_value()
        if self.grafana_token_file is not None:
            return read_secret_file(self.grafana_token_file)
        raise ValueError("set SOMEPULSE_GRAFANA_TOKEN or SOMEPULSE_GRAFANA_TOKEN_FILE")

    @property
    def embedded_broker(self) -> bool:
        return self.kafka_bootstrap is None

    @property
    def embedded_store(self) -> bool:
        return self.clickhouse_url is None

    def config_file(self, name: str) -> Path:
        """A configuration file: from ``config_dir`` when it has it, else packaged."""
        from somepulse.config import config_file

        return config_file(name, self.config_dir)

    @property
    def sql_limits(self) -> dict[str, int | str]:
        """ClickHouse settings of the analysts' read-only connection."""
        return {
            "max_execution_time": self.sql_max_execution_seconds,
            "max_result_rows": self.sql_max_result_rows,
            "max_result_bytes": self.sql_max_result_bytes,
            "result_overflow_mode": "throw",
            "max_memory_usage": self.sql_max_memory_bytes,
        }

    @property
    def chdb_dir(self) -> Path:
        return self.data_dir / "chdb"

    @property
    def worker_file(self) -> Path:
        """Where a running worker announces its pid and loopback port."""
        return self.data_dir / "worker.json"

    @property
    def pseudonym_key_path(self) -> Path:
        return self.pseudonym_key_file or self.data_dir / "pseudonym.key"

    @property
    def pseudonym_secret_text(self) -> str | None:
        return None if self.pseudonym_secret is None else self.pseudonym_secret.get_secret_value()


def _secret(name: str, value: SecretStr | None, path: Path | None) -> str:
    """A collector's secret: from its file when one is given, else the variable; the
    error names both settings."""
    if path is not None:
        return read_secret_file(path)
    if value is not None:
        return value.get_secret_value()
    raise ValueError(f"set SOMEPULSE_{name} or SOMEPULSE_{name}_FILE")


def read_secret_file(path: Path) -> str:
    """A secret kept in a file (a Docker secret): its text without the line end."""
    return path.read_text().strip()


def markdown_table() -> str:
    """Every setting as a Markdown row (the README's configuration table)."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        if default is None:
            shown = "unset"
        elif isinstance(default, SecretStr):
            shown = "(empty)" if not default.get_secret_value() else "(secret)"
        else:
            shown = str(default)
        lines.append(f"| `SOMEPULSE_{name.upper()}` | `{shown}` | {field.description} |")
    return "\n".join(lines)
