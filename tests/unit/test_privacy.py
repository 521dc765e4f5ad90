from __future__ import annotations

import hashlib
import hmac

import pytest

from somepulse.schemas.privacy import Pseudonymiser


def test_pseudonym_is_the_keyed_hmac() -> None:
    expected = hmac.new(b"k1", b"facebook-user-42", hashlib.sha256).hexdigest()[:32]
    assert Pseudonymiser(b"k1").pseudonym("facebook-user-42") == "p1_" + expected


def test_stable_per_secret_and_different_across_secrets() -> None:
    a, b = Pseudonymiser(b"secret-a"), Pseudonymiser(b"secret-b")
    assert a.pseudonym("u1") == Pseudonymiser(b"secret-a").pseudonym("u1")
    assert a.pseudonym("u1") != b.pseudonym("u1")
    assert a.pseudonym("u1") != a.pseudonym("u2")


def test_scrub_pseudonymises_people_and_drops_citizen_text() -> None:
    p = Pseudonymiser(b"k")
    event = {"kind": "interaction", "actor_id": "u1", "text": "fødselsnummer 010101"}
    p.scrub(event, keep_text=False)
    assert event == {"kind": "interaction", "actor_id": p.pseudonym("u1")}
    # applying twice does not hash twice
    assert p.scrub(dict(event), keep_text=False)["actor_id"] == event["actor_id"]
    kept = p.scrub({"kind": "private_message", "actor_id": "u1", "text": "hei"}, keep_text=True)
    assert kept["text"] == "hei"
    # the page's own post text is not personal data and stays
    post = p.scrub({"kind": "post_published", "text": "Nye regler"}, keep_text=False)
    assert post["text"] == "Nye regler"


def test_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        Pseudonymiser(b"")
