"""Write a DataFrame as CSV with pyarrow, byte for byte as pandas' ``to_csv`` would.

pandas formats every value in Python (its ``date_format`` calls strftime per value), which
made writing a cohort ten times slower than generating it. Here every column is first turned
into Arrow text exactly as pandas would print it, with a trick that keeps the work small:

- integers: Arrow's cast (the same decimal digits);
- floats: the text of each distinct value, made by numpy's ``astype(str)`` (what pandas
  itself calls), then looked up per row; ``NaN`` is written as an empty field;
- dates and date-times: the text of each distinct day (and each minute of a day), looked up;
- text and categories: as they are; a value that needs quotes (a comma, a quote or a line
  break) sends its chunk to pandas, so the quoting is pandas' own.

Anything else (booleans, mixed objects, time zones) is also left to pandas. So the bytes are
pandas' bytes, and a test holds both writers to that.

>>> import io, pandas as pd
>>> frame = pd.DataFrame({"id": [1, 2], "when": pd.to_datetime(["2024-01-02", None]),
...                       "x": [0.5, float("nan")], "note": ["a", "b"]})
>>> buffer = io.BytesIO()
>>> write_csv_like_pandas(frame, buffer, date_format="%Y-%m-%d")
>>> buffer.getvalue().decode() == frame.to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\\n")
True
"""

from __future__ import annotations

import csv
import io
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import IO

import numpy as np
import pandas as pd

__all__ = ["available", "write_csv_like_pandas", "column_text"]

_NS_PER_DAY = 86_400_000_000_000
_NS_PER_MINUTE = 60_000_000_000
_NEEDS_QUOTES = r'[",\r\n]'
_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M")
_THREADS = min(4, os.cpu_count() or 1)
_AHEAD = 2 * _THREADS


def available() -> bool:
    """True when pyarrow (with its CSV writer) can be imported."""
    try:
        import pyarrow.csv  # noqa: F401
    except ImportError:
        return False
    return True


def _text_array(values: np.ndarray):
    """Arrow text of an object array of str (None/NaN -> null), or None if it holds other things."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if pa.types.is_null(array.type):
        return array.cast(pa.string())
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return None
    if pc.any(pc.match_substring_regex(array, _NEEDS_QUOTES)).as_py():
        return None
    return array


def _lookup(dictionary, codes: np.ndarray, missing: np.ndarray | None):
    import pyarrow as pa

    indices = pa.array(codes, mask=missing) if missing is not None and missing.any() else pa.array(codes)
    return dictionary.take(indices)


def _float_text(values: np.ndarray):
    import pyarrow as pa

    missing = np.isnan(values)
    # Distinct by bit pattern, so 0.0 and -0.0 keep their own text.
    codes, distinct = pd.factorize(values.view(np.int64))
    dictionary = pa.array(distinct.view(np.float64).astype(str))
    return _lookup(dictionary, codes, missing)


def _datetime_text(values: np.ndarray, date_format: str):
    import pyarrow as pa
    import pyarrow.compute as pc

    ns = values.view(np.int64)
    missing = np.isnat(values)
    if missing.all():
        return pa.nulls(len(values), pa.string())
    day = np.floor_divide(ns, _NS_PER_DAY)
    first, last = int(day[~missing].min()), int(day[~missing].max())
    days = np.arange(first, last + 1).astype("datetime64[D]")
    day_text = _lookup(pa.array(np.datetime_as_string(days)), np.where(missing, 0, day - first), missing)
    if date_format == "%Y-%m-%d":
        return day_text
    minute = (ns - day * _NS_PER_DAY) // _NS_PER_MINUTE
    clock = pa.array([f"T{m // 60:02d}:{m % 60:02d}" for m in range(1440)])
    return pc.binary_join_element_wise(day_text, _lookup(clock, np.where(missing, 0, minute), None), "")


def _category_text(dtype: pd.CategoricalDtype, cache: dict | None):
    """The categories as Arrow text (made once per dtype when ``cache`` is given)."""
    key = id(dtype)
    if cache is not None and key in cache:
        return cache[key][1]
    text = _text_array(dtype.categories.to_numpy()) if dtype.categories.dtype == object else None
    if cache is not None:
        cache[key] = (dtype, text)  # keeps dtype alive, so its id is not reused
    return text


def column_text(series: pd.Series, date_format: str, cache: dict | None = None):
    """The column as Arrow text, each value as ``to_csv`` prints it; None if that is not sure.

    ``cache``: a dict kept across chunks of one table, so that a categorical column's
    categories (a million patient ids, say) are converted once, not once per chunk.
    """
    import pyarrow as pa

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        dictionary = _category_text(dtype, cache)
        if dictionary is None:
            return None
        codes = series.cat.codes.to_numpy()
        return _lookup(dictionary, np.where(codes < 0, 0, codes), codes < 0)
    if not isinstance(dtype, np.dtype):
        return None  # extension types: pandas knows best
    values = series.to_numpy()
    if dtype.kind in "iu":
        return pa.array(values).cast(pa.string())
    if dtype.kind == "f":
        return _float_text(values.astype(np.float64, copy=False))
    if dtype.kind == "M" and date_format in _FORMATS:
        return _datetime_text(values.astype("datetime64[ns]", copy=False), date_format)
    if dtype.kind == "O":
        return _text_array(values)
    return None


def _chunk_bytes(frame: pd.DataFrame, date_format: str, cache: dict | None = None):
    """The CSV lines of ``frame`` (no header) as one Arrow buffer, or None to leave it to pandas.

    The columns are already text that needs no quotes, so a CSV line is the fields joined by
    commas: Arrow's element-wise join does that three times faster than its CSV writer.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for name in frame.columns:
        text = column_text(frame[name], date_format, cache)
        if text is None:
            return None
        columns.append(text)
    fields = pc.binary_join_element_wise(*columns, ",", null_handling="replace", null_replacement="")
    lines = pc.binary_join_element_wise(fields, pa.scalar("", fields.type), "\n")
    offsets = lines.buffers()[1]
    first, last = np.frombuffer(offsets, dtype=np.int32 if lines.type == pa.string() else np.int64,
                                count=len(lines) + 1, offset=0)[[lines.offset, lines.offset + len(lines)]]
    return memoryview(lines.buffers()[2])[int(first) : int(last)]


def write_csv_like_pandas(frame: pd.DataFrame, handle: IO[bytes], date_format: str,
                          chunk_rows: int = 500_000,
                          on_rows: Callable[[int], None] | None = None) -> None:
    """Write ``frame`` to the binary file ``handle`` as UTF-8, the bytes ``frame.to_csv(index=False,
    date_format=date_format, lineterminator="\\n")`` would give, using pyarrow where it can."""
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow([str(c) for c in frame.columns])
    handle.write(header.getvalue().encode("utf-8"))
    starts = range(0, len(frame), chunk_rows)
    cache: dict = {}
    for name in frame.columns:  # fill the cache before the threads share it
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            _category_text(frame[name].dtype, cache)

    def render(start: int):
        chunk = frame.iloc[start : start + chunk_rows]
        data = _chunk_bytes(chunk, date_format, cache)
        if data is None:
            data = chunk.to_csv(index=False, header=False, date_format=date_format,
                                lineterminator="\n").encode("utf-8")
        return data, len(chunk)

    # Arrow's kernels and the file write release the GIL: render the next chunks while one is
    # written, at most ``_AHEAD`` at a time (bounded memory), and write them in order.
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        pending: deque = deque()
        for start in starts:
            pending.append(pool.submit(render, start))
            if len(pending) > _AHEAD:
                _emit(handle, pending.popleft().result(), on_rows)
        while pending:
            _emit(handle, pending.popleft().result(), on_rows)


def _emit(handle: IO[bytes], rendered, on_rows: Callable[[int], None] | None) -> None:
    data, rows = rendered
    handle.write(data)
    if on_rows:
        on_rows(rows)
