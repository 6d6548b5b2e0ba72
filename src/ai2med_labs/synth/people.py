"""Patients: direct identifiers, demographics and the hidden traits behind their health.

>>> import numpy as np
>>> patients, traits = make_patients(np.random.default_rng(0), 5)
>>> patients.shape[0], traits.age.shape[0]
(5, 5)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ai2med_labs.synth import reference as ref
from ai2med_labs.synth.risk import expit

__all__ = ["Traits", "make_patients", "luhn_check_digit", "CONDITION_NAMES", "EPOCH_INDEX_FIRST", "EPOCH_INDEX_LAST"]

CONDITION_NAMES = list(ref.CONDITIONS)
# First admissions fall in these years (days since 1970-01-01).
EPOCH_INDEX_FIRST = int(np.datetime64("2016-01-01", "D").astype(np.int64))
EPOCH_INDEX_LAST = int(np.datetime64("2021-12-31", "D").astype(np.int64))


@dataclass
class Traits:
    """Per-patient values the generator uses but the tables show only through measurements."""

    site: np.ndarray  # index into reference.SITES (home hospital)
    male: np.ndarray  # bool
    age: np.ndarray  # years at the first admission
    index_day: np.ndarray  # first admission, days since 1970-01-01
    birth_day: np.ndarray  # days since 1970-01-01
    deprivation: np.ndarray  # area deprivation score, standard normal-ish; not in the tables
    smoking: np.ndarray  # 0 never, 1 former, 2 current
    bmi: np.ndarray
    height: np.ndarray  # metres
    sbp: np.ndarray
    hba1c: np.ndarray
    egfr: np.ndarray
    cholesterol: np.ndarray
    conditions: np.ndarray  # bool, one column per CONDITION_NAMES entry

    def has(self, condition: str) -> np.ndarray:
        """Bool array: which patients have ``condition`` (a key of reference.CONDITIONS)."""
        return self.conditions[:, CONDITION_NAMES.index(condition)]


def luhn_check_digit(payload: np.ndarray) -> np.ndarray:
    """Luhn check digits for non-negative integers (vectorised).

    >>> luhn_check_digit(np.array([7992739871])).tolist()
    [3]
    """
    number = np.asarray(payload, dtype=np.int64).copy()
    total = np.zeros_like(number)
    position = 0
    while np.any(number > 0) or position == 0:
        digit = number % 10
        if position % 2 == 0:  # rightmost payload digit and every second one after it
            digit = digit * 2
            digit = np.where(digit > 9, digit - 9, digit)
        total += digit
        number //= 10
        position += 1
    return (10 - total % 10) % 10


def _unique_serials(rng: np.random.Generator, birth_day: np.ndarray) -> np.ndarray:
    """A serial 000-999 per patient, unique among patients born on the same day."""
    n = birth_day.shape[0]
    order = np.lexsort((rng.random(n), birth_day))
    sorted_days = birth_day[order]
    starts = np.r_[True, sorted_days[1:] != sorted_days[:-1]]
    start_index = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    rank = np.arange(n) - start_index
    if n and rank.max() >= 1000:
        raise ValueError("more than 1,000 patients share a birth date: national IDs would repeat")
    offset = rng.integers(0, 1000, n)[order][start_index]
    serial = np.empty(n, dtype=np.int64)
    serial[order] = (offset + rank * 37) % 1000  # 37 is coprime to 1000: distinct for rank < 1000
    return serial


def _pick(rng: np.random.Generator, options: list[str], n: int) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), n)]


def make_patients(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, Traits]:
    """The patients table (before faults) and the traits behind it."""
    sites = ref.SITES
    site = rng.choice(len(sites), size=n, p=[s["share"] for s in sites])
    male = rng.random(n) < 0.48
    age_mean = np.array([s["age_mean"] for s in sites])[site]
    age_sd = np.array([s["age_sd"] for s in sites])[site]
    age = np.clip(rng.normal(age_mean, age_sd), 18.0, 98.0)
    index_day = rng.integers(EPOCH_INDEX_FIRST, EPOCH_INDEX_LAST + 1, n)
    birth_day = index_day - np.floor(age * 365.25).astype(np.int64)
    age = (index_day - birth_day) / 365.25
    deprivation = rng.normal(np.array([s["deprivation_mean"] for s in sites])[site], 1.0)

    u = rng.random(n)
    p_current = expit(-1.5 + 0.5 * deprivation - 0.02 * (age - 50))
    smoking = np.where(u < p_current, 2, np.where(u < p_current + 0.3, 1, 0))

    bmi = np.clip(rng.normal(27.0 + np.array([s["bmi_shift"] for s in sites])[site] + 0.4 * deprivation, 4.5), 16.0, 55.0)
    height = np.clip(rng.normal(np.where(male, 1.77, 1.63), 0.07), 1.40, 2.05)
    cholesterol = np.clip(rng.normal(5.1 + 0.01 * (age - 50), 1.0), 2.5, 10.0)
    egfr = np.clip(105.0 - 0.9 * np.maximum(age - 35, 0) + rng.normal(0, 13, n), 6.0, 130.0)

    t2d = rng.random(n) < expit(-2.4 + 0.04 * (age - 60) + 0.12 * (bmi - 27) + 0.3 * deprivation)
    hba1c = np.where(
        t2d,
        np.clip(rng.normal(7.4, 1.1, n), 5.8, 13.0),
        np.clip(rng.normal(5.35 + 0.004 * (age - 50) + 0.02 * (bmi - 27), 0.3, n), 4.3, 6.4),
    )
    hypertension = rng.random(n) < expit(-0.6 + 0.06 * (age - 60) + 0.05 * (bmi - 27))
    sbp = rng.normal(122 + 0.45 * (age - 50) + 8 * hypertension, 14)
    conditions = np.column_stack([
        t2d,
        hypertension,
        rng.random(n) < expit(-3.0 + 0.07 * (age - 65) + 0.3 * deprivation),  # heart failure
        egfr < 60,  # chronic kidney disease
        rng.random(n) < expit(-3.4 + 0.04 * (age - 60) + 1.6 * (smoking == 2) + 0.8 * (smoking == 1)),
        rng.random(n) < expit(-1.2 + 0.03 * (age - 55) + 0.8 * (cholesterol - 5.2)),  # lipids
        rng.random(n) < expit(-3.6 + 0.08 * (age - 65)),  # atrial fibrillation
        rng.random(n) < expit(-2.4 + 0.3 * deprivation),  # depression
    ])
    traits = Traits(site, male, age, index_day, birth_day, deprivation, smoking, bmi, height,
                    sbp, hba1c, egfr, cholesterol, conditions)
    return _identities(rng, traits), traits


def _formatted(template: str, count: int) -> np.ndarray:
    """``template.format(i)`` for i in 0..count-1, as an object array (a lookup table)."""
    return np.array([template.format(i) for i in range(count)], dtype=object)


def numbered_ids(prefix: str, n: int, digits: int) -> np.ndarray:
    """``f"{prefix}{i:0{digits}d}"`` for i in 1..n, built from two small lookup tables.

    >>> numbered_ids("P", 3, 7).tolist()
    ['P0000001', 'P0000002', 'P0000003']
    """
    number = np.arange(1, n + 1)
    if digits < 4:
        return np.array([f"{prefix}{i:0{digits}d}" for i in number.tolist()], dtype=object)
    high = _formatted(prefix + "{:0" + str(digits - 3) + "d}", n // 1000 + 1)
    return high[number // 1000] + _formatted("{:03d}", 1000)[number % 1000]


def _identities(rng: np.random.Generator, t: Traits) -> pd.DataFrame:
    # Text built from lookup tables and numpy gathers: no Python loop over the patients.
    n = t.site.shape[0]
    sites = ref.SITES
    birth = t.birth_day.astype("datetime64[D]")
    years = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    months = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    payload = ((years % 100) * 10_000 + months * 100 + days) * 1000 + _unique_serials(rng, t.birth_day)
    check = luhn_check_digit(payload)
    birth_part, birth_code = np.unique(payload // 1000, return_inverse=True)
    national_id = (np.array([f"{d:06d}-" for d in birth_part.tolist()], dtype=object)[birth_code.ravel()]
                   + _formatted("{:04d}", 10_000)[(payload % 1000) * 10 + check])

    given_m = rng.integers(0, len(ref.GIVEN_NAMES_M), n)  # as _pick draws them, in the same order
    given_f = rng.integers(0, len(ref.GIVEN_NAMES_F), n)
    given_code = np.where(t.male, given_m, len(ref.GIVEN_NAMES_M) + given_f)
    given_names = np.array([*ref.GIVEN_NAMES_M, *ref.GIVEN_NAMES_F], dtype=object)
    given = given_names[given_code]
    family_code = rng.integers(0, len(ref.FAMILY_NAMES), n)
    family_names = np.asarray(ref.FAMILY_NAMES, dtype=object)
    family = family_names[family_code]
    region_choice = rng.integers(0, 3, n)
    regions = [s["postcode_regions"][i % len(s["postcode_regions"])] for s in sites for i in range(3)]
    town = np.array([s["towns"][i % len(s["towns"])] for s in sites for i in range(3)],
                    dtype=object).reshape(len(sites), 3)[t.site, region_choice]
    district = rng.integers(0, 10, n)
    sector = rng.integers(0, 50, n)
    postcodes = np.array([f"{r}{d}{x:02d}" for r in regions for d in range(10) for x in range(50)], dtype=object)
    postcode = postcodes[((t.site * 3 + region_choice) * 10 + district) * 50 + sector]
    house = rng.integers(1, 200, n)
    street_code = rng.integers(0, len(ref.STREETS), n)
    addresses = np.array([f"{h} {x}" for h in range(1, 200) for x in ref.STREETS], dtype=object)
    address = addresses[(house - 1) * len(ref.STREETS) + street_code]
    phone_digits = rng.integers(0, 10**9, n)
    three = _formatted("{:03d}", 1000)
    phone = (_formatted("+99 {:03d} ", 1000)[phone_digits // 10**6] + three[phone_digits // 1000 % 1000]
             + " " + three[phone_digits % 1000])
    email_number = rng.integers(1, 100, n)
    name_pairs = np.array([f"{g.lower()}.{f.lower()}" for g in given_names for f in ref.FAMILY_NAMES], dtype=object)
    email = (name_pairs[given_code * len(ref.FAMILY_NAMES) + family_code]
             + _formatted("{}@example.org", 100)[email_number])
    u = rng.random(n)
    insurance = np.array(["none", "private", "public"], dtype=object)[
        np.where(u < 0.05 + 0.03 * (t.deprivation > 1), 0, np.where(u < 0.2, 1, 2))]
    return pd.DataFrame({
        "patient_id": numbered_ids("P", n, 7),
        "national_id": national_id,
        "given_name": given,
        "family_name": family,
        "birth_date": birth.astype("datetime64[ns]"),
        "sex": np.array(["F", "M"], dtype=object)[t.male.astype(np.intp)],
        "postcode": postcode,
        "address": address,
        "city": town,
        "phone": phone,
        "email": email,
        "insurance": insurance,
        "home_site_id": np.array([s["site_id"] for s in sites], dtype=object)[t.site],
        "smoking_status": np.array(["never", "former", "current"], dtype=object)[t.smoking],
        "death_date": pd.NaT,
    }, copy=False)
