"""Cohort rows as FHIR R4 resources (Patient, Encounter, Observation), validated, in Bundles.

FHIR is the HL7 standard for exchanging health records as typed JSON resources.
Observations carry LOINC codes (what was measured) and UCUM units (in what unit), so a
receiving system cannot confuse mmol/L with mg/dL.

Validation has two layers, both reported in one :class:`FHIRValidationError` (a
ValueError) that lists every problem by its path, e.g. ``valueQuantity.value``:

1. **structure**, by the ``fhir.resources`` library (``fhir.resources.R4B``, the R4
   technical correction; Patient, Encounter and Observation are as in R4): required
   elements, data types, date formats, no unknown elements;
2. **codes**, checked here because the library does not check value sets: gender,
   status codes, a LOINC code on every Observation, UCUM units, a period that does not
   end before it starts.

>>> row = {"patient_id": "P0000001", "sex": "F", "birth_date": "1980-05-17"}
>>> res = patient_resource(row, minimal=True)
>>> res["gender"], validate_resource(res).birthDate.isoformat()
('female', '1980-05-17')
>>> bundle = make_bundle([res], type="collection")
>>> [r["id"] for r in bundle_from_json(bundle_to_json(bundle))]
['P0000001']
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import pydantic
from fhir.resources.R4B import get_fhir_model_class

from ai2med_labs.synth.reference import GLUCOSE_MASS, OBSERVATION_TYPES

__all__ = [
    "LOINC",
    "UCUM",
    "PATIENT_ID_SYSTEM",
    "NATIONAL_ID_SYSTEM",
    "FHIRValidationError",
    "patient_resource",
    "encounter_resource",
    "observation_resource",
    "validate_resource",
    "to_resources",
    "make_bundle",
    "bundle_to_json",
    "bundle_from_json",
    "observations_to_frame",
]

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
PATIENT_ID_SYSTEM = "https://ai2med.example.org/fhir/sid/patient-id"
NATIONAL_ID_SYSTEM = "https://ai2med.example.org/fhir/sid/national-id"
BASE_URL = "https://ai2med.example.org/fhir"
_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_PRIORITY = "http://terminology.hl7.org/CodeSystem/v3-ActPriority"
_OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_DISCHARGE = "http://terminology.hl7.org/CodeSystem/discharge-disposition"

_VITAL_SIGNS = {"heart_rate", "systolic_bp", "diastolic_bp", "temperature", "spo2", "bmi", "body_weight"}
_COHORT_CODES = [*OBSERVATION_TYPES.values(), GLUCOSE_MASS]
#: LOINC codes used by the cohort: code -> (display, category), from the generator's reference table.
LOINC_CODES: dict[str, tuple[str, str]] = {
    t.loinc_code: (t.display, "vital-signs" if t.name in _VITAL_SIGNS else "laboratory") for t in _COHORT_CODES
}
#: UCUM unit codes the cohort uses (a real system would ask a UCUM library), and days.
UCUM_UNITS = frozenset({t.unit for t in _COHORT_CODES} | {"d"})
_GENDER = {"F": "female", "M": "male"}
_GENDER_CODES = {"male", "female", "other", "unknown"}
_ENCOUNTER_STATUS = {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled", "entered-in-error", "unknown"}
_OBS_STATUS = {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown"}
_LOINC_RE = re.compile(r"^\d{1,7}-\d$")
_DISPOSITION = {"home": "home", "care home": "snf", "transfer": "other-hcf", "died": "exp"}


class FHIRValidationError(ValueError):
    """A resource is not valid FHIR R4 (or breaks a code rule); ``problems`` lists each one."""

    def __init__(self, label: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{label} is not valid FHIR R4 ({len(self.problems)} problem(s)):\n{lines}")


# ----------------------------------------------------------------------------- helpers
def _missing(v: Any) -> bool:
    return v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def _date(v: Any) -> str | None:
    if _missing(v):
        return None
    return pd.Timestamp(v).strftime("%Y-%m-%d")


def _datetime(v: Any, tz_offset: str) -> str | None:
    if _missing(v):
        return None
    ts = pd.Timestamp(v)
    if ts.tzinfo is not None:
        return ts.isoformat()
    return ts.strftime("%Y-%m-%dT%H:%M:%S") + tz_offset


def _need(row: Mapping, *cols: str) -> None:
    missing = [c for c in cols if c not in row]
    if missing:
        raise KeyError(f"the row has no {missing}; it has {list(row)}. Pass a row of the matching cohort table.")


# ----------------------------------------------------------------------------- converters
def patient_resource(row: Mapping, *, minimal: bool = False) -> dict:
    """A FHIR Patient (as a dict) from a row of ``cohort.patients``.

    ``minimal=True`` keeps only what a receiver needs to link the record (the internal
    ID, gender, birth date, home hospital) and leaves out names, national ID, address,
    phone and e-mail (data minimisation, GDPR Art. 5(1)(c)).
    """
    _need(row, "patient_id")
    res: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(row["patient_id"]),
        "identifier": [{"system": PATIENT_ID_SYSTEM, "value": str(row["patient_id"])}],
    }
    if not minimal and not _missing(row.get("national_id")):
        res["identifier"].append({"system": NATIONAL_ID_SYSTEM, "value": str(row["national_id"])})
    if not minimal and not (_missing(row.get("family_name")) and _missing(row.get("given_name"))):
        name: dict[str, Any] = {"use": "official"}
        if not _missing(row.get("family_name")):
            name["family"] = str(row["family_name"])
        if not _missing(row.get("given_name")):
            name["given"] = [str(row["given_name"])]
        res["name"] = [name]
    if not minimal:
        telecom = [
            {"system": system, "value": str(row[col])}
            for system, col in (("phone", "phone"), ("email", "email"))
            if not _missing(row.get(col))
        ]
        if telecom:
            res["telecom"] = telecom
    if not _missing(row.get("sex")):
        res["gender"] = _GENDER.get(str(row["sex"]), str(row["sex"]))
    if _date(row.get("birth_date")):
        res["birthDate"] = _date(row["birth_date"])
    if _date(row.get("death_date")):
        res["deceasedDateTime"] = _date(row["death_date"])
    if not minimal:
        addr = {k: str(row[c]) for k, c in (("city", "city"), ("postalCode", "postcode")) if not _missing(row.get(c))}
        if not _missing(row.get("address")):
            addr["line"] = [str(row["address"])]
        if addr:
            res["address"] = [addr]
    if not _missing(row.get("home_site_id")):
        res["managingOrganization"] = {"reference": f"Organization/{row['home_site_id']}"}
    return res


def encounter_resource(row: Mapping) -> dict:
    """A FHIR Encounter (inpatient, finished) from a row of ``cohort.encounters``."""
    _need(row, "encounter_id", "patient_id")
    res: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(row["encounter_id"]),
        "status": "finished",
        "class": {"system": _ACT_CODE, "code": "IMP", "display": "inpatient encounter"},
        "subject": {"reference": f"Patient/{row['patient_id']}"},
    }
    adm = row.get("admission_type")
    if not _missing(adm):
        code = "EM" if adm == "emergency" else "EL" if adm == "elective" else str(adm)
        res["priority"] = {"coding": [{"system": _PRIORITY, "code": code}], "text": str(adm)}
    period = {k: _date(row.get(c)) for k, c in (("start", "admit_date"), ("end", "discharge_date"))}
    period = {k: v for k, v in period.items() if v}
    if period:
        res["period"] = period
    if not _missing(row.get("length_of_stay_days")):
        res["length"] = {"value": int(row["length_of_stay_days"]), "unit": "days", "system": UCUM, "code": "d"}
    disp = row.get("discharge_disposition")
    if not _missing(disp):
        res["hospitalization"] = {
            "dischargeDisposition": {
                "coding": [{"system": _DISCHARGE, "code": _DISPOSITION.get(str(disp), "oth")}],
                "text": str(disp),
            }
        }
    if not _missing(row.get("site_id")):
        res["serviceProvider"] = {"reference": f"Organization/{row['site_id']}"}
    return res


def observation_resource(row: Mapping, *, tz_offset: str = "+00:00") -> dict:
    """A FHIR Observation (LOINC code, UCUM quantity) from a row of ``cohort.observations``.

    The cohort's times are local clock times without a zone; FHIR needs one, so
    ``tz_offset`` is attached (default UTC).
    """
    _need(row, "observation_id", "patient_id", "loinc_code", "value", "unit")
    code = str(row["loinc_code"])
    display, category = LOINC_CODES.get(code, (str(row.get("name", code)), "laboratory"))
    res: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"O{row['observation_id']}",
        "status": "final",
        "category": [{"coding": [{"system": _OBS_CATEGORY, "code": category}]}],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
        "subject": {"reference": f"Patient/{row['patient_id']}"},
    }
    if not _missing(row.get("name")):
        res["code"]["text"] = str(row["name"])
    if not _missing(row.get("encounter_id")):
        res["encounter"] = {"reference": f"Encounter/{row['encounter_id']}"}
    when = _datetime(row.get("effective_time"), tz_offset)
    if when:
        res["effectiveDateTime"] = when
    value = row["value"]
    if _missing(value):
        res["dataAbsentReason"] = {"text": "value missing in source"}
    else:
        unit = str(row["unit"])
        res["valueQuantity"] = {"value": value if isinstance(value, str) else float(value), "unit": unit, "system": UCUM, "code": unit}
    return res


# ----------------------------------------------------------------------------- validation
def _loc(loc: tuple) -> str:
    return ".".join(str(p) for p in loc).replace("class_fhir", "class") or "(resource)"


def _code_problems(res: Mapping) -> list[str]:
    problems: list[str] = []
    rt = res.get("resourceType")
    if rt == "Patient" and "gender" in res and res["gender"] not in _GENDER_CODES:
        problems.append(f"gender: {res['gender']!r} is not one of {sorted(_GENDER_CODES)}")
    if rt == "Encounter":
        if res.get("status") not in _ENCOUNTER_STATUS:
            problems.append(f"status: {res.get('status')!r} is not an Encounter status ({sorted(_ENCOUNTER_STATUS)})")
        period = res.get("period") or {}
        if period.get("start") and period.get("end") and str(period["end"]) < str(period["start"]):
            problems.append(f"period: ends ({period['end']}) before it starts ({period['start']})")
        if "subject" not in res:
            problems.append("subject: an Encounter must say whose it is (subject.reference 'Patient/<id>')")
    if rt == "Observation":
        if res.get("status") not in _OBS_STATUS:
            problems.append(f"status: {res.get('status')!r} is not an Observation status ({sorted(_OBS_STATUS)})")
        codings = (res.get("code") or {}).get("coding") or []
        loinc = [c for c in codings if isinstance(c, Mapping) and c.get("system") == LOINC]
        if not loinc:
            problems.append(f"code.coding: no LOINC coding (system {LOINC!r}) says what was measured")
        for c in loinc:
            if not _LOINC_RE.match(str(c.get("code", ""))):
                problems.append(f"code.coding: {c.get('code')!r} is not a LOINC code (digits, '-', check digit)")
        if "subject" not in res:
            problems.append("subject: an Observation must say whose it is (subject.reference 'Patient/<id>')")
        q = res.get("valueQuantity")
        if isinstance(q, Mapping):
            if q.get("system") != UCUM:
                problems.append(f"valueQuantity.system: units must be UCUM ({UCUM!r}), got {q.get('system')!r}")
            if q.get("code") not in UCUM_UNITS:
                problems.append(f"valueQuantity.code: {q.get('code')!r} is not a UCUM unit used here ({sorted(UCUM_UNITS)})")
            v = q.get("value")
            if isinstance(v, float) and not math.isfinite(v):
                problems.append(f"valueQuantity.value: {v!r} is not a finite number")
        elif "dataAbsentReason" not in res and not any(k.startswith("value") for k in res):
            problems.append("value[x]: no value and no dataAbsentReason")
    return problems


def validate_resource(resource: Mapping) -> Any:
    """Validate one resource (a dict) and return the ``fhir.resources`` model object.

    Raises :class:`FHIRValidationError` listing every structural and code problem.
    """
    if not isinstance(resource, Mapping):
        raise TypeError(f"a FHIR resource must be a dict, got {type(resource).__name__}.")
    rt = resource.get("resourceType")
    label = f"{rt} {resource.get('id', '(no id)')!r}" if rt else "the resource"
    try:
        model_cls = get_fhir_model_class(str(rt))
    except ValueError:
        raise FHIRValidationError(label, [f"resourceType: {rt!r} is not a FHIR R4 resource type"]) from None
    problems: list[str] = []
    model = None
    try:
        model = model_cls.model_validate(dict(resource))
    except pydantic.ValidationError as exc:
        for err in exc.errors(include_url=False):
            msg = err["msg"].removeprefix("Value error, ")
            got = err.get("input")
            shown = "" if isinstance(got, (dict, list)) else f" (got {got!r})"
            problems.append(f"{_loc(err['loc'])}: {msg}{shown}")
    problems += _code_problems(resource)
    if problems:
        raise FHIRValidationError(label, problems)
    return model


# ----------------------------------------------------------------------------- tables and bundles
def to_resources(
    patients: pd.DataFrame | None = None,
    encounters: pd.DataFrame | None = None,
    observations: pd.DataFrame | None = None,
    *,
    minimal: bool = False,
    validate: bool = True,
) -> list[dict]:
    """Convert whole tables to a list of resources (patients, then encounters, then observations).

    With ``validate=True`` every resource is validated and the first invalid one raises
    :class:`FHIRValidationError`.
    """
    out: list[dict] = []
    for df, conv in (
        (patients, lambda r: patient_resource(r, minimal=minimal)),
        (encounters, encounter_resource),
        (observations, observation_resource),
    ):
        if df is None:
            continue
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"tables must be DataFrames, got {type(df).__name__}.")
        for row in df.to_dict("records"):
            res = conv(row)
            if validate:
                validate_resource(res)
            out.append(res)
    return out


def make_bundle(resources: Iterable[Mapping], type: str = "collection") -> dict:  # noqa: A002
    """Wrap resources in a validated Bundle (``"collection"`` or ``"transaction"``).

    A transaction Bundle gives every entry a ``request`` (``PUT <type>/<id>``): the
    receiving server applies all of them or none.
    """
    if type not in ("collection", "transaction"):
        raise ValueError(f"type must be 'collection' or 'transaction', got {type!r}.")
    entries = []
    for res in resources:
        if not isinstance(res, Mapping) or "resourceType" not in res:
            raise TypeError("every item must be a FHIR resource dict with a 'resourceType'.")
        rt, rid = res["resourceType"], res.get("id")
        entry: dict[str, Any] = {"resource": dict(res)}
        if rid is not None:
            entry["fullUrl"] = f"{BASE_URL}/{rt}/{rid}"
        if type == "transaction":
            entry["request"] = {"method": "PUT", "url": f"{rt}/{rid}"} if rid else {"method": "POST", "url": rt}
        entries.append(entry)
    bundle = {"resourceType": "Bundle", "type": type, "entry": entries}
    validate_resource(bundle)
    for e in entries:
        _raise_code_problems(e["resource"])
    return bundle


def _raise_code_problems(res: Mapping) -> None:
    problems = _code_problems(res)
    if problems:
        raise FHIRValidationError(f"{res.get('resourceType')} {res.get('id', '(no id)')!r}", problems)


def bundle_to_json(bundle: Mapping, indent: int | None = None) -> str:
    """The Bundle as JSON text, ready to send."""
    return json.dumps(bundle, indent=indent, ensure_ascii=False)


def bundle_from_json(text: str | bytes) -> list[dict]:
    """Parse and validate a Bundle received as JSON; return its resources (dicts).

    Raises :class:`FHIRValidationError` for a Bundle or an entry that is not valid, and
    :class:`ValueError` for text that is not JSON.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the text is not JSON ({exc.msg} at position {exc.pos}).") from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise FHIRValidationError("the document", ["resourceType: expected a 'Bundle'"])
    validate_resource(data)
    resources = [e["resource"] for e in data.get("entry", []) if "resource" in e]
    for res in resources:
        _raise_code_problems(res)
    return resources


def observations_to_frame(resources: Iterable[Mapping]) -> pd.DataFrame:
    """Flatten Observation resources back to a table (patient_id, loinc_code, value, unit, effective_time)."""
    rows = []
    for r in resources:
        if r.get("resourceType") != "Observation":
            continue
        loinc = next((c["code"] for c in r["code"].get("coding", []) if c.get("system") == LOINC), None)
        q = r.get("valueQuantity") or {}
        rows.append(
            {
                "observation_id": r.get("id"),
                "patient_id": r["subject"]["reference"].split("/", 1)[-1],
                "loinc_code": loinc,
                "value": q.get("value"),
                "unit": q.get("code"),
                "effective_time": r.get("effectiveDateTime"),
            }
        )
    df = pd.DataFrame(rows, columns=["observation_id", "patient_id", "loinc_code", "value", "unit", "effective_time"])
    df["effective_time"] = pd.to_datetime(df["effective_time"], utc=True)
    return df
