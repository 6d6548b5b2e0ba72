"""Secret keys for pseudonymisation: load them from outside the notebook, derive one per purpose.

A pseudonymisation key is a *secret*: whoever holds it can recompute every pseudonym and
so re-link the data (GDPR Art. 4(5) asks that this "additional information" is kept
separately). It is therefore never typed into a notebook: it comes from an environment
variable (hex or base64 text) or from a key file (raw bytes, hex or base64).

Keys shorter than 32 bytes (256 bits) are refused. :func:`derive_key` turns one master
key into independent keys for different purposes with HKDF-SHA256, so that extracts
made for different purposes cannot be linked on their pseudonyms.

>>> import os, secrets
>>> os.environ["AI2MED_PSEUDONYM_KEY"] = secrets.token_hex(32)   # done outside the notebook
>>> master = load_key()
>>> len(master)
32
>>> derive_key(master, "research") != derive_key(master, "billing")
True
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "DEFAULT_KEY_ENV",
    "MIN_KEY_BYTES",
    "KeyProblem",
    "check_key",
    "load_key",
    "derive_key",
    "write_key_file",
]

DEFAULT_KEY_ENV = "AI2MED_PSEUDONYM_KEY"
MIN_KEY_BYTES = 32


class KeyProblem(ValueError):
    """A key is missing, unreadable or too short; the message says how to fix it."""


def _decode_text_key(text: str, where: str) -> bytes:
    text = text.strip()
    if not text:
        raise KeyProblem(f"the key in {where} is empty.")
    try:
        return bytes.fromhex(text)
    except ValueError:
        pass
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        pass
    try:
        return base64.urlsafe_b64decode(text)
    except (binascii.Error, ValueError):
        raise KeyProblem(
            f"the key in {where} is neither hex nor base64 text. "
            "Make one with `python -c 'import secrets; print(secrets.token_hex(32))'`."
        ) from None


def check_key(key: bytes, where: str = "the key") -> bytes:
    """Return ``key`` if it is bytes of at least :data:`MIN_KEY_BYTES`, else raise :class:`KeyProblem`."""
    if not isinstance(key, (bytes, bytearray)):
        raise TypeError(f"{where} must be bytes, got {type(key).__name__}; load it with load_key().")
    if len(key) < MIN_KEY_BYTES:
        raise KeyProblem(
            f"{where} is {len(key)} bytes long; at least {MIN_KEY_BYTES} bytes (256 bits) are "
            "needed. Make a new one with `secrets.token_bytes(32)` or write_key_file()."
        )
    return bytes(key)


def load_key(env_var: str = DEFAULT_KEY_ENV, key_file: str | os.PathLike | None = None) -> bytes:
    """Load a secret key from a key file (if given) or else from an environment variable.

    The file may hold raw bytes or hex/base64 text; the variable holds hex or base64 text.
    Raises :class:`KeyProblem` if the key is absent or shorter than 32 bytes.

    >>> import os, secrets
    >>> os.environ["MY_KEY"] = secrets.token_hex(32)
    >>> len(load_key("MY_KEY"))
    32
    """
    if key_file is not None:
        path = Path(key_file)
        if not path.is_file():
            raise KeyProblem(
                f"no key file at {str(path)!r}. Create one outside the notebook with "
                "ai2med_labs.privacy.write_key_file(path) and keep it out of version control."
            )
        raw = path.read_bytes()
        try:
            key = _decode_text_key(raw.decode("ascii"), f"key file {str(path)!r}")
        except (UnicodeDecodeError, KeyProblem):
            key = raw
        return check_key(key, f"the key in {str(path)!r}")
    text = os.environ.get(env_var)
    if text is None or not text.strip():
        raise KeyProblem(
            f"no key: the environment variable {env_var} is not set. Set it outside the notebook "
            f"(e.g. `export {env_var}=$(python -c 'import secrets; print(secrets.token_hex(32))')`) "
            "or pass key_file= pointing at a key file."
        )
    return check_key(_decode_text_key(text, f"${env_var}"), f"the key in ${env_var}")


def derive_key(master_key: bytes, purpose: str, length: int = 32) -> bytes:
    """Derive an independent key for one ``purpose`` from ``master_key`` with HKDF-SHA256.

    Pseudonyms made under keys for different purposes cannot be linked without the
    master key; the same purpose always gives the same key.

    >>> import secrets
    >>> m = secrets.token_bytes(32)
    >>> derive_key(m, "research") == derive_key(m, "research")
    True
    """
    check_key(master_key, "master_key")
    if not isinstance(purpose, str) or not purpose.strip():
        raise ValueError("purpose must be a non-empty string such as 'research' or 'quality-audit'.")
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=length,
        salt=None,
        info=b"ai2med-labs pseudonym key v1|" + purpose.encode("utf-8"),
    )
    return hkdf.derive(master_key)


def write_key_file(path: str | os.PathLike, n_bytes: int = 32, overwrite: bool = False) -> Path:
    """Write a fresh random key (hex text) to ``path`` with owner-only permissions.

    Run this once *outside* the notebook (or in a setup cell whose output is not kept);
    never commit the file.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{str(path)!r} exists; pass overwrite=True to replace the key.")
    if n_bytes < MIN_KEY_BYTES:
        raise KeyProblem(f"n_bytes={n_bytes} is too short; use at least {MIN_KEY_BYTES}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(n_bytes) + "\n")
    return path
