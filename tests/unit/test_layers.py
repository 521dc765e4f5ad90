"""Imports flow one way: a room imports only from rooms below it (or from itself).
Read from the source (every import, also the ones inside functions), so a new upward
import fails here, not in review."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "somepulse"
# top to bottom; rooms on one line are peers and do not import each other
LAYERS = (
    ("tools",),
    ("service",),
    ("streams", "dashboards"),
    ("live", "alerts"),
    ("store", "collectors"),
    ("domain", "privacy"),
    ("schemas", "settings", "telemetry", "embedded"),
    ("config",),
)
LEVEL = {room: level for level, rooms in enumerate(LAYERS) for room in rooms}


def room_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports() -> list[tuple[str, str, int]]:
    found = []
    for path in PACKAGE.rglob("*.py"):
        module = "somepulse." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                if name.startswith("somepulse."):
                    found.append((module.removesuffix(".__init__"), name, node.lineno))
    return found


def test_every_room_has_a_level() -> None:
    rooms = {p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("_")}
    rooms |= {p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_")}
    assert rooms == set(LEVEL), "place the new room in LAYERS"


def upward(edges: list[tuple[str, str, int]]) -> list[str]:
    out = []
    for importer, imported, line in edges:
        src, dst = room_of(importer), room_of(imported)
        if src in ("__main__", "__init__") or src == dst:
            continue
        if LEVEL[dst] <= LEVEL[src]:
            out.append(f"{importer}:{line} imports {imported} ({src} -> {dst})")
    return out


def test_imports_flow_one_way() -> None:
    edges = imports()
    assert len(edges) > 100  # the reader sees the real graph
    assert not upward(edges), "\n".join(upward(edges))


def test_an_upward_or_sideways_import_is_caught() -> None:
    assert upward([("somepulse.store.schema", "somepulse.service.status", 3)])
    assert upward([("somepulse.live.state", "somepulse.alerts.observe", 4)])  # peers
    assert not upward([("somepulse.alerts.observe", "somepulse.domain.signals", 5)])
