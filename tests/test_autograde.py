"""Autograding a class where students submit everything a real class submits.

Every bad submission is built from lab 00's released notebook (answered with the master's
solutions, then broken in one way), graded in ONE parallel autograde call (kernel start-up
dominates), and checked through nbgrader's gradebook: the score each earns, the reason the
run gives, and that nothing leaks across students, into the gradebook, or back into the
submitted files. Then feedback and the grade export are checked on the same gradebook.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import LABS, LABS_DIR, REPO, SOURCE

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

LAB = "00-getting-started"
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.DOTALL)
SOLUTION = re.compile(r"[ \t]*### BEGIN SOLUTION\n(.*?)[ \t]*### END SOLUTION\n?", re.DOTALL)
needs_lab00 = pytest.mark.skipif(LAB not in LABS, reason="lab 00 is not in autograder/source/")


# --- building submissions from the release -----------------------------------------------

def _master():
    import nbformat

    return nbformat.read(SOURCE / LAB / f"{LAB}.ipynb", as_version=4)


def _release():
    import nbformat

    return nbformat.read(LABS_DIR / LAB / f"{LAB}.ipynb", as_version=4)


def _gid(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def solved_release():
    """The released notebook with every answer cell filled in from the master's solution."""
    master = {_gid(c): c for c in _master().cells if _gid(c)}
    nb = _release()
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            if cell.cell_type == "code":
                cell.source = SOLUTION.sub(lambda m: m.group(1), master[_gid(cell)].source)
            else:
                cell.source = ("Names, national ids, addresses and phone numbers identify a person. "
                               "Synthetic data protects privacy but lacks real-world messiness.")
    return nb


def _cell(nb, grade_id):
    return next(c for c in nb.cells if _gid(c) == grade_id)


def _prepend(nb, grade_id, code):
    cell = _cell(nb, grade_id)
    cell.source = code + "\n" + cell.source


def _extra_cell(nb, after_grade_id, code, cid="extra"):
    from nbformat.v4 import new_code_cell

    index = next(i for i, c in enumerate(nb.cells) if _gid(c) == after_grade_id)
    cell = new_code_cell(code)
    cell["id"] = cid
    nb.cells.insert(index + 1, cell)


def _tests(nb):
    return [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")
            and c.cell_type == "code"]


def build_class(root: Path, course: Path, victim: str) -> dict[str, str]:
    """Write one submission per kind of trouble into ``root``; returns {student: kind}."""
    import nbformat

    kinds: dict[str, object] = {}

    def hang(nb):  # ignores the interrupt, so only the notebook's time limit stops it
        _prepend(nb, "ex1-bmi-answer",
                 "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass")
    kinds["hang"] = hang

    def exits(nb):
        _prepend(nb, "ex2-n-patients-answer", "import os\nos._exit(3)")
    kinds["exits"] = exits

    def crash(nb):
        _prepend(nb, "ex3-share-female-answer", "import ctypes\nctypes.string_at(0)")
    kinds["crash"] = crash

    def hog(nb):
        _prepend(nb, "ex2-n-patients-answer",
                 "hog = []\nwhile True:\n    hog.append(bytearray(200 * 1024 * 1024))")
    kinds["hog"] = hog

    def printer(nb):
        _prepend(nb, "ex1-bmi-answer", "print('x' * 30_000_000)\nfor _ in range(200_000):\n    print('y')")
    kinds["printer"] = printer

    def tamper(nb):
        tests = _tests(nb)
        nb.cells.remove(_cell(nb, "ex1-bmi-tests"))               # deleted
        _cell(nb, "ex2-n-patients-tests").source = "pass"         # edited
        meta = _cell(nb, "ex3-share-female-tests").metadata["nbgrader"]
        meta["points"], meta["grade"] = 100, False                # metadata changed
        for i, cell in enumerate(nb.cells):                       # every cell id changed
            cell["id"] = f"mine-{i}"
        assert len(tests) == 4
    kinds["tamper"] = tamper

    def patcher(nb):  # a wrong answer, then make every check pass
        cell = _cell(nb, "ex1-bmi-answer")
        cell.source = ("def bmi(weight_kg, height_m):\n    return 0.0\n\n"
                       "import ai2med_labs.checks as _c\n"
                       "for _name in ('check', 'check_close', 'check_type', 'passed'):\n"
                       "    setattr(_c, _name, lambda *a, **k: None)\n")
    kinds["patcher"] = patcher

    def snoop(nb):  # read the masters and the gradebook, write into the course and a classmate
        code = f"""
import glob, os
from pathlib import Path
found = []
targets = [{str(course / 'source' / LAB / (LAB + '.ipynb'))!r}, {str(course / 'gradebook.db')!r},
           {str(REPO / 'autograder' / 'source' / LAB / (LAB + '.ipynb'))!r}]
targets += glob.glob('/tmp/ai2med-grade-*/course/gradebook.db')
targets += glob.glob('../../../source/*/*.ipynb') + glob.glob('/tmp/ai2med-grade-*/course/autograded/*/*/*.ipynb')
for path in targets:
    try:
        found.append((path, Path(path).read_bytes()[:20000]))
    except OSError as exc:
        print('blocked', type(exc).__name__)
for path in [{str(course / 'gradebook.db')!r}, {str(root / victim / LAB / (LAB + '.ipynb'))!r},
             {str(course / 'submitted' / victim / LAB / (LAB + '.ipynb'))!r}]:
    try:
        with open(path, 'w') as fh:
            fh.write('overwritten')
        print('WROTE', path)
    except OSError as exc:
        print('blocked', type(exc).__name__)
leak = b''.join(data for _, data in found)
print('LEAKED' if b'BEGIN HIDDEN TESTS' in leak else 'nothing leaked', len(found))
"""
        _extra_cell(nb, "ex1-bmi-tests", code, "snoop")
    kinds["snoop"] = snoop

    for student, edit in [("good", None), (victim, None), *kinds.items()]:
        folder = root / student / LAB
        folder.mkdir(parents=True)
        nb = solved_release()
        if edit is not None:
            edit(nb)
        nbformat.write(nb, folder / f"{LAB}.ipynb")
    blank = root / "blank" / LAB
    blank.mkdir(parents=True)
    shutil.copy(LABS_DIR / LAB / f"{LAB}.ipynb", blank)
    broken = root / "badjson" / LAB
    broken.mkdir(parents=True)
    text = (LABS_DIR / LAB / f"{LAB}.ipynb").read_text()
    (broken / f"{LAB}.ipynb").write_text(text[: len(text) // 2])
    return {"good": "good", victim: "good", "blank": "blank", "badjson": "badjson",
            **{k: k for k in kinds}}


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def make_course(tmp: Path) -> Path:
    course = tmp / "course"
    (course / "source").mkdir(parents=True)
    shutil.copy2(REPO / "autograder" / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(SOURCE / LAB, course / "source" / LAB)
    return course


def _scores(course: Path, student: str) -> dict[str, float | None]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "ai2med-labs") as gb:
        sub = gb.find_submission(LAB, student)
        return {g.name: g.auto_score for nb in sub.notebooks for g in nb.grades}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A course, one student graded first (the victim), then the whole class in one run."""
    from ai2med_labs.grading import Limits, autograde

    tmp = tmp_path_factory.mktemp("autograde")
    course = make_course(tmp)
    first = tmp / "first"
    (first / "victim" / LAB).mkdir(parents=True)
    import nbformat

    nbformat.write(solved_release(), first / "victim" / LAB / f"{LAB}.ipynb")
    limits = Limits(cell_timeout=20, notebook_timeout=60, memory=2 * 1024**3, output=50_000)
    # The first student through the command line, as an instructor would.
    import contextlib
    import io

    from ai2med_labs.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc1 = main(["autograde", LAB, "--submissions", str(first), "--course", str(course),
                    "--workers", "1", "--timeout", "60", "--cell-timeout", "20", "--memory", "2G",
                    "--quiet", "--strict"])
    victim_before = _scores(course, "victim")
    subs = tmp / "class"
    kinds = build_class(subs, course, "victim")
    shutil.rmtree(subs / "victim")  # the victim does not resubmit: only their old grade stands
    before = _digest(subs)
    run2 = autograde(LAB, subs, course=course, workers=2, limits=limits, progress=False)
    return {"course": course, "subs": subs, "kinds": kinds, "cli": (rc1, out.getvalue()), "run2": run2,
            "victim_before": victim_before, "digest_before": before}


def _outcome(run, student):
    return next(o for o in run.outcomes if o.student == student)


# --- the outcomes ------------------------------------------------------------------------

AUTO = ["ex1-bmi-tests", "ex2-n-patients-tests", "ex3-share-female-tests", "ex4-mgdl-site-tests"]


def _full(scores):
    return all(scores[g] and scores[g] > 0 for g in AUTO)


@pytest.mark.slow
@needs_lab00
def test_good_submission_full_marks_victim_untouched(graded_class):
    course = graded_class["course"]
    rc, summary = graded_class["cli"]
    assert rc == 0 and "1 graded, 0 not graded" in summary, summary
    assert _full(_scores(course, "victim"))
    good = _scores(course, "good")
    assert _full(good), good
    assert _scores(course, "blank")["ex1-bmi-tests"] == 0
    assert _scores(course, "victim") == graded_class["victim_before"], "another run changed a grade"
    victim_nb = course / "submitted" / "victim" / LAB / f"{LAB}.ipynb"
    assert "overwritten" not in victim_nb.read_text()


@pytest.mark.slow
@needs_lab00
def test_submitted_files_never_change(graded_class):
    subs = graded_class["subs"]
    assert _digest(subs) == graded_class["digest_before"]


@pytest.mark.slow
@needs_lab00
@pytest.mark.parametrize("student, kept, lost, says", [
    ("hang", [], AUTO, "longer than"),
    ("exits", AUTO[:1], AUTO[1:], "exited"),
    ("crash", AUTO[:2], AUTO[2:], "died"),
    # what follows a full memory may fail too: only the cells before it must keep their marks
    ("hog", AUTO[:1], AUTO[1:2], None),
])
def test_kernel_trouble_costs_only_what_it_broke(graded_class, student, kept, lost, says):
    run, course = graded_class["run2"], graded_class["course"]
    outcome = _outcome(run, student)
    assert outcome.graded, outcome
    scores = _scores(course, student)
    for grade_id in lost:
        assert scores[grade_id] == 0, (grade_id, scores)
    for grade_id in kept:
        assert scores[grade_id] and scores[grade_id] > 0, (grade_id, scores)
    if says:
        assert any(says in n for n in outcome.notes), outcome.notes


@pytest.mark.slow
@needs_lab00
def test_megabytes_of_output_are_cut(graded_class):
    course = graded_class["course"]
    assert _full(_scores(course, "printer"))
    graded = course / "autograded" / "printer" / LAB / f"{LAB}.ipynb"
    assert graded.stat().st_size < 1_000_000
    assert "truncated" in graded.read_text()


@pytest.mark.slow
@needs_lab00
def test_tampered_cells_are_restored_and_reported(graded_class):
    course, run = graded_class["course"], graded_class["run2"]
    scores = _scores(course, "tamper")
    assert _full(scores), scores  # the real tests ran on the (correct) answers
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "ai2med-labs") as gb:
        assert gb.find_submission(LAB, "tamper").max_score == gb.find_submission(LAB, "good").max_score
    notes = " ".join(_outcome(run, "tamper").notes)
    assert "ex1-bmi-tests" in notes and "ex3-share-female-tests" in notes
    graded = json.loads((course / "autograded" / "tamper" / LAB / f"{LAB}.ipynb").read_text())
    sources = {(c["metadata"].get("nbgrader") or {}).get("grade_id"): "".join(c["source"])
               for c in graded["cells"]}
    master = {_gid(c): c.source for c in _master().cells if _gid(c)}
    assert sources["ex2-n-patients-tests"] == master["ex2-n-patients-tests"]


@pytest.mark.slow
@needs_lab00
def test_monkeypatching_is_undone_before_the_tests(graded_class):
    outcome = _outcome(graded_class["run2"], "patcher")
    assert _scores(graded_class["course"], "patcher")["ex1-bmi-tests"] == 0
    assert any("monkeypatching" in n and "ai2med_labs.checks.check" in n for n in outcome.notes)
    assert not any("monkeypatching" in n for n in _outcome(graded_class["run2"], "good").notes)


@pytest.mark.slow
@needs_lab00
def test_student_code_cannot_read_masters_or_write_to_the_course(graded_class):
    course, run = graded_class["course"], graded_class["run2"]
    if not (run.isolation.hide_paths and run.isolation.separate_user):
        pytest.skip("this system cannot hide folders or switch users: " + run.isolation.describe())
    graded = json.loads((course / "autograded" / "snoop" / LAB / f"{LAB}.ipynb").read_text())
    cell = next(c for c in graded["cells"] if c.get("id") == "snoop")
    text = "".join("".join(o.get("text", "")) for o in cell["outputs"])
    assert "nothing leaked" in text and "LEAKED" not in text and "WROTE" not in text, text
    assert _full(_scores(course, "snoop"))


@pytest.mark.slow
@needs_lab00
def test_invalid_json_is_reported_with_a_reason(graded_class):
    outcome = _outcome(graded_class["run2"], "badjson")
    assert not outcome.graded and "not valid JSON" in " ".join(outcome.reasons)
    assert all(v == 0 for v in _scores(graded_class["course"], "badjson").values())
    summary = graded_class["run2"].summary()
    assert "badjson" in summary and "not graded" in summary


# --- feedback and export on the same gradebook --------------------------------------------

def _secret_lines() -> list[str]:
    lines = []
    for cell in _master().cells:
        for region in HIDDEN.findall(cell.source) + SOLUTION.findall(cell.source + "\n"):
            lines += [ln.strip() for ln in region.splitlines() if len(ln.strip()) >= 12]
    return lines


@pytest.mark.slow
@needs_lab00
def test_feedback_shows_messages_never_hidden_tests(graded_class):
    from ai2med_labs.cli import main
    from ai2med_labs.grading import write_feedback

    course = graded_class["course"]
    files = write_feedback(LAB, course)
    assert main(["feedback", LAB, "--course", str(course)]) == 0  # the same, by command
    from ai2med_labs.grading.feedback import collect_feedback, render_html
    from ai2med_labs.grading.grader import is_held

    students = {p.parent.parent.name for p in files}
    held = {s for s in graded_class["kinds"] if is_held(course, LAB, s)}
    # monkeypatching and ignoring interrupts reach into the interpreter: screening holds them,
    # and a held submission gets no feedback until the instructor reviews it
    assert {"patcher", "hang"} <= held and "good" not in held
    assert {"good", "victim"} <= students and not students & held
    secrets = _secret_lines()
    assert secrets
    texts = {p: p.read_text() for p in files}
    texts.update({f"{fb.student} (held)": render_html(fb)
                  for fb in collect_feedback(LAB, course, ["patcher", "hang"])})
    for where, text in texts.items():
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{where}: feedback shows hidden tests or solutions: {leaked[:3]}"
        assert "Traceback" not in text
    patcher = texts["patcher (held)"]
    assert "Check failed" in patcher and "failed" in patcher and "0 / 1" in patcher
    hang = texts["hang (held)"]
    assert "did not run" in hang or "longer than" in hang


@pytest.mark.slow
@needs_lab00
def test_nbgraders_own_feedback_would_leak_hidden_tests(graded_class):
    """Why ``ai2med-labs feedback`` exists: nbgrader's feedback prints the hidden tests."""
    from ai2med_labs.grading.grader import course_api

    course = graded_class["course"]
    api = course_api(course)
    result = api.generate_feedback(LAB, "good")
    assert result["success"], result.get("log")
    html = (course / "feedback" / "good" / LAB / f"{LAB}.html").read_text()
    import html as html_lib

    text = html_lib.unescape(re.sub(r"<[^>]+>", "", html))
    assert any(s in text for s in _secret_lines())


@pytest.mark.slow
@needs_lab00
def test_grades_export(graded_class, tmp_path):
    from nbgrader.api import Gradebook

    from ai2med_labs.cli import main
    from ai2med_labs.grading import export_grades

    course = graded_class["course"]
    main_csv, ex_csv = export_grades(tmp_path / "grades.csv", course)
    assert main(["grades", "--out", str(tmp_path / "cli.csv"), "--course", str(course)]) == 0
    assert (tmp_path / "cli.csv").read_text() == main_csv.read_text()
    rows = list(csv.DictReader(main_csv.open()))
    assert set(rows[0]) >= {"student_id", "assignment", "score", "max_score"}
    by_student = {r["student_id"]: r for r in rows if r["assignment"] == LAB}
    assert set(by_student) == set(graded_class["kinds"])
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "ai2med-labs") as gb:
        for student, row in by_student.items():
            sub = gb.find_submission(LAB, student)
            assert float(row["max_score"]) == pytest.approx(sub.max_score)
            if row["status"].startswith("held for review"):  # not released before review
                assert row["score"] == row["raw_score"] == ""
                continue
            assert float(row["score"]) == pytest.approx(sub.score)
    assert by_student["badjson"]["status"] == "not graded"
    assert "JSON" in by_student["badjson"]["notes"]
    exercises = list(csv.DictReader(ex_csv.open()))
    good = {r["exercise"]: r for r in exercises if r["student_id"] == "good"}
    assert set(AUTO) <= set(good)
    assert sum(float(r["score"]) for r in good.values()) == pytest.approx(float(by_student["good"]["score"]))


# --- fast tests: no kernel ------------------------------------------------------------------

def test_package_imports_without_nbgrader(tmp_path):
    import subprocess
    import sys

    code = ("import sys; sys.modules['nbgrader'] = None\n"
            "import ai2med_labs.grading, ai2med_labs.grading.cli, ai2med_labs.grading.grader\n"
            "from ai2med_labs.cli import main\n"
            "rc = main(['grades', '--out', sys.argv[1]])\n"
            "assert rc == 2, rc\n")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "g.csv")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "nbgrader" in done.stderr and "pip install" in done.stderr


def test_zip_from_an_lms(tmp_path):
    import zipfile

    from ai2med_labs.grading.submissions import SubmissionError, find_submissions, open_submissions

    archive = tmp_path / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"Ada Lovelace_1234_assignsubmission_file_/{LAB}.ipynb", "{}")
        zf.writestr(f"alice/{LAB}/{LAB}.ipynb", "{}")
        zf.writestr(f"alice/{LAB}/data.csv", "a,b")
        zf.writestr(f"bob_late_77_88_{LAB}-1.ipynb", "{}")
    folder, tmp = open_submissions(archive, LAB)
    try:
        subs = {s.student: s for s in find_submissions(folder, LAB)}
        assert set(subs) == {"1234", "alice", "bob"}
        assert subs["bob"].notebooks[0].name == f"{LAB}.ipynb"
        assert (subs["alice"].folder / "data.csv").is_file()
    finally:
        tmp.cleanup()
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr(f"../../x/{LAB}/{LAB}.ipynb", "{}")
    with pytest.raises(SubmissionError, match="unsafe path"):
        open_submissions(evil, LAB)
    with pytest.raises(SubmissionError, match="no submissions"):
        find_submissions(tmp_path, LAB)


def test_bad_student_ids_are_reported(tmp_path):
    from ai2med_labs.grading.submissions import find_submissions

    for name in ("ok_1", "bad name"):
        (tmp_path / name / LAB).mkdir(parents=True)
        (tmp_path / name / LAB / "x.ipynb").write_text("{}")
    subs = {s.student: s for s in find_submissions(tmp_path, LAB)}
    assert subs["ok_1"].problem == ""
    assert "not a usable id" in subs["bad name"].problem


def test_cli_has_the_grading_commands():
    from ai2med_labs.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["autograde", LAB, "--submissions", "subs", "--memory", "2G",
                              "--workers", "2"])
    assert args.memory == 2 * 1024**3 and args.workers == 2
    assert parser.parse_args(["feedback", LAB]).lab == LAB
    assert parser.parse_args(["grades", "--out", "g.csv"]).out == Path("g.csv")
