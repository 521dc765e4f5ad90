"""Reference configuration shipped with the package (pages, score, alert rules).

A deployment points ``SOMEPULSE_CONFIG_DIR`` at its own directory; a file missing there
falls back to the packaged default, so an agency can override only ``pages.toml``.
"""

from __future__ import annotations

from pathlib import Path

PACKAGED = Path(__file__).resolve().parent


def config_file(name: str, directory: Path | None = None) -> Path:
    """``directory/name`` when it exists there, else the packaged default."""
    if directory is not None and (directory / name).is_file():
        return directory / name
    return PACKAGED / name


__all__ = ["PACKAGED", "config_file"]
