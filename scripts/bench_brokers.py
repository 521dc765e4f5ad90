"""`somepulse bench` on the embedded broker (Tansu) and on Apache Kafka, one after the
other on this machine, and the two side by side.

Kafka is the one the test suite runs (tests/kafka_broker.py: the version of
docker-compose.yml from Maven Central, KRaft, SASL/SCRAM users and ACLs from
deploy/kafka/start.sh); the bench talks to it as the worker user.

    .venv/bin/python scripts/bench_brokers.py [EVENTS=600000]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.kafka_broker import KafkaBroker, kafka_version  # noqa: E402

FIGURES = (
    ("events_per_second", "sustained end-to-end, events/s", "{:,.0f}"),
    ("publish_seconds", "publish only, s", "{:.1f}"),
    ("slowest_stats_seconds", "worker's slowest /stats answer during it, s", "{:.1f}"),
    ("p50_ms", "publish → queryable p50 at the steady rate, ms", "{:,.0f}"),
    ("p99_ms", "publish → queryable p99, ms", "{:,.0f}"),
    ("alert_p50_ms", "tipping event → Alertmanager p50, ms", "{:,.0f}"),
    ("alert_p99_ms", "tipping event → Alertmanager p99, ms", "{:,.0f}"),
)


def bench(data_dir: Path, extra_env: dict[str, str], args: list[str]) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOMEPULSE_")}
    env |= {"SOMEPULSE_DATA_DIR": str(data_dir)} | extra_env
    command = [str(ROOT / ".venv" / "bin" / "somepulse"), "bench", *args]
    print("$", " ".join(command), flush=True)
    subprocess.run(command, env=env, check=True)
    result: dict[str, object] = json.loads((data_dir / "bench.json").read_text())
    return result


def main() -> None:
    events = sys.argv[1] if len(sys.argv) > 1 else "600000"
    with tempfile.TemporaryDirectory(prefix="somepulse-bench-") as tmp:
        base = Path(tmp)
        embedded = bench(base / "embedded", {}, ["--events", events])
        broker = KafkaBroker(base / "kafka").start()
        try:
            sasl = {
                "SOMEPULSE_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                "SOMEPULSE_KAFKA_USERNAME": "worker",
                "SOMEPULSE_KAFKA_PASSWORD_FILE": str(broker.password_file("worker")),
            }
            kafka = bench(
                base / "on-kafka", sasl, ["--events", events, "--bootstrap", broker.bootstrap]
            )
        finally:
            broker.stop()
    print(f"\n| figure | embedded (Tansu) | Apache Kafka {kafka_version()} |")
    print("|---|---|---|")
    for key, label, fmt in FIGURES:
        cells = [fmt.format(r[key]) if key in r else "—" for r in (embedded, kafka)]
        print(f"| {label} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
