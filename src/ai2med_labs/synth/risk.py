"""The documented risk models that draw the cohort's outcomes.

Each outcome is drawn as ``Bernoulli(p)`` with ``p = expit(logit)``, and ``p`` is
kept in the outcome tables, so a lab can set a learned model beside the best one
possible. Both models use one factor the tables do not show, an area deprivation
score, as real risk does: even the best model built from the tables cannot reach the
AUC of the true risk.

30-day readmission, per admission discharged alive (``READMISSION``)::

    logit = intercept
          + age_per_10y * (age - 65) / 10 + age_squared * ((age - 65) / 15) ** 2
          + prior_admissions * min(previous admissions, 3)
          + comorbidities * (number of chronic conditions)
          + emergency * [emergency admission]
          + log_length_of_stay * log(1 + length of stay in days)
          + low_egfr * [eGFR < 45] + high_hba1c * [HbA1c > 8 %]
          + care_home * [discharged to a care home]
          + deprivation * (deprivation score) + site offset (sites table in reference.py)

Onset of type 2 diabetes within 5 years, per patient without it at the first
admission (``DIABETES``)::

    logit = intercept + age_per_10y * (age - 50) / 10 + bmi_per_5 * (BMI - 27) / 5
          + hba1c_per_pct * (HbA1c - 5.5) + current_smoker * [current smoker]
          + male * [sex is M] + deprivation * (deprivation score)

>>> round(float(expit(0.0)), 2)
0.5
"""

from __future__ import annotations

import numpy as np

__all__ = ["READMISSION", "DIABETES", "expit", "readmission_logit", "diabetes_logit"]

READMISSION: dict[str, float] = {
    "intercept": -3.6,
    "age_per_10y": 0.12,
    "age_squared": 0.25,
    "prior_admissions": 0.3,
    "comorbidities": 0.22,
    "emergency": 0.45,
    "log_length_of_stay": 0.35,
    "low_egfr": 0.55,
    "high_hba1c": 0.35,
    "care_home": 0.5,
    "deprivation": 0.35,
}

DIABETES: dict[str, float] = {
    "intercept": -2.9,
    "age_per_10y": 0.25,
    "bmi_per_5": 0.55,
    "hba1c_per_pct": 1.8,
    "current_smoker": 0.4,
    "male": 0.25,
    "deprivation": 0.3,
}


def expit(x: np.ndarray | float) -> np.ndarray:
    """The logistic function, 1 / (1 + exp(-x))."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def readmission_logit(
    *, age, prior_admissions, comorbidities, emergency, length_of_stay, egfr, hba1c,
    care_home, deprivation, site_offset,
) -> np.ndarray:
    """Log-odds of 30-day readmission (arrays of equal length; see the module docstring)."""
    b = READMISSION
    return (
        b["intercept"]
        + b["age_per_10y"] * (age - 65.0) / 10.0
        + b["age_squared"] * ((age - 65.0) / 15.0) ** 2
        + b["prior_admissions"] * np.minimum(prior_admissions, 3)
        + b["comorbidities"] * comorbidities
        + b["emergency"] * emergency
        + b["log_length_of_stay"] * np.log1p(length_of_stay)
        + b["low_egfr"] * (egfr < 45)
        + b["high_hba1c"] * (hba1c > 8.0)
        + b["care_home"] * care_home
        + b["deprivation"] * deprivation
        + site_offset
    )


def diabetes_logit(*, age, bmi, hba1c, current_smoker, male, deprivation) -> np.ndarray:
    """Log-odds of type 2 diabetes within 5 years (see the module docstring)."""
    b = DIABETES
    return (
        b["intercept"]
        + b["age_per_10y"] * (age - 50.0) / 10.0
        + b["bmi_per_5"] * (bmi - 27.0) / 5.0
        + b["hba1c_per_pct"] * (hba1c - 5.5)
        + b["current_smoker"] * current_smoker
        + b["male"] * male
        + b["deprivation"] * deprivation
    )
