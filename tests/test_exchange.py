"""A whole round through nbgrader's exchange, on a temporary exchange with three students.

release_assignment -> fetch (each student in their own home) -> submit (alice on time,
carol twice: the second counts, bob after the deadline) -> collect -> autograde
(``ai2med-labs``'s parallel sandboxed grader, on nbgrader's submitted/ folder) -> feedback
(the safe feedback, delivered by nbgrader's release_feedback / fetch_feedback) -> export.
"""

from __future__ import annotations

import csv
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from test_autograde import LAB, _secret_lines, make_course, needs_lab00, solved_release

pytestmark = [pytest.mark.slow, needs_lab00,
              pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

COURSE_ID = "ai2med-labs"


def _config(exchange: Path, home: Path | None = None, student: str | None = None):
    from traitlets.config import Config

    cfg = Config()
    cfg.CourseDirectory.course_id = COURSE_ID
    cfg.Exchange.root = str(exchange)
    if home is not None:
        cfg.Exchange.cache = str(home / ".nbgrader-cache")
        cfg.Exchange.assignment_dir = str(home)
    if student is not None:
        cfg.CourseDirectory.student_id = student
    return cfg


def _as_student(action: str, exchange: Path, home: Path, student: str) -> None:
    """Run a student's exchange step (fetch_assignment, submit, fetch_feedback) in ``home``."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import (
        ExchangeFetchAssignment,
        ExchangeFetchFeedback,
        ExchangeSubmit,
    )

    cls = {"fetch_assignment": ExchangeFetchAssignment, "submit": ExchangeSubmit,
           "fetch_feedback": ExchangeFetchFeedback}[action]
    cfg = _config(exchange, home, student)
    coursedir = CourseDirectory(config=cfg)
    coursedir.assignment_id = LAB
    cls(coursedir=coursedir, authenticator=Authenticator(config=cfg), config=cfg).start()


def _answer(home: Path, solved: bool) -> None:
    """The student's work: the release answered (or left blank) in their fetched copy."""
    import nbformat

    if solved:
        nbformat.write(solved_release(), home / LAB / f"{LAB}.ipynb")


def test_a_term_through_the_exchange(tmp_path):
    from nbgrader.api import Gradebook

    from ai2med_labs.grading import Limits, autograde, export_grades, write_feedback
    from ai2med_labs.grading.grader import course_api

    course = make_course(tmp_path)
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    api = course_api(course, _config(exchange))
    assert api.generate_assignment(LAB)["success"]
    assert api.release_assignment(LAB)["success"]

    homes = {s: tmp_path / "home" / s for s in ("alice", "bob", "carol")}
    for student, home in homes.items():
        home.mkdir(parents=True)
        _as_student("fetch_assignment", exchange, home, student)
        assert (home / LAB / f"{LAB}.ipynb").is_file()

    _answer(homes["alice"], solved=True)
    _as_student("submit", exchange, homes["alice"], "alice")
    _as_student("submit", exchange, homes["carol"], "carol")       # blank first...
    time.sleep(1.1)
    _answer(homes["carol"], solved=True)
    _as_student("submit", exchange, homes["carol"], "carol")       # ...then answered
    with Gradebook(api.coursedir.db_url, COURSE_ID) as gb:         # the deadline passes
        gb.update_or_create_assignment(LAB, duedate=datetime.now(timezone.utc).replace(tzinfo=None))
    time.sleep(1.1)
    _answer(homes["bob"], solved=True)
    _as_student("submit", exchange, homes["bob"], "bob")            # late

    assert api.collect(LAB, update=True)["success"]
    submitted = course / "submitted"
    assert {p.name for p in submitted.iterdir()} == set(homes)

    run = autograde(LAB, submitted, course=course, workers=2, progress=False,
                    limits=Limits(cell_timeout=60, notebook_timeout=120))
    assert len(run.graded) == 3, run.summary()
    with Gradebook(api.coursedir.db_url, COURSE_ID) as gb:
        subs = {s: gb.find_submission(LAB, s) for s in homes}
        auto = {s: sum(g.auto_score or 0 for nb in sub.notebooks for g in nb.grades)
                for s, sub in subs.items()}
        assert auto["alice"] > 0 and auto["carol"] == auto["alice"] == auto["bob"], auto
        assert subs["alice"].total_seconds_late == 0
        assert subs["bob"].total_seconds_late > 0
        carol_time = subs["carol"].timestamp
    timestamps = sorted(p.name for p in (exchange / COURSE_ID / "inbound").iterdir()
                        if p.name.startswith("carol+"))
    assert len(timestamps) == 2 and carol_time.strftime("%Y-%m-%d %H:%M:%S") in timestamps[-1]

    # The same class as a zip (what an LMS hands out): alice regraded from it, same score.
    archive = shutil.make_archive(str(tmp_path / "class"), "zip", submitted)
    again = autograde(LAB, Path(archive), course=course, workers=1, progress=False,
                      students=["alice"], limits=Limits(cell_timeout=60, notebook_timeout=120))
    assert [o.student for o in again.graded] == ["alice"], again.summary()
    assert again.graded[0].score == run.outcomes[0].score

    files = write_feedback(LAB, course)
    assert len(files) == 3
    assert api.release_feedback(LAB)["success"]
    secrets = _secret_lines()
    for student, home in homes.items():
        _as_student("fetch_feedback", exchange, home, student)
        got = list((home / LAB / "feedback").rglob("*.html"))
        assert len(got) == 1, f"{student} received {got}"
        text = got[0].read_text()
        assert "Feedback" in text and student in text
        assert not [s for s in secrets if s in text]

    out = tmp_path / "grades.csv"
    export_grades(out, course)
    rows = {r["student_id"]: r for r in csv.DictReader(out.open())}
    assert set(rows) == set(homes)
    assert all(r["assignment"] == LAB and float(r["max_score"]) > 0 for r in rows.values())
    assert rows["bob"]["timestamp"] > rows["alice"]["timestamp"]
