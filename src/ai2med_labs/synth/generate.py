"""Generate the synthetic cohort in memory, or write it to a folder with its data card.

>>> cohort = generate_cohort(n_patients=200, seed=7)
>>> cohort.patients["patient_id"].nunique()
200
>>> clean = generate_cohort(n_patients=200, seed=7, faults=Faults.none())
>>> "followup_contacts_30d" in clean.encounters.columns
False
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np

from ai2med_labs.datasets import Cohort, write_tables
from ai2med_labs.progress import progress_bar
from ai2med_labs.synth import reference as ref
from ai2med_labs.synth.clinical import (
    conditions_table,
    draw_admissions,
    encounters_table,
    identifiers,
    observation_frame,
    observations_table,
    outcome_tables,
)
from ai2med_labs.synth.datacard import render_data_card
from ai2med_labs.synth.faults import Faults, apply_faults
from ai2med_labs.synth.people import make_patients

__all__ = ["GENERATOR_VERSION", "generate_cohort", "write_cohort", "sites_table"]

GENERATOR_VERSION = "1.0"
MAX_PATIENTS = 10_000_000


def sites_table():
    """The hospitals, from reference.SITES."""
    import pandas as pd

    keep = ["site_id", "site_name", "city", "glucose_unit", "beds", "description"]
    return pd.DataFrame([{k: s[k] for k in keep} for s in ref.SITES])


def _check_arguments(n_patients: int, seed: int) -> None:
    if isinstance(n_patients, bool) or not isinstance(n_patients, (int, np.integer)):
        raise TypeError(f"n_patients must be a whole number, got {type(n_patients).__name__}")
    if not 0 < n_patients <= MAX_PATIENTS:
        raise ValueError(f"n_patients must be between 1 and {MAX_PATIENTS:,}, got {n_patients:,}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative whole number, got {seed!r}")


def generate_cohort(n_patients: int = 3000, seed: int = 2024, faults: Faults | None = None,
                    progress: bool = False) -> Cohort:
    """Draw a synthetic cohort: the same arguments give the same tables.

    ``faults`` switches the deliberate data-quality faults (default: all on).
    """
    _check_arguments(n_patients, seed)
    faults = Faults() if faults is None else faults
    people_rng, clinical_rng, observation_rng, outcome_rng, fault_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)
    )
    steps = ["patients", "admissions", "observations", "outcomes", "faults"]
    bar = progress_bar(total=len(steps), desc="generating", unit="step", disable=not progress)

    def done(step: str) -> None:
        bar.set_postfix_str(step)
        bar.update(1)

    patients, traits = make_patients(people_rng, n_patients)
    patient_ids = patients["patient_id"].to_numpy()
    done("patients")
    admissions = draw_admissions(clinical_rng, traits)
    encounter_id = identifiers("E", len(admissions), 8)
    encounters = encounters_table(clinical_rng, admissions, patient_ids, encounter_id)
    died = admissions.disposition == 3
    death_day = np.full(n_patients, np.datetime64("NaT"), dtype="datetime64[ns]")
    death_day[admissions.patient[died]] = encounters["discharge_date"].to_numpy()[died]
    patients["death_date"] = death_day
    done("admissions")
    observations = observations_table(observation_rng, admissions, traits, faults.missingness)
    done("observations")
    conditions, medications = conditions_table(outcome_rng, admissions, traits, patient_ids, encounter_id)
    readmissions, diabetes = outcome_tables(outcome_rng, admissions, traits, patient_ids, encounter_id)
    done("outcomes")
    tables = {"sites": sites_table(), "patients": patients, "encounters": encounters,
              "observations": None, "conditions": conditions, "medications": medications,
              "readmissions": readmissions, "diabetes": diabetes}
    observations = apply_faults(fault_rng, tables, observations, faults)
    tables["observations"] = observation_frame(observations, patient_ids, encounter_id)
    done("faults")
    bar.close()
    metadata = {
        "synthetic": True,
        "generator": "ai2med_labs.synth",
        "generator_version": GENERATOR_VERSION,
        "seed": int(seed),
        "n_patients": int(n_patients),
        "faults": faults.as_dict(),
        "rows": {name: int(len(frame)) for name, frame in tables.items()},
    }
    return Cohort(**tables, metadata=metadata)


def _check_out_dir(out_dir: Path) -> None:
    """Create ``out_dir`` and prove a file can be written there, or say why not."""
    blocking = next((p for p in [out_dir, *out_dir.parents] if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise NotADirectoryError(f"cannot write to {out_dir}: {blocking} is a file, not a folder; "
                                 "choose another --out folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as exc:
        raise PermissionError(f"cannot write to {out_dir}: {exc.strerror or exc}; "
                              "choose a folder you can write to with --out") from None


def write_cohort(n_patients: int, seed: int, out_dir: str | os.PathLike, file_format: str = "csv",
                 faults: Faults | None = None, progress: bool = True) -> list[Path]:
    """Generate a cohort and write its tables, ``cohort.json`` and ``DATA_CARD.md`` to ``out_dir``.

    >>> write_cohort(300, 1, "/tmp/ai2med-example", progress=False)  # doctest: +SKIP
    """
    out = Path(out_dir)
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"unknown format {file_format!r}: use --format csv or --format parquet")
    if file_format == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ValueError("--format parquet needs pyarrow: pip install 'ai2med-labs[parquet]'") from None
    _check_arguments(n_patients, seed)
    _check_out_dir(out)
    started = time.perf_counter()
    cohort = generate_cohort(n_patients, seed, faults, progress=progress)
    total_rows = sum(len(f) for f in cohort.tables().values())
    with progress_bar(total=total_rows, desc="writing", unit="row", unit_scale=True, disable=not progress) as bar:
        written = write_tables(cohort, out, file_format, on_rows=bar.update)
    card = out / "DATA_CARD.md"
    card.write_text(render_data_card(cohort), encoding="utf-8")
    if progress:
        print(f"wrote {n_patients:,} patients ({total_rows:,} rows) to {out} in {time.perf_counter() - started:.1f} s")
    return [*written, card]
