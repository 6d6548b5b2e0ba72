"""Grades out: the after-penalty score equals `nbgrader export`; Moodle and Canvas import files."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbgrader")

from nbgrader.api import Gradebook  # noqa: E402
from nbgrader.plugins.export import CsvExportPlugin  # noqa: E402

from ai2med_labs.cli import main  # noqa: E402
from ai2med_labs.grading.export import collect_grades, export_grades  # noqa: E402

LAB = "00-lab"
DUE = dt.datetime(2026, 12, 1, 12, 0)
STUDENTS = {  # id: (first, last, email, raw score of 2+3 points, hours late, penalty)
    "ana": ("Ana", "Sá", "ana@example.org", (2, 3), 0, 0.0),
    "bo": ("Bo", "Li", "bo@example.org", (2, 1), 30, 1.0),
    "zoë": ("Zoë", "Müller", "zoe@example.org", (1, 0), 72, 5.0),  # penalty larger than the score
    "cy": ("Cy", "Ng", "", None, 0, 0.0),  # no submission
}


@pytest.fixture()
def course(tmp_path: Path, monkeypatch) -> Path:
    # nbgrader's Gradebook runs the `alembic` script of this Python's environment.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    root = tmp_path / "course"
    root.mkdir()
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'ai2med-labs'\n", encoding="utf-8")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "ai2med-labs") as gb:
        gb.add_assignment(LAB, duedate=DUE)
        gb.add_notebook(LAB, LAB)
        for name, points in (("ex1", 2), ("ex2", 3)):
            gb.add_grade_cell(name, LAB, LAB, max_score=points, cell_type="code")
        for sid, (first, last, email, scores, late, penalty) in STUDENTS.items():
            gb.add_student(sid, first_name=first, last_name=last, email=email)
            if scores is None:
                continue
            sub = gb.add_submission(LAB, sid, timestamp=DUE + dt.timedelta(hours=late))
            notebook = sub.notebooks[0]
            notebook.late_submission_penalty = penalty
            for grade, score in zip(sorted(notebook.grades, key=lambda g: g.name), scores):
                grade.auto_score = score
            gb.db.commit()
    reports = root / "autograded" / ".ai2med-reports"
    reports.mkdir(parents=True)
    (reports / f"{LAB}.json").write_text(json.dumps({"ana": {"status": "graded", "cohort": "sha256:abc"},
                                                      "bo": {"status": "graded"}}))
    return root


def test_score_is_after_the_penalty_as_nbgrader_export(course, tmp_path):
    ours, _ = export_grades(tmp_path / "grades.csv", course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "ai2med-labs") as gb:
        CsvExportPlugin(to=str(tmp_path / "nbgrader.csv")).export(gb)
    theirs = {r["student_id"]: r for r in csv.DictReader(open(tmp_path / "nbgrader.csv", encoding="utf-8"))}
    rows = {r["student_id"]: r for r in csv.DictReader(open(ours, encoding="utf-8"))}
    assert set(rows) == set(theirs) == set(STUDENTS)
    for sid, row in rows.items():
        assert float(row["score"]) == float(theirs[sid]["score"]), sid
        assert float(row["raw_score"]) == float(theirs[sid]["raw_score"]), sid
        assert float(row["late_penalty"]) == float(theirs[sid]["late_submission_penalty"]), sid
    assert rows["zoë"]["score"] == "0" and rows["bo"]["score"] == "2"  # max(0, raw - penalty)
    assert rows["ana"]["cohort"] == "sha256:abc" and rows["bo"]["cohort"] == ""
    assert rows["cy"]["status"] == "no submission"


def test_moodle_file_has_an_identifier_and_one_column_per_lab(course, tmp_path):
    out = tmp_path / "moodle.csv"
    assert main(["grades", "--format", "moodle", "--out", str(out), "--course", str(course)]) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    table = list(csv.reader(open(out, encoding="utf-8-sig")))
    assert table[0] == ["First name", "Last name", "ID number", "Email address", f"Assignment: {LAB} (Real)"]
    by_id = {row[2]: row for row in table[1:]}
    assert len(table) - 1 == len(STUDENTS) == len(by_id)
    assert by_id["bo"] == ["Bo", "Li", "bo", "bo@example.org", "2"]
    assert by_id["zoë"][:2] == ["Zoë", "Müller"] and by_id["zoë"][4] == "0"


def test_canvas_file_has_the_gradebook_layout_and_points_possible(course, tmp_path):
    out = tmp_path / "canvas.csv"
    assert main(["grades", "--format", "canvas", "--out", str(out), "--course", str(course)]) == 0
    table = list(csv.reader(open(out, encoding="utf-8-sig")))
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", LAB]
    assert table[1][0].strip() == "Points Possible" and table[1][5] == "5"
    by_login = {row[3]: row for row in table[2:]}
    assert by_login["ana"][0] == "Sá, Ana" and by_login["ana"][5] == "5"
    assert by_login["cy"][5] == "0"


def test_collect_grades_lists_the_roster(course):
    _, _, roster = collect_grades(course)
    assert [s["student_id"] for s in roster] == sorted(STUDENTS)


def test_feedback_with_a_misspelt_lab_lists_the_labs(course, capsys):
    assert main(["feedback", "00-lba", "--course", str(course)]) == 2
    err = capsys.readouterr().err
    assert "no lab '00-lba'" in err and "Did you mean 00-lab?" in err and "Graded labs: 00-lab" in err
    assert "autograde 00-lba" not in err


def test_feedback_zip_has_moodles_feedback_folders(course, tmp_path):
    import zipfile

    from ai2med_labs.grading.feedback import write_feedback_zip

    files = []
    for student in ("4242", "bo"):
        folder = course / "feedback" / student / LAB
        folder.mkdir(parents=True)
        (folder / f"{LAB}.html").write_text("<p>ok</p>")
        files.append(folder / f"{LAB}.html")
    submitted = course / "submitted" / "4242" / LAB
    submitted.mkdir(parents=True)
    (submitted / ".lms.json").write_text(json.dumps(
        {"lms": "moodle", "full_name": "Zoë Müller", "participant_id": "4242",
         "folder": "Zoë Müller_4242_assignsubmission_file_"}), encoding="utf-8")
    archive = write_feedback_zip(LAB, tmp_path / "feedback.zip", files, course)
    with zipfile.ZipFile(archive) as zf:
        assert sorted(zf.namelist()) == [f"Zoë Müller_4242_assignsubmission_file_/{LAB}.html",
                                         f"bo_bo_assignsubmission_file_/{LAB}.html"]
    with pytest.raises(ValueError, match="nothing was overwritten"):
        write_feedback_zip(LAB, archive, files, course)
