"""Analysts' SQL, checked by a ClickHouse-aware parser (sqlglot's ``clickhouse``
dialect), not by a regex: exactly one read statement (SELECT, WITH, set operations,
SHOW, DESCRIBE, EXPLAIN), no ``INTO OUTFILE`` / ``FROM INFILE``, no ``FORMAT`` (the
client chooses it), no table function outside a harmless allow-list (``file``,
``url``, ``s3``, ``remote``… read or reach outside the database), and no ``SETTINGS``
that are not on an allow-list (``readonly`` and the limits are never on it).

This is the first wall. The second is where the query runs: a read-only connection
whose ``readonly=1`` and limits the query cannot change (``store.chdb.ReadOnlyChdbStore``
embedded; the ``analyst`` user's profile on a server).
"""

from __future__ import annotations

import logging
from collections import Counter

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from somepulse.store.schema import parameterised_views

TABLE_FUNCTIONS = frozenset(
    {"numbers", "numbers_mt", "zeros", "zeros_mt", "one", "generate_series"}
)
# none: the read-only connection refuses any setting change, so the parser says so first
QUERY_SETTINGS: frozenset[str] = frozenset()
_COMMANDS = ("SHOW", "EXPLAIN")
# keywords that make a read statement write or read outside the database; checked on
# the token stream, so text inside strings and comments never counts
_FORBIDDEN_WORDS = frozenset({"OUTFILE", "INFILE", "FORMAT", "SETTINGS"})
# SHOW and EXPLAIN fall back to raw commands in sqlglot, which it logs each time
logging.getLogger("sqlglot").setLevel(logging.ERROR)


class ReadOnlyError(ValueError):
    """A statement that is not one plain read; the message says why, in one line."""


def check_read_only(sql: str) -> str:
    """The statement to run (trailing ';' removed), or ReadOnlyError."""
    text = sql.strip()
    if not text:
        raise ReadOnlyError("empty query")
    try:
        tokens = sqlglot.tokenize(text, read="clickhouse")
        statements = [s for s in sqlglot.parse(text, dialect="clickhouse") if s is not None]
    except (ParseError, TokenError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ReadOnlyError(f"cannot parse the query: {first}") from exc
    if len(statements) != 1:
        raise ReadOnlyError("exactly one statement per request")
    (statement,) = statements
    if isinstance(statement, exp.Command):
        _check_command(statement)
    elif isinstance(statement, exp.Query | exp.Describe):
        _check_query(statement, Counter(t.text.upper() for t in tokens))
    else:
        kind = type(statement).__name__.upper()
        raise ReadOnlyError(f"{kind} is not allowed: only SELECT, WITH, SHOW, DESCRIBE, EXPLAIN")
    return text.rstrip(";").strip()


def _check_query(statement: exp.Query | exp.Describe, words: Counter[str]) -> None:
    # every query node: a UNION carries its own FORMAT and SETTINGS, not its selects
    queries = list(statement.find_all(exp.Query))
    for query in queries:
        for setting in query.args.get("settings") or ():
            name = setting.this.name if isinstance(setting, exp.EQ) else str(setting)
            if name not in QUERY_SETTINGS:
                raise ReadOnlyError(f"SETTINGS {name} is not allowed in analysts' queries")
        if query.args.get("format") is not None:
            raise ReadOnlyError("FORMAT is chosen by the client, not the query")
    for table in statement.find_all(exp.Table):
        if isinstance(table.this, exp.Func):
            func = table.this
            name = func.name if isinstance(func, exp.Anonymous) else func.sql_name()
            if name.lower() not in TABLE_FUNCTIONS and name not in parameterised_views():
                raise ReadOnlyError(f"table function {name}() is not allowed")
    has_settings = any(q.args.get("settings") for q in queries)
    # a word used as a name is not the clause (``v_top_posts.format``, a post's format)
    names = Counter(i.name.upper() for i in statement.find_all(exp.Identifier))
    for word in sorted(_FORBIDDEN_WORDS & set(words)):
        if word == "SETTINGS" and has_settings:
            continue  # checked above, setting by setting
        if words[word] <= names[word]:
            continue
        raise ReadOnlyError(f"{word} is not allowed in analysts' queries")


def _check_command(statement: exp.Command) -> None:
    """SHOW and EXPLAIN, which the dialect keeps as raw text: SHOW may name objects but
    call nothing; EXPLAIN's query is checked like any query."""
    keyword = statement.name.upper()
    if keyword not in _COMMANDS:
        raise ReadOnlyError(f"{keyword} is not a read statement")
    rest = statement.expression.name if statement.expression else ""
    try:
        tokens = sqlglot.tokenize(rest)
    except TokenError as exc:
        raise ReadOnlyError(f"cannot parse the query: {exc}") from exc
    if keyword == "SHOW":
        bad = (_FORBIDDEN_WORDS | {"(", ";"}) & {t.text.upper() for t in tokens}
        if bad:
            raise ReadOnlyError(f"{sorted(bad)[0]} is not allowed in SHOW")
        return
    query = next((t for t in tokens if t.text.upper() in ("SELECT", "WITH")), None)
    if query is None:
        raise ReadOnlyError("EXPLAIN is allowed for queries only")
    check_read_only(rest[query.start :])
