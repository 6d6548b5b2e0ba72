"""Cleaning undoes exactly the faults the generator put in (ground truth: the same cohort without them)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from ai2med_labs.cleaning import (
    clean_observations,
    drop_duplicate_observations,
    drop_implausible,
    harmonise_glucose,
)
from ai2med_labs.synth import Faults, generate_cohort

N, SEED = 800, 21
NONE = Faults.none()


def _only(fault: str):
    return generate_cohort(N, seed=SEED, faults=dataclasses.replace(NONE, **{fault: True})).observations


@pytest.fixture(scope="module")
def truth():
    return generate_cohort(N, seed=SEED, faults=NONE).observations


def _content(obs: pd.DataFrame) -> pd.DataFrame:
    out = obs.drop(columns="observation_id").astype({c: str for c in ("patient_id", "encounter_id", "site_id",
                                                                       "loinc_code", "name", "unit")})
    return out.reset_index(drop=True)


def test_duplicates_are_dropped_and_nothing_else(truth):
    faulty = _only("duplicates")
    assert len(faulty) > len(truth)
    pd.testing.assert_frame_equal(_content(drop_duplicate_observations(faulty)), _content(truth))


def test_mislabelled_glucose_is_harmonised_like_the_clean_cohort(truth):
    faulty = _only("unit_mixups")
    assert not _content(faulty).equals(_content(truth))
    pd.testing.assert_frame_equal(_content(harmonise_glucose(faulty)), _content(harmonise_glucose(truth)))
    glucose = harmonise_glucose(faulty).query("name == 'glucose'")
    assert set(glucose["unit"].astype(str)) == {"mmol/L"} and glucose["value"].max() < 40


def test_implausible_values_are_dropped_and_real_ones_kept(truth):
    faulty = harmonise_glucose(_only("implausible_values"))
    truth = harmonise_glucose(truth)
    changed = faulty["value"].to_numpy() != truth["value"].to_numpy()
    assert changed.any()
    kept = drop_implausible(faulty)
    assert set(kept["observation_id"]) == set(truth["observation_id"][~changed])
    assert len(drop_implausible(truth)) == len(truth), "no real value is dropped"
    with pytest.raises(ValueError, match="harmonise_glucose first"):
        drop_implausible(_only("implausible_values"))


def test_clean_observations_on_all_faults_matches_clean_truth_closely(truth):
    cleaned = clean_observations(generate_cohort(N, seed=SEED, faults=dataclasses.replace(NONE, duplicates=True,
                                                  unit_mixups=True, implausible_values=True)).observations)
    assert len(truth) - len(cleaned) < 0.01 * len(truth)


def test_bad_input_is_explained():
    with pytest.raises(TypeError, match="DataFrame"):
        drop_implausible([1, 2])
    with pytest.raises(KeyError, match="value"):
        harmonise_glucose(pd.DataFrame({"name": ["glucose"], "unit": ["mg/dL"]}))
