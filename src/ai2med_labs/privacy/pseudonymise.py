"""Keyed pseudonyms (HMAC-SHA256) for identifiers, on lists, DataFrames and in a Pipeline.

A pseudonym is ``HMAC-SHA256(key, identifier)`` written as hex and shortened to
``length`` characters. The same key always gives the same pseudonym, so tables and
extracts pseudonymised under one key still join; without the key nobody can recompute
(or dictionary-attack) them, unlike a plain SHA-256 of a national ID. Data pseudonymised
this way is still personal data (GDPR Art. 4(5), Recital 26): the key holder can re-link.

>>> import secrets
>>> key = secrets.token_bytes(32)          # in a lab: load_key(), never typed in
>>> a, b = pseudonymise(["P0000001", "P0000002"], key)
>>> len(a), a != b, pseudonymise(["P0000001"], key)[0] == a
(16, True, True)

On a DataFrame, :func:`pseudonymise_frame` replaces identifier columns in place and
drops direct identifiers; :class:`Pseudonymiser` does the same as a scikit-learn
transformer, loading its key from the environment (or a key file) when it runs.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterable, Sequence

import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from ai2med_labs.privacy.keys import DEFAULT_KEY_ENV, check_key, derive_key, load_key

__all__ = [
    "DIRECT_IDENTIFIERS",
    "pseudonymise",
    "pseudonymise_frame",
    "Pseudonymiser",
    "require_columns",
]

#: Columns of ``cohort.patients`` that identify a person on their own (dropped by default).
DIRECT_IDENTIFIERS: tuple[str, ...] = (
    "national_id",
    "given_name",
    "family_name",
    "address",
    "phone",
    "email",
)

_BIRTH_DATE_MODES = ("year", "month", "drop", "keep")


def require_columns(df: pd.DataFrame, columns: Iterable[str], what: str = "the table") -> None:
    """Raise a :class:`KeyError` naming the missing columns (and those present) if any are absent.

    Also raises :class:`ValueError` for an empty frame and :class:`TypeError` for a non-frame.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(df).__name__}.")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(
            f"{what} has no column(s) {missing}; its columns are {list(df.columns)}. "
            "Check the spelling, or pass the right column names."
        )
    if len(df) == 0:
        raise ValueError(f"{what} is empty (0 rows): there is nothing to work on.")


def _check_length(length: int) -> int:
    if not isinstance(length, int) or isinstance(length, bool) or length % 2 or not 8 <= length <= 64:
        raise ValueError(f"length must be an even whole number from 8 to 64 hex characters, got {length!r}.")
    return length // 2


def pseudonymise(values: Iterable[str], key: bytes, *, length: int = 16, prefix: str = "") -> list[str]:
    """Return the keyed pseudonym (hex HMAC-SHA256, ``length`` characters) of every value.

    Values are used as text (``str(v)``); ``None`` and NaN stay missing (``None``).
    16 hex characters (64 bits) make a collision among a million IDs very unlikely
    (about 1 in 40 million); use more for larger populations.

    >>> import secrets
    >>> k = secrets.token_bytes(32)
    >>> pseudonymise(["P1"], k, prefix="X-")[0].startswith("X-")
    True
    """
    key = check_key(key, "the pseudonymisation key")
    n = _check_length(length)
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        # hash each category once, then spread by code (-1 = missing)
        cats = pseudonymise(values.cat.categories.astype(str), key, length=length, prefix=prefix)
        lookup = [*cats, None]
        return [lookup[c] for c in values.cat.codes.tolist()]
    if isinstance(values, pd.Series):
        items = values.tolist()
    elif isinstance(values, (str, bytes)):
        raise TypeError("values must be a list or Series of identifiers, not a single string; wrap it: [value].")
    else:
        items = list(values)
    digest = hmac.digest
    try:  # fast path: every value is already text
        encoded = [v.encode("utf-8") for v in items]
    except AttributeError:
        return _pseudonymise_mixed(items, key, n, prefix)
    if prefix:
        return [prefix + digest(key, m, "sha256")[:n].hex() for m in encoded]
    return [digest(key, m, "sha256")[:n].hex() for m in encoded]


def _pseudonymise_mixed(items: list, key: bytes, n: int, prefix: str) -> list:
    out: list = []
    for v in items:
        if v is None or (isinstance(v, float) and v != v) or v is pd.NA or v is pd.NaT:
            out.append(None)
        else:
            out.append(prefix + hmac.digest(key, str(v).encode("utf-8"), "sha256")[:n].hex())
    return out


def pseudonymise_frame(
    df: pd.DataFrame,
    columns: Sequence[str],
    key: bytes,
    *,
    drop: Iterable[str] = DIRECT_IDENTIFIERS,
    birth_date: str = "year",
    length: int = 16,
) -> pd.DataFrame:
    """Return a copy of ``df`` with ``columns`` replaced by keyed pseudonyms and identifiers removed.

    - ``columns``: identifier columns to pseudonymise in place (same name, new values),
      e.g. ``["patient_id"]``; other tables pseudonymised with the same key still join.
    - ``drop``: direct identifiers to remove if present (default :data:`DIRECT_IDENTIFIERS`).
    - ``birth_date``: ``"year"`` (default) replaces ``birth_date`` by ``birth_year``,
      ``"month"`` by ``birth_month`` (first of the month), ``"drop"`` removes it, ``"keep"`` keeps it.

    >>> import secrets
    >>> df = pd.DataFrame({"patient_id": ["P1", "P2"], "email": ["a@example.org", "b@example.org"]})
    >>> list(pseudonymise_frame(df, ["patient_id"], secrets.token_bytes(32)).columns)
    ['patient_id']
    """
    if isinstance(columns, str):
        columns = [columns]
    require_columns(df, columns, "the frame to pseudonymise")
    if birth_date not in _BIRTH_DATE_MODES:
        raise ValueError(f"birth_date must be one of {_BIRTH_DATE_MODES}, got {birth_date!r}.")
    out = df.drop(columns=[c for c in drop if c in df.columns and c not in columns])
    for col in columns:
        out[col] = pseudonymise(out[col], key, length=length)
    if "birth_date" in out.columns and birth_date != "keep":
        born = pd.to_datetime(out["birth_date"])
        pos = out.columns.get_loc("birth_date")
        out = out.drop(columns="birth_date")
        if birth_date == "year":
            out.insert(pos, "birth_year", born.dt.year.astype("Int64"))
        elif birth_date == "month":
            out.insert(pos, "birth_month", born.dt.to_period("M").dt.to_timestamp())
    return out


class Pseudonymiser(TransformerMixin, BaseEstimator):
    """scikit-learn transformer: pseudonymise identifier columns and drop direct identifiers.

    The key is read when the transformer runs, from the environment variable ``env_var``
    or from ``key_file``; it is never a parameter, so it never shows in a repr, a
    pickled pipeline or a notebook. With ``purpose`` set, the key used is
    ``derive_key(master, purpose)``: extracts for different purposes do not link.

    Parameters mirror :func:`pseudonymise_frame` (``columns``, ``drop``, ``birth_date``,
    ``length``).

    >>> import os, secrets
    >>> os.environ["AI2MED_PSEUDONYM_KEY"] = secrets.token_hex(32)
    >>> df = pd.DataFrame({"patient_id": ["P1", "P2"], "given_name": ["Ann", "Bo"], "age": [40, 50]})
    >>> Pseudonymiser(purpose="research").fit_transform(df).columns.tolist()
    ['patient_id', 'age']
    """

    def __init__(
        self,
        columns: Sequence[str] = ("patient_id",),
        *,
        drop: Sequence[str] = DIRECT_IDENTIFIERS,
        birth_date: str = "year",
        purpose: str | None = None,
        env_var: str = DEFAULT_KEY_ENV,
        key_file: str | os.PathLike | None = None,
        length: int = 16,
    ) -> None:
        self.columns = columns
        self.drop = drop
        self.birth_date = birth_date
        self.purpose = purpose
        self.env_var = env_var
        self.key_file = key_file
        self.length = length

    def _key(self) -> bytes:
        master = load_key(self.env_var, self.key_file)
        return derive_key(master, self.purpose) if self.purpose else master

    def _columns(self) -> list[str]:
        return [self.columns] if isinstance(self.columns, str) else list(self.columns)

    def fit(self, X: pd.DataFrame, y=None) -> Pseudonymiser:  # noqa: N803 (scikit-learn naming)
        """Check the input columns and that a key is available; learns nothing from the data."""
        require_columns(X, self._columns(), "the frame to pseudonymise")
        self._key()  # fail early, with a clear message, if the key is absent or too short
        self.feature_names_in_ = list(map(str, X.columns))
        self.n_features_in_ = len(self.feature_names_in_)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:  # noqa: N803
        """Return the pseudonymised copy of ``X`` (a DataFrame)."""
        if not hasattr(self, "feature_names_in_"):
            raise RuntimeError("this Pseudonymiser is not fitted yet; call fit(X) or fit_transform(X) first.")
        return pseudonymise_frame(
            X, self._columns(), self._key(), drop=self.drop, birth_date=self.birth_date, length=self.length
        )

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns (for ``Pipeline.get_feature_names_out``)."""
        import numpy as np

        names = list(input_features) if input_features is not None else self.feature_names_in_
        cols = set(self._columns())
        out = []
        for c in names:
            if c in self.drop and c not in cols:
                continue
            if c == "birth_date" and self.birth_date != "keep":
                if self.birth_date in ("year", "month"):
                    out.append(f"birth_{self.birth_date}")
                continue
            out.append(c)
        return np.asarray(out, dtype=object)
