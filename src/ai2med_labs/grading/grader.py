"""Autograde a class's submissions of a lab with nbgrader, in parallel and in a sandbox.

nbgrader autogrades one notebook at a time, in one gradebook, with the student's code
running beside the gradebook and the masters. Here every submission is graded by
nbgrader's own ``autograde`` in a worker process, in a temporary copy of the course with
a gradebook of its own (the assignment only: no other student in it), and the kernel runs
in :mod:`ai2med_labs.grading.sandbox`. The parent merges each result into the real
gradebook through nbgrader's ``Gradebook`` API and writes the autograded notebooks to the
course's ``autograded/`` folder, so nbgrader's formgrader, feedback and export see an
ordinary autograded course.

>>> from ai2med_labs.grading import autograde
>>> run = autograde("00-getting-started", "autograder/submitted")   # doctest: +SKIP
>>> print(run.summary())                                             # doctest: +SKIP
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import warnings
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ai2med_labs.grading.sandbox import Isolation, Limits, isolation_available, readable_by_others
from ai2med_labs.grading.submissions import Submission, find_submissions, open_submissions

__all__ = ["Outcome", "GradingRun", "autograde", "ensure_assignment", "course_api",
           "GradingError", "report_path", "load_report", "is_held"]

REPORT_DIR = ".ai2med-reports"


class GradingError(ValueError):
    """Grading could not start (no such lab, no gradebook entry); the message says why."""


@dataclass
class Outcome:
    """What happened to one student's submission."""

    student: str
    graded: bool
    score: float = 0.0
    max_score: float = 0.0
    #: why it was not graded (or why a notebook of it was not)
    reasons: list[str] = field(default_factory=list)
    #: what the grader repaired or noticed: restored cells, monkeypatching, a dead kernel
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: held for review by :mod:`ai2med_labs.grading.screening` (still graded)
    held: bool = False
    #: what was found and where, e.g. "cell ex1 line 3: sys.settrace (a tracing hook)"
    held_reasons: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.held:
            return "held for review: " + "; ".join(self.held_reasons)
        return "graded" if self.graded else "not graded"


@dataclass
class GradingRun:
    lab: str
    outcomes: list[Outcome]
    isolation: Isolation
    workers: int
    seconds: float

    @property
    def graded(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.graded]

    @property
    def not_graded(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.graded]

    @property
    def held(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.held]

    def summary(self) -> str:
        lines = [
            f"Autograded {self.lab}: {len(self.graded)} graded, {len(self.not_graded)} not graded "
            f"({len(self.outcomes)} submissions, {self.workers} worker(s), {self.seconds:.1f} s).",
            self.isolation.describe(),
        ]
        if self.not_graded:
            lines.append("Not graded (a score of zero is recorded):")
            lines += [f"  {o.student}: {'; '.join(o.reasons)}" for o in self.not_graded]
        if self.held:
            lines.append("Held for review (graded; the score waits for `ai2med-labs review`):")
            lines += [f"  {o.student}: {'; '.join(o.held_reasons)}" for o in self.held]
        noted = [o for o in self.graded if o.notes or o.reasons]
        if noted:
            lines.append("Graded, with notes:")
            for o in noted:
                for text in o.reasons + o.notes:
                    lines.append(f"  {o.student}: {text}")
        return "\n".join(lines)


# --- nbgrader course helpers ---------------------------------------------------------------

def course_api(root: Path, extra: Any = None, *, log_level: str = "WARN") -> Any:
    """An ``NbGraderAPI`` for the course at ``root`` with ``extra`` config on top: the one
    builder in :func:`ai2med_labs.course.nbgrader_api` (every grading course has its config)."""
    from ai2med_labs.course import nbgrader_api

    return nbgrader_api(root, extra, log_level=log_level)


def _gradebook(api: Any):
    from nbgrader.api import Gradebook

    return Gradebook(api.coursedir.db_url, api.coursedir.course_id)


def ensure_assignment(course: Path, lab: str) -> None:
    """Make sure the gradebook of ``course`` knows ``lab`` (cells, points, hidden tests).

    If not, nbgrader's ``generate_assignment`` runs on the master in a temporary folder
    with the course's gradebook, as ``nbgrader generate_assignment`` would, leaving no
    ``release/`` folder behind.
    """
    from nbgrader.api import MissingEntry
    from traitlets.config import Config

    api = course_api(course)
    with _gradebook(api) as gb:
        try:
            gb.find_assignment(lab)
            return
        except MissingEntry:
            pass
    master = Path(course) / "source" / lab
    if not any(master.glob("*.ipynb")):
        raise GradingError(
            f"no lab {lab!r}: the gradebook has no such assignment and there is no master "
            f"in {master}. Known labs: {', '.join(_known_labs(course)) or '(none)'}"
        )
    with tempfile.TemporaryDirectory(prefix="ai2med-generate-") as tmp:
        root = Path(tmp)
        shutil.copytree(master, root / "source" / lab)
        shutil.copy2(Path(course) / "nbgrader_config.py", root / "nbgrader_config.py")
        extra = Config()
        extra.CourseDirectory.db_url = api.coursedir.db_url
        result = course_api(root, extra).generate_assignment(lab, force=True, create=True)
        if not result.get("success"):
            raise GradingError(f"nbgrader could not add {lab} to the gradebook:\n"
                               f"{result.get('error') or ''}{result.get('log') or ''}")


def require_gradebook(course: Path) -> None:
    """Raise a clear error (instead of letting nbgrader create an empty gradebook) when the
    course has not been graded yet."""
    if not (Path(course) / "gradebook.db").is_file():
        raise GradingError(
            f"no gradebook in {course}: nothing has been graded yet. Run "
            "`ai2med-labs autograde LAB --submissions DIR` first."
        )


def _known_labs(course: Path) -> list[str]:
    source = Path(course) / "source"
    return sorted(p.name for p in source.iterdir() if p.is_dir()) if source.is_dir() else []


def _template_gradebook(api: Any, dest: Path) -> None:
    """A copy of the gradebook without any student: what a worker's course starts from."""
    src_path = api.coursedir.db_url.replace("sqlite:///", "", 1)
    with sqlite3.connect(src_path) as src, sqlite3.connect(dest) as dst:
        src.backup(dst)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{dest}", api.coursedir.course_id) as gb:
        for student in list(gb.students):
            gb.remove_student(student.id)


# --- the worker ----------------------------------------------------------------------------

_COUNTER = {"n": 0}


def _grade_one(task: dict[str, Any]) -> dict[str, Any]:
    """Grade one submission in a throw-away course; return plain data for the parent."""
    import nbformat
    from nbgrader.api import Gradebook
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import Execute, LimitOutput
    from traitlets.config import Config

    from ai2med_labs.grading.sandbox import grading_classes, repair_submission, uid_for

    started = time.monotonic()
    lab, student = task["lab"], task["student"]
    limits: Limits = task["limits"]
    out: dict[str, Any] = {"student": student, "notes": [], "reasons": [], "files": {}}
    _COUNTER["n"] += 1
    uid = uid_for(os.getpid(), _COUNTER["n"]) if task["separate_user"] else -1
    tmp = Path(tempfile.mkdtemp(prefix="ai2med-grade-"))
    try:
        os.chmod(tmp, 0o711)
        course = tmp / "course"
        course.mkdir(mode=0o700)
        shutil.copy2(Path(task["course"]) / "nbgrader_config.py", course / "nbgrader_config.py")
        shutil.copyfile(task["template"], course / "gradebook.db")
        master = Path(task["course"]) / "source" / lab
        if master.is_dir():  # support files only: nbgrader copies them over the student's
            shutil.copytree(master, course / "source" / lab,
                            ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
        dest = course / "submitted" / student / lab
        shutil.copytree(task["folder"], dest, symlinks=True,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        for bad in task["invalid"]:
            (dest / bad).unlink(missing_ok=True)

        classes = grading_classes()
        cfg = Config()
        cfg.Autograde.autograde_preprocessors = [
            classes["SafeExecute"] if p is Execute else classes["SafeLimitOutput"] if p is LimitOutput
            else p for p in Autograde.class_traits()["autograde_preprocessors"].default()
        ]
        cfg.Execute.timeout = limits.cell_timeout
        cfg.SafeExecute.timeout = limits.cell_timeout
        cfg.SafeExecute.notebook_timeout = limits.notebook_timeout
        cfg.SafeExecute.output_limit = limits.output
        cfg.SafeLimitOutput.max_chars = limits.output
        cfg.OverwriteCells.add_missing_cells = True
        km = cfg.SandboxKernelManager
        km.sandbox_root = str(tmp / "sandbox")
        km.sandbox_uid = uid
        km.hide = list(task["hide"]) + ([str(course)] if task["hide"] else [])
        km.memory = limits.memory
        km.cpu = limits.notebook_timeout + 30
        km.fsize = limits.file_size
        km.nproc = limits.processes
        (tmp / "sandbox").mkdir(mode=0o711)
        api = course_api(course, cfg)

        with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
            assignment = gb.find_assignment(lab)
            gb_notebooks = {nb.name: nb for nb in assignment.notebooks}
            for path in sorted(dest.glob("*.ipynb")):
                if path.stem not in gb_notebooks:
                    continue
                nb = nbformat.read(path, as_version=4)
                for text in repair_submission(nb, gb_notebooks[path.stem]):
                    out["notes"].append(f"{path.name}: {text}")
                nbformat.write(nb, path, version=4)

        classes["SafeExecute"].events = []
        result = api.autograde(lab, student, force=True, create=True)
        for notebook, kind, detail in classes["SafeExecute"].events:
            if kind == "aborted":
                out["notes"].append(f"{notebook}.ipynb: grading stopped early: {detail}; "
                                    "the tests that did not run scored zero")
            else:
                grade_id, names = detail
                what = ("the grader's guard was removed" if names == ["guard-missing"]
                        else "replaced " + ", ".join(names[:6]) + ("..." if len(names) > 6 else ""))
                out["notes"].append(f"{notebook}.ipynb: monkeypatching before test {grade_id!r} "
                                    f"({what}); restored before the test ran")
        if not result.get("success"):
            log = (result.get("log") or "") + (result.get("error") or "")
            out["reasons"].append("nbgrader could not autograde it: " + _last_error(log))
            return out

        grades: dict[str, dict[str, Any]] = {}
        with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
            sub = gb.find_submission(lab, student)
            out["timestamp"] = sub.timestamp.isoformat() if sub.timestamp else None
            for snb in sub.notebooks:
                grades[snb.name] = {
                    "grades": {g.name: g.auto_score for g in snb.grades},
                    "comments": {c.name: c.auto_comment for c in snb.comments},
                    "late_penalty": snb.late_submission_penalty,
                }
        out["grades"] = grades
        graded_dir = course / "autograded" / student / lab
        for path in sorted(graded_dir.rglob("*")):
            if path.is_file() and not path.is_symlink():
                out["files"][str(path.relative_to(graded_dir))] = path.read_bytes()
        return out
    except Exception as exc:  # never let one submission stop the class
        out["reasons"].append(f"grading failed: {type(exc).__name__}: {str(exc)[:500]}")
        return out
    finally:
        if uid >= 0:
            _kill_uid(uid)
        shutil.rmtree(tmp, ignore_errors=True)
        out["seconds"] = time.monotonic() - started


def _kill_uid(uid: int) -> None:
    import signal

    if not os.path.isdir("/proc"):
        return
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass


def _last_error(log: str) -> str:
    """The most telling line of nbgrader's log: the last exception that is not nbgrader's
    own "see the traceback above"."""
    import re

    lines = [ln.strip() for ln in log.strip().splitlines() if ln.strip()]
    pattern = re.compile(r"^[\w.]*(Error|Exception)\b.*")
    for line in reversed(lines):
        if pattern.match(line) and "NbGraderException" not in line:
            return line[:300]
    return (lines[-1] if lines else "no log")[:300]


# --- the parent ----------------------------------------------------------------------------

def _check_json(sub: Submission) -> tuple[list[str], list[str]]:
    """Names of notebooks that are not readable notebooks, and why."""
    import nbformat

    invalid, reasons = [], []
    for path in sub.notebooks:
        try:
            text = path.read_text(encoding="utf-8")
            json.loads(text)
            nb = nbformat.reads(text, as_version=4)
            if not isinstance(nb.get("cells"), list):
                raise ValueError("no list of cells")
        except UnicodeDecodeError:
            invalid.append(path.name)
            reasons.append(f"{path.name} is not text (UTF-8)")
        except json.JSONDecodeError as exc:
            invalid.append(path.name)
            reasons.append(f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                           f"{exc.msg}); was it edited outside Jupyter or truncated?")
        except Exception as exc:
            invalid.append(path.name)
            reasons.append(f"{path.name} is not a readable notebook ({type(exc).__name__}: "
                           f"{str(exc)[:200]})")
    return invalid, reasons


def _merge(gb: Any, lab: str, result: dict[str, Any]) -> tuple[float, float]:
    """Write one worker's result into the real gradebook (nbgrader's Gradebook API)."""
    from nbgrader.api import MissingEntry

    student = result["student"]
    gb.update_or_create_student(student)
    kwargs = {}
    if result.get("timestamp"):
        kwargs["timestamp"] = datetime.fromisoformat(result["timestamp"])
    sub = gb.update_or_create_submission(lab, student, **kwargs)
    graded = result.get("grades")
    for snb in sub.notebooks:
        data = (graded or {}).get(snb.name)
        for grade in snb.grades:
            if data is None:  # not graded, or this notebook missing: nbgrader's zero
                grade.auto_score = 0.0
                grade.needs_manual_grade = False
            else:
                grade.auto_score = data["grades"].get(grade.name)
                grade.needs_manual_grade = (grade.manual_score is not None
                                            or grade.auto_score is None)
        for comment in snb.comments:
            if data is not None:
                comment.auto_comment = data["comments"].get(comment.name)
        snb.late_submission_penalty = (data or {}).get("late_penalty")
    gb.db.commit()
    try:
        sub = gb.find_submission(lab, student)
        return float(sub.score), float(sub.max_score)
    except MissingEntry:  # pragma: no cover
        return 0.0, 0.0


def report_path(course: Path, lab: str) -> Path:
    return Path(course) / "autograded" / REPORT_DIR / f"{lab}.json"


def load_report(course: Path, lab: str) -> dict[str, Any]:
    path = report_path(course, lab)
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _screen(course: Path, lab: str, sub: Submission, invalid: list[str]) -> list[str]:
    """Screening findings for a submission's readable notebooks, each "notebook? cell..."."""
    import nbformat

    from ai2med_labs.grading.screening import screen_notebook

    found: list[str] = []
    for path in sub.notebooks:
        if path.name in invalid:
            continue
        master_path = Path(course) / "source" / lab / path.name
        try:
            nb = nbformat.read(path, as_version=4)
            master = nbformat.read(master_path, as_version=4) if master_path.is_file() else None
        except Exception:
            continue
        prefix = f"{path.name} " if len(sub.notebooks) > 1 else ""
        found += [prefix + str(f) for f in screen_notebook(nb, master)]
    return found


def is_held(course: Path | str, lab: str, student: str) -> bool:
    """Whether ``student``'s submission of ``lab`` is held for review (its score must not be
    exported or fed back until an instructor runs ``ai2med-labs review``).

    >>> is_held("autograder", "00-getting-started", "nobody")   # doctest: +SKIP
    False
    """
    entry = load_report(Path(course), lab).get(student) or {}
    return bool(entry.get("held"))


def _save_report(course: Path, lab: str, outcomes: Iterable[Outcome]) -> None:
    path = report_path(course, lab)
    path.parent.mkdir(parents=True, exist_ok=True)
    report = load_report(course, lab)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for o in outcomes:
        entry = {**asdict(o), "status": o.status, "graded_at": now}
        history = (report.get(o.student) or {}).get("review_history")
        if history:  # nothing is lost across regrades
            entry["review_history"] = history
        report[o.student] = entry
    path.write_text(json.dumps(report, indent=1, sort_keys=True), encoding="utf-8")


def default_workers() -> int:
    """Two graders per core: each alternates between nbgrader's own work and waiting for its
    kernel, so one per core leaves the cores idle about half the time."""
    return 2 * (os.cpu_count() or 1)


def default_hide(course: Path, submissions: Path) -> list[str]:
    """Folders a student's kernel must not see: the course (masters, gradebook, every
    submission), the repository's course, the submissions being graded, and git history."""
    hide = [Path(course).resolve(), Path(submissions).resolve()]
    try:  # the repository's own course too, when grading a copy of it
        from ai2med_labs.paths import course_dir

        hide.append(course_dir().resolve())
    except FileNotFoundError:
        pass
    for folder in list(hide[:1] + hide[2:]):
        git = folder.parent / ".git"
        if git.exists():
            hide.append(git)
    # Outer folders first would hide the inner ones before they are mounted: inner first.
    unique = sorted({str(h) for h in hide}, key=len, reverse=True)
    return unique


def autograde(
    lab: str,
    submissions: Path | str,
    *,
    course: Path | str | None = None,
    workers: int | None = None,
    limits: Limits | None = None,
    sandbox: bool = True,
    students: Iterable[str] | None = None,
    progress: bool = True,
    hide: Iterable[Path | str] = (),
) -> GradingRun:
    """Autograde every ``<student>/<lab>/`` in ``submissions`` (a folder or a zip).

    Results go to the course's gradebook and ``autograded/`` folder; the returned
    :class:`GradingRun` says what was graded and what not, and why. ``workers`` defaults to
    two per core; ``sandbox=False`` runs student code without isolation (trusted
    notebooks only); ``hide`` adds folders the kernels must not see. Nothing in
    ``submissions`` is changed.
    """
    from ai2med_labs.paths import course_dir

    started = time.monotonic()
    course_path = Path(course) if course is not None else course_dir()
    if not (course_path / "nbgrader_config.py").is_file():
        raise GradingError(f"{course_path} is not an nbgrader course (no nbgrader_config.py)")
    limits = limits or Limits()
    ensure_assignment(course_path, lab)
    api = course_api(course_path)
    folder, tmp_zip = open_submissions(Path(submissions), lab)
    try:
        subs = find_submissions(folder, lab)
        if students is not None:
            wanted = set(students)
            subs = [s for s in subs if s.student in wanted]
        iso = isolation_available(sandbox)
        data = os.environ.get("AI2MED_DATA_DIR")
        if iso.separate_user and data and not readable_by_others(Path(data)):
            iso = Isolation(iso.separate_user, iso.hide_paths, iso.notes + [
                f"AI2MED_DATA_DIR={data} is not readable by other users, so the graded "
                "notebooks cannot load the cohort: chmod -R o+rX it (it is synthetic)"])
        hidden = default_hide(course_path, folder) + [str(Path(h).resolve()) for h in hide]
        hidden = sorted(set(hidden), key=len, reverse=True) if iso.hide_paths else []
        if data and any(Path(data).resolve() == Path(h) or Path(h) in Path(data).resolve().parents
                        for h in hidden):
            iso = Isolation(iso.separate_user, iso.hide_paths, iso.notes + [
                f"AI2MED_DATA_DIR={data} lies in a folder hidden from student code (the course "
                "or the submissions): the notebooks cannot load the cohort; move it elsewhere"])
        n_workers = max(1, min(workers or default_workers(), max(1, len(subs))))
        outcomes: list[Outcome] = []
        tasks = []
        held_by: dict[str, list[str]] = {}
        with tempfile.TemporaryDirectory(prefix="ai2med-template-") as tdir:
            template = Path(tdir) / "gradebook.db"
            _template_gradebook(api, template)
            for sub in subs:
                if sub.problem:
                    outcomes.append(Outcome(sub.student, False, reasons=[sub.problem]))
                    continue
                invalid, reasons = _check_json(sub)
                if len(invalid) == len(sub.notebooks):
                    outcomes.append(Outcome(sub.student, False, reasons=reasons))
                    continue
                tasks.append(({
                    "lab": lab, "student": sub.student, "folder": str(sub.folder),
                    "course": str(course_path.resolve()), "template": str(template),
                    "invalid": invalid, "limits": limits, "hide": hidden,
                    "separate_user": iso.separate_user,
                }, sub, reasons))
                held_by[sub.student] = _screen(course_path, lab, sub, invalid)
            results = _run_tasks([t for t, _, _ in tasks], n_workers, progress, lab)
        by_student = {t["student"]: (sub, reasons) for t, sub, reasons in tasks}
        with warnings.catch_warnings(), _gradebook(api) as gb:
            warnings.simplefilter("ignore")  # nbgrader's own SQLAlchemy warnings
            for result in results:
                sub, reasons = by_student[result["student"]]
                outcome = Outcome(sub.student, not result["reasons"],
                                  reasons=reasons + result["reasons"], notes=result["notes"],
                                  seconds=result.get("seconds", 0.0))
                if held_by.get(sub.student):
                    outcome.held, outcome.held_reasons = True, held_by[sub.student]
                if outcome.graded:
                    _store(course_path, lab, sub, result)
                    outcome.score, outcome.max_score = _merge(gb, lab, result)
                outcomes.append(outcome)
            for outcome in outcomes:
                if not outcome.graded:
                    outcome.score, outcome.max_score = _merge(gb, lab, {"student": outcome.student})
        outcomes.sort(key=lambda o: o.student)
        _save_report(course_path, lab, outcomes)
        return GradingRun(lab, outcomes, iso, n_workers, time.monotonic() - started)
    finally:
        if tmp_zip is not None:
            tmp_zip.cleanup()


def _store(course: Path, lab: str, sub: Submission, result: dict[str, Any]) -> None:
    """The submitted copy (if it came from elsewhere) and the autograded notebooks."""
    submitted = course / "submitted" / sub.student / lab
    if submitted.resolve() != Path(sub.folder).resolve():
        if submitted.exists():
            shutil.rmtree(submitted)
        shutil.copytree(sub.folder, submitted, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    graded = course / "autograded" / sub.student / lab
    if graded.exists():
        shutil.rmtree(graded)
    for rel, data in result["files"].items():
        target = graded / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _run_tasks(tasks: list[dict[str, Any]], workers: int, progress: bool, lab: str) -> list[dict]:
    from ai2med_labs.progress import progress_bar

    bar = progress_bar(total=len(tasks), desc=f"autograde {lab}", unit="student", disable=not progress,
               file=sys.stderr)
    results: list[dict] = []
    try:
        if workers == 1 or len(tasks) <= 1:
            for task in tasks:
                results.append(_grade_one(task))
                bar.update(1)
            return results
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                 initializer=_worker_init) as pool:
            futures = {pool.submit(_grade_one, t): t for t in tasks}
            for future in as_completed(futures):
                try:
                    results.append(future.result())
                except Exception as exc:  # a worker died: report, never stop the class
                    task = futures[future]
                    results.append({"student": task["student"], "notes": [], "files": {},
                                    "reasons": [f"the grading worker failed: {exc!r}"]})
                bar.update(1)
    finally:
        bar.close()
    return results


def _worker_init() -> None:
    import logging

    logging.getLogger("traitlets").setLevel(logging.ERROR)
    import nbgrader.converters.autograde  # noqa: F401  (pay the import once per worker)
