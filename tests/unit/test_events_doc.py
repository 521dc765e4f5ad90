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


def test_the_bring_your_own_collector_example_covers_every_kind() -> None:
    """docs/examples/events.jsonl is what a team's own collector writes: raw platform
    ids, one line per kind. `somepulse collect jsonl` scrubs each line (the publisher's
    pseudonymisation) and the worker then accepts it; no raw id survives the scrub."""
    from tests.helpers import scrubbed

    path = DOC.parent / "examples" / "events.jsonl"
    lines = [orjson.loads(line) for line in path.read_text().splitlines() if line.strip()]
    assert {line["kind"] for line in lines} == set(KINDS)
    raw_ids = {"10158421187654321", "t_1029384756", "staff_7741"}
    assert raw_ids & {str(v) for line in lines for v in line.values()} == raw_ids
    for line in lines:
        published = scrubbed(dict(line))
        assert not raw_ids & {str(v) for v in published.values()}, line["kind"]
        EVENT_ADAPTER.validate_python(published)
