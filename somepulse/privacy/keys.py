"""The pseudonymisation key: created once, atomically, readable by its owner only, and
kept apart from the data it protects when configured so (GDPR Art. 4(5)).

The key file holds 64 hex characters (256 random bits). A rotation renames the current
file to ``<name>.retired-<key id>`` beside it and creates a new one: new pseudonyms use
the new key, while erasure still finds a person's old rows through the retired keys.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from somepulse.privacy.pseudonyms import Pseudonymiser
from somepulse.settings import Settings

log = logging.getLogger(__name__)
MIN_KEY_BYTES = 32
RETIRED = ".retired-"


class KeyFileError(RuntimeError):
    """A key that must not be used (too short, readable by others, unreadable)."""


@dataclass(frozen=True)
class KeyRing:
    current: Pseudonymiser
    retired: tuple[Pseudonymiser, ...] = ()
    path: Path | None = None

    @property
    def every(self) -> tuple[Pseudonymiser, ...]:
        return (self.current, *self.retired)


def load_keyring(path: Path, secret: str | None = None, *, create: bool) -> KeyRing | None:
    """The key from ``secret`` (an environment variable) or the file at ``path`` (created
    when missing and ``create``), with the retired keys beside the file. None when there
    is no key and none may be created."""
    retired = tuple(Pseudonymiser(read_key(p)) for p in retired_key_files(path))
    if secret is not None:
        return KeyRing(Pseudonymiser(_checked(secret.encode(), "SOMEPULSE_PSEUDONYM_SECRET")))
    if not path.exists():
        if not create:
            return None
        create_key(path)
    return KeyRing(Pseudonymiser(read_key(path)), retired, path)


def read_key(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("pseudonym key %s has mode %04o: refused", path, mode)
        raise KeyFileError(
            f"the pseudonym key {path} is readable by group or others (mode {mode:04o}); "
            f"run: chmod 600 {path}"
        )
    return _checked(path.read_bytes().strip(), str(path))


def _checked(key: bytes, where: str) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise KeyFileError(
            f"the pseudonym key in {where} has {len(key)} bytes; at least {MIN_KEY_BYTES} "
            "are needed (create one with: python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    return key


def create_key(path: Path) -> None:
    """Write a new key with mode 0600 from the first byte, published under its final
    name in one atomic step (a hard link, which fails if the name exists): two first
    starts at once end with one key, which both use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secrets.token_hex(32).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process created it first: use that one
    finally:
        tmp.unlink()


def retired_key_files(path: Path) -> list[Path]:
    if not path.parent.is_dir():
        return []
    return sorted(path.parent.glob(f"{path.name}{RETIRED}*"))


def rotate_key(path: Path) -> tuple[str, str]:
    """Retire the current key (kept for erasure) and create a new one: (old id, new id)."""
    old = Pseudonymiser(read_key(path))
    path.rename(path.with_name(f"{path.name}{RETIRED}{old.key_id}"))
    create_key(path)
    return old.key_id, Pseudonymiser(read_key(path)).key_id


def configured_keyring(settings: Settings, *, create: bool) -> KeyRing | None:
    """The keys the settings name (``SOMEPULSE_PSEUDONYM_SECRET`` or the key file)."""
    return load_keyring(settings.pseudonym_key_path, settings.pseudonym_secret_text, create=create)


def keyring(settings: Settings, *, create: bool = True) -> KeyRing:
    """The configured keys; the key file is created on first use unless ``create`` is
    False (then a missing key is an error: erasure must never invent a new key)."""
    ring = configured_keyring(settings, create=create)
    if ring is None:
        raise KeyFileError(f"no pseudonym key at {settings.pseudonym_key_path}")
    return ring
