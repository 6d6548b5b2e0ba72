"""Security helpers for lab 09: encryption at rest, signed transfers, a hash-chained audit
log and role-based access rules. All cryptography comes from the ``cryptography``
package and :mod:`hashlib` / :mod:`hmac`; nothing here is home-made crypto.

- **Encryption at rest** (GDPR Art. 32(1)(a)): :func:`generate_key`, :func:`encrypt`,
  :func:`decrypt` use Fernet (AES-128-CBC + HMAC-SHA256): a changed byte is detected
  and raises :class:`TamperedError`. :func:`encrypt_file` / :func:`decrypt_file` for files.
- **Signed transfer**: :func:`generate_signing_key`, :func:`sign`, :func:`verify`
  (Ed25519). The receiver, holding only the public key, learns who sent the data and
  that it was not altered; :func:`verify` raises :class:`SignatureError` otherwise.
- **Audit log**: :class:`AuditLog` appends entries whose SHA-256 hash covers the
  previous entry's hash; :meth:`AuditLog.verify` names the first entry that was edited.
- **Access control**: :class:`AccessPolicy` is a small table of role -> resource ->
  actions; :meth:`AccessPolicy.check` raises :class:`AccessDenied` (a PermissionError).

>>> key = generate_key()
>>> token = encrypt(b"patient record", key)
>>> decrypt(token, key)
b'patient record'
>>> private, public = generate_signing_key()
>>> verify(b"extract", sign(b"extract", private), public)
>>> log = AuditLog()
>>> _ = log.append("dr_lee", "read", "patients/P0000001")
>>> log.verify()
>>> POLICY.allows("researcher", "read", "pseudonymised_extract")
True
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "TamperedError",
    "SignatureError",
    "AuditLogError",
    "AccessDenied",
    "generate_key",
    "encrypt",
    "decrypt",
    "encrypt_file",
    "decrypt_file",
    "generate_signing_key",
    "public_key_bytes",
    "load_public_key",
    "sign",
    "verify",
    "AuditLog",
    "verify_chain",
    "AccessPolicy",
    "POLICY",
]


class TamperedError(ValueError):
    """Encrypted data was changed, truncated, or is being opened with the wrong key."""


class SignatureError(ValueError):
    """A signature does not match the data and public key: altered data or wrong sender."""


class AuditLogError(ValueError):
    """The audit log's hash chain is broken: an entry was edited, removed or inserted."""


class AccessDenied(PermissionError):
    """A role asked for an action its policy does not allow."""


def _as_bytes(data: bytes | str, name: str) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(
        f"{name} must be bytes (or text), got {type(data).__name__}; "
        "turn a DataFrame into bytes with df.to_csv(index=False).encode()."
    )


# ----------------------------------------------------------------------------- encryption at rest
def generate_key() -> bytes:
    """A fresh random Fernet key (44 bytes of base64). Keep it apart from the data it protects."""
    return Fernet.generate_key()


def _fernet(key: bytes) -> Fernet:
    try:
        return Fernet(key)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            "the encryption key is not a valid Fernet key (32 url-safe base64-encoded bytes); "
            "make one with generate_key()."
        ) from exc


def encrypt(data: bytes | str, key: bytes) -> bytes:
    """Encrypt and authenticate ``data`` with Fernet; returns a token (bytes)."""
    return _fernet(key).encrypt(_as_bytes(data, "data"))


def decrypt(token: bytes, key: bytes) -> bytes:
    """Decrypt a token from :func:`encrypt`; raise :class:`TamperedError` if it was altered."""
    try:
        return _fernet(key).decrypt(_as_bytes(token, "token"))
    except InvalidToken:
        raise TamperedError(
            "decryption failed: the ciphertext was modified (or truncated), or this is not the "
            "key it was encrypted with. Do not use the data; fetch an intact copy."
        ) from None


def encrypt_file(path: str | os.PathLike, key: bytes, out: str | os.PathLike | None = None) -> Path:
    """Encrypt the file at ``path`` to ``out`` (default: ``path`` + ".enc"); returns ``out``."""
    src = Path(path)
    dst = Path(out) if out is not None else src.with_name(src.name + ".enc")
    dst.write_bytes(encrypt(src.read_bytes(), key))
    return dst


def decrypt_file(path: str | os.PathLike, key: bytes) -> bytes:
    """Return the decrypted contents of a file written by :func:`encrypt_file`."""
    return decrypt(Path(path).read_bytes(), key)


# ----------------------------------------------------------------------------- signatures
def generate_signing_key() -> tuple[Ed25519PrivateKey, Ed25519PublicKey]:
    """A new Ed25519 key pair ``(private, public)``: the sender keeps the private key."""
    private = Ed25519PrivateKey.generate()
    return private, private.public_key()


def public_key_bytes(public_key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of a public key, to publish or send to the receiver."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_public_key(raw: bytes) -> Ed25519PublicKey:
    """Rebuild a public key from :func:`public_key_bytes`."""
    return Ed25519PublicKey.from_public_bytes(raw)


def sign(data: bytes | str, private_key: Ed25519PrivateKey) -> bytes:
    """The Ed25519 signature (64 bytes) of ``data``."""
    if not isinstance(private_key, Ed25519PrivateKey):
        raise TypeError(
            f"private_key must be an Ed25519PrivateKey (from generate_signing_key()), got {type(private_key).__name__}."
        )
    return private_key.sign(_as_bytes(data, "data"))


def verify(data: bytes | str, signature: bytes, public_key: Ed25519PublicKey | bytes) -> None:
    """Return ``None`` if ``signature`` is valid for ``data``; else raise :class:`SignatureError`."""
    if isinstance(public_key, (bytes, bytearray)):
        public_key = load_public_key(bytes(public_key))
    if not isinstance(public_key, Ed25519PublicKey):
        raise TypeError(f"public_key must be an Ed25519PublicKey or its 32 raw bytes, got {type(public_key).__name__}.")
    try:
        public_key.verify(_as_bytes(signature, "signature"), _as_bytes(data, "data"))
    except InvalidSignature:
        raise SignatureError(
            "signature check failed: the data were altered in transit, or they were not signed "
            "by the holder of this public key. Reject the transfer."
        ) from None


# ----------------------------------------------------------------------------- audit log
_GENESIS = "0" * 64
_FIELDS = ("index", "time", "actor", "action", "resource", "detail", "prev_hash")


def _entry_hash(entry: Mapping, key: bytes | None) -> str:
    payload = json.dumps({f: entry[f] for f in _FIELDS}, sort_keys=True, separators=(",", ":")).encode()
    if key is None:
        return hashlib.sha256(payload).hexdigest()
    return hmac.new(key, payload, "sha256").hexdigest()


@dataclass
class AuditLog:
    """An append-only log of who did what to which record, protected by a hash chain.

    Every entry stores the hash of the previous one and its own SHA-256 hash (an HMAC
    if ``key`` is given, so that someone who edits an entry cannot simply recompute the
    chain). :meth:`verify` recomputes the chain and raises :class:`AuditLogError`
    naming the first entry that does not match.
    """

    key: bytes | None = field(default=None, repr=False)
    _entries: list[dict] = field(default_factory=list, repr=False, init=False)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def entries(self) -> list[dict]:
        """A copy of the entries (editing the copy does not change the log)."""
        return [dict(e) for e in self._entries]

    def append(self, actor: str, action: str, resource: str, detail: str = "", time: str | None = None) -> dict:
        """Add an entry and return it. ``time`` defaults to now (UTC, ISO 8601)."""
        for name, value in (("actor", actor), ("action", action), ("resource", resource)):
            if not isinstance(value, str) or not value:
                raise ValueError(f"{name} must be a non-empty string, got {value!r}.")
        entry = {
            "index": len(self._entries),
            "time": time or datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "actor": actor,
            "action": action,
            "resource": resource,
            "detail": str(detail),
            "prev_hash": self._entries[-1]["hash"] if self._entries else _GENESIS,
        }
        entry["hash"] = _entry_hash(entry, self.key)
        self._entries.append(entry)
        return dict(entry)

    def verify(self) -> None:
        """Recompute the chain; raise :class:`AuditLogError` at the first broken entry."""
        verify_chain(self._entries, self.key)

    def to_frame(self) -> pd.DataFrame:
        """The log as a DataFrame, one row per entry."""
        return pd.DataFrame(self._entries, columns=[*_FIELDS, "hash"])

    def to_jsonl(self, path: str | os.PathLike) -> Path:
        """Write one JSON entry per line."""
        path = Path(path)
        path.write_text("".join(json.dumps(e) + "\n" for e in self._entries), encoding="utf-8")
        return path

    @classmethod
    def from_entries(cls, entries: Iterable[Mapping], key: bytes | None = None) -> AuditLog:
        """Rebuild a log from entries (e.g. a stored copy) and verify its chain."""
        log = cls(key=key)
        log._entries = [dict(e) for e in entries]
        log.verify()
        return log

    @classmethod
    def from_jsonl(cls, path: str | os.PathLike, key: bytes | None = None) -> AuditLog:
        """Read a log written by :meth:`to_jsonl` and verify its chain."""
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        return cls.from_entries([json.loads(line) for line in lines if line.strip()], key)


def verify_chain(entries: Iterable[Mapping] | pd.DataFrame, key: bytes | None = None) -> None:
    """Check a sequence of audit entries (dicts or a DataFrame from :meth:`AuditLog.to_frame`)."""
    if isinstance(entries, pd.DataFrame):
        entries = entries.to_dict("records")
    prev = _GENESIS
    for pos, e in enumerate(entries):
        missing = [f for f in (*_FIELDS, "hash") if f not in e]
        if missing:
            raise AuditLogError(f"entry {pos} lacks field(s) {missing}.")
        if int(e["index"]) != pos:
            raise AuditLogError(f"entry {pos} says it is entry {e['index']}: an entry was removed or inserted.")
        if e["prev_hash"] != prev:
            raise AuditLogError(
                f"entry {pos} does not follow entry {pos - 1}: its prev_hash does not match; "
                "an entry before it was changed, removed or inserted."
            )
        if _entry_hash(e, key) != e["hash"]:
            raise AuditLogError(f"entry {pos} was edited after it was written: its hash does not match its content.")
        prev = e["hash"]


# ----------------------------------------------------------------------------- access control
class AccessPolicy:
    """Role-based access rules: ``{role: {resource: {actions}}}``; deny unless allowed.

    >>> p = AccessPolicy({"nurse": {"observations": {"read", "write"}}})
    >>> p.allows("nurse", "read", "observations"), p.allows("nurse", "read", "patients")
    (True, False)
    """

    def __init__(self, rules: Mapping[str, Mapping[str, Iterable[str]]]) -> None:
        self.rules = {role: {res: frozenset(acts) for res, acts in r.items()} for role, r in rules.items()}

    def allows(self, role: str, action: str, resource: str) -> bool:
        """Whether ``role`` may do ``action`` on ``resource``."""
        return action in self.rules.get(role, {}).get(resource, frozenset())

    def check(self, role: str, action: str, resource: str, log: AuditLog | None = None) -> None:
        """Return ``None`` if allowed, else raise :class:`AccessDenied`; record the decision in ``log``."""
        ok = self.allows(role, action, resource)
        if log is not None:
            log.append(role, action, resource, detail="allowed" if ok else "denied")
        if ok:
            return
        if role not in self.rules:
            raise AccessDenied(f"unknown role {role!r}; known roles are {sorted(self.rules)}.")
        granted = {res: sorted(a) for res, a in self.rules[role].items()}
        raise AccessDenied(
            f"role {role!r} may not {action!r} {resource!r}. This role is allowed: {granted}. "
            "Ask the data controller if your task really needs more (GDPR Art. 5(1)(c), 25)."
        )

    def to_frame(self) -> pd.DataFrame:
        """The policy as a table: one row per (role, resource) with the allowed actions."""
        rows = [
            {"role": role, "resource": res, "actions": ", ".join(sorted(acts))}
            for role, r in self.rules.items()
            for res, acts in r.items()
        ]
        return pd.DataFrame(rows, columns=["role", "resource", "actions"])


#: A default policy for the labs (need-to-know: each role gets only what its task needs).
POLICY = AccessPolicy(
    {
        "clinician": {
            "patients": {"read"},
            "encounters": {"read", "write"},
            "observations": {"read", "write"},
        },
        "researcher": {"pseudonymised_extract": {"read"}, "anonymised_extract": {"read"}},
        "data_steward": {
            "patients": {"read", "write", "erase"},
            "token_vault": {"read", "relink", "erase"},
            "pseudonymised_extract": {"read", "create"},
            "anonymised_extract": {"read", "create"},
        },
        "auditor": {"audit_log": {"read"}},
    }
)
