from __future__ import annotations

import hashlib
import hmac
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from somepulse.privacy.keys import KeyFileError, create_key, load_keyring, read_key, rotate_key
from somepulse.privacy.pseudonyms import Pseudonymiser, is_pseudonym, redact

KEY = b"0123456789abcdef0123456789abcdef"


def test_pseudonym_is_the_domain_separated_keyed_hmac_with_the_key_id() -> None:
    mac = hmac.new(KEY, b"person:facebook:facebook-user-42", hashlib.sha256).hexdigest()
    kid = hashlib.sha256(b"somepulse-key-id:" + KEY).hexdigest()[:8]
    assert Pseudonymiser(KEY).pseudonym("facebook", "facebook-user-42") == f"p2_{kid}_{mac[:32]}"


def test_stable_per_key_and_different_across_keys_platforms_and_domains() -> None:
    a, b = Pseudonymiser(b"secret-a"), Pseudonymiser(b"secret-b")
    assert a.pseudonym("facebook", "u1") == Pseudonymiser(b"secret-a").pseudonym("facebook", "u1")
    assert a.pseudonym("facebook", "u1") != b.pseudonym("facebook", "u1")
    assert a.pseudonym("facebook", "u1") != a.pseudonym("facebook", "u2")
    # one person's ids on two platforms do not link (security review P6)
    assert a.pseudonym("facebook", "u1") != a.pseudonym("instagram", "u1")
    assert a.pseudonym("facebook", "u1") != a.pseudonym("facebook", "u1", "thread")


def test_scrub_pseudonymises_people_and_threads_and_drops_citizen_text() -> None:
    p = Pseudonymiser(KEY)
    event = {
        "kind": "private_message",
        "platform": "facebook",
        "actor_id": 100004567890123,  # numbers are ids too (security review P2)
        "thread_id": "t_99",
        "text": "fødselsnummer 010101",
    }
    p.scrub(event, keep_text=False)
    assert event == {
        "kind": "private_message",
        "platform": "facebook",
        "actor_id": p.pseudonym("facebook", "100004567890123"),
        "thread_id": p.pseudonym("facebook", "t_99", "thread"),
    }
    assert is_pseudonym(event["actor_id"]) and is_pseudonym(event["thread_id"])
    # applying twice does not hash twice
    assert p.scrub(dict(event), keep_text=False) == event
    kept = p.scrub({"kind": "private_message", "actor_id": "u1", "text": "hei"}, keep_text=True)
    assert kept["text"] == "hei"
    # a misspelt kind loses its text too: only the page's own posts keep it
    assert "text" not in p.scrub({"kind": "Interaction", "text": "hei"}, keep_text=False)
    post = p.scrub({"kind": "post_published", "text": "Nye regler"}, keep_text=False)
    assert post["text"] == "Nye regler"
    # something that cannot be an id never travels
    assert p.scrub({"actor_id": {"name": "Kari"}}, keep_text=False)["actor_id"] == "<redacted>"


def test_redact_keeps_structure_and_numbers_only() -> None:
    doc = {
        "kind": "interaction",
        "page_id": "nav",
        "actor_id": "100004567890123",
        "text": "Kari Nordmann, 01017012345",
        "reach": 5,
        "extra": {"name": "Kari"},
        "names": ["Kari"],
    }
    assert redact(doc) == {
        "kind": "interaction",
        "page_id": "nav",
        "actor_id": "<redacted>",
        "text": "<redacted: 26 characters>",
        "reach": 5,
        "extra": "<redacted: dict>",
        "names": "<redacted: list>",
    }
    assert redact([doc, "Kari", 7])[1:] == ["<redacted: 4 characters>", 7]


def test_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        Pseudonymiser(b"")


def test_key_file_is_created_0600_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "pseudonym.key"
    ring = load_keyring(path, create=True)
    assert ring is not None and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_bytes()) == 64
    again = load_keyring(path, create=False)
    assert again is not None and again.current.key_id == ring.current.key_id
    assert load_keyring(tmp_path / "none.key", create=False) is None


def _create(path: str) -> str:
    create_key(Path(path))
    return Path(path).read_text()


def test_concurrent_first_starts_end_with_one_key(tmp_path: Path) -> None:
    path = tmp_path / "pseudonym.key"
    with multiprocessing.get_context("fork").Pool(8) as pool:
        keys = set(pool.map(_create, [str(path)] * 32))
    assert keys == {path.read_text()} and len(path.read_text()) == 64
    assert [p.name for p in tmp_path.iterdir()] == ["pseudonym.key"]  # no temp files left


def test_readable_or_short_keys_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "pseudonym.key"
    create_key(path)
    os.chmod(path, 0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        read_key(path)
    os.chmod(path, 0o600)
    path.write_text("short")
    with pytest.raises(KeyFileError, match="at least 32"):
        read_key(path)
    with pytest.raises(KeyFileError, match="at least 32"):
        load_keyring(path, "x", create=False)


def test_rotation_keeps_the_old_key_for_erasure(tmp_path: Path) -> None:
    path = tmp_path / "pseudonym.key"
    create_key(path)
    old, new = rotate_key(path)
    ring = load_keyring(path, create=False)
    assert ring is not None and old != new
    assert ring.current.key_id == new and [k.key_id for k in ring.retired] == [old]
    assert stat.S_IMODE((tmp_path / f"pseudonym.key.retired-{old}").stat().st_mode) == 0o600
