"""Per-patient date shifting: hide calendar dates, keep every interval within a patient.

Each patient gets one offset of between ``-max_days`` and ``+max_days`` (never 0), derived
from a keyed HMAC of their identifier, so it is stable (the same under the same key,
run after run) yet cannot be worked out without the key. All of a patient's dates move
by the same number of days, so lengths of stay, time to readmission and ages at an event
(up to the shift) are kept; calendar dates, weekdays and seasons are not.

>>> import secrets
>>> key = secrets.token_bytes(32)
>>> df = pd.DataFrame({"patient_id": ["P1", "P1"],
...                    "admit_date": pd.to_datetime(["2024-01-01", "2024-03-01"])})
>>> out = shift_dates(df, ["admit_date"], key)
>>> bool(out["admit_date"].diff().iloc[1] == df["admit_date"].diff().iloc[1])
True
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ai2med_labs.privacy.keys import check_key
from ai2med_labs.privacy.pseudonymise import require_columns

__all__ = ["date_offsets", "shift_dates"]


def date_offsets(ids: Sequence[str] | pd.Series, key: bytes, max_days: int = 180) -> pd.Series:
    """Return each identifier's shift in whole days, in ``[-max_days, -1] ∪ [1, max_days]``.

    Derived from ``HMAC-SHA256(key, "date-shift|" + id)``: stable under one key.
    """
    key = check_key(key, "the date-shift key")
    if not isinstance(max_days, (int, np.integer)) or max_days < 1:
        raise ValueError(f"max_days must be a whole number of days >= 1, got {max_days!r}.")
    index = ids.index if isinstance(ids, pd.Series) else None
    values = ids.tolist() if isinstance(ids, pd.Series) else list(ids)
    digest = hmac.digest
    raw = b"".join([digest(key, b"date-shift|" + str(v).encode("utf-8"), "sha256")[:8] for v in values])
    r = np.frombuffer(raw, dtype="<u8") % np.uint64(2 * max_days)
    mags = r.astype(np.int64)
    shift = np.where(mags < max_days, mags - max_days, mags - max_days + 1)  # skip 0
    return pd.Series(shift, index=index, name="date_shift_days")


def shift_dates(
    df: pd.DataFrame,
    date_columns: Sequence[str],
    key: bytes,
    *,
    id_column: str = "patient_id",
    max_days: int = 180,
) -> pd.DataFrame:
    """Return a copy of ``df`` with every column in ``date_columns`` moved by the patient's offset.

    Rows of the same ``id_column`` value move together, in any table, so shifting
    patients and their encounters with the same key keeps them consistent.
    Missing dates stay missing.
    """
    if isinstance(date_columns, str):
        date_columns = [date_columns]
    require_columns(df, [id_column, *date_columns], "the frame to date-shift")
    out = df.copy()
    codes, uniques = pd.factorize(out[id_column])
    per_id = date_offsets(pd.Series(uniques.astype(str)), key, max_days).to_numpy()
    days = np.where(codes >= 0, per_id[np.maximum(codes, 0)], 0)
    delta = pd.to_timedelta(days, unit="D")
    for col in date_columns:
        out[col] = pd.to_datetime(out[col]) + delta
    return out
