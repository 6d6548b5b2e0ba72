"""Cleaning the cohort's observations: what lab 01 teaches, as one reusable piece.

Lab 01 has learners write each step themselves; later labs and helpers call these so that
every lab cleans the same way.

>>> from ai2med_labs import load_cohort
>>> obs = clean_observations(load_cohort().observations)   # doctest: +SKIP
>>> set(obs.loc[obs["name"] == "glucose", "unit"])         # doctest: +SKIP
{'mmol/L'}
"""

from __future__ import annotations

import pandas as pd

from ai2med_labs.synth.reference import MMOL_TO_MG_DL_GLUCOSE, OBSERVATION_TYPES

__all__ = ["PLAUSIBLE_RANGES", "MISLABELLED_GLUCOSE_ABOVE", "drop_duplicate_observations",
           "harmonise_glucose", "drop_implausible", "clean_observations"]

#: Values outside these ranges cannot be real (units of the cohort; glucose in mmol/L).
PLAUSIBLE_RANGES: dict[str, tuple[float, float]] = {
    "heart_rate": (20, 250),
    "systolic_bp": (50, 260),
    "diastolic_bp": (20, 160),
    "temperature": (30, 43),
    "spo2": (50, 100),
    "bmi": (12, 80),
    "body_weight": (25, 300),
    "glucose": (1, 40),
    "hba1c": (3, 20),
    "creatinine": (10, 2000),
    "egfr": (2, 150),
    "cholesterol": (1, 20),
}
#: A glucose "in mmol/L" above this is a mg/dL value with the wrong label (40 mmol/L is not survivable).
MISLABELLED_GLUCOSE_ABOVE = 40.0


def _require(frame: pd.DataFrame, columns: list[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a DataFrame of observations, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"the observations lack column(s) {missing}; pass cohort.observations")


def drop_duplicate_observations(obs: pd.DataFrame) -> pd.DataFrame:
    """Drop rows that repeat another row in every column but ``observation_id`` (keep the first).

    >>> rows = pd.DataFrame({"observation_id": [1, 2], "name": ["spo2"] * 2, "value": [97.0] * 2})
    >>> len(drop_duplicate_observations(rows))
    1
    """
    _require(obs, ["observation_id"])
    content = [c for c in obs.columns if c != "observation_id"]
    return obs.sort_values("observation_id").drop_duplicates(subset=content)


def harmonise_glucose(obs: pd.DataFrame) -> pd.DataFrame:
    """Every glucose in mmol/L (LOINC 15074-8): mg/dL results, and mg/dL values mislabelled
    mmol/L (above :data:`MISLABELLED_GLUCOSE_ABOVE`), are divided by 18.016.

    >>> rows = pd.DataFrame({"name": ["glucose"] * 3, "value": [90.08, 5.0, 180.16],
    ...                      "unit": ["mg/dL", "mmol/L", "mmol/L"], "loinc_code": ["2345-7", "15074-8", "15074-8"]})
    >>> harmonise_glucose(rows)["value"].round(2).tolist()
    [5.0, 5.0, 10.0]
    """
    _require(obs, ["name", "value", "unit"])
    glucose = obs["name"] == "glucose"
    in_mg_dl = glucose & ((obs["unit"] == "mg/dL") | (obs["value"] > MISLABELLED_GLUCOSE_ABOVE))
    mmol = OBSERVATION_TYPES["glucose"]
    out = obs.assign(
        value=obs["value"].where(~in_mg_dl, obs["value"] / MMOL_TO_MG_DL_GLUCOSE),
        unit=obs["unit"].where(~glucose, mmol.unit),
    )
    if "loinc_code" in out.columns:
        out["loinc_code"] = out["loinc_code"].where(~glucose, mmol.loinc_code)
    return out


def drop_implausible(obs: pd.DataFrame, ranges: dict[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """Drop values outside ``ranges`` (default :data:`PLAUSIBLE_RANGES`, glucose in mmol/L: harmonise
    it first); kinds without a range stay.

    >>> rows = pd.DataFrame({"name": ["heart_rate", "heart_rate"], "value": [72.0, 0.0]})
    >>> drop_implausible(rows)["value"].tolist()
    [72.0]
    """
    _require(obs, ["name", "value"])
    ranges = PLAUSIBLE_RANGES if ranges is None else ranges
    name = obs["name"].astype(str)
    if "unit" in obs.columns and "glucose" in ranges and ((name == "glucose") & (obs["unit"] == "mg/dL")).any():
        raise ValueError("glucose is partly in mg/dL and the range is in mmol/L: call harmonise_glucose first")
    low = name.map({k: lo for k, (lo, _) in ranges.items()}).astype(float).fillna(-float("inf"))
    high = name.map({k: hi for k, (_, hi) in ranges.items()}).astype(float).fillna(float("inf"))
    return obs[obs["value"].between(low, high)]


def clean_observations(obs: pd.DataFrame) -> pd.DataFrame:
    """Duplicates dropped, glucose in mmol/L, implausible values dropped: lab 01's cleaning."""
    return drop_implausible(harmonise_glucose(drop_duplicate_observations(obs)))
