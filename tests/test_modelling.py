"""Tests for ai2med_labs.modelling.readmission_features: hand-built tables and two cohort seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ai2med_labs import modelling as md
from ai2med_labs.synth import generate_cohort

T = pd.Timestamp


def _tiny() -> dict[str, pd.DataFrame]:
    patients = pd.DataFrame({
        "patient_id": ["P1", "P2", "P2"],  # P2 duplicated on purpose
        "birth_date": [T("1950-01-01"), T("1980-07-01"), T("1980-07-01")],
        "sex": ["F", "M", "M"], "insurance": ["public", "private", "private"],
        "smoking_status": ["never", None, None],
    })
    encounters = pd.DataFrame({
        "encounter_id": ["E1", "E2", "E3", "E4"],
        "patient_id": ["P1", "P1", "P1", "P2"],
        "site_id": ["H1", "H1", "H2", "H3"],
        "admit_date": [T("2020-01-01"), T("2020-03-01"), T("2020-06-01"), T("2020-02-01")],
        "discharge_date": [T("2020-01-05"), T("2020-03-03"), T("2020-06-02"), T("2020-02-04")],
        "length_of_stay_days": [4, 2, 1, 3],
        "admission_type": ["emergency", "elective", "emergency", "emergency"],
        "discharge_disposition": ["home", "home", "died", "care home"],
        "followup_contacts_30d": [3, 0, 0, 1],
    })
    observations = pd.DataFrame({
        "encounter_id": ["E1", "E1", "E1", "E1", "E2", "E4"],
        "effective_time": [T("2020-01-01 08:00"), T("2020-01-03 08:00"), T("2020-01-03 08:00"),
                           T("2020-01-04 08:00"), T("2020-03-01 09:00"), T("2020-02-02")],
        "name": ["egfr", "egfr", "egfr", "egfr", "hba1c", "egfr"],
        # E1: 60 then 40 (duplicated), then an implausible 0 recorded last: last plausible is 40
        "value": [60.0, 40.0, 40.0, 0.0, 7.5, 90.0],
    })
    conditions = pd.DataFrame({
        "patient_id": ["P1", "P1", "P1", "P2"],
        "icd10_code": ["I10", "E11", "I10", "J44"],
        # I10 before E1, E11 after E1 but before E2, I10 again (same code, not counted twice)
        "recorded_date": [T("2019-12-01"), T("2020-02-01"), T("2020-02-15"), T("2021-01-01")],
    })
    readmissions = pd.DataFrame({  # E3 died: no row
        "encounter_id": ["E1", "E2", "E4"], "patient_id": ["P1", "P1", "P2"],
        "readmitted_30d": [1, 0, 0], "readmission_risk": [0.4, 0.2, 0.1],
    })
    return {"patients": patients, "encounters": encounters, "observations": observations,
            "conditions": conditions, "readmissions": readmissions}


def test_hand_built_tables():
    x = md.readmission_features(_tiny()).set_index("encounter_id")
    assert list(x.index) == ["E1", "E2", "E4"]
    assert x.loc[["E1", "E2", "E4"], "prior_admissions"].tolist() == [0, 1, 0]
    assert x.loc[["E1", "E2", "E4"], "comorbidities"].tolist() == [1, 2, 0]
    assert x.loc["E1", "last_egfr"] == 40.0
    assert x.loc["E2", "last_hba1c"] == 7.5 and np.isnan(x.loc["E2", "last_egfr"])
    assert x.loc["E4", "last_egfr"] == 90.0
    assert x.loc["E1", "age"] == pytest.approx(70.0, abs=0.1)
    assert "followup_contacts_30d" not in x.columns
    assert md.readmission_features(_tiny(), include_leakage=True)["followup_contacts_30d"].tolist() == [3, 0, 1]


@pytest.mark.parametrize("seed", [1, 7])
def test_generated_cohorts(seed):
    c = generate_cohort(n_patients=400, seed=seed)
    x = md.readmission_features(c)
    assert x["encounter_id"].is_unique
    assert set(x["encounter_id"]) == set(c.readmissions["encounter_id"])
    assert set(md.FEATURES) <= set(x.columns)
    assert x[md.TARGET].isin([0, 1]).all() and x[md.TRUE_RISK].between(0, 1).all()
    assert "followup_contacts_30d" not in x.columns
    assert (x["prior_admissions"] >= 0).all() and (x["comorbidities"] >= 0).all()
    for name, (low, high) in md.PLAUSIBLE.items():
        col = f"last_{name}"
        if col in x.columns:
            v = x[col].dropna()
            assert ((v >= low) & (v <= high)).all(), col
    # prior admissions agree with a direct count on the encounters table
    enc = c.encounters.drop_duplicates("encounter_id")
    row = x.iloc[len(x) // 2]
    mine = enc[enc.patient_id == row.patient_id]
    this_admit = mine.loc[mine.encounter_id == row.encounter_id, "admit_date"].item()
    assert row.prior_admissions == (mine.admit_date < this_admit).sum()


def test_bad_input():
    t = _tiny()
    with pytest.raises(KeyError, match="conditions"):
        md.readmission_features({k: v for k, v in t.items() if k != "conditions"})
    with pytest.raises(KeyError, match="birth_date"):
        md.readmission_features({**t, "patients": t["patients"].drop(columns="birth_date")})
    with pytest.raises(ValueError, match="empty"):
        md.readmission_features({**t, "encounters": t["encounters"].iloc[:0]})
    with pytest.raises(ValueError, match="unknown measurement"):
        md.readmission_features(t, labs=["troponin"])
    with pytest.raises(TypeError, match="Cohort"):
        md.readmission_features([1, 2])
