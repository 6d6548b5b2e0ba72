"""Grade files that Moodle's and Canvas's gradebooks import: one row per student, one column per lab.

Moodle, "Import grades from CSV" (Grades > Import > CSV file): a header row, an identifier
column the import maps to a user field (here ``Email address``, mapped to *Email address*, or
``ID number``, mapped to *ID number*; ``Username`` too when the roster's login is known), and one
column per grade item, which the import's "Grade item mappings" step maps to the Moodle
assignment. The lab columns are named as Moodle's own export names them
(``Assignment: <lab> (Real)``), so a re-import of a Moodle export maps them at once.

Canvas, Grades > Import: the gradebook CSV layout, ``Student, ID, SIS User ID, SIS Login ID,
Section``, then one column per assignment (named ``<lab>``, or ``<lab> (<assignment id>)`` as in
Canvas's export), and a second row ``Points Possible`` with each lab's maximum. Canvas matches
a row on ``ID`` (the Canvas user id, kept from a Canvas zip), else ``SIS User ID``, else
``SIS Login ID`` (the nbgrader student id, which a Canvas zip makes the login).

Scores are after the late penalty (what ``nbgrader export`` calls ``score``).

>>> rows = [{"student_id": "ana", "assignment": "00-x", "score": "4", "max_score": "5"}]
>>> roster = [{"student_id": "ana", "first_name": "Ana", "last_name": "Sá", "email": "ana@x.org",
...            "lms_user_id": "17"}]
>>> moodle_rows(rows, roster)[1]
['Ana', 'Sá', 'ana', 'ana@x.org', '4']
>>> canvas_rows(rows, roster)[1][:3]
['    Points Possible', '', '']
"""

from __future__ import annotations

import csv
from pathlib import Path

__all__ = ["FORMATS", "moodle_rows", "canvas_rows", "write_lms_grades"]

FORMATS = ("moodle", "canvas")


def _labs(rows: list[dict]) -> list[str]:
    return sorted({r["assignment"] for r in rows})


def _score_table(rows: list[dict]) -> dict[tuple[str, str], str]:
    return {(r["student_id"], r["assignment"]): r["score"] for r in rows}


def moodle_rows(rows: list[dict], roster: list[dict]) -> list[list[str]]:
    """Header and one row per student for Moodle's CSV grade import."""
    labs = _labs(rows)
    scores = _score_table(rows)
    table = [["First name", "Last name", "ID number", "Email address",
              *[f"Assignment: {lab} (Real)" for lab in labs]]]
    for student in roster:
        sid = student["student_id"]
        table.append([student.get("first_name", ""), student.get("last_name", ""), sid,
                      student.get("email", ""), *[scores.get((sid, lab), "") for lab in labs]])
    return table


def canvas_rows(rows: list[dict], roster: list[dict]) -> list[list[str]]:
    """Header, the Points Possible row and one row per student for Canvas's gradebook import."""
    labs = _labs(rows)
    scores = _score_table(rows)
    maximum = {}
    for r in rows:
        maximum.setdefault(r["assignment"], r.get("max_score", ""))
    table = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *labs],
             ["    Points Possible", "", "", "", "", *[maximum[lab] for lab in labs]]]
    for student in roster:
        sid = student["student_id"]
        last, first = student.get("last_name", ""), student.get("first_name", "")
        name = f"{last}, {first}" if last and first else (last or first or sid)
        table.append([name, student.get("lms_user_id", ""), "", sid, "",
                      *[scores.get((sid, lab), "") for lab in labs]])
    return table


def write_lms_grades(out: Path | str, fmt: str, rows: list[dict], roster: list[dict]) -> Path:
    """Write the ``fmt`` ("moodle" or "canvas") grade import file to ``out``; returns its path."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)} (or csv)")
    table = moodle_rows(rows, roster) if fmt == "moodle" else canvas_rows(rows, roster)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # UTF-8 with a byte-order mark: both platforms read accented names right from it.
    with open(out, "w", newline="", encoding="utf-8-sig") as fh:
        csv.writer(fh).writerows(table)
    return out
