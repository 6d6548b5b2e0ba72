"""Reference tables for the synthetic cohort: sites, codes, units and name lists.

Everything here is invented for teaching; any likeness to real people or
hospitals is chance. Codes are real LOINC, ICD-10, ATC and UCUM codes.

>>> SITES[0]["site_id"]
'H1'
>>> OBSERVATION_TYPES["heart_rate"].loinc_code
'8867-4'
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "SITES",
    "GLUCOSE_MG_DL_SITE",
    "ObservationType",
    "OBSERVATION_TYPES",
    "GLUCOSE_MASS",
    "MMOL_TO_MG_DL_GLUCOSE",
    "CONDITIONS",
    "MEDICATIONS",
    "WARDS",
    "GIVEN_NAMES_F",
    "GIVEN_NAMES_M",
    "FAMILY_NAMES",
    "STREETS",
]

# Four hospitals that differ in case-mix and measuring habits. `age_mean`/`age_sd` set the
# age at first admission, `share` the share of patients, `readmission_offset` a site effect
# on the log-odds of readmission (care pathways differ), `postcode_regions` the first two
# postcode digits of the towns each hospital serves.
SITES: list[dict] = [
    {
        "site_id": "H1", "site_name": "Northgate University Hospital", "city": "Northgate",
        "glucose_unit": "mmol/L", "beds": 1200, "share": 0.35, "age_mean": 66.0, "age_sd": 15.0,
        "bmi_shift": 0.0, "readmission_offset": 0.0, "deprivation_mean": 0.0,
        "postcode_regions": ("11", "12", "13"), "towns": ("Northgate", "Millbrook", "Ashford Green"),
        "description": "tertiary teaching hospital; older, sicker patients",
    },
    {
        "site_id": "H2", "site_name": "Riverside General Hospital", "city": "Riverside",
        "glucose_unit": "mmol/L", "beds": 650, "share": 0.25, "age_mean": 62.0, "age_sd": 16.0,
        "bmi_shift": 0.5, "readmission_offset": 0.1, "deprivation_mean": 0.3,
        "postcode_regions": ("21", "22"), "towns": ("Riverside", "Old Quay"),
        "description": "general hospital serving an urban area",
    },
    {
        "site_id": "H3", "site_name": "St Ansgar Clinic", "city": "Kirkby Vale",
        "glucose_unit": "mg/dL", "beds": 400, "share": 0.2, "age_mean": 58.0, "age_sd": 17.0,
        "bmi_shift": 1.5, "readmission_offset": -0.3, "deprivation_mean": 0.6,
        "postcode_regions": ("31", "32"), "towns": ("Kirkby Vale", "Hollins"),
        "description": "clinic with a discharge follow-up programme; records glucose in mg/dL",
    },
    {
        "site_id": "H4", "site_name": "Lakeside Community Hospital", "city": "Lakeside",
        "glucose_unit": "mmol/L", "beds": 250, "share": 0.2, "age_mean": 50.0, "age_sd": 18.0,
        "bmi_shift": -1.0, "readmission_offset": 0.35, "deprivation_mean": -0.4,
        "postcode_regions": ("41", "42", "43"), "towns": ("Lakeside", "Fernley", "Upper Wick"),
        "description": "community hospital; younger patients, rarely records cholesterol",
    },
]

GLUCOSE_MG_DL_SITE = "H3"
MMOL_TO_MG_DL_GLUCOSE = 18.016  # 1 mmol/L glucose = 18.016 mg/dL (molar mass 180.16 g/mol)


class ObservationType(NamedTuple):
    """One kind of vital sign or lab result, with its LOINC code and UCUM unit."""

    name: str
    loinc_code: str
    display: str
    unit: str
    decimals: int


OBSERVATION_TYPES: dict[str, ObservationType] = {
    t.name: t
    for t in [
        ObservationType("heart_rate", "8867-4", "Heart rate", "/min", 0),
        ObservationType("systolic_bp", "8480-6", "Systolic blood pressure", "mm[Hg]", 0),
        ObservationType("diastolic_bp", "8462-4", "Diastolic blood pressure", "mm[Hg]", 0),
        ObservationType("temperature", "8310-5", "Body temperature", "Cel", 1),
        ObservationType("spo2", "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%", 0),
        ObservationType("bmi", "39156-5", "Body mass index (BMI) [Ratio]", "kg/m2", 1),
        ObservationType("body_weight", "29463-7", "Body weight", "kg", 1),
        ObservationType("glucose", "15074-8", "Glucose [Moles/volume] in Blood", "mmol/L", 1),
        ObservationType("hba1c", "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 1),
        ObservationType("creatinine", "14682-9", "Creatinine [Moles/volume] in Serum or Plasma", "umol/L", 0),
        ObservationType(
            "egfr", "98979-8",
            "Glomerular filtration rate/1.73 sq M.predicted by Creatinine-based formula (CKD-EPI 2021)",
            "mL/min/{1.73_m2}", 0,
        ),
        ObservationType("cholesterol", "14647-2", "Cholesterol [Moles/volume] in Serum or Plasma", "mmol/L", 1),
    ]
}
# The mg/dL site codes glucose as a mass concentration.
GLUCOSE_MASS = ObservationType("glucose", "2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 0)

# ICD-10 chronic conditions and the medicines (ATC) they bring.
CONDITIONS: dict[str, tuple[str, str]] = {
    "t2d": ("E11", "Type 2 diabetes mellitus"),
    "hypertension": ("I10", "Essential (primary) hypertension"),
    "heart_failure": ("I50", "Heart failure"),
    "ckd": ("N18", "Chronic kidney disease"),
    "copd": ("J44", "Other chronic obstructive pulmonary disease"),
    "hyperlipidaemia": ("E78", "Disorders of lipoprotein metabolism and other lipidaemias"),
    "atrial_fibrillation": ("I48", "Atrial fibrillation and flutter"),
    "depression": ("F32", "Depressive episode"),
}
MEDICATIONS: dict[str, tuple[str, str]] = {
    "t2d": ("A10BA02", "metformin"),
    "hypertension": ("C09AA05", "ramipril"),
    "heart_failure": ("C03CA01", "furosemide"),
    "ckd": ("C09CA01", "losartan"),
    "copd": ("R03AC02", "salbutamol"),
    "hyperlipidaemia": ("C10AA05", "atorvastatin"),
    "atrial_fibrillation": ("B01AF02", "apixaban"),
    "depression": ("N06AB06", "sertraline"),
}

WARDS = ["general medicine", "cardiology", "respiratory", "endocrinology", "geriatrics", "surgery"]

GIVEN_NAMES_F = [
    "Anna", "Maria", "Sofia", "Emma", "Laura", "Julia", "Elena", "Sara", "Ingrid", "Olivia",
    "Charlotte", "Amelia", "Isla", "Freya", "Hannah", "Lena", "Clara", "Marta", "Eva", "Alice",
    "Chloe", "Lucia", "Paula", "Greta", "Nora", "Agnes", "Helga", "Irene", "Joanna", "Karin",
    "Leonie", "Mila", "Nadia", "Petra", "Rosa", "Sanna", "Tove", "Ursula", "Vera", "Wiktoria",
    "Zofia", "Aisha", "Fatima", "Leila", "Mei", "Priya", "Aylin", "Daria", "Ewa", "Fiona",
    "Grace", "Heidi", "Ines", "Jasmin", "Katja", "Liv", "Mirela", "Noor", "Oona", "Ruth",
]
GIVEN_NAMES_M = [
    "Lukas", "Jonas", "Elias", "Noah", "Liam", "Oliver", "Jakob", "Felix", "Leon", "Paul",
    "Max", "Ben", "Finn", "Mateo", "Hugo", "Oscar", "Arthur", "Luca", "Nils", "Erik",
    "Anton", "Bruno", "Carlos", "Daniel", "Emil", "Filip", "Georg", "Henrik", "Ivan", "Jan",
    "Karl", "Lars", "Marek", "Niko", "Olaf", "Piotr", "Rafael", "Stefan", "Tomas", "Viktor",
    "Walter", "Yusuf", "Omar", "Ahmed", "Ravi", "Chen", "Kenji", "Mehmet", "Andrei", "Bogdan",
    "Dmitri", "Eamon", "Fergus", "Goran", "Hamza", "Igor", "Joao", "Kasper", "Milan", "Pieter",
]
FAMILY_NAMES = [
    "Smith", "Muller", "Rossi", "Garcia", "Novak", "Jensen", "Nielsen", "Kowalski", "Dubois", "Silva",
    "Janssen", "Virtanen", "Horvath", "Popescu", "Ivanova", "Andersson", "Berg", "Costa", "Dimitrov", "Eriksen",
    "Fischer", "Ferrari", "Gomez", "Hansen", "Ionescu", "Jovanovic", "Keller", "Lindqvist", "Moreau", "Nowak",
    "Olsen", "Petrov", "Quinn", "Romano", "Schmidt", "Torres", "Urban", "Varga", "Weber", "Young",
    "Zielinski", "Ahmed", "Baker", "Clarke", "Davies", "Evans", "Fontaine", "Greco", "Hughes", "Ilic",
    "Kaya", "Lambert", "Marino", "Nagy", "OBrien", "Pavlov", "Richter", "Santos", "Tanaka", "Vogel",
    "Walsh", "Yilmaz", "Zimmermann", "Bauer", "Conti", "Dahl", "Engel", "Fabbri", "Gruber", "Haas",
    "Kruger", "Laine", "Meyer", "Nordin", "Ortega", "Pereira", "Rahman", "Sorensen", "Takacs", "Wolf",
]
STREETS = [
    "Elm Street", "Station Road", "Church Lane", "Mill Road", "High Street", "Park Avenue",
    "Oak Way", "Bridge Street", "Castle Road", "Garden Lane", "King Street", "Queen Street",
    "Meadow Close", "River Walk", "School Lane", "Victoria Road", "Willow Drive", "Orchard Way",
    "Hill Crescent", "Lake View", "Market Square", "North Road", "South Street", "West End",
    "Chestnut Grove", "Harbour Road", "Linden Allee", "Birch Row", "Cedar Court", "Maple Rise",
]
