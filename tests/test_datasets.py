"""The shipped cohort, the loaders and `ai2med-labs generate`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ai2med_labs import load_cohort, load_table
from ai2med_labs.cli import main
from ai2med_labs.datasets import DataNotFound, find_data_dir
from ai2med_labs.schema import TABLES
from ai2med_labs.synth import write_cohort

SHIPPED = Path(__file__).resolve().parents[1] / "datasets" / "cohort"


def test_shipped_cohort_regenerates_byte_for_byte(tmp_path):
    meta = json.loads((SHIPPED / "cohort.json").read_text())
    write_cohort(meta["n_patients"], meta["seed"], tmp_path, progress=False)
    shipped = sorted(p.name for p in SHIPPED.iterdir() if p.is_file())
    assert shipped == sorted(p.name for p in tmp_path.iterdir())
    for name in shipped:
        assert (tmp_path / name).read_bytes() == (SHIPPED / name).read_bytes(), (
            f"datasets/cohort/{name} differs from what the generator writes now: regenerate it with "
            f"`ai2med-labs generate --patients {meta['n_patients']} --seed {meta['seed']} --out datasets/cohort`"
        )


def test_shipped_cohort_is_synthetic_and_has_a_data_card():
    card = (SHIPPED / "DATA_CARD.md").read_text()
    assert "Synthetic data. No real person is in it." in card
    for table, columns in TABLES.items():
        assert f"### `{table}`" in card
        for column in columns:
            assert f"`{column.name}`" in card, f"data card misses {table}.{column.name}"


def test_load_cohort_types_and_columns(monkeypatch):
    monkeypatch.delenv("AI2MED_DATA_DIR", raising=False)
    cohort = load_cohort()
    assert find_data_dir() == SHIPPED or (find_data_dir() / "cohort.json").is_file()
    for name, frame in cohort.tables().items():
        assert list(frame.columns) == [c.name for c in TABLES[name]], name
        for column in TABLES[name]:
            if column.dtype in ("date", "datetime"):
                assert pd.api.types.is_datetime64_any_dtype(frame[column.name]), f"{name}.{column.name}"
    # Identifiers that look like numbers stay text: leading zeros survive.
    assert cohort.patients["postcode"].map(type).eq(str).all()
    assert cohort.patients["national_id"].str.len().eq(11).all()
    assert cohort.patients["patient_id"].drop_duplicates().shape[0] == cohort.n_patients


def test_environment_variable_points_the_loaders_at_another_cohort(tmp_path, monkeypatch):
    write_cohort(120, 99, tmp_path, progress=False)
    monkeypatch.setenv("AI2MED_DATA_DIR", str(tmp_path))
    cohort = load_cohort()
    assert cohort.seed == 99 and cohort.n_patients == 120
    assert len(load_table("sites")) == 4


def test_a_folder_without_a_cohort_gets_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("AI2MED_DATA_DIR", str(tmp_path))
    with pytest.raises(DataNotFound, match="AI2MED_DATA_DIR.*ai2med-labs generate"):
        load_cohort()
    with pytest.raises(KeyError, match="no table 'vitals'"):
        load_table("vitals")


def test_parquet_and_csv_load_the_same_tables(tmp_path):
    pytest.importorskip("pyarrow")
    write_cohort(150, 4, tmp_path / "csv", progress=False)
    write_cohort(150, 4, tmp_path / "parquet", file_format="parquet", progress=False)
    csv, parquet = load_cohort(tmp_path / "csv"), load_cohort(tmp_path / "parquet")
    for name in TABLES:
        a, b = csv.tables()[name], parquet.tables()[name]
        pd.testing.assert_frame_equal(a, b.astype(a.dtypes.to_dict()), check_dtype=False, obj=name)


def test_cli_generate_writes_a_cohort(tmp_path, capsys):
    assert main(["generate", "--patients", "80", "--seed", "3", "--out", str(tmp_path), "--quiet"]) == 0
    assert load_cohort(tmp_path).n_patients == 80


@pytest.mark.parametrize("args, message", [
    (["--patients", "0"], "positive whole number"),
    (["--patients", "ten"], "whole number"),
    (["--patients", "5", "--format", "xls"], "invalid choice"),
])
def test_cli_generate_rejects_bad_arguments(tmp_path, args, message):
    result = subprocess.run([sys.executable, "-m", "ai2med_labs.cli", "generate", *args, "--out", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert message in result.stderr


def test_cli_generate_refuses_an_unwritable_folder(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["generate", "--patients", "5", "--out", str(blocker / "cohort"), "--quiet"]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
