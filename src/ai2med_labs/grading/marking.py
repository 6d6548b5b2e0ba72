"""A marking sheet per lab: every student's written answer beside the mark scheme.

Written answers are the markdown solution cells with ``points`` in their nbgrader metadata.
The master's cell holds the mark scheme between ``=== BEGIN MARK SCHEME ===`` and
``=== END MARK SCHEME ===`` (and a model answer around it); a released notebook shows neither.
The sheet puts, for each written answer, the scheme and the model answer first, then each
student's text (from ``autograded/``, else ``submitted/``), all HTML-escaped, so a grader
reads them side by side and enters the points in the formgrader's *Manual Grading* view.

>>> write_marking_sheet("04-evaluating-models-for-clinical-use")        # doctest: +SKIP
(PosixPath('autograder/marking/04-evaluating-models-for-clinical-use.html'), 12)
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["WrittenAnswer", "written_answers", "render_marking_sheet", "write_marking_sheet",
           "split_mark_scheme"]

_SCHEME = re.compile(r"=== BEGIN MARK SCHEME ===(.*?)=== END MARK SCHEME ===", re.DOTALL)
_STUB = "YOUR ANSWER HERE"


@dataclass
class WrittenAnswer:
    """One written-answer cell of a lab: its scheme, model answer and every student's text."""

    notebook: str
    grade_id: str
    points: float
    scheme: str
    model: str
    answers: dict[str, str] = field(default_factory=dict)  # student -> text ("" if none)


def split_mark_scheme(source: str) -> tuple[str, str]:
    """(mark scheme, model answer) of a master's written-answer cell.

    >>> split_mark_scheme("=== BEGIN MARK SCHEME ===\\n1 point: a reason\\n=== END MARK SCHEME ===\\nModel.")
    ('1 point: a reason', 'Model.')
    """
    scheme = "\n\n".join(part.strip() for part in _SCHEME.findall(source))
    return scheme, _SCHEME.sub("", source).strip()


def _written_cells(notebook) -> list:
    return [c for c in notebook.cells if c.cell_type == "markdown"
            and c.metadata.get("nbgrader", {}).get("solution") and c.metadata["nbgrader"].get("points")]


def written_answers(lab: str, course: Path) -> list[WrittenAnswer]:
    """Every written-answer cell of ``lab``'s master notebooks, with each student's answer."""
    import nbformat

    course = Path(course)
    masters = sorted((course / "source" / lab).glob("*.ipynb"))
    if not masters:
        known = sorted(p.name for p in (course / "source").iterdir() if p.is_dir()) \
            if (course / "source").is_dir() else []
        raise ValueError(f"no lab {lab!r} in {course / 'source'}; the labs: {', '.join(known) or '(none)'}")
    students = sorted({p.parent.name for origin in ("autograded", "submitted")
                       for p in (course / origin).glob(f"*/{lab}") if p.is_dir()})
    result = []
    for master in masters:
        for cell in _written_cells(nbformat.read(master, as_version=4)):
            meta = cell.metadata["nbgrader"]
            scheme, model = split_mark_scheme(cell.source)
            result.append(WrittenAnswer(master.stem, meta["grade_id"], float(meta["points"]), scheme, model))
    for student in students:
        for origin in ("autograded", "submitted"):
            groups = {}
            for answer in result:
                path = course / origin / student / lab / f"{answer.notebook}.ipynb"
                if path.is_file():
                    groups.setdefault(path, []).append(answer)
            if groups:
                break
        for path, answers in groups.items():
            try:
                cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source
                         for c in nbformat.read(path, as_version=4).cells}
            except Exception as exc:  # an unreadable notebook: say so on the sheet
                cells = {a.grade_id: f"(the notebook {path.name} cannot be read: {exc})" for a in answers}
            for answer in answers:
                answer.answers[student] = cells.get(answer.grade_id, "(no such cell: the student deleted it)")
    return result


def _block(text: str, css: str) -> str:
    return f'<div class="{css}">{html.escape(text) if text.strip() else "<em>(empty)</em>"}</div>'


def render_marking_sheet(lab: str, answers: list[WrittenAnswer]) -> str:
    """The marking sheet as a standalone HTML page (every text escaped)."""
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Marking: {html.escape(lab)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;line-height:1.45}"
        ".scheme{background:#fff6d5;border-left:4px solid #b8860b;padding:.6em 1em;white-space:pre-wrap}"
        ".model{background:#eef5ff;border-left:4px solid #2b6cb0;padding:.6em 1em;white-space:pre-wrap}"
        ".answer{border-left:4px solid #888;padding:.4em 1em;white-space:pre-wrap}"
        "h3{margin-bottom:.2em}.stub{color:#a00}</style></head><body>",
        f"<h1>Marking written answers: {html.escape(lab)}</h1>",
        "<p>For graders. Each written answer's mark scheme and model answer, then every "
        "student's answer. Enter the points in the formgrader (Manual Grading). "
        "Not for students: it shows the mark schemes.</p>",
    ]
    for answer in answers:
        parts += [f'<h2 id="{html.escape(answer.grade_id)}">{html.escape(answer.notebook)}: '
                  f"{html.escape(answer.grade_id)} ({answer.points:g} points)</h2>",
                  "<h3>Mark scheme</h3>", _block(answer.scheme or "(the master has no mark scheme)", "scheme"),
                  "<h3>Model answer</h3>", _block(answer.model, "model")]
        for student, text in sorted(answer.answers.items()):
            unanswered = text.strip() in ("", _STUB)
            flag = ' <span class="stub">(not answered)</span>' if unanswered else ""
            parts += [f"<h3>{html.escape(student)}{flag}</h3>", _block(text, "answer")]
        if not answer.answers:
            parts.append("<p><em>No submission has this answer yet.</em></p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_marking_sheet(lab: str, course: Path | None = None, out: Path | None = None) -> tuple[Path, int]:
    """Write the sheet (default ``<course>/marking/<lab>.html``, regenerated each time); returns
    the path and the number of student answers on it."""
    from ai2med_labs.paths import course_dir

    course = Path(course) if course is not None else course_dir()
    answers = written_answers(lab, course)
    out = Path(out) if out is not None else course / "marking" / f"{lab}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_marking_sheet(lab, answers), encoding="utf-8")
    return out, sum(len(a.answers) for a in answers)
