"""``somepulse grafana push``: upload dashboards, alert rules, the contact point and the
notification policy to an existing Grafana over its HTTP API (``grafana-client``, the
maintained successor of the abandoned ``grafana-api``). Idempotent: the same uid is
updated, never duplicated. An agency's Grafana has its own alerting: the push adds one
child route to its notification policy tree and changes nothing else there."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from grafana_client.api import GrafanaApi
from grafana_client.client import GrafanaClientError

from somepulse.alerts.detector import AlertConfig, load_alert_config
from somepulse.alerts.grafana_rules import DEFAULT_BOARD_URL, provisioning
from somepulse.dashboards.boards import BOARDS

FOLDER_UID, FOLDER_TITLE = "somepulse", "SoMe Pulse"


@dataclass
class PushReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


def _missing(exc: GrafanaClientError) -> bool:
    return getattr(exc, "status_code", None) == 404


def check_url(url: str, *, insecure: bool) -> None:
    """The token travels with every request: over TLS with verification, unless the
    operator says ``--insecure`` (or Grafana is on this machine)."""
    parts = urlsplit(url)
    if insecure:
        return
    if "verify=false" in parts.query.lower():
        raise ValueError("the URL turns TLS verification off (verify=false): pass --insecure")
    local = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme != "https" and not local:
        raise ValueError(
            f"{parts.scheme}:// would send the Grafana token in clear: use https:// "
            "or pass --insecure"
        )


def with_our_route(tree: dict[str, Any], receiver: str, group_by: list[str]) -> dict[str, Any]:
    """An agency's notification policy tree with SoMe Pulse's route as its first child
    (matched on ``team=somepulse``, which every rule of ours carries), replacing the one
    a previous push added and keeping everything else as it was: their root receiver,
    their routes, their timings. Ours goes first because Grafana stops at the first
    matching child unless it says ``continue``."""
    ours = {
        "receiver": receiver,
        "group_by": group_by,
        "object_matchers": [["team", "=", "somepulse"]],
    }
    routes = [r for r in tree.get("routes") or [] if not is_ours(r)]
    return tree | {"routes": [ours, *routes]}


def is_ours(route: dict[str, Any]) -> bool:
    return ["team", "=", "somepulse"] in (route.get("object_matchers") or [])


def push(
    url: str,
    token: str,
    alertmanager_url: str,
    db: str = "somepulse",
    alerts: AlertConfig | None = None,
    board_url: str = DEFAULT_BOARD_URL,
) -> PushReport:
    api = GrafanaApi.from_url(url, credential=token)
    report = PushReport()
    try:
        api.folder.get_folder(FOLDER_UID)
    except GrafanaClientError as exc:
        if not _missing(exc):
            raise
        api.folder.create_folder(FOLDER_TITLE, uid=FOLDER_UID)
        report.created.append(f"folder {FOLDER_UID}")
    for board in BOARDS:
        api.dashboard.update_dashboard(
            {
                "dashboard": board.to_json(db),
                "folderUid": FOLDER_UID,
                "overwrite": True,
                "message": "somepulse grafana push",
            }
        )
        report.updated.append(f"dashboard {board.uid}")

    doc = provisioning(alerts or load_alert_config(), alertmanager_url, db, board_url)
    existing = {c.get("uid") for c in api.alertingprovisioning.get_contactpoints()}
    for point in doc["contactPoints"]:
        for receiver in point["receivers"]:
            body: dict[str, Any] = {
                "uid": receiver["uid"],
                "name": point["name"],
                "type": receiver["type"],
                "settings": receiver["settings"],
            }
            if receiver["uid"] in existing:
                api.alertingprovisioning.update_contactpoint(receiver["uid"], body)
                report.updated.append(f"contact point {receiver['uid']}")
            else:
                api.alertingprovisioning.create_contactpoint(body)
                report.created.append(f"contact point {receiver['uid']}")
    group = doc["groups"][0]
    for rule in group["rules"]:
        body = rule | {"folderUID": FOLDER_UID, "ruleGroup": group["name"], "orgID": 1}
        try:
            api.alertingprovisioning.get_alertrule(rule["uid"])
        except GrafanaClientError as exc:
            if not _missing(exc):
                raise
            api.alertingprovisioning.create_alertrule(body)
            report.created.append(f"alert rule {rule['uid']}")
        else:
            api.alertingprovisioning.update_alertrule(rule["uid"], body)
            report.updated.append(f"alert rule {rule['uid']}")
    policy = doc["policies"][0]
    tree = api.alertingprovisioning.get_notification_policy_tree()
    api.alertingprovisioning.set_notification_policy_tree(
        with_our_route(tree, policy["receiver"], policy["group_by"])
    )
    report.updated.append("notification policy route team=somepulse")
    return report
