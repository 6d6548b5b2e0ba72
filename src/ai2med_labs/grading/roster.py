"""The class list in the gradebook: remove a renamed or withdrawn student's rows, loudly.

>>> remove_student("old_login")                 # doctest: +SKIP
'removed student old_login (no submissions)'
>>> remove_student("ana", force=True)           # doctest: +SKIP
'removed student ana and 2 submission(s): 00-getting-started, 04-evaluating-models-for-clinical-use'
"""

from __future__ import annotations

import difflib
from pathlib import Path

__all__ = ["remove_student", "StudentHasGrades"]


class StudentHasGrades(ValueError):
    """The student has submissions in the gradebook; removing them needs ``force``."""


def remove_student(student: str, course: Path | None = None, force: bool = False) -> str:
    """Delete ``student`` (and, with ``force``, their submissions and grades) from the gradebook.

    Refuses, saying which labs would be lost, when the student has submissions and ``force``
    is not given. Files in ``submitted/``, ``autograded/`` and ``feedback/`` are left alone
    (nothing a student wrote is deleted); the message says where they are.
    """
    from nbgrader.api import Gradebook, MissingEntry

    from ai2med_labs.grading.grader import course_api, require_gradebook
    from ai2med_labs.paths import course_dir

    course = Path(course) if course is not None else course_dir()
    require_gradebook(course)
    api = course_api(course)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        try:
            record = gb.find_student(student)
        except MissingEntry:
            ids = sorted(s.id for s in gb.students)
            close = difflib.get_close_matches(student, ids, n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise ValueError(f"no student {student!r} in the gradebook.{hint} "
                             f"It has {len(ids)} student(s){': ' + ', '.join(ids[:20]) if ids else ''}") from None
        labs = sorted(sub.assignment.name for sub in record.submissions)
        if labs and not force:
            raise StudentHasGrades(
                f"student {student} has {len(labs)} graded submission(s) ({', '.join(labs)}); removing "
                "them deletes those grades from the gradebook. Export grades first "
                "(ai2med-labs grades --out FILE.csv), then run again with --force.")
        gb.remove_student(student)
    kept = [f"{folder}/{student}/" for folder in ("submitted", "autograded", "feedback")
            if (course / folder / student).exists()]
    files = f"; their files stay in {', '.join(kept)}" if kept else ""
    if labs:
        return f"removed student {student} and {len(labs)} submission(s): {', '.join(labs)}{files}"
    return f"removed student {student} (no submissions){files}"
