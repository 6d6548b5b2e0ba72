"""An instructor's decision on a submission held for review by the screening.

``clear`` releases the held score as graded; ``zero`` sets every autograded grade of the
submission to 0 in nbgrader's gradebook (manual grades are kept). Both record the decision
and the findings in the lab's report under ``review_history``.

>>> review("autograder", "00-getting-started", "s001", "clear", note="print debugging")  # doctest: +SKIP
'graded (cleared by instructor: print debugging)'
"""

from __future__ import annotations

import json
import warnings
from datetime import datetime, timezone
from pathlib import Path

from ai2med_labs.grading.grader import GradingError, course_api, load_report, report_path

__all__ = ["review"]


def review(course: Path | str, lab: str, student: str, action: str, note: str = "") -> str:
    """Clear (``action="clear"``) or zero (``action="zero"``) ``student``'s held ``lab``;
    return the new status. Raises :class:`GradingError` if the lab, the student or the hold
    is unknown."""
    from nbgrader.api import Gradebook, MissingEntry

    if action not in ("clear", "zero"):
        raise GradingError(f"unknown review action {action!r}: use clear or zero")
    course = Path(course)
    report = load_report(course, lab)
    if not report:
        raise GradingError(f"no report for lab {lab!r} in {course}: has it been autograded?")
    entry = report.get(student)
    if entry is None:
        raise GradingError(f"no student {student!r} in the report of {lab}; known: "
                           f"{', '.join(sorted(report)) or '(none)'}")
    if not entry.get("held"):
        raise GradingError(f"{student}'s {lab} is not held for review (status: "
                           f"{entry.get('status')!r}); nothing to clear or zero")
    note = note or "no note"
    if action == "zero":
        api = course_api(course)
        with warnings.catch_warnings(), Gradebook(api.coursedir.db_url,
                                                  api.coursedir.course_id) as gb:
            warnings.simplefilter("ignore")
            try:
                sub = gb.find_submission(lab, student)
            except MissingEntry:
                raise GradingError(f"the gradebook has no submission of {lab} by {student}") \
                    from None
            for snb in sub.notebooks:
                for grade in snb.grades:
                    if grade.auto_score is not None:
                        grade.auto_score = 0.0
            gb.db.commit()
            sub = gb.find_submission(lab, student)
            entry["score"], entry["max_score"] = float(sub.score), float(sub.max_score)
        status = f"zeroed after review: {note}"
    else:
        status = f"graded (cleared by instructor: {note})"
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    entry.setdefault("review_history", []).append({
        "action": action, "note": note, "at": now, "findings": entry.get("held_reasons", []),
        "previous_status": entry.get("status")})
    entry["held"] = False
    entry["status"] = status
    report[student] = entry
    report_path(course, lab).write_text(json.dumps(report, indent=1, sort_keys=True),
                                        encoding="utf-8")
    return status
