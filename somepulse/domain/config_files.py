"""What the TOML loaders of the domain (pages, metric catalogue) share: one-line
reasons from a validation error, and the lines of a file's ``[[table]]`` entries, so a
mistake is reported with the file and line to fix."""

from __future__ import annotations

from pydantic import ValidationError


def problems(exc: ValidationError) -> str:
    """Every problem of one entry on one line: ``field.path: message``."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
        for e in exc.errors()
    )


def entry_lines(text: str, table: str) -> list[int]:
    """The line numbers of each ``[[table]]`` header, in file order."""
    header = f"[[{table}]]"
    return [n for n, line in enumerate(text.splitlines(), start=1) if line.strip() == header]
