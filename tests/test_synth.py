"""The synthetic cohort: determinism, integrity, plausible physiology, and faults that switch."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from ai2med_labs.synth import Faults, generate_cohort
from ai2med_labs.synth import reference as ref
from ai2med_labs.synth.clinical import egfr_ckd_epi_2021
from ai2med_labs.synth.faults import ward_variants
from ai2med_labs.synth.people import luhn_check_digit

SEEDS = [11, 2024]
N = 1500

# Physiological ranges a clean record stays within (wide: they catch unit and decimal errors).
PLAUSIBLE = {
    "heart_rate": (30, 200), "systolic_bp": (60, 250), "diastolic_bp": (30, 150),
    "temperature": (34, 42), "spo2": (70, 100), "bmi": (14, 65), "body_weight": (30, 250),
    "glucose": (2, 40), "hba1c": (3.5, 15), "creatinine": (20, 1500), "egfr": (2, 160),
    "cholesterol": (1.5, 12),
}


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def clean(request):
    return generate_cohort(N, seed=request.param, faults=Faults.none())


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def faulty(request):
    return generate_cohort(N, seed=request.param)


def test_same_seed_same_tables_other_seed_other_tables():
    a, b, c = generate_cohort(400, seed=5), generate_cohort(400, seed=5), generate_cohort(400, seed=6)
    for name, frame in a.tables().items():
        pd.testing.assert_frame_equal(frame, b.tables()[name], check_exact=True)
    assert not a.patients["national_id"].equals(c.patients["national_id"])
    assert not a.observations["value"].equals(c.observations["value"])


def test_identifiers_are_unique_and_keys_resolve(clean):
    assert clean.patients["patient_id"].is_unique
    assert clean.patients["national_id"].is_unique
    assert clean.encounters["encounter_id"].is_unique
    assert clean.observations["observation_id"].is_unique
    patients = set(clean.patients["patient_id"])
    for name in ("encounters", "observations", "conditions", "medications", "readmissions", "diabetes"):
        assert set(clean.tables()[name]["patient_id"]) <= patients, name
    encounters = clean.encounters.set_index("encounter_id")["patient_id"]
    for name in ("observations", "conditions", "medications", "readmissions"):
        table = clean.tables()[name]
        owner = encounters.reindex(table["encounter_id"].astype(str)).to_numpy()
        assert (owner == table["patient_id"].astype(str).to_numpy()).all(), f"{name}: encounter of another patient"
    assert set(clean.encounters["site_id"]) <= set(clean.sites["site_id"])


def test_national_ids_encode_birth_date_and_pass_luhn(clean):
    ids = clean.patients["national_id"]
    assert ids.str.fullmatch(r"\d{6}-\d{4}").all()
    assert (ids.str[:6] == clean.patients["birth_date"].dt.strftime("%y%m%d")).all()
    digits = ids.str.replace("-", "", regex=False)
    payload = digits.str[:9].astype(np.int64).to_numpy()
    assert (luhn_check_digit(payload) == digits.str[9].astype(int).to_numpy()).all()


def test_luhn_known_value():
    # 7992739871 -> check digit 3 (the textbook example of the Luhn algorithm).
    assert luhn_check_digit(np.array([7992739871, 0])).tolist() == [3, 0]


def test_dates_are_consistent(clean):
    enc = clean.encounters.merge(clean.patients[["patient_id", "birth_date", "death_date"]], on="patient_id")
    assert (enc["admit_date"] > enc["birth_date"]).all()
    assert (enc["discharge_date"] >= enc["admit_date"]).all()
    stay = (enc["discharge_date"] - enc["admit_date"]).dt.days
    assert (stay == enc["length_of_stay_days"]).all()
    dead = enc["death_date"].notna()
    assert (enc.loc[dead, "admit_date"] <= enc.loc[dead, "death_date"]).all(), "admission after death"
    died = enc["discharge_disposition"] == "died"
    assert (enc.loc[died, "discharge_date"] == enc.loc[died, "death_date"]).all()
    assert died.sum() == dead.groupby(enc["patient_id"]).any().sum() == clean.patients["death_date"].notna().sum()
    obs = clean.observations.merge(clean.encounters[["encounter_id", "admit_date", "discharge_date"]], on="encounter_id")
    day = obs["effective_time"].dt.normalize()
    assert ((day >= obs["admit_date"]) & (day <= obs["discharge_date"] + pd.Timedelta(days=1))).all()
    ages = (enc["admit_date"] - enc["birth_date"]).dt.days / 365.25
    assert ages.between(17.9, 110).all()


def test_readmission_label_agrees_with_the_dates(clean):
    enc = clean.encounters.sort_values(["patient_id", "admit_date"])
    next_admit = enc.groupby("patient_id")["admit_date"].shift(-1)
    gap = (next_admit - enc["discharge_date"]).dt.days
    labels = clean.readmissions.set_index("encounter_id")["readmitted_30d"]
    alive = enc[enc["discharge_disposition"] != "died"]
    expected = (gap[alive.index] <= 30).astype(int)
    assert (labels.reindex(alive["encounter_id"]).to_numpy() == expected.to_numpy()).all()
    assert len(labels) == len(alive), "one outcome row per admission discharged alive"


def test_outcomes_are_drawn_from_their_true_risk(clean):
    for table, label, risk in (("readmissions", "readmitted_30d", "readmission_risk"),
                               ("diabetes", "t2d_onset_5y", "t2d_risk")):
        frame = clean.tables()[table]
        assert frame[risk].between(0, 1).all() and set(frame[label]) <= {0, 1}
        # The observed rate sits within 4 standard errors of the mean true risk ...
        se = np.sqrt((frame[risk] * (1 - frame[risk])).sum()) / len(frame)
        assert abs(frame[label].mean() - frame[risk].mean()) < 4 * se
        # ... and the true risk ranks events above non-events far better than chance.
        from sklearn.metrics import roc_auc_score
        assert roc_auc_score(frame[label], frame[risk]) > 0.65
    has_t2d = set(clean.conditions.loc[clean.conditions["icd10_code"] == "E11", "patient_id"])
    assert not has_t2d & set(clean.diabetes["patient_id"]), "diabetes outcome only for patients without it"
    assert len(has_t2d) + len(clean.diabetes) == len(clean.patients)


def test_clean_values_are_physiological_with_the_right_codes(clean):
    obs = clean.observations
    for name, (low, high) in PLAUSIBLE.items():
        values = obs.loc[(obs["name"] == name) & (obs["unit"] != "mg/dL"), "value"]
        assert len(values) and values.between(low, high).all(), name
    expected = {t.name: (t.loinc_code, t.unit) for t in ref.OBSERVATION_TYPES.values()}
    pairs = obs[["name", "loinc_code", "unit"]].astype(str).drop_duplicates()
    for row in pairs.itertuples():
        assert (row.loinc_code, row.unit) in {expected[row.name], (ref.GLUCOSE_MASS.loinc_code, ref.GLUCOSE_MASS.unit)}
    glucose = obs[obs["name"] == "glucose"]
    mass_sites = set(glucose.loc[glucose["unit"] == "mg/dL", "site_id"].astype(str))
    assert mass_sites == {ref.GLUCOSE_MG_DL_SITE}
    assert (glucose.loc[glucose["unit"] == "mmol/L", "site_id"] != ref.GLUCOSE_MG_DL_SITE).all()


def test_egfr_follows_ckd_epi_2021_from_creatinine(clean):
    obs = clean.observations.pivot_table(index="encounter_id", columns="name", values="value", observed=True)
    enc = clean.encounters.set_index("encounter_id").join(obs, how="inner")
    enc = enc.join(clean.patients.set_index("patient_id")[["birth_date", "sex"]], on="patient_id")
    age = (enc["admit_date"] - enc["birth_date"]).dt.days / 365.25
    expected = egfr_ckd_epi_2021(enc["creatinine"].to_numpy(), age.to_numpy(), (enc["sex"] == "M").to_numpy())
    assert np.allclose(enc["egfr"], np.clip(np.round(expected), 3, 150), atol=1.0)


def test_textbook_egfr():
    # CKD-EPI 2021, a 50-year-old man with creatinine 1.0 mg/dL (88.42 umol/L), by hand:
    # 142 * (1.0 / 0.9) ** -1.200 * 0.9938 ** 50 = 142 * 0.88124 * 0.73275 = 91.69
    man = egfr_ckd_epi_2021(np.array([88.42]), np.array([50.0]), np.array([True]))[0]
    assert abs(man - 91.69) < 0.05
    # A 50-year-old woman with creatinine 0.6 mg/dL (53.05 umol/L), below kappa 0.7:
    # 142 * (0.6 / 0.7) ** -0.241 * 0.9938 ** 50 * 1.012 = 142 * 1.03783 * 0.73275 * 1.012 = 109.29
    woman = egfr_ckd_epi_2021(np.array([53.052]), np.array([50.0]), np.array([False]))[0]
    assert abs(woman - 109.29) < 0.05


def test_sites_differ_in_case_mix(clean):
    age = (clean.encounters.merge(clean.patients, on="patient_id")
           .assign(age=lambda d: (d["admit_date"] - d["birth_date"]).dt.days / 365.25)
           .groupby("site_id")["age"].mean())
    assert age["H1"] - age["H4"] > 8, "the tertiary hospital's patients are older than the community hospital's"


# --- faults -------------------------------------------------------------------------------

def _duplicated_observations(cohort) -> int:
    return int(cohort.observations.drop(columns="observation_id").duplicated().sum())


def test_no_fault_when_switched_off(clean):
    assert _duplicated_observations(clean) == 0
    assert not clean.patients.duplicated().any()
    assert set(clean.encounters["ward"]) <= set(ref.WARDS)
    assert "followup_contacts_30d" not in clean.encounters.columns
    assert clean.patients["smoking_status"].notna().all()
    counts = clean.observations.groupby("encounter_id", observed=True)["name"].nunique()
    assert (counts == len(ref.OBSERVATION_TYPES)).all(), "no missing labs without the missingness fault"


def test_each_fault_is_present_when_on(faulty):
    obs = faulty.observations
    assert _duplicated_observations(faulty) > 0
    assert faulty.patients.duplicated().any()
    assert faulty.patients.drop_duplicates()["patient_id"].is_unique, "duplicate patients are exact copies"
    typos = set(faulty.encounters["ward"]) - set(ref.WARDS)
    assert typos and typos <= {v for w in ref.WARDS for v in ward_variants(w)}
    mislabelled = obs[(obs["name"] == "glucose") & (obs["unit"] == "mmol/L") & (obs["site_id"] == ref.GLUCOSE_MG_DL_SITE)]
    assert len(mislabelled) and (mislabelled["value"] > 35).mean() > 0.9, "mg/dL values labelled mmol/L"
    vitals = obs[obs["name"].isin(["heart_rate", "temperature", "systolic_bp", "body_weight"])]
    assert (vitals["value"] == 0).any()
    leak = faulty.encounters.merge(faulty.readmissions, on="encounter_id")
    from sklearn.metrics import roc_auc_score
    assert roc_auc_score(leak["readmitted_30d"], leak["followup_contacts_30d"]) > 0.9, "the leakage column leaks"
    assert faulty.patients["smoking_status"].isna().any()


def test_missingness_follows_its_documented_mechanism(faulty):
    measured = faulty.observations.pivot_table(index="encounter_id", columns="name", values="value",
                                               aggfunc="size", observed=True).notna()
    enc = faulty.encounters.set_index("encounter_id").join(measured)
    chol = enc.groupby("site_id")["cholesterol"].mean()
    assert chol["H4"] < 0.25 < chol.drop("H4").min(), "H4 rarely records cholesterol"
    bmi = enc.groupby("admission_type")["bmi"].mean()
    assert bmi["emergency"] < bmi["elective"] - 0.2, "BMI is missed more often in emergencies"


def test_switching_one_fault_off_leaves_the_others_alone():
    base = generate_cohort(600, seed=3)
    no_dupes = generate_cohort(600, seed=3, faults=dataclasses.replace(Faults(), duplicates=False))
    pd.testing.assert_series_equal(base.encounters["ward"], no_dupes.encounters["ward"])
    deduped = base.observations.drop(columns="observation_id").drop_duplicates().reset_index(drop=True)
    pd.testing.assert_frame_equal(deduped, no_dupes.observations.drop(columns="observation_id"), check_categorical=False)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-5, ValueError), (2.5, TypeError), (True, TypeError)])
def test_bad_patient_count_is_refused_with_a_reason(bad, error):
    with pytest.raises(error, match="n_patients"):
        generate_cohort(bad, seed=1)


def test_bad_seed_is_refused():
    with pytest.raises(ValueError, match="seed"):
        generate_cohort(10, seed=-1)
