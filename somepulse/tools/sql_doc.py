"""The column reference in ``docs/sql.md``, generated from the schema itself: every
table and view of a freshly migrated store (``system.tables``, ``system.columns``) with
its COMMENT, and each column's type and meaning (its DDL COMMENT, else the glossary,
``store/sql/glossary.toml``, else the COMMENT of the stored column of that name:
ClickHouse keeps no column comments on plain views).

``python -m somepulse.tools.sql_doc`` rewrites the part between the markers; a test
fails when the file is stale or a column has no meaning written anywhere.
"""

from __future__ import annotations

import re
import sys
import tempfile
import tomllib
from importlib.resources import files
from pathlib import Path

from somepulse.settings import Settings
from somepulse.store import Store, open_prepared_store

DOC = Path("docs") / "sql.md"
BEGIN, END = "<!-- columns -->", "<!-- /columns -->"
KINDS = {"View": "view"}  # anything else is a table, named with its engine


def glossary() -> dict[str, str]:
    text = files("somepulse.store").joinpath("sql/glossary.toml").read_text()
    columns: dict[str, str] = tomllib.loads(text)["columns"]
    return columns


def reference(store: Store, db: str = "somepulse") -> tuple[str, list[str]]:
    """The Markdown reference, and the columns that have no meaning written anywhere."""
    meanings = glossary()
    tables = store.query(
        f"SELECT name, engine, comment FROM system.tables WHERE database = '{db}' "
        "AND NOT startsWith(name, '.inner') ORDER BY startsWith(name, 'v_') DESC, name"
    )
    columns = store.query(
        f"SELECT table, name, type, comment FROM system.columns WHERE database = '{db}' "
        "ORDER BY table, position"
    )
    by_table: dict[str, list[dict[str, str]]] = {}
    for c in columns:
        by_table.setdefault(c["table"], []).append(c)
    # a view's column means what the stored column of that name means (one meaning per
    # name), unless the glossary says more
    meanings = {c["name"]: c["comment"] for c in columns if c["comment"]} | meanings
    out, unexplained = [], []
    for t in tables:
        if t["engine"] == "MaterializedView":
            continue  # a trigger, not something to query: its target table is listed
        kind = KINDS.get(t["engine"], f"table ({t['engine']})")
        out += [f"### `{t['name']}`", "", f"{t['comment'] or '(no comment)'} — {kind}.", ""]
        if t["name"] not in by_table and t["name"].endswith("_since"):
            # a parameterised view has no columns until it is called: they are those
            # of the view it bounds
            whole = t["name"].removesuffix("_since")
            out += [f"Its columns are `{whole}`'s.", ""]
            continue
        out += ["| column | type | meaning |", "|---|---|---|"]
        for c in by_table.get(t["name"], []):
            meaning = c["comment"] or meanings.get(c["name"], "")
            if not meaning:
                unexplained.append(f"{t['name']}.{c['name']}")
            cell = meaning.replace("|", "\\|")
            out.append(f"| `{c['name']}` | `{c['type']}` | {cell} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n", unexplained


def spliced(doc: str, generated: str) -> str:
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(doc):
        raise ValueError(f"{DOC} has no {BEGIN} ... {END} markers")
    return pattern.sub(lambda _: f"{BEGIN}\n{generated}{END}", doc)


def fresh_reference() -> tuple[str, list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_prepared_store(Settings(data_dir=Path(tmp)))
        try:
            return reference(store)
        finally:
            store.close()


if __name__ == "__main__":
    text, missing = fresh_reference()
    if missing:
        sys.exit(f"no meaning for: {', '.join(missing)} (add a COMMENT or a glossary entry)")
    DOC.write_text(spliced(DOC.read_text(), text))
    print(f"wrote {DOC}")
