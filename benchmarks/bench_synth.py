"""Benchmark the cohort generator against two baselines measured in the same run.

For each size it prints patients per second for

- ``ai2med_labs``: ``generate_cohort`` (patients, encounters, observations, conditions,
  medications, outcomes, faults), in a fresh process so that its peak memory is its own;
- ``faker``: a row-by-row generator that uses Faker for the identity fields and plain
  Python loops for admissions and measurements, the way a first version is often written;
  it is measured on at most ``--faker-cap`` patients (it is linear in the patients, and a
  million would take many minutes);
- ``numpy floor``: numpy drawing as many random numbers as the cohort has values, the
  least any generator of that cohort could cost;
- ``command``: the whole ``ai2med-labs generate --patients N --out DIR`` (CSV, the default),
  process start, generation, writing and data card included, timed from outside.

Targets (issue 2): 1M patients in under 15 s on 2 cores, at least 50x the Faker baseline,
peak memory under 4 GB. Issue 10: the whole command at most twice the in-memory generation.

    python benchmarks/bench_synth.py                   # 10k, 100k and 1M patients
    python benchmarks/bench_synth.py --sizes 10000     # a quick look
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta

import numpy as np

CHILD = r"""
import json, resource, sys, time
from ai2med_labs.synth import generate_cohort
n = int(sys.argv[1])
start = time.perf_counter()
cohort = generate_cohort(n, seed=1)
seconds = time.perf_counter() - start
values = sum(frame.size for frame in cohort.tables().values())
rows = {name: len(frame) for name, frame in cohort.tables().items()}
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "values": values, "rows": rows, "peak_mb": peak_mb}))
"""


def run_ai2med(n: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(n)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_command(n: int) -> float:
    """Wall seconds of the whole ``ai2med-labs generate`` command for ``n`` patients (CSV)."""
    out = tempfile.mkdtemp(prefix="bench-synth-")
    try:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ai2med_labs.cli", "generate", "--patients", str(n),
                        "--seed", "1", "--out", out, "--quiet"], check=True)
        return time.perf_counter() - start
    finally:
        shutil.rmtree(out, ignore_errors=True)


def faker_cohort(n: int, seed: int = 1) -> int:
    """A row-by-row generator of the same tables: Faker for the identities, Python loops for
    conditions, medicines, admissions, measurements and outcomes. Returns the observation rows."""
    from faker import Faker

    fake = Faker("en_GB")
    Faker.seed(seed)
    rnd = random.Random(seed)
    patients, encounters, observations, conditions, medications, readmissions, diabetes = ([] for _ in range(7))
    names = ["heart_rate", "systolic_bp", "diastolic_bp", "temperature", "spo2", "glucose",
             "creatinine", "egfr", "hba1c", "cholesterol", "bmi", "body_weight"]
    condition_codes = ["E11", "I10", "I50", "N18", "J44", "E78", "I48", "F32"]
    for i in range(n):
        patient = f"P{i:07d}"
        sex = rnd.choice("FM")
        birth = fake.date_of_birth(minimum_age=18, maximum_age=98)
        patients.append({
            "patient_id": patient, "national_id": fake.ssn(),
            "given_name": fake.first_name_female() if sex == "F" else fake.first_name_male(),
            "family_name": fake.last_name(), "birth_date": birth, "sex": sex,
            "postcode": fake.postcode(), "address": fake.street_address(), "city": fake.city(),
            "phone": fake.phone_number(), "email": fake.email(),
            "smoking_status": rnd.choice(["never", "former", "current"]),
        })
        age = (date(2019, 1, 1) - birth).days / 365.25
        has = [rnd.random() < 1 / (1 + math.exp(3 - 0.04 * (age - 60))) for _ in condition_codes]
        admit = date(2016, 1, 1) + timedelta(days=rnd.randrange(2190))
        first = f"E{len(encounters):08d}"
        for code, present in zip(condition_codes, has):
            if present:
                conditions.append({"patient_id": patient, "encounter_id": first, "icd10_code": code, "recorded_date": admit})
                if rnd.random() < 0.9:
                    medications.append({"patient_id": patient, "encounter_id": first, "condition": code, "start_date": admit})
        if not has[0]:
            risk = 1 / (1 + math.exp(2.9 - 0.025 * (age - 50)))
            diabetes.append({"patient_id": patient, "t2d_onset_5y": int(rnd.random() < risk), "t2d_risk": risk})
        for k in range(1 + min(int(rnd.expovariate(1.5)), 5)):
            stay = rnd.randrange(0, 8)
            encounter = f"E{len(encounters):08d}"
            encounters.append({"encounter_id": encounter, "patient_id": patient, "admit_date": admit,
                               "discharge_date": admit + timedelta(days=stay), "ward": rnd.choice(names[:6])})
            risk = 1 / (1 + math.exp(3.6 - 0.3 * k - 0.22 * sum(has) - 0.35 * math.log1p(stay)))
            readmitted = rnd.random() < risk
            readmissions.append({"encounter_id": encounter, "readmitted_30d": int(readmitted), "readmission_risk": risk})
            for name in names + names[:5] * (stay > 0):
                observations.append({"encounter_id": encounter, "patient_id": patient, "name": name,
                                     "value": round(rnd.gauss(50, 10), 1)})
            gap = rnd.randrange(1, 31) if readmitted else 31 + int(rnd.expovariate(1 / 240))
            admit += timedelta(days=stay + gap)
    return len(observations)


def numpy_floor(values: int) -> float:
    rng = np.random.default_rng(1)
    start = time.perf_counter()
    for chunk in range(0, values, 10_000_000):
        rng.random(min(10_000_000, values - chunk))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--faker-cap", type=int, default=10_000,
                        help="largest number of patients the Faker baseline is run on")
    args = parser.parse_args()

    header = (f"{'patients':>10} {'seconds':>8} {'patients/s':>11} {'peak MB':>8} {'obs rows':>11} "
              f"{'faker p/s':>10} {'x faker':>8} {'floor s':>8} {'x floor':>8} {'command s':>10} {'x gen':>6}")
    print(header)
    print("-" * len(header))
    faker_rate = None
    for n in args.sizes:
        ours = run_ai2med(n)
        faker_n = min(n, args.faker_cap)
        if faker_rate is None or faker_n == n:
            start = time.perf_counter()
            faker_cohort(faker_n)
            faker_rate = faker_n / (time.perf_counter() - start)
        floor = numpy_floor(ours["values"])
        command = run_command(n)
        rate = n / ours["seconds"]
        print(f"{n:>10,} {ours['seconds']:>8.2f} {rate:>11,.0f} {ours['peak_mb']:>8,.0f} "
              f"{ours['rows']['observations']:>11,} {faker_rate:>10,.0f} {rate / faker_rate:>7.0f}x "
              f"{floor:>8.2f} {ours['seconds'] / floor:>7.1f}x {command:>10.2f} {command / ours['seconds']:>5.2f}x",
              flush=True)
    print(f"\nfaker baseline measured on at most {args.faker_cap:,} patients (it is linear in the patients);")
    print("x faker = our patients/s over the Faker generator's; x floor = our time over numpy drawing")
    print("as many random numbers as the cohort has values; command s = the whole `ai2med-labs generate`")
    print("(CSV) timed from outside, x gen = command over the in-memory generation of the same size.")


if __name__ == "__main__":
    main()
