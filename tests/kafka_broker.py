"""Apache Kafka for the test suite: the broker of docker-compose.yml (same version,
same start script deploy/kafka/start.sh, so SASL/SCRAM users and ACLs included), run
from Maven Central's artifacts on this machine's Java.

The first run resolves the broker's jars with Maven into a cache folder
(``~/.cache/somepulse/kafka-<version>``, about 55 MB; ``SOMEPULSE_KAFKA_CACHE``
moves it); later runs reuse them. Each broker formats its own KRaft log directory,
listens on free loopback ports and is stopped by its process group.
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

from somepulse.embedded.broker import free_port

ROOT = Path(__file__).resolve().parents[1]
START = ROOT / "deploy" / "kafka" / "start.sh"
PASSWORDS = {"admin": "admin-pw-0123456789", "worker": "worker-pw-0123456789",
             "collector": "collector-pw-0123456789"}  # fmt: skip
TOOLS = {
    "kafka-storage.sh": "kafka.tools.StorageTool",
    "kafka-server-start.sh": "kafka.Kafka",
    "kafka-acls.sh": "org.apache.kafka.tools.AclCommand",
}
LOG4J = """status = error
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = STDOUT
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
"""


class KafkaUnavailable(RuntimeError):
    pass


def kafka_version() -> str:
    """The version docker-compose.yml deploys."""
    match = re.search(
        r"image: apache/kafka:(\d+\.\d+\.\d+)", (ROOT / "docker-compose.yml").read_text()
    )
    assert match is not None, "docker-compose.yml names no apache/kafka image"
    return match.group(1)


def kafka_home() -> Path:
    """The cached jars and launchers, resolved with Maven on first use."""
    version = kafka_version()
    default = Path.home() / ".cache" / "somepulse" / f"kafka-{version}"
    home = Path(os.environ.get("SOMEPULSE_KAFKA_CACHE", default))
    home.mkdir(parents=True, exist_ok=True)
    with (home / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel first runs resolve once
        if not (home / "libs" / ".complete").exists():
            _resolve(home, version)
    return home


def _resolve(home: Path, version: str) -> None:
    deps = [
        ("org.apache.kafka", "kafka_2.13", version),
        ("org.apache.kafka", "kafka-tools", version),
        ("org.apache.logging.log4j", "log4j-core", "2.24.3"),
        ("org.apache.logging.log4j", "log4j-slf4j-impl", "2.24.3"),
    ]
    body = "".join(
        f"<dependency><groupId>{g}</groupId><artifactId>{a}</artifactId>"
        f"<version>{v}</version></dependency>"
        for g, a, v in deps
    )
    (home / "pom.xml").write_text(
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        "<groupId>somepulse.tests</groupId><artifactId>kafka-broker</artifactId>"
        f"<version>1</version><dependencies>{body}</dependencies></project>"
    )
    print(f"resolving Apache Kafka {version} with Maven into {home} (first run only)")
    done = subprocess.run(
        ["mvn", "-q", "-B", "dependency:copy-dependencies", "-DoutputDirectory=libs",
         "-DincludeScope=runtime"],
        cwd=home, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    if done.returncode != 0:
        raise KafkaUnavailable(f"Maven could not resolve Kafka {version}: {done.stdout[-2000:]}")
    (home / "log4j2.properties").write_text(LOG4J)
    bin_dir = home / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, main in TOOLS.items():
        script = bin_dir / name
        script.write_text(
            "#!/bin/sh\n"
            f'exec java ${{KAFKA_HEAP_OPTS:--Xmx384m}} -cp "{home}/libs/*" '
            f'-Dlog4j2.configurationFile={home}/log4j2.properties {main} "$@"\n'
        )
        script.chmod(0o755)
    (home / "libs" / ".complete").touch()


class KafkaBroker:
    """One single-node KRaft broker with the deployed stack's users and ACLs."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.home = kafka_home()
        self.port = free_port()
        self.controller_port = free_port()
        self.secrets = workdir / "secrets"
        self.conf = workdir / "conf"
        self.data = workdir / "data"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def password_file(self, user: str) -> Path:
        return self.secrets / f"kafka_{user}_password"

    def start(self, timeout: float = 120.0) -> KafkaBroker:
        self.secrets.mkdir(parents=True, exist_ok=True, mode=0o700)
        for user, password in PASSWORDS.items():
            self.password_file(user).write_text(password)
        (self.conf / "ready").unlink(missing_ok=True)
        env = os.environ | {
            "KAFKA_BIN": str(self.home / "bin"),
            "SECRETS_DIR": str(self.secrets),
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "KAFKA_ADVERTISED_HOST": "127.0.0.1",
            "KAFKA_DATA_DIR": str(self.data),
            "KAFKA_CONF_DIR": str(self.conf),
        }
        log = (self.workdir / "kafka.log").open("ab")
        self.process = subprocess.Popen(
            ["bash", str(START)], env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + timeout
        while not (self.conf / "ready").exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = (self.workdir / "kafka.log").read_text(errors="replace")[-3000:]
                raise KafkaUnavailable(f"Kafka did not start: {tail}")
            time.sleep(0.2)
        return self

    def stop(self) -> None:
        """Stop the start script and the broker it runs (one process group), and wait."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None
        # the start script ends before the JVM has shut down: stopped means not listening
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            except OSError:
                return
            time.sleep(0.2)
        raise KafkaUnavailable(f"Kafka still listens on {self.port} a minute after stopping")
