"""What every collector does to an event before it leaves the machine, beyond the
publisher's scrub: the question detector reads the text people wrote (the only place
it may: the text is dropped right after) and leaves its verdict on the event."""

from __future__ import annotations

from typing import Any

from somepulse.domain.needs_reply import classify

_PEOPLES_WORDS = ("comment", "reply")


def detect_question(event: dict[str, Any]) -> None:
    """Set ``is_question`` and ``question_reason`` of a comment, reply or incoming
    message from its text (in place), unless the source already decided."""
    text = event.get("text")
    if not isinstance(text, str) or "is_question" in event:
        return
    kind = event.get("kind")
    if kind == "interaction":
        if event.get("interaction_type") not in _PEOPLES_WORDS:
            return
    elif kind != "private_message" or event.get("direction") != "in":
        return
    if event.get("verb", "add") not in ("add", "edit", "edited"):
        return
    verdict = classify(text, with_language=False)  # only the verdict travels on
    event["is_question"] = verdict.needs_reply
    event["question_reason"] = verdict.reason
