"""A small normalised SQLite store for the cohort (lab 06). The SQL is kept in plain sight.

The schema is three tables linked by keys: ``patients`` (one row per person),
``encounters`` (one per admission, each pointing at its patient) and ``observations``
(one per measurement, each pointing at its encounter). CHECK constraints refuse
impossible values; ``PRAGMA foreign_keys = ON`` (off by default in SQLite!) makes the
database refuse an encounter for a patient who does not exist.

The helpers only create and fill the store; the lab writes its own queries.
Read :data:`SCHEMA_SQL` and :data:`RESEARCH_VIEW_SQL` to see exactly what they run.

>>> con = connect()                       # in memory
>>> create_schema(con)
>>> sorted(r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'"))
['encounters', 'observations', 'patients']
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Mapping

import pandas as pd

__all__ = [
    "SCHEMA_SQL",
    "RESEARCH_VIEW_SQL",
    "INSERT_SQL",
    "connect",
    "create_schema",
    "load_tables",
    "create_research_view",
    "query",
]

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS patients (
    patient_id     TEXT PRIMARY KEY CHECK (length(patient_id) > 0),
    national_id    TEXT UNIQUE,
    given_name     TEXT,
    family_name    TEXT,
    birth_date     TEXT NOT NULL CHECK (date(birth_date) IS NOT NULL),
    sex            TEXT NOT NULL CHECK (sex IN ('F', 'M')),
    postcode       TEXT CHECK (postcode GLOB '[0-9][0-9][0-9][0-9][0-9]'),
    home_site_id   TEXT,
    insurance      TEXT CHECK (insurance IN ('public', 'private', 'none')),
    smoking_status TEXT CHECK (smoking_status IN ('never', 'former', 'current')),
    death_date     TEXT CHECK (death_date IS NULL OR death_date >= birth_date)
);

CREATE TABLE IF NOT EXISTS encounters (
    encounter_id        TEXT PRIMARY KEY,
    patient_id          TEXT NOT NULL REFERENCES patients (patient_id),
    site_id             TEXT NOT NULL,
    admit_date          TEXT NOT NULL CHECK (date(admit_date) IS NOT NULL),
    discharge_date      TEXT NOT NULL CHECK (discharge_date >= admit_date),
    length_of_stay_days INTEGER NOT NULL CHECK (length_of_stay_days >= 0),
    ward                TEXT,
    admission_type      TEXT CHECK (admission_type IN ('emergency', 'elective')),
    discharge_disposition TEXT CHECK (discharge_disposition IN ('home', 'care home', 'transfer', 'died'))
);

CREATE TABLE IF NOT EXISTS observations (
    observation_id INTEGER PRIMARY KEY,
    encounter_id   TEXT NOT NULL REFERENCES encounters (encounter_id),
    effective_time TEXT NOT NULL,
    loinc_code     TEXT NOT NULL CHECK (loinc_code GLOB '*[0-9]-[0-9]'),
    name           TEXT NOT NULL,
    value          REAL CHECK (value IS NULL OR value >= 0),
    unit           TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS idx_encounters_patient ON encounters (patient_id);
CREATE INDEX IF NOT EXISTS idx_observations_encounter ON observations (encounter_id);
"""

#: Parameterised INSERT statements (``?`` placeholders: the values never become SQL text).
INSERT_SQL: dict[str, str] = {
    "patients": (
        "INSERT INTO patients (patient_id, national_id, given_name, family_name, birth_date, sex, "
        "postcode, home_site_id, insurance, smoking_status, death_date) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ),
    "encounters": (
        "INSERT INTO encounters (encounter_id, patient_id, site_id, admit_date, discharge_date, "
        "length_of_stay_days, ward, admission_type, discharge_disposition) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ),
    "observations": (
        "INSERT INTO observations (observation_id, encounter_id, effective_time, loinc_code, name, value, unit) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)"
    ),
}

#: A view for researchers: no names, IDs or contact details; age band instead of birth date.
RESEARCH_VIEW_SQL = """
CREATE VIEW IF NOT EXISTS research_encounters AS
SELECT e.encounter_id,
       p.sex,
       (CAST(strftime('%Y', e.admit_date) AS INTEGER) - CAST(strftime('%Y', p.birth_date) AS INTEGER)) / 10 * 10
           AS age_band_start,
       e.site_id,
       e.length_of_stay_days,
       e.admission_type,
       e.discharge_disposition
FROM encounters AS e
JOIN patients AS p ON p.patient_id = e.patient_id;
"""


def connect(path: str | os.PathLike = ":memory:") -> sqlite3.Connection:
    """Open a SQLite database with foreign keys enforced (``PRAGMA foreign_keys = ON``)."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA foreign_keys = ON")
    return con


def create_schema(con: sqlite3.Connection) -> None:
    """Run :data:`SCHEMA_SQL` (idempotent: ``IF NOT EXISTS``)."""
    con.executescript(SCHEMA_SQL)


def _columns(sql: str) -> list[str]:
    inside = sql[sql.index("(") + 1 : sql.index(")")]
    return [c.strip() for c in inside.split(",")]


def _rows(df: pd.DataFrame, table: str) -> Iterable[tuple]:
    cols = _columns(INSERT_SQL[table])
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"the {table} table has no column(s) {missing}; it has {list(df.columns)}.")
    out = df[cols].copy()
    for c in cols:
        s = out[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            fmt = "%Y-%m-%d %H:%M:%S" if c == "effective_time" else "%Y-%m-%d"
            out[c] = s.dt.strftime(fmt)
        elif isinstance(s.dtype, pd.CategoricalDtype):
            out[c] = s.astype(object)
    out = out.astype(object).where(out.notna(), None)
    return out.itertuples(index=False, name=None)


def load_tables(con: sqlite3.Connection, tables: Mapping[str, pd.DataFrame] | object) -> dict[str, int]:
    """Insert patients, encounters and observations with ``executemany`` in ONE transaction.

    ``tables`` is a Cohort (``load_cohort()``) or a dict of DataFrames. If any row breaks
    a constraint the whole load is rolled back (no partial data) and the
    :class:`sqlite3.IntegrityError` is raised. Exact duplicate patient rows (a fault in the
    cohort) are dropped first. Returns the number of rows loaded per table.
    """
    if hasattr(tables, "tables"):
        tables = tables.tables()
    counts: dict[str, int] = {}
    with con:  # BEGIN ... COMMIT, or ROLLBACK on error
        for name in ("patients", "encounters", "observations"):
            if name not in tables:
                continue
            df = tables[name]
            if name == "patients":
                df = df.drop_duplicates()
            cur = con.executemany(INSERT_SQL[name], _rows(df, name))
            counts[name] = cur.rowcount
    return counts


def create_research_view(con: sqlite3.Connection) -> None:
    """Run :data:`RESEARCH_VIEW_SQL`: a view with only what a researcher needs."""
    con.executescript(RESEARCH_VIEW_SQL)


def query(con: sqlite3.Connection, sql: str, params: tuple | Mapping = ()) -> pd.DataFrame:
    """Run a parameterised SELECT and return a DataFrame (``?`` or ``:name`` placeholders)."""
    return pd.read_sql_query(sql, con, params=params)
