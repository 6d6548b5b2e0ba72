"""The marking sheet: every written answer beside its mark scheme, escaped; students removed loudly."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest

from ai2med_labs.grading.marking import split_mark_scheme, write_marking_sheet

LAB = "07-lab"


def _cell(source: str, grade_id: str, points: int = 2):
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": True, "grade_id": grade_id, "points": points,
                                 "locked": False, "schema_version": 3}
    return cell


@pytest.fixture()
def course(tmp_path: Path) -> Path:
    master = nbformat.v4.new_notebook()
    master.cells = [nbformat.v4.new_markdown_cell("# Lab"),
                    _cell("=== BEGIN MARK SCHEME ===\n1 point: names <HMAC>\n=== END MARK SCHEME ===\n"
                          "A keyed hash & a vault.", "ex1-written")]
    (tmp_path / "source" / LAB).mkdir(parents=True)
    nbformat.write(master, tmp_path / "source" / LAB / f"{LAB}.ipynb")
    for origin, student, text in (("autograded", "ana", "I'd use <script>alert(1)</script> & HMAC"),
                                  ("submitted", "zoë", "YOUR ANSWER HERE"),
                                  ("submitted", "ana", "an older copy")):
        nb = nbformat.v4.new_notebook()
        nb.cells = [_cell(text, "ex1-written")]
        (tmp_path / origin / student / LAB).mkdir(parents=True)
        nbformat.write(nb, tmp_path / origin / student / LAB / f"{LAB}.ipynb")
    return tmp_path


def test_sheet_shows_scheme_model_and_every_answer_escaped(course):
    path, count = write_marking_sheet(LAB, course)
    assert path == course / "marking" / f"{LAB}.html" and count == 2
    page = path.read_text(encoding="utf-8")
    assert "1 point: names &lt;HMAC&gt;" in page and "A keyed hash &amp; a vault." in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; HMAC" in page
    assert "an older copy" not in page  # autograded/ wins over submitted/
    assert "zoë" in page and "(not answered)" in page
    assert "=== BEGIN MARK SCHEME ===" not in page


def test_split_mark_scheme_without_a_scheme():
    assert split_mark_scheme("just a model answer") == ("", "just a model answer")


def test_unknown_lab_lists_the_labs(course):
    with pytest.raises(ValueError, match=f"the labs: {LAB}"):
        write_marking_sheet("07-lba", course)


def test_marking_command(course, tmp_path):
    from ai2med_labs.cli import main

    assert main(["marking", LAB, "--course", str(course), "--out", str(tmp_path / "m.html")]) == 0
    assert "ex1-written" in (tmp_path / "m.html").read_text(encoding="utf-8")


@pytest.fixture()
def gradebook_course(tmp_path: Path, monkeypatch) -> Path:
    pytest.importorskip("nbgrader")
    from nbgrader.api import Gradebook

    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    root = tmp_path / "gbcourse"
    root.mkdir()
    (root / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'ai2med-labs'\n")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "ai2med-labs") as gb:
        gb.add_assignment(LAB)
        gb.add_notebook(LAB, LAB)
        for sid in ("gone", "graded_one", "zoë"):
            gb.add_student(sid)
        gb.add_submission(LAB, "graded_one")
    (root / "submitted" / "graded_one" / LAB).mkdir(parents=True)
    return root


def test_students_remove_refuses_graded_students_without_force(gradebook_course, capsys):
    from nbgrader.api import Gradebook

    from ai2med_labs.cli import main

    assert main(["students", "remove", "gone", "zoë", "--course", str(gradebook_course)]) == 0
    assert "removed student gone (no submissions)" in capsys.readouterr().out
    assert main(["students", "remove", "graded_one", "--course", str(gradebook_course)]) == 2
    err = capsys.readouterr().err
    assert "1 graded submission(s) (07-lab)" in err and "--force" in err and "SAWarning" not in err
    assert main(["students", "remove", "graded_on", "--course", str(gradebook_course)]) == 2
    assert "Did you mean graded_one" in capsys.readouterr().err
    assert main(["students", "remove", "graded_one", "--force", "--course", str(gradebook_course)]) == 0
    out = capsys.readouterr().out
    assert "and 1 submission(s): 07-lab" in out and "submitted/graded_one/" in out
    assert (gradebook_course / "submitted" / "graded_one" / LAB).is_dir()  # files stay
    with Gradebook(f"sqlite:///{gradebook_course / 'gradebook.db'}", "ai2med-labs") as gb:
        assert [s.id for s in gb.students] == []
