"""A token vault: random tokens for identifiers, with the mapping held apart.

Unlike a keyed hash, a token carries no information at all: it is drawn at random
(:mod:`secrets`) and only the vault knows which identifier it stands for. The vault
(the "additional information" of GDPR Art. 4(5)) is stored apart from the data, by the
party authorised to re-link. Erasing a person's entry (GDPR Art. 17) makes their
tokens permanently meaningless.

>>> vault = TokenVault()
>>> tokens = vault.tokenise(["P0000001", "P0000002", "P0000001"])
>>> tokens[0] == tokens[2], tokens[0] != tokens[1]
(True, True)
>>> vault.relink(tokens[:1])
['P0000001']
>>> vault.erase("P0000001")
True
>>> vault.relink(tokens[:1])
[None]
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

__all__ = ["TokenVault"]


class TokenVault:
    """Hands out random tokens for identifiers and keeps the only way back.

    - :meth:`tokenise` gives each new identifier a fresh random token (the same
      identifier keeps its token).
    - :meth:`relink` maps tokens back (the authorised party only); unknown or erased
      tokens give ``None``.
    - :meth:`erase` deletes a person's mapping; :meth:`save` / :meth:`load` keep the
      vault in its own file, apart from the data.
    """

    def __init__(self, prefix: str = "T", n_bytes: int = 8) -> None:
        if n_bytes < 6:
            raise ValueError(f"n_bytes={n_bytes} gives guessable tokens; use at least 6.")
        self.prefix = prefix
        self.n_bytes = n_bytes
        self._to_token: dict[str, str] = {}
        self._to_value: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._to_token)

    def __repr__(self) -> str:  # never print the mapping itself
        return f"TokenVault({len(self)} identifiers)"

    def __contains__(self, value: object) -> bool:
        return str(value) in self._to_token

    def _new_token(self) -> str:
        while True:
            token = self.prefix + secrets.token_hex(self.n_bytes)
            if token not in self._to_value:
                return token

    def tokenise(self, values: Iterable) -> list[str]:
        """Return a token for every value (text); new values get fresh random tokens.

        Missing values (None/NaN) stay ``None``.
        """
        if isinstance(values, (str, bytes)):
            raise TypeError("tokenise() takes a list or Series of values; wrap one value in a list.")
        out: list = []
        to_token = self._to_token
        for v in values:
            if v is None or v is pd.NA or (isinstance(v, float) and v != v):
                out.append(None)
                continue
            v = str(v)
            token = to_token.get(v)
            if token is None:
                token = self._new_token()
                to_token[v] = token
                self._to_value[token] = v
            out.append(token)
        return out

    def relink(self, tokens: Iterable) -> list[str | None]:
        """Map tokens back to the identifiers they stand for (``None`` if unknown or erased)."""
        if isinstance(tokens, (str, bytes)):
            raise TypeError("relink() takes a list or Series of tokens; wrap one token in a list.")
        get = self._to_value.get
        return [None if t is None else get(str(t)) for t in tokens]

    def erase(self, value) -> bool:
        """Delete the mapping for identifier ``value``; return whether there was one."""
        token = self._to_token.pop(str(value), None)
        if token is None:
            return False
        del self._to_value[token]
        return True

    def to_frame(self) -> pd.DataFrame:
        """The mapping as a DataFrame (columns ``value``, ``token``) for the authorised party."""
        return pd.DataFrame({"value": list(self._to_token), "token": list(self._to_token.values())})

    def save(self, path: str | os.PathLike) -> Path:
        """Write the vault to its own JSON file (owner-only permissions), apart from the data."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"prefix": self.prefix, "n_bytes": self.n_bytes, "mapping": self._to_token}, fh)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> TokenVault:
        """Read a vault written by :meth:`save`."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no token vault at {str(path)!r}; was it saved with vault.save(path)?")
        data = json.loads(path.read_text(encoding="utf-8"))
        vault = cls(prefix=data["prefix"], n_bytes=data["n_bytes"])
        vault._to_token = dict(data["mapping"])
        vault._to_value = {t: v for v, t in vault._to_token.items()}
        return vault
