"""Generalisation hierarchies and suppression: coarsen quasi-identifiers until groups are large.

Each function takes a column (Series) and returns a coarser one, all vectorised:

- :func:`age_at` then :func:`age_band`: exact birth date -> age in years -> "40-49" (top band "90+");
- :func:`postcode_prefix`: "12345" -> "12***" (keep the region);
- :func:`to_month` / :func:`to_year`: a date -> its month ("2024-03") or year;
- :func:`suppress`: drop the rows whose quasi-identifier group has fewer than ``k`` members.

>>> age_band(pd.Series([7, 42, 95]), width=10, top=90).tolist()
['0-9', '40-49', '90+']
>>> postcode_prefix(pd.Series(["12345"]), digits=2).tolist()
['12***']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["age_at", "age_band", "postcode_prefix", "to_month", "to_year", "suppress"]


def _series(x, name: str) -> pd.Series:
    if isinstance(x, pd.Series):
        return x
    if isinstance(x, (list, tuple, np.ndarray, pd.Index)):
        return pd.Series(x)
    raise TypeError(f"{name} must be a pandas Series (a column), got {type(x).__name__}.")


def age_at(birth_date: pd.Series, on: pd.Series | str | pd.Timestamp) -> pd.Series:
    """Age in whole years (as of the birthday) at date(s) ``on``; missing stays missing.

    >>> age_at(pd.Series(pd.to_datetime(["1980-06-15"])), "2020-06-14").tolist()
    [39]
    """
    born = pd.to_datetime(_series(birth_date, "birth_date"))
    when = pd.to_datetime(on) if not isinstance(on, pd.Series) else pd.to_datetime(on)
    wy = when.dt.year if isinstance(when, pd.Series) else when.year
    wm = when.dt.month if isinstance(when, pd.Series) else when.month
    wd = when.dt.day if isinstance(when, pd.Series) else when.day
    before_birthday = (wm < born.dt.month) | ((wm == born.dt.month) & (wd < born.dt.day))
    age = wy - born.dt.year - before_birthday.astype(int)
    return age.where(born.notna()).astype("Int64").rename("age")


def age_band(age: pd.Series, width: int = 10, top: int | None = 90) -> pd.Series:
    """Ages in bands of ``width`` years ("40-49"); ages >= ``top`` become e.g. "90+".

    Returns an ordered categorical, so bands sort and plot in age order.
    """
    a = pd.to_numeric(_series(age, "age"), errors="raise")
    if width < 1:
        raise ValueError(f"width must be at least 1 year, got {width}.")
    if (a.dropna() < 0).any():
        raise ValueError("age has negative values; compute ages with age_at(birth_date, on_date) first.")
    amax = int(a.max()) if a.notna().any() else 0
    hi = top if top is not None else (amax // width + 1) * width
    edges = list(range(0, hi, width))
    labels = [f"{lo}-{min(lo + width, hi) - 1}" if width > 1 else str(lo) for lo in edges]
    if top is not None:
        labels.append(f"{top}+")
    lower = np.minimum((a.to_numpy(dtype=float, na_value=np.nan) // width) * width, hi)
    idx = np.where(np.isnan(lower), -1, np.where(lower >= hi, len(edges), lower // width)).astype(int)
    if top is None:
        idx = np.where(idx >= len(edges), -1, idx)
    return pd.Series(pd.Categorical.from_codes(idx, categories=labels, ordered=True), index=a.index, name=a.name)


def postcode_prefix(postcode: pd.Series, digits: int = 2, fill: str = "*") -> pd.Series:
    """Keep the first ``digits`` characters of each postcode and mask the rest ("12***")."""
    s = _series(postcode, "postcode").astype("string")
    if digits < 0:
        raise ValueError(f"digits must be >= 0, got {digits}.")
    return s.str.slice(0, digits) + s.str.slice(digits).str.replace(r".", fill, regex=True)


def to_month(dates: pd.Series) -> pd.Series:
    """Dates generalised to their month, as text "YYYY-MM" (missing stays missing)."""
    d = pd.to_datetime(_series(dates, "dates"))
    return d.dt.strftime("%Y-%m").astype("string")


def to_year(dates: pd.Series) -> pd.Series:
    """Dates generalised to their year (nullable integer)."""
    return pd.to_datetime(_series(dates, "dates")).dt.year.astype("Int64")


def suppress(df: pd.DataFrame, quasi_identifiers: Sequence[str], k: int) -> pd.DataFrame:
    """Return the rows of ``df`` whose quasi-identifier group has at least ``k`` rows.

    The rows removed are those that make the table less than k-anonymous; report how
    many were lost (``len(df) - len(result)``) next to the k you reached.
    """
    from ai2med_labs.privacy.anonymity import equivalence_class_sizes

    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a whole number >= 1, got {k!r}.")
    sizes = equivalence_class_sizes(df, quasi_identifiers)
    return df.loc[sizes.to_numpy() >= k]
