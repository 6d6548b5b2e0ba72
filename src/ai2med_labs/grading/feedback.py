"""Feedback a student can read, built from the gradebook, never showing hidden tests.

nbgrader's own ``generate_feedback`` renders the autograded notebook, test cells and all:
the hidden tests are printed in every returned file, so one student can share them with
the class. This feedback is built instead from

- the gradebook: each exercise's points (manual grades and comments included), and
- the autograded notebook: the exercise's heading, and for a failed test only the error's
  name and message (the check's "expected / got / hint"), never the test's source or the
  traceback, which quotes the failing line.

As a last line of defence every message is compared with the hidden tests (from the
gradebook) and the solutions (from the master); a message that quotes one is withheld.

>>> from ai2med_labs.grading import write_feedback
>>> write_feedback("00-getting-started")     # doctest: +SKIP
[PosixPath('autograder/feedback/alice/00-getting-started/00-getting-started.html'), ...]
"""

from __future__ import annotations

import html
import re
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ExerciseFeedback", "NotebookFeedback", "collect_feedback", "render_html",
           "render_markdown", "write_feedback", "write_feedback_zip", "secret_lines"]

_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.DOTALL)
_SOLUTION = re.compile(r"### BEGIN SOLUTION(.*?)### END SOLUTION", re.DOTALL)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MAX_MESSAGE = 2000
WITHHELD = "(the message is withheld because it quotes a hidden test; ask your instructor)"


@dataclass
class ExerciseFeedback:
    grade_id: str
    title: str
    score: float
    max_score: float
    status: str  # "passed", "failed", "awaiting manual grading", "graded"
    message: str = ""
    comment: str = ""


@dataclass
class NotebookFeedback:
    student: str
    lab: str
    notebook: str
    score: float
    max_score: float
    late_penalty: float = 0.0
    exercises: list[ExerciseFeedback] = field(default_factory=list)


def secret_lines(gradebook_notebook: Any, master: Path | None) -> set[str]:
    """Lines of the hidden tests (gradebook) and solutions (master) worth guarding: every
    stripped line of 12 characters or more."""
    texts: list[str] = []
    for cell in gradebook_notebook.source_cells:
        texts += _HIDDEN.findall(cell.source or "")
    if master is not None and master.is_file():
        import nbformat

        for cell in nbformat.read(master, as_version=4).cells:
            texts += _SOLUTION.findall(cell.source) + _HIDDEN.findall(cell.source)
    lines = {ln.strip() for t in texts for ln in t.splitlines()}
    return {ln for ln in lines if len(ln) >= 12 and not ln.startswith("#")}


def _clean(text: str) -> str:
    return _ANSI.sub("", text).strip()


def _message(cell: Any, secrets: set[str]) -> str:
    """The failing check's message: error name and value only."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            evalue = _clean(str(out.get("evalue", "")))
            parts.append(f"{out.get('ename', 'Error')}: {evalue}" if evalue else str(out.get("ename")))
    text = "\n".join(parts)[:MAX_MESSAGE]
    if any(secret in text for secret in secrets):
        return WITHHELD
    return text


def _titles(nb: Any) -> dict[str, str]:
    """The heading above each graded cell (the exercise's title in the lab)."""
    titles: dict[str, str] = {}
    heading = ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.lstrip().startswith("#"):
                    heading = line.lstrip("# ").strip()
                    break
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id:
            titles[grade_id] = heading
    return titles


def collect_feedback(lab: str, course: Path | None = None,
                     students: Iterable[str] | None = None) -> list[NotebookFeedback]:
    """Feedback for every submission of ``lab`` in the gradebook (or for ``students``)."""
    import nbformat
    from nbgrader.api import Gradebook, MissingEntry

    from ai2med_labs.grading.grader import course_api, require_gradebook
    from ai2med_labs.paths import course_dir

    course = Path(course) if course is not None else course_dir()
    require_gradebook(course)
    api = course_api(course)
    wanted = set(students) if students is not None else None
    result: list[NotebookFeedback] = []
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        try:
            assignment = gb.find_assignment(lab)
        except MissingEntry:
            from ai2med_labs.grading.grader import GradingError

            raise GradingError(_unknown_lab_message(lab, course, [a.name for a in gb.assignments])) from None
        secrets = {nb.name: secret_lines(nb, course / "source" / lab / f"{nb.name}.ipynb")
                   for nb in assignment.notebooks}
        for sub in sorted(assignment.submissions, key=lambda s: s.student.id):
            student = sub.student.id
            if wanted is not None and student not in wanted:
                continue
            for snb in sub.notebooks:
                path = course / "autograded" / student / lab / f"{snb.name}.ipynb"
                graded_nb = nbformat.read(path, as_version=4) if path.is_file() else None
                cells = {}
                titles: dict[str, str] = {}
                order: dict[str, int] = {}
                if graded_nb is not None:
                    titles = _titles(graded_nb)
                    for i, cell in enumerate(graded_nb.cells):
                        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                        if gid:
                            cells[gid] = cell
                            order.setdefault(gid, i)
                comments = {c.name: c for c in snb.comments}
                fb = NotebookFeedback(student, lab, snb.name, float(snb.score),
                                      float(snb.max_score), float(snb.late_submission_penalty or 0))
                for grade in sorted(snb.grades, key=lambda g: (order.get(g.name, 10**6), g.name)):
                    score, max_score = float(grade.score), float(grade.max_score)
                    comment = comments.get(grade.name)
                    note = ""
                    if comment is not None:
                        note = comment.manual_comment or comment.auto_comment or ""
                    cell = cells.get(grade.name)
                    if grade.manual_score is not None:
                        status, message = "graded", ""
                    elif grade.auto_score is None:
                        status, message = "awaiting manual grading", ""
                    elif score >= max_score:
                        status, message = "passed", ""
                    else:
                        status = "failed"
                        message = _message(cell, secrets[snb.name]) if cell is not None else \
                            "the notebook was missing or could not be graded"
                    fb.exercises.append(ExerciseFeedback(
                        grade.name, titles.get(grade.name, ""), score, max_score, status,
                        message, note))
                result.append(fb)
    return result


def render_markdown(fb: NotebookFeedback) -> str:
    lines = [f"# Feedback: {fb.lab} ({fb.notebook})", "",
             f"Student: {fb.student}  ", f"Score: **{fb.score:g} of {fb.max_score:g}**"]
    if fb.late_penalty:
        lines.append(f"Late penalty: {fb.late_penalty:g}")
    lines.append("")
    for ex in fb.exercises:
        title = f"{ex.title} ({ex.grade_id})" if ex.title else ex.grade_id
        lines.append(f"## {title}: {ex.score:g} / {ex.max_score:g}, {ex.status}")
        if ex.message:
            lines += ["", "```", ex.message, "```"]
        if ex.comment:
            lines += ["", f"Comment: {ex.comment}"]
        lines.append("")
    return "\n".join(lines)


def render_html(fb: NotebookFeedback) -> str:
    e = html.escape
    colour = {"passed": "#1b7837", "failed": "#b2182b", "graded": "#2166ac",
              "awaiting manual grading": "#6a6a6a"}
    rows = []
    for ex in fb.exercises:
        title = e(ex.title or ex.grade_id)
        body = f"<pre>{e(ex.message)}</pre>" if ex.message else ""
        if ex.comment:
            body += f"<p><strong>Comment:</strong> {e(ex.comment)}</p>"
        rows.append(
            f"<section><h2>{title} <small>({e(ex.grade_id)})</small></h2>"
            f"<p><strong>{ex.score:g} / {ex.max_score:g}</strong> "
            f"<span style=\"color:{colour.get(ex.status, '#000')}\">{e(ex.status)}</span></p>"
            f"{body}</section>"
        )
    late = f"<p>Late penalty: {fb.late_penalty:g}</p>" if fb.late_penalty else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Feedback: {e(fb.lab)}</title>"
        "<style>body{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.4}"
        "pre{background:#f4f4f4;padding:.6em;white-space:pre-wrap}</style></head><body>"
        f"<h1>Feedback: {e(fb.lab)} <small>({e(fb.notebook)})</small></h1>"
        f"<p>Student: {e(fb.student)}<br>Score: <strong>{fb.score:g} of {fb.max_score:g}</strong></p>"
        f"{late}{''.join(rows)}"
        "<p><small>Hidden tests are not shown. Each failed exercise shows the check's "
        "message: what it expected and a hint.</small></p></body></html>\n"
    )


def _unknown_lab_message(lab: str, course: Path, graded: list[str]) -> str:
    """Why ``lab`` has no feedback: a misspelling (with the real names) or not graded yet."""
    import difflib

    source = Path(course) / "source"
    known = sorted(p.name for p in source.iterdir() if p.is_dir()) if source.is_dir() else []
    if lab in known:
        return (f"{lab} has not been graded yet: autograde it first "
                f"(ai2med-labs autograde {lab} --submissions DIR)")
    close = difflib.get_close_matches(lab, sorted(set(known) | set(graded)), n=1)
    hint = f" Did you mean {close[0]}?" if close else ""
    return (f"no lab {lab!r}.{hint} Graded labs: {', '.join(sorted(graded)) or '(none)'}; "
            f"labs of the course: {', '.join(known) or '(none)'}")


def write_feedback_zip(lab: str, out: Path | str, files: Iterable[Path], course: Path | None = None) -> Path:
    """Zip the feedback files in the layout Moodle's "Upload multiple feedback files in a zip"
    takes: one folder per student named as in Moodle's download,
    ``<Full Name>_<participant id>_assignsubmission_file_/<file>``.

    The name and id come from the Moodle zip the class was graded from (``.lms.json`` in the
    submission); a student without one gets ``<student id>_<student id>_assignsubmission_file_``
    (right when the student id is the Moodle participant id, as from a Moodle zip). An existing
    ``out`` is never overwritten.
    """
    import zipfile

    from ai2med_labs.grading.submissions import lms_identity
    from ai2med_labs.paths import course_dir

    course = Path(course) if course is not None else course_dir()
    out = Path(out)
    if out.suffix.lower() != ".zip":
        raise ValueError(f"--zip must name a .zip file, got {out}")
    if out.exists():
        raise ValueError(f"{out} exists; give another --zip name (nothing was overwritten)")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in files:
            student = path.parent.parent.name
            identity = {}
            for origin in ("submitted", "autograded"):
                identity = lms_identity(course / origin / student / lab) or identity
                if identity:
                    break
            folder = identity.get("folder") or (
                f"{identity.get('full_name', student)}_{identity.get('participant_id', student)}"
                "_assignsubmission_file_")
            zf.write(path, f"{folder}/{path.name}")
    return out


def write_feedback(lab: str, course: Path | None = None,
                   students: Iterable[str] | None = None) -> list[Path]:
    """Write ``feedback/<student>/<lab>/<notebook>.html`` (where nbgrader's
    ``release_feedback`` looks) for every graded submission; returns the files written."""
    from ai2med_labs.paths import course_dir

    course = Path(course) if course is not None else course_dir()
    written: list[Path] = []
    from ai2med_labs.grading.grader import is_held

    for fb in collect_feedback(lab, course, students):
        if is_held(course, lab, fb.student):  # released only after `ai2med-labs review`
            print(f"{fb.student}: held for review, no feedback written "
                  f"(ai2med-labs review {lab} {fb.student} --clear or --zero)", file=sys.stderr)
            continue
        folder = course / "feedback" / fb.student / lab
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{fb.notebook}.html"
        target.write_text(render_html(fb), encoding="utf-8")
        written.append(target)
        # What nbgrader's release_feedback needs to address the file to the submission.
        for name in ("timestamp.txt", "submission_secret.txt"):
            for origin in ("autograded", "submitted"):
                source = course / origin / fb.student / lab / name
                if source.is_file():
                    shutil.copyfile(source, folder / name)
                    break
    return written
