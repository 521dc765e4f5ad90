"""`somepulse grafana push` against a local stand-in for Grafana's HTTP API (no
Grafana server can run here): it checks the exact requests Grafana expects — paths,
methods, JSON bodies, the bearer token — and keeps state like Grafana does, so a second
push must update, never duplicate."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from somepulse.alerts.detector import load_alert_config
from somepulse.dashboards.boards import BOARDS
from somepulse.dashboards.push import push
from somepulse.embedded.broker import free_port

TOKEN = "glsa_test_token"


class FakeGrafana(http.server.ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", free_port()), Handler)
        self.requests: list[tuple[str, str, Any]] = []
        self.folders: dict[str, dict[str, Any]] = {}
        self.dashboards: dict[str, dict[str, Any]] = {}
        self.rules: dict[str, dict[str, Any]] = {}
        self.contact_points: dict[str, dict[str, Any]] = {}
        # an agency's own tree, as Grafana's GET /api/v1/provisioning/policies returns it
        self.policy: dict[str, Any] = {
            "receiver": "agency-email",
            "group_by": ["grafana_folder", "alertname"],
            "routes": [
                {"receiver": "web-team", "object_matchers": [["team", "=", "web"]]},
                {"receiver": "dba", "object_matchers": [["service", "=~", "postgres.*"]]},
            ],
            "group_wait": "30s",
        }


class Handler(http.server.BaseHTTPRequestHandler):
    server: FakeGrafana

    def _reply(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        s = self.server
        s.requests.append((method, self.path, body))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._reply(401, {"message": "Unauthorized"})
        path = self.path
        if method == "GET" and path.startswith("/api/folders/"):
            uid = path.rsplit("/", 1)[1]
            return (
                self._reply(200, s.folders[uid])
                if uid in s.folders
                else self._reply(404, {"message": "folder not found"})
            )
        if method == "POST" and path == "/api/folders":
            s.folders[body["uid"]] = body | {"id": len(s.folders) + 1}
            return self._reply(200, s.folders[body["uid"]])
        if method == "POST" and path == "/api/dashboards/db":
            assert body["overwrite"] is True and body["folderUid"] == "somepulse"
            uid = body["dashboard"]["uid"]
            status = "success"
            s.dashboards[uid] = body["dashboard"]
            return self._reply(200, {"uid": uid, "status": status, "version": 1})
        if method == "GET" and path == "/api/v1/provisioning/contact-points":
            return self._reply(200, list(s.contact_points.values()))
        if method == "POST" and path == "/api/v1/provisioning/contact-points":
            assert body["uid"] not in s.contact_points, "duplicate contact point"
            s.contact_points[body["uid"]] = body
            return self._reply(202, body)
        if method == "PUT" and path.startswith("/api/v1/provisioning/contact-points/"):
            s.contact_points[path.rsplit("/", 1)[1]] = body
            return self._reply(202, body)
        if method == "GET" and path.startswith("/api/v1/provisioning/alert-rules/"):
            uid = path.rsplit("/", 1)[1]
            return (
                self._reply(200, s.rules[uid])
                if uid in s.rules
                else self._reply(404, {"message": "rule not found"})
            )
        if method == "POST" and path == "/api/v1/provisioning/alert-rules":
            assert body["uid"] not in s.rules, "duplicate rule"
            s.rules[body["uid"]] = body
            return self._reply(201, body)
        if method == "PUT" and path.startswith("/api/v1/provisioning/alert-rules/"):
            assert path.rsplit("/", 1)[1] in s.rules
            s.rules[path.rsplit("/", 1)[1]] = body
            return self._reply(200, body)
        if method == "GET" and path == "/api/v1/provisioning/policies":
            return self._reply(200, s.policy)
        if method == "PUT" and path == "/api/v1/provisioning/policies":
            s.policy = body
            return self._reply(202, {"message": "policies updated"})
        return self._reply(404, {"message": f"no route {method} {path}"})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def grafana() -> Iterator[FakeGrafana]:
    server = FakeGrafana()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_push_creates_then_updates(grafana: FakeGrafana) -> None:
    url = f"http://127.0.0.1:{grafana.server_address[1]}"
    rules = [r.name for r in load_alert_config().rules]
    first = push(url, TOKEN, "http://alertmanager:9093")
    assert "folder somepulse" in first.created
    created = [c for c in first.created if c.startswith("alert rule")]
    assert len(created) == len(rules) + 1  # the surge rules and source silent
    assert "alert rule somepulse-source-silent" in created
    assert set(grafana.dashboards) == {b.uid for b in BOARDS}
    assert grafana.contact_points["somepulse-alertmanager"]["type"] == "prometheus-alertmanager"
    assert (
        grafana.contact_points["somepulse-alertmanager"]["settings"]["url"]
        == "http://alertmanager:9093"
    )
    rule = grafana.rules["somepulse-questions"]
    assert (rule["folderUID"], rule["ruleGroup"], rule["orgID"]) == (
        "somepulse",
        "somepulse-surge",
        1,
    )
    # the surge rules read the stream detector's decisions
    assert "FROM somepulse.surge_verdicts FINAL" in rule["data"][0]["model"]["rawSql"]
    # one child route for our rules (they carry team=somepulse), first; the agency's
    # root receiver, timings and routes as they were
    ours = {
        "receiver": "alertmanager",
        "group_by": ["alertname", "page"],
        "object_matchers": [["team", "=", "somepulse"]],
    }
    assert grafana.policy == {
        "receiver": "agency-email",
        "group_by": ["grafana_folder", "alertname"],
        "routes": [
            ours,
            {"receiver": "web-team", "object_matchers": [["team", "=", "web"]]},
            {"receiver": "dba", "object_matchers": [["service", "=~", "postgres.*"]]},
        ],
        "group_wait": "30s",
    }
    assert all(r["labels"]["team"] == "somepulse" for r in grafana.rules.values())

    # the exact calls, in order
    methods_paths = [(m, p) for m, p, _ in grafana.requests]
    assert methods_paths[:2] == [("GET", "/api/folders/somepulse"), ("POST", "/api/folders")]
    assert methods_paths.count(("POST", "/api/dashboards/db")) == len(BOARDS)

    grafana.requests.clear()
    second = push(url, TOKEN, "http://alertmanager:9093")
    assert second.created == []  # same uids: updated, not duplicated
    assert len(grafana.rules) == len(rules) + 1 and len(grafana.contact_points) == 1
    assert ("PUT", "/api/v1/provisioning/alert-rules/somepulse-questions") in [
        (m, p) for m, p, _ in grafana.requests
    ]
    assert grafana.policy["routes"][0] == ours and len(grafana.policy["routes"]) == 3


def test_push_to_a_fresh_grafana_keeps_its_default_policy(grafana: FakeGrafana) -> None:
    grafana.policy = {"receiver": "grafana-default-email", "group_by": ["grafana_folder"]}
    push(f"http://127.0.0.1:{grafana.server_address[1]}", TOKEN, "http://alertmanager:9093")
    assert grafana.policy["receiver"] == "grafana-default-email"
    assert [r["receiver"] for r in grafana.policy["routes"]] == ["alertmanager"]


def test_a_wrong_token_is_refused(grafana: FakeGrafana) -> None:
    from grafana_client.client import GrafanaClientError

    with pytest.raises(GrafanaClientError):
        push(f"http://127.0.0.1:{grafana.server_address[1]}", "wrong", "http://am:9093")
