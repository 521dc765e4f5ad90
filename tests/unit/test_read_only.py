"""Analysts' SQL is checked by a parser: one read statement, nothing that writes,
reads files or URLs, or lifts a limit — whatever quoting or comments try."""

from __future__ import annotations

import pytest

from somepulse.store.readonly import ReadOnlyError, check_read_only


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "  with x as (select 1) select * from x;",
        "SHOW TABLES FROM somepulse",
        "SHOW CREATE TABLE somepulse.events",
        "DESCRIBE somepulse.events",
        "EXPLAIN SELECT count() FROM somepulse.events",
        "SELECT 'a;b'",
        "SELECT 'format settings outfile'",  # words inside strings do not count
        "SELECT 1 -- SETTINGS readonly = 0",  # nor inside comments
        "SELECT number FROM numbers(10)",
        "SELECT 1 UNION ALL SELECT 2",
        "SELECT * FROM somepulse.events FINAL LIMIT 1",
        # words of clauses used as names: a post's format (v_top_posts.format)
        "SELECT format, p.format AS settings FROM somepulse.v_top_posts AS p WHERE format = 'x'",
        # the parameterised views (the windowed reads docs/sql.md shows analysts)
        "SELECT count() FROM somepulse.responses_since(since = '2020-03-09 00:00:00')",
        "SELECT * FROM v_questions_since(since = '2020-03-09') LIMIT 1",
    ],
)
def test_reads_pass(sql: str) -> None:
    assert check_read_only(sql) == sql.strip().rstrip(";").strip()


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ('SELECT 1 AS "a\'b"; DROP TABLE somepulse.pages', "exactly one statement"),
        ("SELECT 1 -- ;\n; DROP TABLE x", "exactly one statement"),
        ("SELECT 1 # ;\n; DROP TABLE x", "exactly one statement"),
        ("SELECT 1 /* ; */ ; DROP TABLE x", "exactly one statement"),
        ("SELECT `a;b` FROM t; DROP TABLE t", "exactly one statement"),
        ("SHOW TABLES; DROP TABLE x", "exactly one statement"),
        ("SELECT * FROM file('/etc/passwd')", "table function file()"),
        ("SELECT * FROM url('http://169.254.169.254/', CSV)", "table function url()"),
        ("SELECT * FROM (SELECT * FROM s3('x'))", "table function s3()"),
        ("SELECT * FROM remote('h', db.t)", "table function remote()"),
        ("SELECT * FROM responses_until(until = 1)", "table function responses_until()"),
        (  # a parameterised view's argument is checked like any query
            "SELECT * FROM responses_since(since = (SELECT max(c) FROM url('http://x', CSV)))",
            "table function url()",
        ),
        ("SELECT * FROM t WHERE x IN (SELECT * FROM url('u', CSV))", "table function url()"),
        ("EXPLAIN SELECT * FROM file('x')", "table function file()"),
        ("SELECT 1 INTO OUTFILE '/tmp/x'", "cannot parse"),
        ("SHOW TABLES INTO OUTFILE 'x'", "OUTFILE"),
        ("SELECT 1 SETTINGS readonly = 0", "SETTINGS readonly"),
        ("SELECT 1 SETTINGS max_result_rows = 0", "SETTINGS max_result_rows"),
        ("SELECT 1 SETTINGS join_use_nulls = 1", "SETTINGS join_use_nulls"),
        ("EXPLAIN SELECT 1 SETTINGS readonly = 0", "SETTINGS readonly"),
        ("SELECT 1 FORMAT Native", "FORMAT"),
        ("SELECT 1 UNION ALL SELECT 2 FORMAT Native", "FORMAT"),
        ("SELECT format FROM t FORMAT Native", "FORMAT"),
        ("SELECT 1 UNION ALL SELECT 2 SETTINGS readonly = 0", "SETTINGS readonly"),
        ("INSERT INTO t VALUES (1)", "INSERT is not allowed"),
        ("INSERT INTO t FROM INFILE 'x'", "INSERT is not allowed"),
        ("DROP TABLE somepulse.events", "DROP is not allowed"),
        ("ALTER TABLE e DELETE WHERE 1", "ALTER is not allowed"),
        ("SET readonly = 0", "SET is not allowed"),
        ("OPTIMIZE TABLE e", "not a read statement"),
        ("SYSTEM SHUTDOWN", "not a read statement"),
        ("", "empty query"),
    ],
)
def test_everything_else_is_refused_with_a_reason(sql: str, reason: str) -> None:
    with pytest.raises(ReadOnlyError) as refused:
        check_read_only(sql)
    message = str(refused.value)
    assert reason in message and "\n" not in message
