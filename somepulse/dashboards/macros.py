"""Grafana's query interpolation as the ClickHouse plugin does it (pkg/macros/macros.go
of grafana-clickhouse-datasource): ``$__timeFilter(c)`` -> ``c >= toDateTime(from) AND
c <= toDateTime(to)``, ``$__fromTime``/``$__toTime`` -> ``toDateTime(epoch)``,
``$__timeInterval(c)`` -> ``toStartOfInterval(toDateTime(c), INTERVAL n second)``,
``$__interval_s`` -> n; dashboard variables with ``:singlequote`` -> ``'a','b'``."""

from __future__ import annotations

import re
from datetime import datetime


def _args(sql: str, name: str) -> re.Pattern[str]:
    return re.compile(r"\$__" + name + r"\(((?:[^()]|\([^()]*\))*)\)")


def expand(
    sql: str, start: datetime, end: datetime, interval_s: int, variables: dict[str, list[str]]
) -> str:
    frm, to = f"toDateTime({int(start.timestamp())})", f"toDateTime({int(end.timestamp())})"
    sql = _args(sql, "timeFilter").sub(
        lambda m: f"{m.group(1)} >= {frm} AND {m.group(1)} <= {to}", sql
    )
    sql = _args(sql, "timeInterval").sub(
        lambda m: (
            f"toStartOfInterval(toDateTime({m.group(1)}), INTERVAL {max(interval_s, 1)} second)"
        ),
        sql,
    )
    sql = sql.replace("$__fromTime", frm).replace("$__toTime", to)
    sql = sql.replace("$__interval_s", str(max(interval_s, 1)))
    for name, values in variables.items():
        quoted = ",".join(f"'{v}'" for v in values)
        sql = sql.replace(f"${{{name}:singlequote}}", quoted)
    if "$" in sql:
        raise ValueError(f"unexpanded macro or variable in: {sql}")
    return sql
