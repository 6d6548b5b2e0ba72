"""Benchmark the privacy and FHIR helpers, each against a baseline measured in the same run.

1. **Pseudonyms**: ``privacy.pseudonymise`` on 1M patient IDs (text in, 16-hex-character
   pseudonyms out, encoding and formatting included) against the bare floor: a list
   comprehension of ``hmac.digest(key, msg, "sha256")`` over the same IDs *pre-encoded*
   as bytes, returning raw digests. Target: ratio <= 1.3.
2. **k-anonymity + l-diversity**: ``privacy.k_anonymity`` + ``privacy.l_diversity`` over
   1M rows x 5 quasi-identifiers (plus a sensitive diagnosis) against pycanon's
   ``k_anonymity`` + ``l_diversity`` on the same frame; the answers must agree.
   Target: >= 10x faster. If pycanon would take more than ``--pycanon-budget`` seconds at
   the full size, it is measured (and compared) at the largest size that fits, and the
   output says so.
3. **FHIR**: ``fhir.to_resources`` (conversion + validation of Patient, Encounter and
   Observation resources from a generated cohort), in resources per second, next to
   validating the same, already-built dicts with ``fhir.resources`` alone.

Each timing is the best of ``--repeat`` runs (the machine is shared).

    python benchmarks/bench_privacy.py                 # the full run (about a minute or two)
    python benchmarks/bench_privacy.py --rows 100000   # a quick look
"""

from __future__ import annotations

import argparse
import gc
import hmac
import secrets
import time
import warnings

import numpy as np
import pandas as pd

from ai2med_labs import fhir, privacy


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def bench_pseudonyms(n: int, repeat: int) -> None:
    key = secrets.token_bytes(32)
    ids = [f"P{i:07d}" for i in range(1, n + 1)]
    pre_encoded = [s.encode() for s in ids]
    digest = hmac.digest

    def floor():
        return [digest(key, m, "sha256") for m in pre_encoded]

    def ours():
        return privacy.pseudonymise(ids, key)

    # interleave so that both see the same machine load
    t_floor, t_ours = float("inf"), float("inf")
    for _ in range(repeat):
        t_floor = min(t_floor, best_of(floor, 1)[0])
        t_ours = min(t_ours, best_of(ours, 1)[0])
    out = ours()
    assert len(out) == n and len(set(out[:1000])) == 1000
    series_t, _ = best_of(lambda: privacy.pseudonymise(pd.Series(ids), key), repeat)
    print(f"[pseudonyms] {n:,} IDs")
    print(f"  bare hmac.digest loop (pre-encoded bytes): {t_floor:6.3f} s  ({n / t_floor / 1e6:.2f} M/s)")
    print(f"  privacy.pseudonymise (str -> hex):         {t_ours:6.3f} s  ({n / t_ours / 1e6:.2f} M/s)")
    print(f"  privacy.pseudonymise (pandas Series):      {series_t:6.3f} s")
    ratio = t_ours / t_floor
    print(f"  ratio ours / floor: {ratio:.2f}x  (target <= 1.3x: {'MET' if ratio <= 1.3 else 'MISSED'})")


def anonymity_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age_band": rng.choice([f"{a}-{a + 9}" for a in range(0, 100, 10)], n),
            "sex": rng.choice(["F", "M"], n),
            "region": rng.choice([f"{r:02d}***" for r in range(10, 30)], n),
            "insurance": rng.choice(["public", "private", "none"], n, p=[0.65, 0.25, 0.10]),
            "admit_year": rng.integers(2016, 2024, n),
            "diagnosis": rng.choice(
                ["I10", "E11", "E78", "I50", "J44", "I48", "N18", "F32"], n,
                p=[0.35, 0.25, 0.15, 0.1, 0.07, 0.04, 0.03, 0.01],
            ),
        }
    )


QIS = ["age_band", "sex", "region", "insurance", "admit_year"]


def bench_anonymity(n: int, repeat: int, budget: float) -> None:
    from pycanon import anonymity

    df = anonymity_frame(n)

    def ours(d):
        return privacy.k_anonymity(d, QIS), privacy.l_diversity(d, QIS, "diagnosis")

    def theirs(d):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return anonymity.k_anonymity(d, QIS), anonymity.l_diversity(d, QIS, ["diagnosis"])

    # find a size pycanon handles within the budget (pycanon is about linear in rows + classes)
    size = min(n, 100_000)
    t_probe, _ = best_of(lambda: theirs(df.iloc[:size]), 1)
    estimate = t_probe * n / size
    pyc_n = n if estimate <= budget else max(size, int(size * budget / max(t_probe, 1e-9) * 0.8))
    pyc_n = min(pyc_n, n)
    sub = df.iloc[:pyc_n]
    t_theirs, ans_theirs = best_of(lambda: theirs(sub), 1 if pyc_n == n and estimate > 10 else repeat)
    t_ours_same, ans_ours_same = best_of(lambda: ours(sub), repeat)
    assert tuple(ans_ours_same) == tuple(ans_theirs), (ans_ours_same, ans_theirs)
    t_ours, ans = best_of(lambda: ours(df), repeat)
    n_classes = privacy.reidentification_risk(df, QIS)["n_classes"]
    print(f"[k-anonymity + l-diversity] {n:,} rows x {len(QIS)} quasi-identifiers, {n_classes:,} classes")
    print(f"  ai2med_labs.privacy at {n:,} rows: {t_ours:6.3f} s   (k, l) = {ans}")
    if pyc_n < n:
        print(f"  pycanon would need about {estimate:.0f} s at {n:,} rows (> {budget:.0f} s budget);"
              f" measured at {pyc_n:,} rows instead")
    print(f"  pycanon at {pyc_n:,} rows:           {t_theirs:6.3f} s   (k, l) = {ans_theirs}")
    print(f"  ai2med_labs.privacy at {pyc_n:,} rows: {t_ours_same:6.3f} s   same answer: yes")
    speedup = t_theirs / t_ours_same
    print(f"  speed-up at equal size: {speedup:.0f}x  (target >= 10x: {'MET' if speedup >= 10 else 'MISSED'})")


def bench_fhir(n_patients: int, repeat: int) -> None:
    from fhir.resources.R4B import get_fhir_model_class

    from ai2med_labs.synth import generate_cohort

    c = generate_cohort(n_patients=n_patients, seed=1)
    tables = (c.patients, c.encounters, c.observations)
    t_ours, res = best_of(lambda: fhir.to_resources(*tables), repeat)
    models = {rt: get_fhir_model_class(rt) for rt in ("Patient", "Encounter", "Observation")}

    def validate_only():
        for r in res:
            models[r["resourceType"]].model_validate(r)

    t_val, _ = best_of(validate_only, repeat)
    t_bundle, _ = best_of(lambda: fhir.bundle_from_json(fhir.bundle_to_json(fhir.make_bundle(res))), 1)
    n = len(res)
    print(f"[FHIR] {n:,} resources from {n_patients:,} patients "
          f"({len(c.patients):,} Patient, {len(c.encounters):,} Encounter, {len(c.observations):,} Observation)")
    print(f"  convert + validate (fhir.to_resources):    {n / t_ours:8,.0f} resources/s")
    print(f"  fhir.resources model_validate only:        {n / t_val:8,.0f} resources/s  (baseline: no conversion, no code checks)")
    print(f"  overhead of conversion + code checks:      {t_ours / t_val:.2f}x")
    print(f"  Bundle build + JSON + parse + validate:    {n / t_bundle:8,.0f} resources/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ids", type=int, default=1_000_000, help="patient IDs to pseudonymise")
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows for k-anonymity / l-diversity")
    ap.add_argument("--patients", type=int, default=500, help="cohort size for the FHIR benchmark")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pycanon-budget", type=float, default=60.0, help="seconds pycanon may take")
    args = ap.parse_args()
    bench_pseudonyms(args.ids, args.repeat)
    bench_anonymity(args.rows, args.repeat, args.pycanon_budget)
    bench_fhir(args.patients, args.repeat)


if __name__ == "__main__":
    main()
