"""The term's cohort: one setting, the same bytes everywhere, a clear refusal otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ai2med_labs import load_cohort
from ai2med_labs.datasets import find_data_dir, shipped_data_dir
from ai2med_labs.synth import write_cohort
from ai2med_labs.term import (
    CohortMismatch,
    CohortSetting,
    cohort_fingerprint,
    course_setting,
    require_course_cohort,
)

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "datasets" / "cohort"


@pytest.fixture()
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("AI2MED_DATA_DIR", raising=False)
    monkeypatch.delenv("AI2MED_COHORT_SETTING", raising=False)
    monkeypatch.setenv("AI2MED_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def _setting_file(tmp_path: Path, **data) -> Path:
    path = tmp_path / "cohort.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_shipped_setting_names_the_shipped_cohort(clean_env):
    setting = course_setting()
    assert setting.source.endswith("labs/cohort.json")
    meta = json.loads((SHIPPED / "cohort.json").read_text())
    assert not setting.matches(meta)
    assert find_data_dir() == shipped_data_dir()
    info = require_course_cohort()
    assert info.source == "shipped" and info.fingerprint == cohort_fingerprint(SHIPPED)
    assert info.fingerprint.startswith("sha256:") and "seed 2024" in info.describe()


def test_another_setting_is_generated_on_demand_cached_and_identical(clean_env, monkeypatch):
    monkeypatch.setenv("AI2MED_COHORT_SETTING", str(_setting_file(clean_env, seed=77, n_patients=150)))
    first = load_cohort()
    folder = find_data_dir()
    assert folder.parent == clean_env / "cache" and first.seed == 77 and first.n_patients == 150
    stamp = (folder / "patients.csv").stat().st_mtime_ns
    again = load_cohort()  # reused, not regenerated
    assert (folder / "patients.csv").stat().st_mtime_ns == stamp
    assert again.patients.equals(first.patients)
    # What an instructor writes with the command gives the same bytes and fingerprint.
    write_cohort(150, 77, clean_env / "instructor", progress=False)
    assert cohort_fingerprint(clean_env / "instructor") == cohort_fingerprint(folder)
    assert require_course_cohort().fingerprint == cohort_fingerprint(folder)
    monkeypatch.setenv("AI2MED_DATA_DIR", str(clean_env / "instructor"))
    assert require_course_cohort().source == "AI2MED_DATA_DIR"


@pytest.mark.parametrize("case", ["missing", "empty", "other", "truncated", "no-table"])
def test_a_wrong_data_dir_is_refused_with_what_and_how(clean_env, monkeypatch, case):
    folder = clean_env / "data"
    if case == "empty":
        folder.mkdir()
    elif case != "missing":
        write_cohort(120, 5 if case == "other" else 2024, folder, progress=False)
    monkeypatch.setenv("AI2MED_DATA_DIR", str(folder))
    setting = CohortSetting(seed=2024, n_patients=120)
    if case == "truncated":
        text = (folder / "encounters.csv").read_text().splitlines(keepends=True)
        (folder / "encounters.csv").write_text("".join(text[:-3]))
    if case == "no-table":
        (folder / "sites.csv").unlink()
    with pytest.raises(CohortMismatch) as error:
        require_course_cohort(setting=setting)
    message = str(error.value)
    assert str(folder) in message and "AI2MED_DATA_DIR" in message
    assert "ai2med-labs generate --seed 2024 --patients 120" in message
    expected = {"missing": "does not exist", "empty": "it is empty", "other": "seed 5",
                "truncated": "encounters.csv has", "no-table": "sites.csv is missing"}[case]
    assert expected in message


def test_a_broken_setting_says_what_is_wrong(tmp_path):
    with pytest.raises(ValueError, match="lacks n_patients"):
        course_setting(_setting_file(tmp_path, seed=1))
    with pytest.raises(ValueError, match="unknown fault"):
        course_setting(_setting_file(tmp_path, seed=1, n_patients=5, faults={"typos": True}))
    with pytest.raises(FileNotFoundError, match="no cohort setting"):
        course_setting(tmp_path / "absent.json")


def test_another_generator_version_is_not_generated_silently(clean_env, monkeypatch):
    monkeypatch.setenv("AI2MED_COHORT_SETTING",
                       str(_setting_file(clean_env, seed=3, n_patients=50, generator_version="0.1")))
    with pytest.raises(CohortMismatch, match="generator version 0.1"):
        require_course_cohort()


def test_generate_without_seed_and_size_writes_the_terms_cohort(clean_env, monkeypatch):
    from ai2med_labs.cli import main

    monkeypatch.setenv("AI2MED_COHORT_SETTING", str(_setting_file(clean_env, seed=9, n_patients=60)))
    assert main(["generate", "--out", str(clean_env / "term"), "--quiet"]) == 0
    monkeypatch.setenv("AI2MED_DATA_DIR", str(clean_env / "term"))
    assert require_course_cohort().seed == 9
