"""The fast CSV writer gives pandas' bytes: on generated cohorts and on awkward values.

No timing here (benchmarks/bench_synth.py measures speed); only that speed changed nothing.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ai2med_labs.datasets import write_tables
from ai2med_labs.synth import Faults, arrow_csv, generate_cohort

pytest.importorskip("pyarrow")

SHIPPED = Path(__file__).resolve().parents[1] / "datasets" / "cohort"


def _pandas_bytes(frame: pd.DataFrame, date_format: str) -> bytes:
    return frame.to_csv(index=False, date_format=date_format, lineterminator="\n").encode("utf-8")


def _arrow_bytes(frame: pd.DataFrame, date_format: str, chunk_rows: int = 7) -> bytes:
    buffer = io.BytesIO()
    arrow_csv.write_csv_like_pandas(frame, buffer, date_format, chunk_rows=chunk_rows)
    return buffer.getvalue()


@pytest.mark.parametrize("seed, faults", [(11, None), (12, Faults.none())])
def test_both_writers_give_the_same_files(tmp_path, seed, faults):
    cohort = generate_cohort(1500, seed=seed, faults=faults)
    write_tables(cohort, tmp_path / "arrow", csv_writer="pyarrow", chunk_rows=1000)
    write_tables(cohort, tmp_path / "pandas", csv_writer="pandas", chunk_rows=1000)
    names = sorted(p.name for p in (tmp_path / "pandas").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "arrow").iterdir())
    for name in names:
        assert (tmp_path / "arrow" / name).read_bytes() == (tmp_path / "pandas" / name).read_bytes(), name


def test_shipped_cohort_is_written_identically_by_both_writers(tmp_path):
    meta = json.loads((SHIPPED / "cohort.json").read_text())
    cohort = generate_cohort(meta["n_patients"], seed=meta["seed"])
    for writer in ("pyarrow", "pandas"):
        write_tables(cohort, tmp_path / writer, csv_writer=writer)
        for table in cohort.tables():
            assert (tmp_path / writer / f"{table}.csv").read_bytes() == (SHIPPED / f"{table}.csv").read_bytes()


def test_awkward_values_match_pandas():
    rng = np.random.default_rng(0)
    floats = np.concatenate([rng.normal(0, 1, 50) * 10.0 ** rng.integers(-9, 18, 50),
                             [0.0, -0.0, 1e-5, 1e16, 123456789012.0, 0.1, 80.0, np.nan, np.inf, -np.inf]])
    n = floats.shape[0]
    when = pd.Series(pd.to_datetime("2016-01-01") + pd.to_timedelta(rng.integers(0, 10**8, n), unit="s"))
    when[3] = pd.NaT
    frame = pd.DataFrame({
        "id": np.arange(n) - 5,
        "x": floats,
        "when": when,
        "text": [f"v{i}" if i % 5 else ("" if i % 2 else None) for i in range(n)],
        "cat": pd.Categorical(["a", None, "b c", "é"] * (n // 4) + ["a"] * (n % 4)),
    })
    for date_format in ("%Y-%m-%d", "%Y-%m-%dT%H:%M"):
        assert _arrow_bytes(frame, date_format) == _pandas_bytes(frame, date_format)


@pytest.mark.parametrize("column", [
    ["a,b", "c"],            # needs quotes
    ['say "hi"', "c"],       # needs quotes and doubled quotes
    ["line\nbreak", "c"],    # needs quotes
    [True, False],           # booleans print as True/False
    [1, "mixed"],            # an object column that is not text
])
def test_values_arrow_cannot_write_exactly_are_left_to_pandas(column):
    frame = pd.DataFrame({"k": [1, 2], "v": column})
    assert _arrow_bytes(frame, "%Y-%m-%d", chunk_rows=1) == _pandas_bytes(frame, "%Y-%m-%d")


def test_an_empty_table_is_its_header():
    frame = pd.DataFrame({"a": pd.Series([], dtype="int64"), "b": pd.Series([], dtype=object)})
    assert _arrow_bytes(frame, "%Y-%m-%d") == _pandas_bytes(frame, "%Y-%m-%d")


def test_unknown_writer_is_refused(tmp_path):
    with pytest.raises(ValueError, match="csv_writer"):
        write_tables(generate_cohort(20, seed=1), tmp_path, csv_writer="fast")


def test_without_pyarrow_auto_falls_back_to_pandas_with_the_same_bytes(tmp_path, monkeypatch):
    cohort = generate_cohort(300, seed=4)
    write_tables(cohort, tmp_path / "with", csv_writer="auto")
    monkeypatch.setattr(arrow_csv, "available", lambda: False)
    write_tables(cohort, tmp_path / "without", csv_writer="auto")
    with pytest.raises(ValueError, match="needs pyarrow"):
        write_tables(cohort, tmp_path / "forced", csv_writer="pyarrow")
    for path in (tmp_path / "with").iterdir():
        assert (tmp_path / "without" / path.name).read_bytes() == path.read_bytes(), path.name
