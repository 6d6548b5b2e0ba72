"""Find a class's submissions: a folder laid out like nbgrader's ``submitted/``, or a zip.

A folder holds ``<student>/<LAB>/<notebook>.ipynb`` (and any support files, and nbgrader's
``timestamp.txt``). A zip may hold the same layout (optionally inside one top folder), or
what a learning platform exports:

- Moodle: ``<Full Name>_<id>_assignsubmission_file_/<notebook>.ipynb``: the student is ``<id>``;
- Canvas: ``<login>_<id>_<sub>_<notebook>.ipynb`` flat (``late`` may follow the login):
  the student is ``<login>``.

Nothing in the input is changed: a zip is unpacked (with size and path checks) into a
temporary folder.

>>> find_submissions("autograder/submitted", "00-getting-started")   # doctest: +SKIP
[Submission(student='alice', ...), ...]
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Submission", "SubmissionError", "find_submissions", "unpack_zip", "valid_student_id"]

_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}$")
MAX_ZIP_BYTES = 2 * 1024**3
MAX_NOTEBOOK_BYTES = 50 * 1024**2


class SubmissionError(ValueError):
    """The submissions could not be read; the message says what to fix."""


@dataclass
class Submission:
    """One student's submission of a lab: a folder with their notebooks (and files)."""

    student: str
    folder: Path
    #: why it cannot be graded at all (empty when it can)
    problem: str = ""
    notebooks: list[Path] = field(default_factory=list)


def valid_student_id(name: str) -> bool:
    """nbgrader ids are used in paths and the database: letters, digits and ``_.@+-``.

    >>> valid_student_id("alice_01"), valid_student_id("../bob")
    (True, False)
    """
    return bool(_STUDENT_ID.match(name)) and name not in {".", ".."}


def unpack_zip(archive: Path, lab: str, dest: Path) -> Path:
    """Unpack an LMS or nbgrader zip into ``dest/<student>/<lab>/`` and return ``dest``."""
    archive = Path(archive)
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        raise SubmissionError(f"{archive} is not a zip file ({exc})") from None
    with zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        total = sum(m.file_size for m in members)
        if total > MAX_ZIP_BYTES:
            raise SubmissionError(f"{archive} unpacks to {total / 1e9:.1f} GB; more than a class")
        names = [m.filename for m in members]
        for name in names:
            parts = Path(name).parts
            if name.startswith("/") or ".." in parts:
                raise SubmissionError(f"{archive} holds an unsafe path {name!r}; refusing it")
        # Drop one common top folder (a zip of the submitted/ folder, say).
        split = [n.split("/") for n in names if not n.startswith("__MACOSX")]
        if split and all(len(p) > 1 for p in split) and len({p[0] for p in split}) == 1 \
                and not any(p[1] == lab for p in split):
            split = [p[1:] for p in split]
            strip = 1
        else:
            strip = 0
        for member in members:
            if member.filename.startswith("__MACOSX"):
                continue
            parts = member.filename.split("/")[strip:]
            target = _zip_target(parts, lab)
            if target is None:
                continue
            out = dest / target
            out.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst)
    return dest


_MOODLE = re.compile(r"^(?P<name>.+)_(?P<id>\d+)_assign\w*_?$")
_CANVAS = re.compile(r"^(?P<login>[A-Za-z0-9.@+-]+?)(?:_late)?_(?P<id>\d+)_(?P<sub>\d+)_(?P<file>.+)$")


def _zip_target(parts: list[str], lab: str) -> Path | None:
    """Where a zip member goes in the submitted/ layout, or None to skip it."""
    if len(parts) >= 3 and parts[1] == lab:                       # student/lab/file
        return Path(*parts)
    if len(parts) >= 2:
        moodle = _MOODLE.match(parts[0])
        student = moodle.group("id") if moodle else parts[0]      # student/file (no lab level)
        return Path(student, lab, *parts[1:])
    canvas = _CANVAS.match(parts[0])
    if canvas:
        name = re.sub(r"(-\d+)?(\.ipynb)$", r"\2", canvas.group("file"))  # Canvas adds -1 to resubmits
        return Path(canvas.group("login"), lab, name)
    return None


def find_submissions(folder: Path, lab: str) -> list[Submission]:
    """Every ``<student>/<lab>/`` under ``folder``; a problem is noted, never raised, so one
    bad submission does not stop the others."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SubmissionError(
            f"no submissions folder {folder}: give the folder that holds <student>/{lab}/ "
            "(nbgrader's submitted/ folder, say) or a zip exported from your learning platform"
        )
    found: list[Submission] = []
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        lab_dir = student_dir / lab
        if not lab_dir.is_dir():
            continue
        sub = Submission(student_dir.name, lab_dir)
        if not valid_student_id(student_dir.name):
            sub.problem = (f"student folder {student_dir.name!r} is not a usable id (letters, "
                           "digits and _.@+- only); rename it")
        elif lab_dir.is_symlink() or any(p.is_symlink() for p in lab_dir.rglob("*")):
            sub.problem = "the submission contains symbolic links; they are not graded"
        else:
            sub.notebooks = sorted(p for p in lab_dir.glob("*.ipynb"))
            if not sub.notebooks:
                sub.problem = "no notebook (.ipynb) in the submission"
            elif any(p.stat().st_size > MAX_NOTEBOOK_BYTES for p in sub.notebooks):
                sub.problem = f"a notebook is larger than {MAX_NOTEBOOK_BYTES // 1024**2} MB"
        found.append(sub)
    if not found:
        raise SubmissionError(
            f"no submissions of {lab} in {folder}: expected folders <student>/{lab}/ holding "
            "the student's notebook"
        )
    return found


def open_submissions(path: Path, lab: str) -> tuple[Path, tempfile.TemporaryDirectory | None]:
    """The folder to read submissions from: ``path`` itself, or a zip unpacked into a
    temporary folder (returned so the caller can clean it up)."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".zip":
        tmp = tempfile.TemporaryDirectory(prefix="ai2med-zip-")
        try:
            unpack_zip(path, lab, Path(tmp.name))
        except Exception:
            tmp.cleanup()
            raise
        return Path(tmp.name), tmp
    if path.is_file():
        raise SubmissionError(f"{path} is a file but not a .zip; give a folder or a zip")
    return path, None
