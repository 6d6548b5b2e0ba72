"""One shared feature table for the 30-day readmission task (labs 03, 04 and 05).

:func:`readmission_features` turns the cohort tables into one row per encounter discharged
alive, with the outcome, the true risk (the ceiling any model can reach) and features known
at discharge:

- ``age`` (years at admission), ``sex``, ``insurance``, ``smoking_status`` (patients);
- ``site_id``, ``admission_type``, ``discharge_disposition``, ``length_of_stay_days``
  (encounters);
- ``prior_admissions``: the patient's admissions that started before this one;
- ``comorbidities``: distinct ICD-10 codes recorded for the patient up to discharge;
- ``last_<name>`` for each measurement in ``labs``: the last value during the encounter,
  NaN when not measured (missingness is real and informative; impute in the Pipeline).
  Implausible values (outside :data:`PLAUSIBLE`) and exact duplicate rows are dropped first.

The leakage column ``followup_contacts_30d`` (it counts the readmission itself) is left out
unless ``include_leakage=True``: lab 03 finds it, labs 04 and 05 must not use it.

>>> from ai2med_labs.synth import generate_cohort              # doctest: +SKIP
>>> X = readmission_features(generate_cohort(n_patients=500, seed=1))   # doctest: +SKIP
>>> X[FEATURES].head()                                          # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ai2med_labs.cleaning import PLAUSIBLE_RANGES, drop_implausible

__all__ = ["readmission_features", "PLAUSIBLE", "DEFAULT_LABS", "NUMERIC", "CATEGORICAL",
           "FEATURES", "TARGET", "TRUE_RISK"]

#: Plausible ranges used to drop impossible values (one table for the whole course).
PLAUSIBLE = PLAUSIBLE_RANGES

#: Measurements turned into ``last_<name>`` columns by default (glucose is left out: its unit
#: mix-up is lab 01's job, not something to hide inside a helper).
DEFAULT_LABS: tuple[str, ...] = ("egfr", "hba1c", "creatinine", "bmi", "systolic_bp", "heart_rate")

TARGET = "readmitted_30d"
TRUE_RISK = "readmission_risk"
NUMERIC: list[str] = ["age", "length_of_stay_days", "prior_admissions", "comorbidities"] + [
    f"last_{n}" for n in DEFAULT_LABS
]
CATEGORICAL: list[str] = ["sex", "site_id", "admission_type", "discharge_disposition", "insurance",
                          "smoking_status"]
#: The default model inputs (with default ``labs``): NUMERIC + CATEGORICAL.
FEATURES: list[str] = NUMERIC + CATEGORICAL

_REQUIRED = {
    "patients": ["patient_id", "birth_date", "sex", "insurance", "smoking_status"],
    "encounters": ["encounter_id", "patient_id", "site_id", "admit_date", "discharge_date",
                   "length_of_stay_days", "admission_type", "discharge_disposition",
                   "followup_contacts_30d"],
    "observations": ["encounter_id", "effective_time", "name", "value"],
    "conditions": ["patient_id", "icd10_code", "recorded_date"],
    "readmissions": ["encounter_id", "readmitted_30d", "readmission_risk"],
}


def _tables(cohort: Any) -> dict[str, pd.DataFrame]:
    tables = cohort.tables() if hasattr(cohort, "tables") else cohort
    if not isinstance(tables, dict):
        raise TypeError(
            "cohort must be a Cohort (from load_cohort or generate_cohort) or a dict of DataFrames; "
            f"got {type(cohort).__name__}."
        )
    for name, cols in _REQUIRED.items():
        if name not in tables:
            raise KeyError(f"the cohort has no {name!r} table; tables present: {sorted(tables)}.")
        missing = [c for c in cols if c not in tables[name].columns]
        if missing:
            raise KeyError(f"table {name!r} lacks column(s) {missing}.")
    if tables["encounters"].empty:
        raise ValueError("the encounters table is empty: no encounters to build features for.")
    return tables


def readmission_features(
    cohort: Any,
    *,
    labs: Sequence[str] = DEFAULT_LABS,
    include_leakage: bool = False,
) -> pd.DataFrame:
    """One row per encounter discharged alive: outcome, true risk and discharge-time features.

    Columns: ``encounter_id``, ``patient_id``, the features listed in the module docstring,
    ``readmitted_30d`` (0/1), ``readmission_risk`` (true probability), and with
    ``include_leakage=True`` also ``followup_contacts_30d``. Rows are sorted by
    ``encounter_id``. Use :data:`FEATURES` / :data:`NUMERIC` / :data:`CATEGORICAL` to select
    model inputs, and split by ``patient_id``.
    """
    t = _tables(cohort)
    unknown = [n for n in labs if n not in PLAUSIBLE]
    if unknown:
        raise ValueError(f"unknown measurement(s) {unknown}; choose from {sorted(PLAUSIBLE)}.")

    patients = t["patients"].drop_duplicates("patient_id")[_REQUIRED["patients"]]
    enc = t["encounters"].drop_duplicates("encounter_id")
    enc = enc[_REQUIRED["encounters"]].copy()
    for col in ("admit_date", "discharge_date"):
        enc[col] = pd.to_datetime(enc[col])

    # prior admissions: the patient's encounters that started earlier
    enc = enc.sort_values(["patient_id", "admit_date", "encounter_id"])
    enc["prior_admissions"] = enc.groupby("patient_id", observed=True).cumcount()

    # comorbidities: distinct ICD-10 codes recorded up to discharge
    cond = t["conditions"][["patient_id", "icd10_code", "recorded_date"]].dropna()
    cond = cond.assign(recorded_date=pd.to_datetime(cond["recorded_date"]))
    first = cond.groupby(["patient_id", "icd10_code"], observed=True)["recorded_date"].min().reset_index()
    pairs = enc[["encounter_id", "patient_id", "discharge_date"]].merge(first, on="patient_id")
    counts = pairs[pairs["recorded_date"] <= pairs["discharge_date"]].groupby("encounter_id", observed=True).size()
    enc["comorbidities"] = enc["encounter_id"].map(counts).fillna(0).astype(int)

    # last plausible value of each lab during the encounter
    obs = t["observations"][["encounter_id", "effective_time", "name", "value"]].drop_duplicates()
    obs = obs.assign(name=obs["name"].astype(str))
    obs = drop_implausible(obs[obs["name"].isin(list(labs))])
    last = (obs.sort_values(["encounter_id", "effective_time"])
               .groupby(["encounter_id", "name"], observed=True).last()["value"].unstack("name"))
    last = last.reindex(columns=list(labs))
    last.columns = [f"last_{c}" for c in last.columns]

    out = (t["readmissions"][["encounter_id", "readmitted_30d", "readmission_risk"]]
           .drop_duplicates("encounter_id")
           .merge(enc, on="encounter_id", how="inner")
           .merge(patients, on="patient_id", how="left")
           .merge(last, left_on="encounter_id", right_index=True, how="left"))
    out["age"] = ((out["admit_date"] - pd.to_datetime(out["birth_date"])).dt.days / 365.25).round(1)
    lab_cols = [f"last_{n}" for n in labs]
    for c in lab_cols:
        if c not in out.columns:
            out[c] = np.nan
    cols = (["encounter_id", "patient_id", "age", "length_of_stay_days", "prior_admissions",
             "comorbidities"] + lab_cols + CATEGORICAL
            + (["followup_contacts_30d"] if include_leakage else []) + [TARGET, TRUE_RISK])
    out = out[cols].sort_values("encounter_id").reset_index(drop=True)
    out[TARGET] = out[TARGET].astype(int)
    return out
