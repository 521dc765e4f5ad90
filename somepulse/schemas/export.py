"""Generate the JSON Schema files under ``schemas/json/`` (one per model + the union).

``python -m somepulse.schemas.export`` writes them; ``tests/test_schemas.py`` fails when they are
stale.
"""

from __future__ import annotations

import json
from pathlib import Path

from somepulse.schemas.events import EVENT_ADAPTER, EVENT_MODELS

JSON_DIR = Path(__file__).parent / "json"


def render() -> dict[str, str]:
    """File name -> JSON text for every schema."""
    files: dict[str, str] = {}
    for model in EVENT_MODELS:
        kind = model.model_fields["kind"].default
        files[f"{kind}.schema.json"] = _dump(model.model_json_schema())
    files["event.schema.json"] = _dump(EVENT_ADAPTER.json_schema())
    return files


def _dump(schema: dict[str, object]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(directory: Path = JSON_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render().items():
        path = directory / name
        path.write_text(text)
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write():
        print(p)
