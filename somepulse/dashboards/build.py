"""``somepulse grafana build``: dashboards as JSON under ``deploy/grafana/dashboards``."""

from __future__ import annotations

import json
from pathlib import Path

from somepulse.dashboards.boards import BOARDS

# relative to the working directory (a checkout, or the directory mounted into Grafana)
OUT_DIR = Path("deploy") / "grafana" / "dashboards"


def render(db: str = "somepulse") -> dict[str, str]:
    return {
        f"{b.uid}.json": json.dumps(b.to_json(db), indent=2, ensure_ascii=False) + "\n"
        for b in BOARDS
    }


def build(out_dir: Path = OUT_DIR, db: str = "somepulse") -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render(db).items():
        (out_dir / name).write_text(text)
        written.append(out_dir / name)
    return written


if __name__ == "__main__":
    for path in build():
        print(path)
