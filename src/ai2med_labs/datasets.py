"""Load the synthetic cohort, from an installed package, a checkout or Binder alike.

Where the tables come from, first match wins:

1. the ``data_dir`` argument;
2. the environment variable ``AI2MED_DATA_DIR`` (an instructor's cohort for this term,
   made with ``ai2med-labs generate``);
3. the term's cohort named by ``labs/cohort.json`` (see :mod:`ai2med_labs.term`): the
   shipped cohort (inside the installed package, or ``datasets/cohort`` in a checkout) when
   the setting names it, else a copy generated on first use into the cache folder.

>>> cohort = load_cohort()                        # doctest: +SKIP
>>> cohort.patients.shape[0] == cohort.n_patients  # doctest: +SKIP
True
>>> vitals = load_table("observations")           # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ai2med_labs.schema import TABLES

__all__ = ["Cohort", "load_cohort", "load_table", "find_data_dir", "write_tables", "DataNotFound",
           "shipped_data_dir"]

ENV_VAR = "AI2MED_DATA_DIR"
METADATA_FILE = "cohort.json"
_TEXT_DTYPES = {"string", "category"}


class DataNotFound(FileNotFoundError):
    """No cohort where one was expected; the message says where it looked and what to do."""


@dataclass
class Cohort:
    """The tables of one synthetic cohort, and how it was made.

    >>> cohort = load_cohort()                    # doctest: +SKIP
    >>> sorted(cohort.tables())[:3]               # doctest: +SKIP
    ['conditions', 'diabetes', 'encounters']
    """

    sites: pd.DataFrame
    patients: pd.DataFrame
    encounters: pd.DataFrame
    observations: pd.DataFrame
    conditions: pd.DataFrame
    medications: pd.DataFrame
    readmissions: pd.DataFrame
    diabetes: pd.DataFrame
    metadata: dict

    @property
    def seed(self) -> int:
        """The seed the generator was given."""
        return int(self.metadata["seed"])

    @property
    def n_patients(self) -> int:
        """The number of distinct patients (duplicate rows not counted)."""
        return int(self.metadata["n_patients"])

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name, in the order of the data card."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "metadata"}


def _packaged_dir() -> Path | None:
    try:
        candidate = resources.files("ai2med_labs") / "_data" / "cohort"
    except (ModuleNotFoundError, TypeError):  # pragma: no cover
        return None
    path = Path(str(candidate))
    return path if (path / METADATA_FILE).is_file() else None


def shipped_data_dir() -> Path | None:
    """The cohort shipped with ai2med-labs: inside the package, or ``datasets/cohort`` of a checkout."""
    checkout = Path(__file__).resolve().parents[2] / "datasets" / "cohort"
    for chosen in (_packaged_dir(), checkout):
        if chosen is not None and (chosen / METADATA_FILE).is_file():
            return chosen
    return None


def find_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The folder the tables are read from (see the module docstring for the order)."""
    if data_dir is not None:
        chosen, source = Path(data_dir), "the data_dir argument"
    elif os.environ.get(ENV_VAR):
        chosen, source = Path(os.environ[ENV_VAR]), f"the environment variable {ENV_VAR}"
    else:
        from ai2med_labs.term import course_cohort_dir, course_setting

        try:
            return course_cohort_dir(course_setting())
        except FileNotFoundError:
            raise DataNotFound(
                "the default cohort is not installed and this is not a checkout of ai2med-labs. "
                "Make a cohort with `ai2med-labs generate --patients 3000 --out DIR` and set "
                f"{ENV_VAR}=DIR."
            ) from None
    if not (chosen / METADATA_FILE).is_file():
        raise DataNotFound(
            f"{chosen} (from {source}) holds no cohort: {METADATA_FILE} is missing. "
            f"Point it at a folder written by `ai2med-labs generate --out DIR`."
        )
    return chosen


def _read_metadata(folder: Path) -> dict:
    return json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))


def _typed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    for column in TABLES[table]:
        if column.name in frame.columns and column.dtype in ("date", "datetime"):
            frame[column.name] = pd.to_datetime(frame[column.name], format="ISO8601")
    return frame


def load_table(name: str, data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """One table of the cohort as a DataFrame, dates parsed and identifiers kept as text.

    >>> sites = load_table("sites")               # doctest: +SKIP
    """
    if name not in TABLES:
        raise KeyError(f"no table {name!r}; the cohort has {sorted(TABLES)}")
    folder = find_data_dir(data_dir)
    file_format = _read_metadata(folder).get("format", "csv")
    path = folder / f"{name}.{file_format}"
    if not path.is_file():
        raise DataNotFound(f"{path} is missing: regenerate the cohort with `ai2med-labs generate`.")
    if file_format == "parquet":
        frame = pd.read_parquet(path)
        for column in TABLES[name]:  # the same types as from CSV: text as str, missing as NaN
            if column.dtype in _TEXT_DTYPES and column.name in frame.columns:
                text = frame[column.name].astype(object)
                frame[column.name] = text.where(text.notna(), np.nan)
        return frame
    text_columns = {c.name: str for c in TABLES[name] if c.dtype in _TEXT_DTYPES}
    return _typed(pd.read_csv(path, dtype=text_columns, keep_default_na=False, na_values=[""]), name)


def load_cohort(data_dir: str | os.PathLike | None = None) -> Cohort:
    """Every table of the cohort, with its metadata (seed, size, faults injected).

    >>> cohort = load_cohort()                    # doctest: +SKIP
    >>> cohort.encounters.columns[:2].tolist()    # doctest: +SKIP
    ['encounter_id', 'patient_id']
    """
    folder = find_data_dir(data_dir)
    tables = {name: load_table(name, folder) for name in TABLES}
    return Cohort(**tables, metadata=_read_metadata(folder))


CSV_WRITERS = ("auto", "pyarrow", "pandas")


def write_tables(
    cohort: Cohort,
    out_dir: str | os.PathLike,
    file_format: str = "csv",
    on_rows: Callable[[int], None] | None = None,
    chunk_rows: int = 500_000,
    csv_writer: str = "auto",
) -> list[Path]:
    """Write every table and ``cohort.json`` to ``out_dir``; the same cohort gives the same bytes.

    ``on_rows`` is called with the number of rows written after each chunk (for a progress bar).
    ``csv_writer``: ``"pyarrow"`` (fast), ``"pandas"`` (``to_csv``, the reference) or ``"auto"``
    (pyarrow when installed, else pandas); both write the same bytes.
    """
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"unknown format {file_format!r}: use 'csv' or 'parquet'")
    if csv_writer not in CSV_WRITERS:
        raise ValueError(f"unknown csv_writer {csv_writer!r}: use one of {', '.join(CSV_WRITERS)}")
    from ai2med_labs.synth import arrow_csv

    use_arrow = csv_writer == "pyarrow" or (csv_writer == "auto" and arrow_csv.available())
    if csv_writer == "pyarrow" and not arrow_csv.available():
        raise ValueError("csv_writer='pyarrow' needs pyarrow: pip install pyarrow (or use 'pandas')")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in cohort.tables().items():
        path = out / f"{name}.{file_format}"
        if file_format == "parquet":
            frame.to_parquet(path, index=False)
            if on_rows:
                on_rows(len(frame))
        else:
            has_time = any(c.dtype == "datetime" for c in TABLES[name])
            date_format = "%Y-%m-%dT%H:%M" if has_time else "%Y-%m-%d"
            if use_arrow:
                with open(path, "wb") as handle:
                    arrow_csv.write_csv_like_pandas(frame, handle, date_format, chunk_rows, on_rows)
            else:
                with open(path, "w", encoding="utf-8", newline="") as handle:
                    for start in range(0, max(len(frame), 1), chunk_rows):
                        chunk = frame.iloc[start : start + chunk_rows]
                        chunk.to_csv(handle, index=False, header=start == 0,
                                     date_format=date_format, lineterminator="\n")
                        if on_rows:
                            on_rows(len(chunk))
        written.append(path)
    meta = dict(cohort.metadata, format=file_format)
    meta_path = out / METADATA_FILE
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return [*written, meta_path]
