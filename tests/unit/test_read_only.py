from __future__ import annotations

import pytest

from somepulse.service.http import ReadOnlyError, check_read_only


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "  with x as (select 1) select * from x;",
        "SHOW TABLES FROM somepulse",
        "DESCRIBE somepulse.events",
        "SELECT 'a;b'",
    ],
)
def test_reads_pass(sql: str) -> None:
    assert check_read_only(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TABLE somepulse.events",
        "INSERT INTO t VALUES (1)",
        "SELECT 1; DROP TABLE x",
        "ALTER TABLE e DELETE WHERE 1",
        "OPTIMIZE TABLE e",
        "",
    ],
)
def test_writes_are_refused(sql: str) -> None:
    with pytest.raises(ReadOnlyError):
        check_read_only(sql)
