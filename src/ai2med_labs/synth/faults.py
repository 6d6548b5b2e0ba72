"""Faults put into the cohort on purpose, each switchable, so that cleaning is real work.

=====================  =====================================================================
fault                  what it does
=====================  =====================================================================
missingness            labs missing with a known mechanism (see observations_table), and
                       smoking status unrecorded more often for older patients
unit_mixups            4 % of glucose results at the mg/dL hospital (H3) keep their mg/dL
                       value but are labelled mmol/L (LOINC 15074-8)
duplicates             1.5 % of observation rows entered twice (a new observation_id) and
                       0.5 % of patient rows registered twice (an exact copy)
category_typos         3 % of ward names misspelt, capitalised or padded with a space
implausible_values     0.4 % of vital-sign rows keyed wrongly: the decimal point slipped
                       (value x 10) or a zero entered
leakage                the column encounters.followup_contacts_30d, recorded after discharge
=====================  =====================================================================

>>> Faults.none().as_dict()["duplicates"]
False
>>> Faults().leakage
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

from ai2med_labs.synth import reference as ref
from ai2med_labs.synth.clinical import GLUCOSE_MASS_KIND, ObservationArrays

__all__ = ["Faults", "RATES", "ward_variants", "apply_faults"]

RATES = {
    "unit_mixups": 0.04,
    "duplicate_observations": 0.015,
    "duplicate_patients": 0.005,
    "category_typos": 0.03,
    "implausible_values": 0.004,
}
IMPLAUSIBLE_TARGETS = ("heart_rate", "temperature", "systolic_bp", "body_weight")


@dataclass(frozen=True)
class Faults:
    """Which faults to put into a generated cohort (all on by default, as in the course data)."""

    missingness: bool = True
    unit_mixups: bool = True
    duplicates: bool = True
    category_typos: bool = True
    implausible_values: bool = True
    leakage: bool = True

    @classmethod
    def none(cls) -> Faults:
        """A clean cohort: no fault at all."""
        return cls(**{f.name: False for f in fields(cls)})

    def as_dict(self) -> dict[str, bool]:
        return asdict(self)


def ward_variants(ward: str) -> list[str]:
    """Plausible misspellings of a ward name.

    >>> ward_variants("cardiology")
    ['Cardiology', 'cardiology ', 'CARDIOLOGY', 'cardiolgy']
    """
    cut = len(ward) - 3
    return [ward.capitalize(), ward + " ", ward.upper(), ward[:cut] + ward[cut + 1:]]


def _pick_some(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """Sorted positions of a random share ``rate`` of ``n`` items (Binomial count, no repeats)."""
    k = int(rng.binomial(n, rate)) if n else 0
    return np.sort(rng.choice(n, size=k, replace=False)) if k else np.zeros(0, dtype=np.int64)


def _twice(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """Repeat counts: 1 for every row and 2 for a random share ``rate`` (the copy follows the original)."""
    counts = np.ones(n, dtype=np.int64)
    counts[_pick_some(rng, n, rate)] = 2
    return counts


def apply_faults(rng: np.random.Generator, tables: dict[str, pd.DataFrame],
                 observations: ObservationArrays, faults: Faults) -> ObservationArrays:
    """Put the switched-on faults (missingness excepted: it happens at generation) into the
    tables (changed in place) and the observations (returned).

    Every fault draws its random numbers from a stream of its own, whether or not it is
    on, so switching one fault off leaves the others exactly as they were.
    """
    mixup_rng, implausible_rng, typo_rng, obs_dup_rng, patient_dup_rng, smoking_rng = rng.spawn(6)
    obs = observations
    glucose_mass = np.flatnonzero(obs.kind == GLUCOSE_MASS_KIND)
    mixed = glucose_mass[_pick_some(mixup_rng, glucose_mass.shape[0], RATES["unit_mixups"])]
    if faults.unit_mixups:
        obs.kind[mixed] = list(ref.OBSERVATION_TYPES).index("glucose")
    targets = [list(ref.OBSERVATION_TYPES).index(name) for name in IMPLAUSIBLE_TARGETS]
    candidates = np.flatnonzero(np.isin(obs.kind, targets))
    hit = candidates[_pick_some(implausible_rng, candidates.shape[0], RATES["implausible_values"])]
    zero = implausible_rng.random(hit.shape[0]) < 0.5
    if faults.implausible_values:
        obs.value[hit] = np.where(zero, 0.0, np.round(obs.value[hit] * 10, 1))

    # Smoking status goes unrecorded more often for older patients (missing at random given age).
    patients = tables["patients"]
    age = (patients["birth_date"].max() - patients["birth_date"]).dt.days.to_numpy() / 365.25
    unrecorded = smoking_rng.random(len(patients)) < np.clip(0.04 + 0.003 * age, 0, 0.6)
    if faults.missingness:  # in place: a new column would split, then re-copy, the text block
        patients.loc[unrecorded, "smoking_status"] = None

    enc = tables["encounters"]
    chosen = _pick_some(typo_rng, len(enc), RATES["category_typos"])
    typo_choice = typo_rng.integers(0, 4, chosen.shape[0])
    if faults.category_typos:
        variants = {ward: ward_variants(ward) for ward in ref.WARDS}
        wards = enc["ward"].to_numpy()[chosen]
        column = enc.columns.get_loc("ward")
        enc.iloc[chosen, column] = np.array([variants[w][k] for w, k in zip(wards, typo_choice)], dtype=object)
    if not faults.leakage:
        tables["encounters"] = enc.drop(columns="followup_contacts_30d")

    obs_counts = _twice(obs_dup_rng, obs.kind.shape[0], RATES["duplicate_observations"])
    patients = tables["patients"]
    patient_counts = _twice(patient_dup_rng, len(patients), RATES["duplicate_patients"])
    if faults.duplicates:
        obs = obs.repeat(obs_counts)
        copied = patients.take(np.repeat(np.arange(len(patients)), patient_counts))
        copied.index = pd.RangeIndex(len(copied))  # as reset_index(drop=True), without a second copy
        tables["patients"] = copied
    return obs
