"""The data card written beside every generated cohort.

>>> from ai2med_labs.synth import generate_cohort
>>> card = render_data_card(generate_cohort(50, seed=3))
>>> card.splitlines()[0]
'# Data card: AI2MED synthetic patient cohort'
"""

from __future__ import annotations

from ai2med_labs.datasets import Cohort
from ai2med_labs.schema import TABLE_DESCRIPTIONS, TABLES
from ai2med_labs.synth import faults as faults_module
from ai2med_labs.synth import reference as ref
from ai2med_labs.synth.risk import DIABETES, READMISSION

__all__ = ["render_data_card"]

_FAULT_TEXT = {
    "missingness": "Labs missing with a known mechanism. HbA1c is measured more often for patients with "
                   "type 2 diabetes or glucose above 7 mmol/L (missing at random); cholesterol for half "
                   "of admissions and for 10 % at H4 (missing at random given site); BMI and weight are "
                   "missed in 45 % of emergencies and 10 % of elective admissions (missing at random given "
                   "admission type); creatinine and eGFR are missing completely at random for 4 %. "
                   "Discharge vitals do not exist for day cases (length of stay 0). Smoking status is "
                   "unrecorded more often the older the patient (missing at random given age).",
    "unit_mixups": f"{faults_module.RATES['unit_mixups']:.0%} of glucose results at {ref.GLUCOSE_MG_DL_SITE} "
                   "keep their mg/dL value but are labelled mmol/L (LOINC 15074-8).",
    "duplicates": f"{faults_module.RATES['duplicate_observations']:.1%} of observation rows entered twice "
                  f"(same values, a new observation_id); {faults_module.RATES['duplicate_patients']:.1%} of "
                  "patient rows registered twice (exact copies).",
    "category_typos": f"{faults_module.RATES['category_typos']:.0%} of ward names misspelt, capitalised, "
                      "upper-cased or followed by a space.",
    "implausible_values": f"{faults_module.RATES['implausible_values']:.1%} of heart rate, temperature, "
                          "systolic pressure and weight rows keyed wrongly: a zero, or the decimal point "
                          "slipped (value x 10).",
    "leakage": "encounters.followup_contacts_30d counts hospital contacts in the 30 days after "
               "discharge, the readmission included: it is not known at discharge and leaks the label.",
}


def _coefficients(model: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:+g}" for name, value in model.items())


def render_data_card(cohort: Cohort) -> str:
    """The data card of ``cohort`` as Markdown (deterministic: no dates or timings)."""
    meta = cohort.metadata
    lines = [
        "# Data card: AI2MED synthetic patient cohort",
        "",
        "**Synthetic data. No real person is in it.** Every name, identity number, address, "
        "phone number, e-mail address, date and measurement was drawn at random by a program. "
        "Any likeness to a real person or hospital is chance.",
        "",
        "## Provenance",
        "",
        f"- generator: `{meta['generator']}` version {meta['generator_version']}",
        f"- seed: {meta['seed']}; patients: {meta['n_patients']:,}",
        f"- regenerate byte for byte: `ai2med-labs generate --patients {meta['n_patients']} "
        f"--seed {meta['seed']} --out DIR`",
        "- the same seed and size always give the same files; another seed gives another cohort "
        "with the same structure, faults and risk models.",
        "",
        "## Tables",
        "",
        "| table | rows | one row per |",
        "| --- | ---: | --- |",
    ]
    for name, frame in cohort.tables().items():
        lines.append(f"| `{name}` | {len(frame):,} | {TABLE_DESCRIPTIONS[name]} |")
    lines += ["", "Identifiers link the tables: `patient_id`, `encounter_id` and `site_id`.", ""]
    for name in TABLES:
        lines += [f"### `{name}`", "", "| column | type | unit | code system | meaning |",
                  "| --- | --- | --- | --- | --- |"]
        present = set(getattr(cohort, name).columns)
        for col in TABLES[name]:
            note = "" if col.name in present else " (absent: leakage fault off)"
            lines.append(f"| `{col.name}` | {col.dtype} | {col.unit} | {col.code_system} | {col.meaning}{note} |")
        lines.append("")
    lines += ["### Sites", "", "| site | name | glucose unit | case-mix |", "| --- | --- | --- | --- |"]
    lines += [f"| {s['site_id']} | {s['site_name']} | {s['glucose_unit']} | {s['description']} |" for s in ref.SITES]
    lines += ["", "### Observation codes", "", "| name | LOINC | unit (UCUM) |", "| --- | --- | --- |"]
    lines += [f"| {t.name} | {t.loinc_code} | {t.unit} |" for t in ref.OBSERVATION_TYPES.values()]
    lines += [f"| glucose at {ref.GLUCOSE_MG_DL_SITE} | {ref.GLUCOSE_MASS.loinc_code} | {ref.GLUCOSE_MASS.unit} |"]
    lines += ["", "## Faults injected on purpose", "",
              "Each fault is switchable (`ai2med_labs.synth.Faults`); the default cohort has all of them.", "",
              "| fault | on | what it does |", "| --- | --- | --- |"]
    for name, on in meta["faults"].items():
        lines.append(f"| {name} | {'yes' if on else 'no'} | {_FAULT_TEXT[name]} |")
    site_offsets = ", ".join(f"{s['site_id']} {s['readmission_offset']:+g}" for s in ref.SITES)
    lines += [
        "",
        "## Outcomes and the true risk models",
        "",
        "Outcomes are drawn as Bernoulli(p) with p = expit(logit); `readmission_risk` and `t2d_risk` "
        "keep p, the best prediction any model could make. Both models also use an area deprivation "
        "score that is not in the tables, as real risk depends on things a record does not hold "
        "(the formulas are in `ai2med_labs/synth/risk.py`).",
        "",
        f"- 30-day readmission: {_coefficients(READMISSION)}; plus a site offset "
        f"({site_offsets}).",
        f"- type 2 diabetes within 5 years: {_coefficients(DIABETES)}.",
        "- The admissions of a patient form a chain: a readmission follows 1-30 days after discharge, "
        "any other admission more than 30 days after, so `readmitted_30d` agrees with the dates. "
        "A death in hospital ends the chain.",
        "",
        "## Intended uses",
        "",
        "- Teaching: data cleaning, visualisation, prediction and its evaluation, dataset shift, "
        "storage, pseudonymisation, anonymisation and secure exchange.",
        "- Trying out software that handles patient-like records without any real patient's data.",
        "",
        "## Limits",
        "",
        "- Not for clinical research or any clinical decision: relationships are invented and simplified.",
        "- Names, postcodes and sites are invented; frequencies do not match any real population.",
        "- The privacy labs use the direct identifiers as if they were real; treat them with the same care.",
        "",
    ]
    return "\n".join(lines)
