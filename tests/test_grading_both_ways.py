"""nbgrader grades every lab both ways: the master earns full marks, the release earns zero.

Scores are read from nbgrader's gradebook after ``NbGraderAPI.autograde``, never from an
exit code (``nbgrader validate`` exits 0 even when tests fail). A master's test cell that
passes but writes to stderr gets zero from nbgrader; the failure message says so and names
the cell.
"""

from __future__ import annotations

import json

import pytest
from conftest import LABS, GradingCourse, lab_params

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]


@pytest.mark.parametrize("lab", lab_params())
def test_master_earns_full_marks(lab: str, grading_course) -> None:
    graded = grading_course.autograde(lab, "master")
    autograded = [(nb, c) for nb, c in graded.cells() if c.autograded]
    assert autograded, (
        f"{lab}: the master has no autograded cells; give each exercise a test cell with "
        "nbgrader metadata grade=true, solution=false and points"
    )
    short = [
        f"  {nb}: cell {c.grade_id!r} scored {c.auto_score:g} of {c.max_score:g}: {c.why()}"
        for nb, c in autograded
        if c.auto_score != c.max_score
    ]
    assert not short, (
        f"{lab}: autograding the master (with its solutions) must give full marks, but:\n"
        + "\n".join(short)
        + f"\nFix the solution or the tests in autograder/source/{lab}/."
    )
    assert not graded.stderr, (
        f"{lab}: the master writes to stderr (warnings confuse learners, and in a test cell "
        "nbgrader gives zero); fix the code that warns:\n"
        + "\n".join(f"  {nb}: cell {cid}: {text}" for nb, cid, text in graded.stderr)
    )


@pytest.mark.parametrize("lab", lab_params())
def test_release_earns_zero(lab: str, grading_course) -> None:
    graded = grading_course.autograde(lab, "release")
    autograded = [(nb, c) for nb, c in graded.cells() if c.autograded]
    assert autograded, f"{lab}: the release has no autograded cells"
    free = [
        f"  {nb}: cell {c.grade_id!r} scored {c.auto_score:g} of {c.max_score:g}"
        for nb, c in autograded
        if c.auto_score != 0
    ]
    assert not free, (
        f"{lab}: the unattempted release must score zero on every autograded cell, but these "
        "pass without an answer:\n" + "\n".join(free)
        + "\nMake each test cell depend on the student's answer (a name defined only in the "
        "solution region, or a check that the placeholder value fails)."
    )


@pytest.fixture(scope="module")
def another_cohort(tmp_path_factory) -> str:
    """A cohort like the default one (all faults), a little larger, drawn with another seed."""
    from ai2med_labs.datasets import find_data_dir
    from ai2med_labs.synth import write_cohort

    meta = json.loads((find_data_dir() / "cohort.json").read_text())
    out = tmp_path_factory.mktemp("cohort-other-seed")
    write_cohort(int(meta["n_patients"]) + 411, int(meta["seed"]) + 1009, out, progress=False)
    return str(out)


@pytest.mark.parametrize("lab", lab_params())
def test_master_earns_full_marks_on_another_cohort(
    lab: str, grading_course, another_cohort, monkeypatch
) -> None:
    """Nothing read off the data is typed into a lab: a new term's cohort must grade the same."""
    monkeypatch.setenv("AI2MED_DATA_DIR", another_cohort)
    graded = grading_course.autograde(lab, "master")
    short = [
        f"  {nb}: cell {c.grade_id!r} scored {c.auto_score:g} of {c.max_score:g}: {c.why()}"
        for nb, c in graded.cells()
        if c.autograded and c.auto_score != c.max_score
    ]
    assert not short, (
        f"{lab}: the master loses marks on a cohort drawn with another seed "
        f"(AI2MED_DATA_DIR={another_cohort}):\n" + "\n".join(short)
        + "\nCompute expected values from the data instead of typing numbers read off it."
    )


# --- the harness itself catches both traps -------------------------------------------------


def _tiny_lab(source) -> str:
    """A one-notebook lab with a good test, a test that writes to stderr, and a free test."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    def cell(cid, text, **nbgrader):
        c = new_code_cell(text)
        c["id"] = cid
        c.metadata["nbgrader"] = {"schema_version": 3, "grade_id": cid, **nbgrader}
        return c

    test = {"grade": True, "solution": False, "locked": True, "points": 1}
    nb = new_notebook(cells=[
        cell("answer", "### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION",
             grade=False, solution=True, locked=False),
        cell("good-test", "assert answer == 42", **test),
        cell("noisy-test", "import sys\nprint('a warning', file=sys.stderr)\nassert answer == 42", **test),
        cell("free-test", "assert 1 + 1 == 2", **test),
    ])
    nb.nbformat_minor = 5
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    lab = "99-harness"
    (source / lab).mkdir(parents=True)
    nbformat.write(nb, source / lab / f"{lab}.ipynb")
    return lab


def test_harness_reports_stderr_and_free_points(tmp_path) -> None:
    source = tmp_path / "source"
    lab = _tiny_lab(source)
    course = GradingCourse(tmp_path, source=source)
    master = {c.grade_id: c for _, c in course.autograde(lab, "master").cells()}
    assert master["good-test"].auto_score == 1
    assert master["noisy-test"].auto_score == 0, "nbgrader's stderr rule changed: revisit these tests"
    assert "stderr" in master["noisy-test"].why() and "a warning" in master["noisy-test"].why()
    release = {c.grade_id: c for _, c in course.autograde(lab, "release").cells()}
    assert release["good-test"].auto_score == 0
    assert "NameError" in release["good-test"].why()
    assert release["free-test"].auto_score == 1  # the release test would flag this cell


# --- lab 00: the hidden tests catch plausible wrong answers --------------------------------

LAB00 = "00-getting-started"

#: Answers that look right to the visible checks (or have the wrong type) but are wrong.
WRONG_VALUES = {
    "ex1-bmi-answer": "    return round(weight_kg / height_m**2, 1)",
    "ex2-n-patients-answer": "n_patients = len(patients)",
    "ex3-share-female-answer": '    return float((table["sex"] == "M").mean())',
    "ex4-mgdl-site-answer": (
        'mgdl_site = cohort.sites.loc[cohort.sites["glucose_unit"] != "mg/dL", "site_id"].iloc[0]'
    ),
}
WRONG_TYPES = {
    "ex1-bmi-answer": "    return int(weight_kg / height_m**2)",
    "ex2-n-patients-answer": 'n_patients = patients["patient_id"].drop_duplicates().shape',
    "ex3-share-female-answer": '    return table["sex"].value_counts(normalize=True)',
    "ex4-mgdl-site-answer": (
        'mgdl_site = cohort.sites.loc[cohort.sites["glucose_unit"] == "mg/dL", "site_id"]'
    ),
}


def _replace_solutions(answers: dict[str, str]):
    import re

    region = re.compile(r"[ \t]*### BEGIN SOLUTION.*?### END SOLUTION", re.DOTALL)

    def edit(nb) -> None:
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in answers:
                cell.source, n = region.subn(lambda _m, new=answers[grade_id]: new, cell.source)
                assert n == 1, f"{grade_id}: expected one solution region"

    return edit


@pytest.mark.skipif(LAB00 not in LABS, reason="lab 00 is not in autograder/source/")
@pytest.mark.parametrize("answers", [WRONG_VALUES, WRONG_TYPES], ids=["wrong-values", "wrong-types"])
def test_lab00_hidden_tests_catch_wrong_answers(answers, grading_course) -> None:
    from ai2med_labs import load_table

    patients = load_table("patients")
    if answers is WRONG_VALUES and len(patients) == patients["patient_id"].nunique():
        answers = {k: v for k, v in answers.items() if k != "ex2-n-patients-answer"}  # no duplicates
    graded = grading_course.autograde(LAB00, "master", edit=_replace_solutions(answers))
    scores = {c.grade_id: c for _, c in graded.cells()}
    passed = [
        f"{gid.replace('-answer', '-tests')} gave {scores[gid.replace('-answer', '-tests')].auto_score:g} "
        f"points to: {answers[gid].strip()}"
        for gid in answers
        if scores[gid.replace("-answer", "-tests")].auto_score != 0
    ]
    assert not passed, "lab 00's tests accept a wrong answer:\n" + "\n".join(passed)
