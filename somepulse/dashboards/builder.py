"""A small typed builder for Grafana dashboard JSON (schema v39) with ClickHouse and
Prometheus queries: panels with units, thresholds (``Steps``), per-column styles
(``Field``: unit, thresholds, a table cell's colour), stat reduction, gaps kept as gaps,
and Markdown text panels.

Why not grafana-foundation-sdk (considered again for issue 15): its value is the typed
panel options, and those are what this builder lacked — now ``Panel``/``Field`` model the
few we use, and tests read them back from the JSON (``tests/clickhouse/test_dashboards.py``:
every duty panel has units, the promise and surge columns turn red, the stat sums). The
SDK's Python package follows one Grafana line, has no query type for the
``grafana-clickhouse-datasource`` plugin (every target would stay an untyped dict), and
would add a dependency for about forty lines of dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

CLICKHOUSE = {"type": "grafana-clickhouse-datasource", "uid": "somepulse-clickhouse"}
PROMETHEUS = {"type": "prometheus", "uid": "somepulse-prometheus"}
NO_DATA_MS = 12 * 3_600_000  # the same threshold as `board --png` (tools/board_png.py)
# the plugin's query formats: 0 time series, 1 table
FORMATS = {"time_series": 0, "table": 1}


@dataclass(frozen=True)
class SqlTarget:
    sql: str
    format: Literal["time_series", "table"] = "time_series"

    def to_json(self, ref: str) -> dict[str, Any]:
        return {
            "refId": ref,
            "datasource": CLICKHOUSE,
            "editorType": "sql",
            "format": FORMATS[self.format],
            "queryType": "timeseries" if self.format == "time_series" else "table",
            "rawSql": self.sql.strip(),
        }


@dataclass(frozen=True)
class PromTarget:
    expr: str
    legend: str = ""

    def to_json(self, ref: str) -> dict[str, Any]:
        return {
            "refId": ref,
            "datasource": PROMETHEUS,
            "expr": self.expr,
            "legendFormat": self.legend,
        }


Target = SqlTarget | PromTarget
# threshold steps: (from this value on, colour); the first step's value is None (-inf)
Steps = tuple[tuple[float | None, str], ...]


def thresholds(steps: Steps) -> dict[str, Any]:
    return {"mode": "absolute", "steps": [{"value": v, "color": c} for v, c in steps]}


@dataclass(frozen=True)
class Field:
    """One column's or series' display: its unit, and colours that say when it is bad
    (a table cell's background, a line's threshold band)."""

    name: str
    unit: str | None = None
    steps: Steps = ()
    decimals: int | None = None

    def override(self, kind: str) -> dict[str, Any]:
        props: list[dict[str, Any]] = []
        if self.unit:
            props.append({"id": "unit", "value": self.unit})
        if self.decimals is not None:
            props.append({"id": "decimals", "value": self.decimals})
        if self.steps:
            props.append({"id": "thresholds", "value": thresholds(self.steps)})
            if kind == "table":
                props.append({"id": "custom.cellOptions", "value": {"type": "color-background"}})
        return {"matcher": {"id": "byName", "options": self.name}, "properties": props}


@dataclass(frozen=True)
class Panel:
    title: str
    kind: Literal["timeseries", "table", "stat", "barchart", "bargauge"]
    targets: tuple[Target, ...]
    width: int = 12
    height: int = 8
    description: str = ""
    unit: str | None = None
    steps: Steps = ()  # thresholds of the whole panel (a stat's colour, a line's band)
    fields: tuple[Field, ...] = ()  # per column or series
    decimals: int | None = None
    # a stat over several rows: the sum of all (Grafana's default, the last row, would
    # show one page's number when several are selected)
    stat_sum: bool = False

    def to_json(self, pid: int, x: int, y: int) -> dict[str, Any]:
        defaults: dict[str, Any] = {}
        if self.unit:
            defaults["unit"] = self.unit
        if self.decimals is not None:
            defaults["decimals"] = self.decimals
        options: dict[str, Any] = {}
        if self.steps:
            defaults["thresholds"] = thresholds(self.steps)
            defaults["color"] = {"mode": "thresholds"}
            if self.kind == "timeseries":
                defaults["custom"] = {"thresholdsStyle": {"mode": "line+area"}}
        if self.kind == "timeseries":
            # SQL returns no row for a bucket without events: Grafana connects across a
            # hole up to NO_DATA_MS (a quiet night) and breaks the line at a longer one
            # (nothing at all for 12 h: a collector down, not zeros)
            custom = defaults.setdefault("custom", {})
            custom["spanNulls"] = False
            custom["insertNulls"] = NO_DATA_MS
        if self.kind == "stat":
            options = {
                "reduceOptions": {
                    "values": False,
                    "calcs": ["sum"] if self.stat_sum else ["lastNotNull"],
                    "fields": "",
                },
                "colorMode": "background",
                "graphMode": "none",
                "textMode": "value",
            }
        datasource = self.targets[0].to_json("A")["datasource"]
        return {
            "id": pid,
            "type": self.kind,
            "title": self.title,
            "description": self.description,
            "datasource": datasource,
            "gridPos": {"x": x, "y": y, "w": self.width, "h": self.height},
            "fieldConfig": {
                "defaults": defaults,
                "overrides": [f.override(self.kind) for f in self.fields],
            },
            "options": options,
            "targets": [t.to_json(chr(ord("A") + i)) for i, t in enumerate(self.targets)],
        }


@dataclass(frozen=True)
class Text:
    """A Markdown text panel (the runbook)."""

    title: str
    content: str
    width: int = 24
    height: int = 9
    kind: Literal["text"] = "text"
    targets: tuple[Target, ...] = ()  # none: the content is the panel

    def to_json(self, pid: int, x: int, y: int) -> dict[str, Any]:
        return {
            "id": pid,
            "type": "text",
            "title": self.title,
            "gridPos": {"x": x, "y": y, "w": self.width, "h": self.height},
            "options": {"mode": "markdown", "content": self.content},
        }


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    sql: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "type": "query",
            "datasource": CLICKHOUSE,
            "query": self.sql,
            "definition": self.sql,
            "multi": True,
            "includeAll": True,
            "refresh": 1,
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        }


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    panels: tuple[Panel | Text, ...]
    refresh: str = ""
    time_from: str = "now-24h"
    variables: tuple[Variable, ...] = ()
    annotations: tuple[SqlTarget, ...] = ()
    tags: tuple[str, ...] = field(default=("somepulse",))

    def to_json(self, db: str = "somepulse") -> dict[str, Any]:
        """The dashboard's JSON, its SQL reading database ``db``."""
        doc: dict[str, Any] = with_database(self._json(), db)
        return doc

    def _json(self) -> dict[str, Any]:
        panels, x, y, row_height = [], 0, 0, 0
        for pid, panel in enumerate(self.panels, start=1):
            if x + panel.width > 24:
                x, y, row_height = 0, y + row_height, 0
            panels.append(panel.to_json(pid, x, y))
            x += panel.width
            row_height = max(row_height, panel.height)
        annotations = [
            {
                "name": "Grafana",
                "builtIn": 1,
                "enable": True,
                "hide": True,
                "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                "type": "dashboard",
                "iconColor": "rgba(0, 211, 255, 1)",
            }
        ]
        annotations += [
            {
                "name": "Surge alerts",
                "enable": True,
                "iconColor": "red",
                "datasource": CLICKHOUSE,
                "target": a.to_json("Anno"),
            }
            for a in self.annotations
        ]
        return {
            "uid": self.uid,
            "title": self.title,
            "tags": list(self.tags),
            "schemaVersion": 39,
            "version": 1,
            "editable": True,
            "timezone": "browser",
            "refresh": self.refresh,
            "time": {"from": self.time_from, "to": "now"},
            "templating": {"list": [v.to_json() for v in self.variables]},
            "annotations": {"list": annotations},
            "panels": panels,
        }


DB = "{db}"  # placeholder in panel SQL, filled with the configured database at render


def with_database(doc: Any, db: str) -> Any:
    """``doc`` with every ``{db}`` in its strings replaced by the database name."""
    if not db.replace("_", "").isalnum():
        raise ValueError(f"not a ClickHouse database name: {db!r}")
    if isinstance(doc, str):
        return doc.replace(DB, db)
    if isinstance(doc, dict):
        return {k: with_database(v, db) for k, v in doc.items()}
    if isinstance(doc, list):
        return [with_database(v, db) for v in doc]
    return doc
