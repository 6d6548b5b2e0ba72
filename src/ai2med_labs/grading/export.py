"""Export grades from the gradebook: one row per student and lab, one per exercise.

``grades.csv``: ``student_id, assignment, score, max_score, late_penalty, timestamp,
needs_manual_grade, status, notes``: every student in the gradebook for every lab, so a
missing submission shows as ``no submission`` with a score of 0 rather than vanishing.
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

__all__ = ["export_grades", "GRADE_COLUMNS", "EXERCISE_COLUMNS"]

GRADE_COLUMNS = ["student_id", "assignment", "score", "max_score", "late_penalty", "timestamp",
                 "needs_manual_grade", "status", "notes"]
EXERCISE_COLUMNS = ["student_id", "assignment", "notebook", "exercise", "score", "max_score",
                    "auto_score", "manual_score"]


def _num(value) -> str:
    return "" if value is None else f"{float(value):g}"


def export_grades(out: Path | str, course: Path | None = None, labs: Iterable[str] | None = None,
                  exercises_out: Path | str | None = None) -> tuple[Path, Path]:
    """Write the two CSV files; returns their paths. ``labs`` limits the assignments."""
    from nbgrader.api import Gradebook, MissingEntry

    from ai2med_labs.grading.grader import GradingError, course_api, load_report, require_gradebook
    from ai2med_labs.paths import course_dir

    course = Path(course) if course is not None else course_dir()
    out = Path(out)
    if out.suffix.lower() != ".csv":
        raise GradingError(f"--out must name a .csv file, got {out}")
    exercises_out = Path(exercises_out) if exercises_out else out.with_name(out.stem + "_exercises.csv")
    out.parent.mkdir(parents=True, exist_ok=True)
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
        students = sorted(s.id for s in gb.students)
        for assignment in assignments:
            report = load_report(course, assignment.name)
            for student in students:
                entry = report.get(student, {})
                try:
                    sub = gb.find_submission(assignment.name, student)
                except MissingEntry:
                    rows.append({"student_id": student, "assignment": assignment.name,
                                 "score": "0", "max_score": _num(assignment.max_score),
                                 "late_penalty": "", "timestamp": "", "needs_manual_grade": "",
                                 "status": "no submission", "notes": ""})
                    continue
                notes = "; ".join(entry.get("reasons", []) + entry.get("notes", []))
                rows.append({
                    "student_id": student, "assignment": assignment.name,
                    "score": _num(sub.score), "max_score": _num(sub.max_score),
                    "late_penalty": _num(sub.late_submission_penalty),
                    "timestamp": sub.timestamp.isoformat() if sub.timestamp else "",
                    "needs_manual_grade": str(bool(sub.needs_manual_grade)).lower(),
                    "status": entry.get("status", "graded"), "notes": notes,
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
    for path, columns, data in ((out, GRADE_COLUMNS, rows), (exercises_out, EXERCISE_COLUMNS, ex_rows)):
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            writer.writerows(data)
    return out, exercises_out
