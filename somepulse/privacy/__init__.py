"""Privacy by construction: pseudonyms for people, scrubbing before anything is
published, redaction of what the worker cannot store, and the key that makes it work."""

from somepulse.privacy.keys import KeyFileError, KeyRing, load_keyring
from somepulse.privacy.pseudonyms import Pseudonymiser, is_pseudonym, redact

__all__ = ["KeyFileError", "KeyRing", "Pseudonymiser", "is_pseudonym", "load_keyring", "redact"]
