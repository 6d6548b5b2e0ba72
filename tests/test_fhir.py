"""Tests for ai2med_labs.fhir: conversion, validation (structure and codes), Bundles."""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest

from ai2med_labs import fhir


def hand_rows() -> tuple[dict, dict, dict]:
    patient = {
        "patient_id": "P0000001", "national_id": "800101-1234", "given_name": "Ada",
        "family_name": "Lovell", "birth_date": pd.Timestamp("1980-01-01"), "sex": "F",
        "postcode": "11234", "address": "1 High Street", "city": "Northgate",
        "phone": "+99 111 222 333", "email": "ada@example.org", "insurance": "public",
        "home_site_id": "H1", "smoking_status": None, "death_date": pd.NaT,
    }
    encounter = {
        "encounter_id": "E00000001", "patient_id": "P0000001", "site_id": "H1",
        "admit_date": pd.Timestamp("2024-03-01"), "discharge_date": pd.Timestamp("2024-03-04"),
        "length_of_stay_days": 3, "ward": "cardiology", "admission_type": "emergency",
        "discharge_disposition": "home", "followup_contacts_30d": 0,
    }
    observation = {
        "observation_id": 1, "patient_id": "P0000001", "encounter_id": "E00000001", "site_id": "H1",
        "effective_time": pd.Timestamp("2024-03-01 08:30"), "loinc_code": "4548-4", "name": "hba1c",
        "value": 6.8, "unit": "%",
    }
    return patient, encounter, observation


@pytest.fixture(scope="module", params=[21, 22])
def cohort(request):
    from ai2med_labs.synth import generate_cohort

    return generate_cohort(n_patients=60, seed=request.param)


def test_hand_rows_convert_to_valid_resources():
    p, e, o = hand_rows()
    pr, er, orr = fhir.patient_resource(p), fhir.encounter_resource(e), fhir.observation_resource(o)
    for res in (pr, er, orr):
        model = fhir.validate_resource(res)
        assert model.get_resource_type() == res["resourceType"]
    assert pr["gender"] == "female" and pr["birthDate"] == "1980-01-01" and "deceasedDateTime" not in pr
    assert {i["value"] for i in pr["identifier"]} == {"P0000001", "800101-1234"}
    assert er["subject"]["reference"] == "Patient/P0000001" and er["period"] == {"start": "2024-03-01", "end": "2024-03-04"}
    coding = orr["code"]["coding"][0]
    assert (coding["system"], coding["code"]) == (fhir.LOINC, "4548-4")
    q = orr["valueQuantity"]
    assert (q["value"], q["system"], q["code"]) == (6.8, fhir.UCUM, "%")
    assert orr["encounter"]["reference"] == "Encounter/E00000001"
    assert orr["effectiveDateTime"].startswith("2024-03-01T08:30:00")


def test_minimal_patient_leaves_out_direct_identifiers():
    p, _, _ = hand_rows()
    text = json.dumps(fhir.patient_resource(p, minimal=True))
    for v in ("800101-1234", "Ada", "Lovell", "High Street", "+99", "ada@example.org", "11234"):
        assert v not in text
    fhir.validate_resource(fhir.patient_resource(p, minimal=True))


@pytest.mark.parametrize(
    "kind, change, where",
    [
        ("patient", lambda r: r.update(gender="femme"), "gender"),
        ("patient", lambda r: r.update(birthDate="1980-13-01"), "birthDate"),
        ("patient", lambda r: r.update(id="P 1"), "id"),
        ("patient", lambda r: r.update(shoeSize=42), "shoeSize"),
        ("encounter", lambda r: r.pop("class"), "class"),
        ("encounter", lambda r: r.update(status="done"), "status"),
        ("encounter", lambda r: r["period"].update(end="2024-01-01"), "period"),
        ("observation", lambda r: r.pop("code"), "code"),
        ("observation", lambda r: r.update(code={"coding": [{"system": "http://snomed.info/sct", "code": "1"}]}), "LOINC"),
        ("observation", lambda r: r["code"]["coding"][0].update(code="hba1c"), "not a LOINC code"),
        ("observation", lambda r: r["valueQuantity"].update(value="high"), "valueQuantity.value"),
        ("observation", lambda r: r["valueQuantity"].update(system="mmol"), "valueQuantity.system"),
        ("observation", lambda r: r["valueQuantity"].update(code="percent"), "valueQuantity.code"),
        ("observation", lambda r: r.pop("subject"), "subject"),
        ("observation", lambda r: r.update(resourceType="Observaton"), "resourceType"),
    ],
)
def test_invalid_resources_are_rejected_with_the_path(kind, change, where):
    p, e, o = hand_rows()
    res = {"patient": fhir.patient_resource(p), "encounter": fhir.encounter_resource(e),
           "observation": fhir.observation_resource(o)}[kind]
    bad = copy.deepcopy(res)
    change(bad)
    with pytest.raises(fhir.FHIRValidationError, match=where) as err:
        fhir.validate_resource(bad)
    assert isinstance(err.value, ValueError) and err.value.problems
    assert "not valid FHIR R4" in str(err.value)


def test_non_dict_and_missing_columns():
    with pytest.raises(TypeError, match="dict"):
        fhir.validate_resource("Patient")
    with pytest.raises(KeyError, match="patient_id"):
        fhir.patient_resource({"sex": "F"})
    _, _, o = hand_rows()
    o.pop("unit")
    with pytest.raises(KeyError, match="unit"):
        fhir.observation_resource(o)


def test_cohort_converts_and_validates(cohort):
    res = fhir.to_resources(cohort.patients, cohort.encounters, cohort.observations)
    n = len(cohort.patients) + len(cohort.encounters) + len(cohort.observations)
    assert len(res) == n
    obs = [r for r in res if r["resourceType"] == "Observation"]
    assert all(r["code"]["coding"][0]["system"] == fhir.LOINC for r in obs)
    assert {r["valueQuantity"]["code"] for r in obs} <= fhir.UCUM_UNITS
    # every reference points at a resource in the same set
    ids = {f"{r['resourceType']}/{r['id']}" for r in res}
    refs = {r["subject"]["reference"] for r in res if "subject" in r}
    refs |= {r["encounter"]["reference"] for r in obs if "encounter" in r}
    assert refs <= ids


def test_bundle_roundtrip_and_observations_table(cohort):
    obs = cohort.observations.head(40)
    res = fhir.to_resources(cohort.patients.head(5), None, obs)
    for kind in ("collection", "transaction"):
        bundle = fhir.make_bundle(res, type=kind)
        assert bundle["type"] == kind and len(bundle["entry"]) == len(res)
        if kind == "transaction":
            assert all(e["request"]["method"] == "PUT" for e in bundle["entry"])
        back = fhir.bundle_from_json(fhir.bundle_to_json(bundle, indent=1))
        assert back == res
    table = fhir.observations_to_frame(back)
    assert table["value"].tolist() == pytest.approx(obs["value"].tolist())
    assert table["loinc_code"].tolist() == obs["loinc_code"].astype(str).tolist()
    assert table["patient_id"].tolist() == obs["patient_id"].astype(str).tolist()


def test_bad_bundles_are_rejected():
    p, _, o = hand_rows()
    good = [fhir.patient_resource(p), fhir.observation_resource(o)]
    with pytest.raises(ValueError, match="type must be"):
        fhir.make_bundle(good, type="batchy")
    bad = copy.deepcopy(good)
    bad[1]["valueQuantity"]["system"] = "local"
    with pytest.raises(fhir.FHIRValidationError, match="UCUM"):
        fhir.make_bundle(bad)
    text = fhir.bundle_to_json(fhir.make_bundle(good))
    with pytest.raises(fhir.FHIRValidationError, match="gender"):
        fhir.bundle_from_json(text.replace('"female"', '"woman"'))
    with pytest.raises(fhir.FHIRValidationError, match="birthDate"):
        fhir.bundle_from_json(text.replace('"1980-01-01"', '"01/01/1980"'))
    with pytest.raises(ValueError, match="not JSON"):
        fhir.bundle_from_json(text[:-3])
    with pytest.raises(fhir.FHIRValidationError, match="Bundle"):
        fhir.bundle_from_json(json.dumps(good[0]))
