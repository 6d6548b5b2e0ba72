"""The columns of every cohort table: type, unit, code system and meaning.

One definition serves the generator, the loaders (which columns are dates) and the
data card (which documents every column).

>>> [c.name for c in TABLES["sites"]][:3]
['site_id', 'site_name', 'city']
>>> date_columns("encounters")
['admit_date', 'discharge_date']
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Column", "TABLES", "TABLE_DESCRIPTIONS", "date_columns", "column_names"]


class Column(NamedTuple):
    """One column of a cohort table."""

    name: str
    dtype: str  # "string", "int", "float", "date", "datetime", "category"
    meaning: str
    unit: str = ""
    code_system: str = ""


TABLE_DESCRIPTIONS: dict[str, str] = {
    "sites": "one row per hospital",
    "patients": "one row per patient (the duplicate-records fault adds exact copies of a few rows)",
    "encounters": "one row per hospital admission",
    "observations": "one row per measurement (long format): vitals and lab results",
    "conditions": "one row per chronic condition, recorded at the patient's first admission",
    "medications": "one row per medicine started for a condition",
    "readmissions": "one row per admission discharged alive: the 30-day readmission outcome and its true risk",
    "diabetes": "one row per patient without type 2 diabetes at their first admission: 5-year onset and its true risk",
}

TABLES: dict[str, list[Column]] = {
    "sites": [
        Column("site_id", "string", "hospital identifier (H1 to H4)"),
        Column("site_name", "string", "hospital name (invented)"),
        Column("city", "string", "city of the hospital (invented)"),
        Column("glucose_unit", "category", "unit this hospital records blood glucose in", "mmol/L or mg/dL", "UCUM"),
        Column("beds", "int", "number of beds", "beds"),
        Column("description", "string", "case-mix and habits, in words"),
    ],
    "patients": [
        Column("patient_id", "string", "internal patient identifier (P + 7 digits)"),
        Column("national_id", "string", "national identity number YYMMDD-NNNC: birth date, serial, Luhn check digit (direct identifier)"),
        Column("given_name", "string", "given name (direct identifier)"),
        Column("family_name", "string", "family name (direct identifier)"),
        Column("birth_date", "date", "date of birth (quasi-identifier)"),
        Column("sex", "category", "administrative sex: F or M (quasi-identifier)"),
        Column("postcode", "string", "5-digit postcode; the first two digits are the region (quasi-identifier)"),
        Column("address", "string", "street address (direct identifier)"),
        Column("city", "string", "town of residence"),
        Column("phone", "string", "phone number in the unassigned +99 range (direct identifier)"),
        Column("email", "string", "e-mail address at the reserved example.org domain (direct identifier)"),
        Column("insurance", "category", "insurance: public, private or none"),
        Column("home_site_id", "string", "the hospital the patient is registered with (sites.site_id)"),
        Column("smoking_status", "category", "never, former or current; missing for some patients"),
        Column("death_date", "date", "date of death in hospital; empty if not known to have died"),
    ],
    "encounters": [
        Column("encounter_id", "string", "admission identifier (E + 8 digits)"),
        Column("patient_id", "string", "the patient admitted (patients.patient_id)"),
        Column("site_id", "string", "the hospital (sites.site_id)"),
        Column("admit_date", "date", "date of admission"),
        Column("discharge_date", "date", "date of discharge (or death)"),
        Column("length_of_stay_days", "int", "discharge_date minus admit_date", "days"),
        Column("ward", "category", "ward; the category-typo fault misspells a few"),
        Column("admission_type", "category", "emergency or elective"),
        Column("discharge_disposition", "category", "home, care home, transfer or died"),
        Column("followup_contacts_30d", "int", "hospital contacts in the 30 days AFTER discharge. Recorded after the outcome and counts the readmission itself: the label-leakage fault; not known at discharge", "contacts"),
    ],
    "observations": [
        Column("observation_id", "int", "measurement identifier"),
        Column("patient_id", "string", "patients.patient_id"),
        Column("encounter_id", "string", "encounters.encounter_id"),
        Column("site_id", "string", "hospital where it was measured"),
        Column("effective_time", "datetime", "when it was measured (local time, minute precision)"),
        Column("loinc_code", "string", "what was measured", "", "LOINC"),
        Column("name", "category", "short name: heart_rate, systolic_bp, diastolic_bp, temperature, spo2, bmi, body_weight, glucose, hba1c, creatinine, egfr, cholesterol"),
        Column("value", "float", "the measured value, in `unit`"),
        Column("unit", "string", "unit of `value`", "", "UCUM"),
    ],
    "conditions": [
        Column("condition_id", "int", "condition record identifier"),
        Column("patient_id", "string", "patients.patient_id"),
        Column("encounter_id", "string", "the admission where it was recorded"),
        Column("icd10_code", "string", "diagnosis category", "", "ICD-10"),
        Column("description", "string", "ICD-10 title"),
        Column("recorded_date", "date", "date recorded"),
    ],
    "medications": [
        Column("medication_id", "int", "medication record identifier"),
        Column("patient_id", "string", "patients.patient_id"),
        Column("encounter_id", "string", "the admission where it was prescribed"),
        Column("atc_code", "string", "substance", "", "ATC"),
        Column("drug_name", "string", "international non-proprietary name"),
        Column("start_date", "date", "date started"),
    ],
    "readmissions": [
        Column("encounter_id", "string", "the index admission (encounters.encounter_id)"),
        Column("patient_id", "string", "patients.patient_id"),
        Column("readmitted_30d", "int", "1 if the patient was admitted again within 30 days of discharge, else 0"),
        Column("readmission_risk", "float", "true probability of readmission under the generator's risk model (the best any model could know)", "probability"),
    ],
    "diabetes": [
        Column("patient_id", "string", "patients.patient_id"),
        Column("index_date", "date", "first admission: the prediction time"),
        Column("t2d_onset_5y", "int", "1 if type 2 diabetes was diagnosed within 5 years of index_date, else 0"),
        Column("t2d_risk", "float", "true probability of onset under the generator's risk model", "probability"),
    ],
}


def column_names(table: str) -> list[str]:
    """The column names of ``table`` in file order.

    >>> column_names("readmissions")[:2]
    ['encounter_id', 'patient_id']
    """
    return [c.name for c in TABLES[table]]


def date_columns(table: str) -> list[str]:
    """The columns of ``table`` holding dates or date-times (parsed by the loaders)."""
    return [c.name for c in TABLES[table] if c.dtype in ("date", "datetime")]
