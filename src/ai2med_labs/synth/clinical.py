"""Admissions, measurements, diagnoses, medicines and outcomes, drawn from the patients' traits.

The admissions of a patient form a chain: each one is followed either by a
readmission 1-30 days after discharge (drawn from the readmission risk model) or by
a gap of more than 30 days, so ``readmitted_30d`` always agrees with the dates.
A death in hospital ends the chain.

>>> import numpy as np
>>> from ai2med_labs.synth.people import make_patients
>>> rng = np.random.default_rng(0)
>>> _, traits = make_patients(rng, 50)
>>> admissions = draw_admissions(rng, traits)
>>> bool((admissions.length_of_stay >= 0).all())
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ai2med_labs.synth import reference as ref
from ai2med_labs.synth.people import CONDITION_NAMES, Traits, numbered_ids
from ai2med_labs.synth.risk import diabetes_logit, expit, readmission_logit

__all__ = ["Admissions", "draw_admissions", "identifiers", "encounters_table", "observations_table",
           "ObservationArrays", "observation_frame", "GLUCOSE_MASS_KIND",
           "conditions_table", "outcome_tables", "egfr_ckd_epi_2021"]

MAX_FIRST_ADMISSIONS = 6
GAP_SCALE_DAYS = 240.0


@dataclass
class Admissions:
    """One entry per admission, sorted by patient and then time (all numpy arrays)."""

    patient: np.ndarray  # index into the patients
    number: np.ndarray  # 0 for the first admission of the patient, 1 for the next, ...
    site: np.ndarray  # index into reference.SITES
    emergency: np.ndarray
    length_of_stay: np.ndarray
    ward: np.ndarray  # index into reference.WARDS
    disposition: np.ndarray  # 0 home, 1 care home, 2 transfer, 3 died
    egfr: np.ndarray  # kidney function during this admission
    hba1c: np.ndarray
    risk: np.ndarray  # true probability of 30-day readmission (0 after death)
    readmitted: np.ndarray  # bool
    admit_day: np.ndarray  # days since 1970-01-01
    discharge_day: np.ndarray

    def __len__(self) -> int:
        return self.patient.shape[0]


def _draw_attributes(rng: np.random.Generator, t: Traits, patient: np.ndarray, number: np.ndarray,
                     readmission: np.ndarray) -> dict[str, np.ndarray]:
    """Everything about an admission that does not depend on its date."""
    n = patient.shape[0]
    age = t.age[patient]
    has = {name: t.conditions[patient, i] for i, name in enumerate(CONDITION_NAMES)}
    comorbidities = t.conditions[patient].sum(axis=1)
    emergency = readmission | (rng.random(n) < 0.5 + 0.15 * (age > 75))
    away = rng.random(n) < 0.06  # now and then a patient is admitted elsewhere
    site = np.where(away, rng.integers(0, len(ref.SITES), n), t.site[patient])
    mean_stay = np.exp(0.9 + 0.012 * (age - 60) + 0.35 * has["heart_failure"] + 0.3 * emergency + 0.15 * has["copd"])
    length_of_stay = np.maximum(rng.poisson(mean_stay), emergency.astype(np.int64))
    egfr = np.clip(t.egfr[patient] + rng.normal(0, 6, n) - 10 * emergency * rng.random(n), 5.0, 130.0)
    hba1c = np.clip(t.hba1c[patient] + rng.normal(0, 0.25, n) + 0.08 * number, 4.0, 14.0)

    u = rng.random(n)
    ward = np.select(
        [~emergency & (u < 0.7), (has["heart_failure"] | has["atrial_fibrillation"]) & (u < 0.6),
         has["copd"] & (u < 0.6), has["t2d"] & (u < 0.35), age > 82],
        [5, 1, 2, 3, 4], 0,
    )
    p_died = expit(-5.4 + 0.06 * (age - 70) + 0.5 * has["heart_failure"] + 0.3 * emergency)
    p_care_home = expit(-3.8 + 0.12 * (age - 80))
    u = rng.random(n)
    disposition = np.select([u < p_died, u < p_died + p_care_home, u < p_died + p_care_home + 0.03], [3, 1, 2], 0)
    risk = expit(readmission_logit(
        age=age, prior_admissions=number, comorbidities=comorbidities, emergency=emergency,
        length_of_stay=length_of_stay, egfr=egfr, hba1c=hba1c, care_home=disposition == 1,
        deprivation=t.deprivation[patient],
        site_offset=np.array([s["readmission_offset"] for s in ref.SITES])[site],
    ))
    risk = np.where(disposition == 3, 0.0, risk)
    readmitted = rng.random(n) < risk
    return dict(patient=patient, number=number, site=site, emergency=emergency,
                length_of_stay=length_of_stay, ward=ward, disposition=disposition, egfr=egfr,
                hba1c=hba1c, risk=risk, readmitted=readmitted)


def draw_admissions(rng: np.random.Generator, t: Traits) -> Admissions:
    """The admission chains of all patients, dates included."""
    n_patients = t.age.shape[0]
    comorbidities = t.conditions.sum(axis=1)
    first_count = 1 + np.minimum(rng.poisson(0.35 + 0.18 * comorbidities), MAX_FIRST_ADMISSIONS - 1)
    patient = np.repeat(np.arange(n_patients), first_count)
    starts = np.cumsum(first_count) - first_count
    number = np.arange(patient.shape[0]) - np.repeat(starts, first_count)
    parts = [_draw_attributes(rng, t, patient, number, np.zeros(patient.shape[0], dtype=bool))]

    # Readmissions: a readmitted last admission needs one more admission after it.
    last = parts[0]
    last_mask = np.r_[patient[1:] != patient[:-1], True]
    tail = {k: v[last_mask] for k, v in last.items()}
    while True:
        wanted = tail["readmitted"] & (tail["disposition"] != 3)
        if not wanted.any():
            break
        tail = _draw_attributes(rng, t, tail["patient"][wanted], tail["number"][wanted] + 1,
                                np.ones(int(wanted.sum()), dtype=bool))
        parts.append(tail)
    columns = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((columns["number"], columns["patient"]))
    columns = {k: v[order] for k, v in columns.items()}

    # A death in hospital ends the chain.
    died = columns["disposition"] == 3
    died_before = np.zeros_like(died)
    if died.any():
        cumulative = np.cumsum(died)
        group_start = np.r_[True, columns["patient"][1:] != columns["patient"][:-1]]
        base = np.maximum.accumulate(np.where(group_start, cumulative - died, 0))
        died_before = (cumulative - died - base) > 0
    keep = ~died_before
    columns = {k: v[keep] for k, v in columns.items()}
    columns["readmitted"] &= columns["disposition"] != 3

    # Dates: admission k+1 starts after discharge k plus a gap that matches the outcome.
    n = columns["patient"].shape[0]
    gap = np.where(columns["readmitted"], rng.integers(1, 31, n),
                   31 + np.floor(rng.exponential(GAP_SCALE_DAYS, n)).astype(np.int64))
    step = columns["length_of_stay"] + gap
    cumulative = np.cumsum(step)
    group_start = np.r_[True, columns["patient"][1:] != columns["patient"][:-1]]
    before_group = np.maximum.accumulate(np.where(group_start, cumulative - step, 0))
    admit_day = t.index_day[columns["patient"]] + (cumulative - step - before_group)
    return Admissions(**columns, admit_day=admit_day, discharge_day=admit_day + columns["length_of_stay"])


def _days(values: np.ndarray) -> np.ndarray:
    return values.astype("datetime64[D]").astype("datetime64[ns]")


def identifiers(prefix: str, n: int, digits: int) -> np.ndarray:
    """``prefix`` followed by 1..n, zero-padded to ``digits``: ``identifiers("E", 2, 3)`` is E001, E002."""
    return numbered_ids(prefix, n, digits)


def encounters_table(rng: np.random.Generator, a: Admissions, patient_ids: np.ndarray,
                     encounter_id: np.ndarray) -> pd.DataFrame:
    """The encounters table, with the follow-up contacts that leak the outcome."""
    n = len(a)
    contacts = np.where(a.readmitted, 1 + rng.poisson(1.0, n), rng.poisson(0.25, n))
    contacts = np.where(a.disposition == 3, 0, contacts)
    return pd.DataFrame({
        "encounter_id": encounter_id,
        "patient_id": patient_ids[a.patient],
        "site_id": np.array([s["site_id"] for s in ref.SITES], dtype=object)[a.site],
        "admit_date": _days(a.admit_day),
        "discharge_date": _days(a.discharge_day),
        "length_of_stay_days": a.length_of_stay.astype(np.int64),
        "ward": np.array(ref.WARDS, dtype=object)[a.ward],
        "admission_type": np.where(a.emergency, "emergency", "elective").astype(object),
        "discharge_disposition": np.array(["home", "care home", "transfer", "died"], dtype=object)[a.disposition],
        "followup_contacts_30d": contacts.astype(np.int64),
    }, copy=False)


def _creatinine_from_egfr(egfr: np.ndarray, age: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Serum creatinine (umol/L) that gives ``egfr`` under CKD-EPI 2021 (inverse of egfr_ckd_epi_2021)."""
    kappa = np.where(male, 0.9, 0.7)
    alpha = np.where(male, -0.302, -0.241)
    scale = 142.0 * 0.9938**age * np.where(male, 1.0, 1.012)
    ratio = egfr / scale
    above = kappa * ratio ** (-1 / 1.2)  # branch creatinine > kappa
    below = kappa * ratio ** (1 / alpha)  # branch creatinine <= kappa
    mg_dl = np.where(above > kappa, above, below)
    return mg_dl * 88.42


def egfr_ckd_epi_2021(creatinine_umol_l: np.ndarray, age: np.ndarray, male: np.ndarray) -> np.ndarray:
    """eGFR (mL/min/1.73 m2) by the race-free CKD-EPI 2021 creatinine equation.

    A man of 50 with creatinine 1.0 mg/dL (88.42 umol/L):

    >>> round(float(egfr_ckd_epi_2021(np.array([88.42]), np.array([50.0]), np.array([True]))[0]), 1)
    91.7
    """
    scr = np.asarray(creatinine_umol_l, dtype=float) / 88.42
    kappa = np.where(male, 0.9, 0.7)
    alpha = np.where(male, -0.302, -0.241)
    return (142.0 * np.minimum(scr / kappa, 1) ** alpha * np.maximum(scr / kappa, 1) ** -1.2
            * 0.9938**age * np.where(male, 1.0, 1.012))


@dataclass
class ObservationArrays:
    """The observations as arrays of indices and values, before they become a table."""

    encounter: np.ndarray
    patient: np.ndarray
    site: np.ndarray
    minute: np.ndarray  # minutes since 1970-01-01
    kind: np.ndarray  # index into OBSERVATION_TYPES, or GLUCOSE_MASS_KIND for glucose in mg/dL
    value: np.ndarray

    def repeat(self, counts: np.ndarray) -> ObservationArrays:
        """Each observation ``counts`` times (0 drops it, 2 enters it twice)."""
        if counts.size and counts.min() >= 1 and counts.max() <= 2:  # a few copies: insert them
            twice = np.flatnonzero(counts == 2)
            return ObservationArrays(**{k: np.insert(v, twice + 1, v[twice]) for k, v in self.__dict__.items()})
        return ObservationArrays(**{k: np.repeat(v, counts) for k, v in self.__dict__.items()})


GLUCOSE_MASS_KIND = len(ref.OBSERVATION_TYPES)
ADMIT, LAB, DISCHARGE = 0, 1, 2  # when in an admission a measurement is taken


def observations_table(rng: np.random.Generator, a: Admissions, t: Traits,
                       missingness: bool) -> ObservationArrays:
    """Vitals at admission and discharge and admission labs, in long format.

    Missingness mechanism (when ``missingness``): HbA1c is measured more often for known
    diabetes and high glucose (missing at random); cholesterol is measured for half the
    admissions, and rarely at the community hospital H4 (missing at random given site);
    BMI and weight are missed more often in emergencies (missing at random given
    admission type); creatinine and eGFR are missing completely at random for 4 %.
    Discharge vitals are absent for day cases (length of stay 0), by design.
    """
    n = len(a)
    p = a.patient
    age = t.age[p] + (a.admit_day - t.index_day[p]) / 365.25
    male = t.male[p]
    t2d = t.conditions[p, CONDITION_NAMES.index("t2d")]
    copd = t.conditions[p, CONDITION_NAMES.index("copd")]
    af = t.conditions[p, CONDITION_NAMES.index("atrial_fibrillation")]
    emergency = a.emergency
    admit_minute = a.admit_day * 1440 + rng.integers(0, 1440, n)
    lab_minute = admit_minute + rng.integers(20, 360, n)
    discharge_minute = a.discharge_day * 1440 + rng.integers(7 * 60, 12 * 60, n)

    fever = emergency & (rng.random(n) < 0.3)
    temp_in = 36.8 + rng.normal(0, 0.35, n) + fever * rng.exponential(0.9, n)
    sbp_in = t.sbp[p] + rng.normal(0, 12, n) + 5 * emergency
    glucose_mmol = np.clip(
        np.where(t2d, rng.normal(9.0 + 1.2 * (a.hba1c - 7.4), 2.0),
                 rng.normal(5.4 + 0.6 * (a.hba1c - 5.4) + 0.6 * emergency, 0.8)), 2.5, 35.0)
    creatinine = np.round(_creatinine_from_egfr(a.egfr, age, male))
    bmi = np.clip(t.bmi[p] + rng.normal(0, 0.4, n), 15.0, 60.0)

    always = np.ones(n, dtype=bool)
    has_discharge = a.length_of_stay >= 1
    u = rng.random((5, n))
    if missingness:
        kidney = u[0] >= 0.04
        hba1c_measured = u[1] < expit(-0.6 + 2.0 * t2d + 1.0 * (glucose_mmol > 7.0))
        chol_measured = u[2] < np.where(a.site == 3, 0.1, 0.5)
        body_measured = u[3] < np.where(emergency, 0.55, 0.9)
    else:
        kidney = hba1c_measured = chol_measured = body_measured = always

    mg_dl_site = a.site == [s["site_id"] for s in ref.SITES].index(ref.GLUCOSE_MG_DL_SITE)
    blocks = [  # (name, admissions that have it, when, value), in time order within an admission
        ("heart_rate", always, ADMIT, 80 + 10 * emergency + 8 * (temp_in > 38) + rng.normal(0, 12, n) + af * rng.normal(0, 8, n)),
        ("systolic_bp", always, ADMIT, sbp_in),
        ("diastolic_bp", always, ADMIT, 0.5 * sbp_in + 15 + rng.normal(0, 7, n)),
        ("temperature", always, ADMIT, temp_in),
        ("spo2", always, ADMIT, 97.5 - 2.5 * copd - 1.0 * emergency + rng.normal(0, 1.2, n)),
        ("glucose", always, LAB, glucose_mmol),
        ("creatinine", kidney, LAB, creatinine),
        ("egfr", kidney, LAB, egfr_ckd_epi_2021(creatinine, age, male)),
        ("hba1c", hba1c_measured, LAB, a.hba1c),
        ("cholesterol", chol_measured, LAB, t.cholesterol[p] + rng.normal(0, 0.3, n)),
        ("bmi", body_measured, LAB, bmi),
        ("body_weight", body_measured, LAB, bmi * t.height[p] ** 2),
        ("heart_rate", has_discharge, DISCHARGE, 74 + rng.normal(0, 9, n)),
        ("systolic_bp", has_discharge, DISCHARGE, t.sbp[p] + rng.normal(0, 10, n)),
        ("diastolic_bp", has_discharge, DISCHARGE, 0.5 * t.sbp[p] + 14 + rng.normal(0, 6, n)),
        ("temperature", has_discharge, DISCHARGE, 36.7 + rng.normal(0, 0.3, n)),
        ("spo2", has_discharge, DISCHARGE, 97.8 - 2.0 * copd + rng.normal(0, 1.0, n)),
    ]
    limits = {"heart_rate": (35, 190), "systolic_bp": (70, 240), "diastolic_bp": (35, 140),
              "spo2": (75, 100), "temperature": (34.5, 41.5), "egfr": (3, 150)}
    names = list(ref.OBSERVATION_TYPES)
    # One row per admission, one column per block: read in row order, the measured cells
    # give each admission's rows together, in time order.
    measured = np.column_stack([mask for _, mask, _, _ in blocks])
    values = np.empty((n, len(blocks)))
    for b, (name, _, _, value) in enumerate(blocks):
        low, high = limits.get(name, (-np.inf, np.inf))
        values[:, b] = np.round(np.clip(value, low, high), ref.OBSERVATION_TYPES[name].decimals)
        if name == "glucose":
            mass_value = np.round(np.clip(value, low, high) * ref.MMOL_TO_MG_DL_GLUCOSE)
            values[:, b] = np.where(mg_dl_site, mass_value, values[:, b])
    # Read in row order, the measured cells give each admission's rows together, in time order.
    encounter = np.repeat(np.arange(n, dtype=np.int32), measured.sum(axis=1))
    block = np.broadcast_to(np.arange(len(blocks), dtype=np.int8), measured.shape)[measured]
    when_of_block = np.array([when for _, _, when, _ in blocks], dtype=np.int32)
    times = np.column_stack([admit_minute, lab_minute, discharge_minute])  # columns ADMIT, LAB, DISCHARGE
    kind_of_block = np.array([names.index(name) for name, _, _, _ in blocks], dtype=np.int8)
    kind = kind_of_block[block]
    kind[(kind == names.index("glucose")) & mg_dl_site[encounter]] = GLUCOSE_MASS_KIND
    minute = np.take(times, when_of_block, axis=1)[measured]
    return ObservationArrays(encounter=encounter, patient=p[encounter].astype(np.int32),
                             site=a.site[encounter].astype(np.int8), minute=minute,
                             kind=kind, value=values[measured])


def observation_frame(obs: ObservationArrays, patient_ids: np.ndarray, encounter_id: np.ndarray) -> pd.DataFrame:
    """The observations table from its arrays (categorical columns: compact and fast)."""
    names = list(ref.OBSERVATION_TYPES)
    types = [*ref.OBSERVATION_TYPES.values(), ref.GLUCOSE_MASS]
    units = sorted({x.unit for x in types})
    unit_code = np.array([units.index(x.unit) for x in types], dtype=np.int8)[obs.kind]
    name_code = np.array([names.index(x.name) for x in types], dtype=np.int8)[obs.kind]
    site_ids = np.array([s["site_id"] for s in ref.SITES], dtype=object)
    return pd.DataFrame({
        "observation_id": np.arange(1, obs.kind.shape[0] + 1, dtype=np.int64),
        "patient_id": pd.Categorical.from_codes(obs.patient, categories=patient_ids),
        "encounter_id": pd.Categorical.from_codes(obs.encounter, categories=encounter_id),
        "site_id": pd.Categorical.from_codes(obs.site, categories=site_ids),
        "effective_time": (obs.minute.astype(np.int64) * 60_000_000_000).view("datetime64[ns]"),
        "loinc_code": pd.Categorical.from_codes(obs.kind, categories=[x.loinc_code for x in types]),
        "name": pd.Categorical.from_codes(name_code, categories=names),
        "value": obs.value,
        "unit": pd.Categorical.from_codes(unit_code, categories=units),
    }, copy=False)


def conditions_table(rng: np.random.Generator, a: Admissions, t: Traits, patient_ids: np.ndarray,
                     encounter_id: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Chronic conditions (ICD-10) and their medicines (ATC), recorded at the first admission."""
    first = np.flatnonzero(a.number == 0)  # one per patient, in patient order
    patient_index, condition_index = np.nonzero(t.conditions)
    encounter = first[patient_index]
    ids = encounter_id
    date = _days(a.admit_day[encounter])
    codes = np.array([ref.CONDITIONS[c][0] for c in CONDITION_NAMES], dtype=object)
    titles = np.array([ref.CONDITIONS[c][1] for c in CONDITION_NAMES], dtype=object)
    conditions = pd.DataFrame({
        "condition_id": np.arange(1, patient_index.shape[0] + 1, dtype=np.int64),
        "patient_id": patient_ids[patient_index],
        "encounter_id": ids[encounter],
        "icd10_code": codes[condition_index],
        "description": titles[condition_index],
        "recorded_date": date,
    }, copy=False)
    atc = np.array([ref.MEDICATIONS[c][0] for c in CONDITION_NAMES], dtype=object)
    drug = np.array([ref.MEDICATIONS[c][1] for c in CONDITION_NAMES], dtype=object)
    treated = rng.random(patient_index.shape[0]) < 0.9  # not every condition is treated
    medications = pd.DataFrame({
        "medication_id": np.arange(1, int(treated.sum()) + 1, dtype=np.int64),
        "patient_id": patient_ids[patient_index[treated]],
        "encounter_id": ids[encounter[treated]],
        "atc_code": atc[condition_index[treated]],
        "drug_name": drug[condition_index[treated]],
        "start_date": date[treated],
    }, copy=False)
    return conditions, medications


def outcome_tables(rng: np.random.Generator, a: Admissions, t: Traits, patient_ids: np.ndarray,
                   encounter_id: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """30-day readmission per admission discharged alive, and 5-year diabetes onset per patient."""
    alive = np.flatnonzero(a.disposition != 3)
    readmissions = pd.DataFrame({
        "encounter_id": encounter_id[alive],
        "patient_id": patient_ids[a.patient[alive]],
        "readmitted_30d": a.readmitted[alive].astype(np.int64),
        "readmission_risk": a.risk[alive],
    }, copy=False)
    at_risk = np.flatnonzero(~t.conditions[:, CONDITION_NAMES.index("t2d")])
    risk = expit(diabetes_logit(
        age=t.age[at_risk], bmi=t.bmi[at_risk], hba1c=t.hba1c[at_risk],
        current_smoker=t.smoking[at_risk] == 2, male=t.male[at_risk], deprivation=t.deprivation[at_risk],
    ))
    onset = rng.random(at_risk.shape[0]) < risk
    diabetes = pd.DataFrame({
        "patient_id": patient_ids[at_risk],
        "index_date": _days(t.index_day[at_risk]),
        "t2d_onset_5y": onset.astype(np.int64),
        "t2d_risk": risk,
    }, copy=False)
    return readmissions, diabetes
