"""docs/events.md cannot drift from the code: every kind has a section, and every
example in it validates as the worker would validate it."""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from somepulse.schemas import EVENT_ADAPTER, KINDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_every_kind_has_a_section_and_every_example_validates() -> None:
    text = DOC.read_text()
    headings = " ".join(re.findall(r"^### (.+)$", text, re.M))
    assert all(kind in headings for kind in KINDS), [k for k in KINDS if k not in headings]
    examples = re.findall(r"```json\n(.*?)```", text, re.S)
    kinds = set()
    for example in examples:
        event = EVENT_ADAPTER.validate_python(orjson.loads(example))
        kinds.add(event.kind)
    assert kinds == set(KINDS)
