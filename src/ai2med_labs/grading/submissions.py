"""Find a class's submissions: a folder laid out like nbgrader's ``submitted/``, or a zip.

A folder holds ``<student>/<LAB>/<notebook>.ipynb`` (and any support files, and nbgrader's
``timestamp.txt``). A zip may hold the same layout (optionally inside one top folder), or
what a learning platform exports:

- Moodle ("Download all submissions"): ``<Full Name>_<participant id>_assignsubmission_file_/
  <notebook>.ipynb``: the student is ``<participant id>`` (what Moodle's feedback upload
  needs back);
- Canvas ("Download Submissions"): ``<login>_<user id>_<submission id>_<notebook>.ipynb`` flat
  (``late`` may follow the login): the student is ``<login>``.

What the platform records is kept: the student's full name, login and platform ids go to
``<student>/<lab>/.lms.json`` (see :func:`lms_identity`), and the submission time, the
zip entry's modification time (both platforms stamp the file with its upload time; zip
times have no time zone, ``zip_timezone`` says which), to nbgrader's ``timestamp.txt``, so
the late penalty applies. Renamed uploads are accepted: ``lab (1).ipynb`` and ``lab-1.ipynb``
become ``lab.ipynb``, and a student's only notebook, whatever its name, becomes the lab's
notebook when the lab has one (``expected``). Nothing is overwritten: when the right name is
taken, the renamed file keeps its name.

Nothing in the input is changed: a zip is unpacked (with size and path checks) into a
temporary folder.

>>> find_submissions("autograder/submitted", "00-getting-started")   # doctest: +SKIP
[Submission(student='alice', ...), ...]
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Submission", "SubmissionError", "find_submissions", "unpack_zip", "valid_student_id",
           "lms_identity", "LMS_FILE"]

# Letters of any alphabet (é, ü, ø ...), digits and _.@+- : nbgrader stores ids as text and
# uses them as folder names, which take any letter.
_STUDENT_ID = re.compile(r"^[^\W_][\w.@+-]{0,63}$")
LMS_FILE = ".lms.json"
_RENAMED = re.compile(r"^(?P<stem>.+?)(?: \(\d+\)|-\d+)(?P<ext>\.ipynb)$")
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

    >>> valid_student_id("alice_01"), valid_student_id("../bob"), valid_student_id("zoë.müller")
    (True, False, True)
    """
    return bool(_STUDENT_ID.match(name)) and name not in {".", ".."}


def lms_identity(submission_folder: Path) -> dict:
    """What the platform said about a submission unpacked from its zip (``{}`` if nothing):
    ``lms`` ("moodle" or "canvas"), ``full_name``, ``participant_id`` (Moodle), ``login``,
    ``user_id``, ``late`` (Canvas), ``folder`` (the name in the download)."""
    path = Path(submission_folder) / LMS_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _expected_notebooks(lab: str) -> list[str]:
    """The notebook names of ``lab``'s master, when this runs in the course repository."""
    try:
        from ai2med_labs.paths import course_dir

        return sorted(p.name for p in (course_dir() / "source" / lab).glob("*.ipynb"))
    except Exception:  # not in a course: renamed files are then only un-suffixed
        return []


def unpack_zip(archive: Path, lab: str, dest: Path, expected: list[str] | None = None,
               zip_timezone: dt.tzinfo = dt.timezone.utc) -> Path:
    """Unpack an LMS or nbgrader zip into ``dest/<student>/<lab>/`` and return ``dest``.

    ``expected``: the lab's notebook names (default: from the course's master, if found).
    """
    expected = _expected_notebooks(lab) if expected is None else expected
    identities: dict[Path, dict] = {}
    times: dict[Path, dt.datetime] = {}
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
            identity = _identity(parts)
            folder = dest.joinpath(*target.parts[:2])  # dest/<student>/<lab>
            if identity:
                identities[folder] = identity
                stamp = dt.datetime(*member.date_time, tzinfo=zip_timezone).astimezone(dt.timezone.utc)
                times[folder] = max(times.get(folder, stamp), stamp)
            out = dest / target
            out.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst)
    for folder, identity in identities.items():
        (folder / LMS_FILE).write_text(json.dumps(identity, ensure_ascii=False, indent=1), encoding="utf-8")
        stamp = folder / "timestamp.txt"
        if not stamp.exists():  # nbgrader's own file, if the zip had one, wins
            stamp.write_text(times[folder].strftime("%Y-%m-%d %H:%M:%S.%f UTC"), encoding="utf-8")
    for lab_dir in sorted({p.parent for p in dest.glob(f"*/{lab}/*.ipynb")}):
        _undo_renames(lab_dir, expected)
    return dest


def _identity(parts: list[str]) -> dict:
    """The platform's record of a student, from a zip member's path (``{}`` for nbgrader's layout)."""
    if len(parts) >= 2:
        moodle = _MOODLE.match(parts[0])
        if moodle:
            return {"lms": "moodle", "full_name": moodle.group("name"),
                    "participant_id": moodle.group("id"), "folder": parts[0]}
        return {}
    canvas = _CANVAS.match(parts[0])
    if canvas:
        return {"lms": "canvas", "login": canvas.group("login"), "user_id": canvas.group("id"),
                "submission_id": canvas.group("sub"), "late": "_late_" in parts[0]}
    return {}


def _undo_renames(lab_dir: Path, expected: list[str]) -> None:
    """``lab (1).ipynb`` / ``lab-1.ipynb`` -> ``lab.ipynb``; a lone notebook -> the lab's one."""
    for path in sorted(lab_dir.glob("*.ipynb")):
        match = _RENAMED.match(path.name)
        if match and path.name not in expected:
            target = lab_dir / (match.group("stem") + match.group("ext"))
            if not target.exists():
                path.rename(target)
    notebooks = sorted(lab_dir.glob("*.ipynb"))
    if len(expected) == 1 and len(notebooks) == 1 and notebooks[0].name != expected[0]:
        notebooks[0].rename(lab_dir / expected[0])


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
