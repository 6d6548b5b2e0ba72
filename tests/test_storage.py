"""Tests for ai2med_labs.storage: schema constraints, transactional loading, the research view."""

from __future__ import annotations

import sqlite3

import pytest

from ai2med_labs import storage


@pytest.fixture(scope="module", params=[31, 32])
def cohort(request):
    from ai2med_labs.synth import generate_cohort

    return generate_cohort(n_patients=150, seed=request.param)


@pytest.fixture
def con():
    c = storage.connect()
    storage.create_schema(c)
    yield c
    c.close()


def _patient(pid="P1", **kw):
    row = dict(patient_id=pid, national_id=None, given_name="A", family_name="B", birth_date="1980-01-01",
               sex="F", postcode="12345", home_site_id="H1", insurance="public", smoking_status=None,
               death_date=None)
    row.update(kw)
    return tuple(row.values())


def test_foreign_keys_are_on_and_enforced(con):
    assert con.execute("PRAGMA foreign_keys").fetchone() == (1,)
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        with con:
            con.execute(storage.INSERT_SQL["encounters"],
                        ("E1", "P404", "H1", "2024-01-01", "2024-01-02", 1, "w", "elective", "home"))


@pytest.mark.parametrize(
    "row",
    [_patient(sex="X"), _patient(postcode="12a45"), _patient(birth_date="not a date"),
     _patient(death_date="1970-01-01"), _patient(insurance="gold")],
)
def test_check_constraints(con, row):
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        with con:
            con.execute(storage.INSERT_SQL["patients"], row)


def test_load_cohort_counts_and_view(cohort, con):
    counts = storage.load_tables(con, cohort)
    n_pat = len(cohort.patients.drop_duplicates())
    assert counts == {"patients": n_pat, "encounters": len(cohort.encounters),
                      "observations": len(cohort.observations)}
    got = con.execute("SELECT COUNT(*) FROM observations o JOIN encounters e USING (encounter_id)").fetchone()[0]
    assert got == len(cohort.observations)
    storage.create_research_view(con)
    view = storage.query(con, "SELECT * FROM research_encounters")
    assert len(view) == len(cohort.encounters)
    assert not {"patient_id", "national_id", "given_name", "family_name", "birth_date"} & set(view.columns)
    assert view["age_band_start"].between(0, 120).all() and (view["age_band_start"] % 10 == 0).all()
    one = storage.query(con, "SELECT COUNT(*) AS n FROM encounters WHERE site_id = ?", ("H1",))
    assert one["n"].iloc[0] == (cohort.encounters["site_id"] == "H1").sum()


def test_failing_batch_leaves_no_partial_data(cohort, con):
    tables = cohort.tables()
    bad = tables["encounters"].copy()
    bad.loc[bad.index[-1], "patient_id"] = "P_NOBODY"
    with pytest.raises(sqlite3.IntegrityError):
        storage.load_tables(con, {"patients": tables["patients"], "encounters": bad})
    for t in ("patients", "encounters", "observations"):
        assert con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] == 0


def test_missing_column_is_clear(cohort, con):
    with pytest.raises(KeyError, match="sex"):
        storage.load_tables(con, {"patients": cohort.patients.drop(columns="sex")})
