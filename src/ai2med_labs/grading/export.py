"""Export grades from the gradebook: one row per student and lab, one per exercise.

``grades.csv``: ``student_id, assignment, score, raw_score, late_penalty, max_score, timestamp,
needs_manual_grade, status, notes, cohort``: every student in the gradebook for every lab, so a
missing submission shows as ``no submission`` with a score of 0 rather than vanishing.
``score`` is after the late penalty, as ``nbgrader export`` gives it: ``max(0, raw_score -
late_penalty)``; ``cohort`` is the fingerprint of the cohort the grade was computed on, when
the grading report recorded one. ``--format moodle`` and ``--format canvas`` write the
gradebook import files of those platforms instead (see :mod:`ai2med_labs.grading.lms`).
``grades_exercises.csv`` beside it: ``student_id, assignment, notebook, exercise, score,
max_score, auto_score, manual_score``.

>>> from ai2med_labs.grading import export_grades
>>> export_grades("grades.csv")            # doctest: +SKIP
(PosixPath('grades.csv'), PosixPath('grades_exercises.csv'))
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

__all__ = ["export_grades", "collect_grades", "after_penalty", "GRADE_COLUMNS", "EXERCISE_COLUMNS"]

GRADE_COLUMNS = ["student_id", "assignment", "score", "raw_score", "late_penalty", "max_score",
                 "timestamp", "needs_manual_grade", "status", "notes", "cohort"]
EXERCISE_COLUMNS = ["student_id", "assignment", "notebook", "exercise", "score", "max_score",
                    "auto_score", "manual_score"]


def _num(value) -> str:
    return "" if value is None else f"{float(value):g}"


def _cohort(entry: dict) -> str:
    """The cohort fingerprint a grading report recorded for one student ('' if none)."""
    cohort = entry.get("cohort")
    if isinstance(cohort, dict):
        cohort = cohort.get("fingerprint")
    return cohort if isinstance(cohort, str) else ""


def after_penalty(raw: float | None, penalty: float | None) -> float:
    """The score after the late penalty, as nbgrader's CSV export computes it.

    >>> after_penalty(5, 5), after_penalty(5, 1.5), after_penalty(None, None)
    (0.0, 3.5, 0.0)
    """
    return max(0.0, float(raw or 0.0) - float(penalty or 0.0))


def export_grades(out: Path | str, course: Path | None = None, labs: Iterable[str] | None = None,
                  exercises_out: Path | str | None = None) -> tuple[Path, Path]:
    """Write the two CSV files; returns their paths. ``labs`` limits the assignments."""
    rows, ex_rows, _ = collect_grades(course, labs)
    out = Path(out)
    if out.suffix.lower() != ".csv":
        from ai2med_labs.grading.grader import GradingError

        raise GradingError(f"--out must name a .csv file, got {out}")
    exercises_out = Path(exercises_out) if exercises_out else out.with_name(out.stem + "_exercises.csv")
    out.parent.mkdir(parents=True, exist_ok=True)
    for path, columns, data in ((out, GRADE_COLUMNS, rows), (exercises_out, EXERCISE_COLUMNS, ex_rows)):
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(data)
    return out, exercises_out


def collect_grades(course: Path | None = None, labs: Iterable[str] | None = None
                   ) -> tuple[list[dict], list[dict], list[dict]]:
    """Rows per student and lab, rows per exercise, and the students (id, names, e-mail)."""
    from nbgrader.api import Gradebook, MissingEntry

    from ai2med_labs.grading.grader import GradingError, course_api, load_report, require_gradebook
    from ai2med_labs.paths import course_dir

    course = Path(course) if course is not None else course_dir()
    require_gradebook(course)
    api = course_api(course)
    rows, ex_rows = [], []
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        assignments = sorted(gb.assignments, key=lambda a: a.name)
        if labs is not None:
            wanted = list(labs)
            unknown = sorted(set(wanted) - {a.name for a in assignments})
            if unknown:
                raise GradingError(f"the gradebook has no lab {', '.join(unknown)}; it has: "
                                   f"{', '.join(a.name for a in assignments) or '(none)'}")
            assignments = [a for a in assignments if a.name in wanted]
        roster = [{"student_id": s.id, "first_name": s.first_name or "", "last_name": s.last_name or "",
                   "email": s.email or "", "lms_user_id": s.lms_user_id or ""}
                  for s in sorted(gb.students, key=lambda s: s.id)]
        students = [s["student_id"] for s in roster]
        for assignment in assignments:
            report = load_report(course, assignment.name)
            for student in students:
                entry = report.get(student, {})
                try:
                    sub = gb.find_submission(assignment.name, student)
                except MissingEntry:
                    rows.append({"student_id": student, "assignment": assignment.name,
                                 "score": "0", "raw_score": "0", "max_score": _num(assignment.max_score),
                                 "late_penalty": "0", "timestamp": "", "needs_manual_grade": "",
                                 "status": "no submission", "notes": "", "cohort": ""})
                    continue
                notes = "; ".join(entry.get("reasons", []) + entry.get("notes", []))
                held = bool(entry.get("held"))  # not released until `ai2med-labs review`
                rows.append({
                    "student_id": student, "assignment": assignment.name,
                    "score": "" if held else _num(after_penalty(sub.score,
                                                                sub.late_submission_penalty)),
                    "raw_score": "" if held else _num(sub.score), "max_score": _num(sub.max_score),
                    "late_penalty": _num(sub.late_submission_penalty or 0.0),
                    "timestamp": sub.timestamp.isoformat() if sub.timestamp else "",
                    "needs_manual_grade": str(bool(sub.needs_manual_grade)).lower(),
                    "status": entry.get("status", "graded"), "notes": notes,
                    "cohort": _cohort(entry),
                })
                for snb in sub.notebooks:
                    for grade in sorted(snb.grades, key=lambda g: g.name):
                        ex_rows.append({
                            "student_id": student, "assignment": assignment.name,
                            "notebook": snb.name, "exercise": grade.name,
                            "score": _num(grade.score), "max_score": _num(grade.max_score),
                            "auto_score": _num(grade.auto_score),
                            "manual_score": _num(grade.manual_score),
                        })
    return rows, ex_rows, roster
