"""The worker's ``/sql`` as an attacker meets it: every request below is refused with a
one-line reason and nothing is written; the analyst with the token gets rows."""

from __future__ import annotations

import json
import stat
import urllib.error
import urllib.request

import pytest

from somepulse.settings import Settings
from somepulse.tools.sql import QueryError
from somepulse.tools.stack import Stack


def call(
    stack: Stack, method: str = "POST", body: bytes | None = None, **headers: str
) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        f"{stack.worker_url}/sql", data=body, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, {"error": raw.decode(errors="replace")}


def test_sql_endpoint_refuses_everything_but_one_read_with_the_token(
    stack: Stack, settings: Settings
) -> None:
    good = json.dumps({"sql": "SELECT count() AS n FROM somepulse.pages"}).encode()
    json_type = {"Content-Type": "application/json"}
    auth = {"Authorization": f"Bearer {stack.token}"}
    tables = len(stack.sql("SHOW TABLES FROM somepulse"))
    assert stack.sql("SELECT count() AS n FROM somepulse.pages")[0]["n"] > 0

    # the token lives only in a file of this user's (0600)
    mode = stat.S_IMODE(settings.worker_file.stat().st_mode)
    assert mode == 0o600 and stack.token in settings.worker_file.read_text()

    refusals = [
        (call(stack, "GET"), 405),
        (call(stack, body=good, **json_type), 401),  # no token
        (call(stack, body=good, **json_type, Authorization="Bearer wrong"), 401),
        (call(stack, body=good, **auth, **{"Content-Type": "text/plain"}), 415),
        (call(stack, body=good, **json_type, **auth, Host="evil.example"), 403),
        (call(stack, body=good, **json_type, **auth, Origin="http://evil.example"), 403),
    ]
    for (status, doc), expected in refusals:
        assert status == expected, (status, doc)
        assert "\n" not in str(doc.get("error", "")).strip()
    for attack, reason in (
        ('SELECT 1 AS "a\'b"; DROP TABLE somepulse.pages', "exactly one statement"),
        ("SELECT 1 /* ; */; DROP TABLE somepulse.pages", "exactly one statement"),
        ("SELECT * FROM file('/etc/passwd')", "table function file()"),
        ("SELECT 1 SETTINGS readonly = 0", "SETTINGS readonly"),
        ("SELECT number FROM numbers(2000000)", "Limit for result exceeded"),
    ):
        with pytest.raises(QueryError, match=reason.replace("(", r"\(").replace(")", r"\)")):
            stack.sql(attack)
    assert len(stack.sql("SHOW TABLES FROM somepulse")) == tables  # nothing written

    # the probes and metrics need no token
    for path in ("/healthz", "/readyz", "/metrics"):
        with urllib.request.urlopen(f"{stack.worker_url}{path}", timeout=10) as response:
            assert response.status == 200
