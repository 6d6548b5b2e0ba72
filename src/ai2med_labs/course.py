"""Release the labs: nbgrader masters in ``autograder/source/`` to student notebooks in ``labs/``.

``ai2med-labs release`` runs nbgrader's own *generate assignment* step (solutions and
hidden tests removed, cells locked, checksums recorded) on every master, in a temporary
copy of the course so that no gradebook or ``release/`` folder is left behind, then
writes the result to ``labs/<lab>/`` in a normal form (no outputs, nbformat 4.5, the
master's cell ids, stable JSON), byte for byte the same on every run.
``ai2med-labs release --check`` changes nothing and names each lab whose release is
missing, has drifted, or has no master.

A lab is any folder in ``autograder/source/`` that holds a notebook; there is no list to
keep up to date.

>>> from ai2med_labs.course import discover_labs, release
>>> discover_labs()                       # doctest: +SKIP
['00-getting-started', ...]
>>> release(check=True)                   # doctest: +SKIP
labs/ is in sync with the masters (1 lab).
0
"""

from __future__ import annotations

import difflib
import filecmp
import hashlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ai2med_labs.paths import course_dir, labs_dir

__all__ = [
    "ReleaseError",
    "UnknownLabError",
    "discover_labs",
    "normalise_notebook",
    "nbgrader_api",
    "temporary_course",
    "build_releases",
    "release",
]

#: Files and folders never copied into or compared in a release (editor and runtime litter).
IGNORED_NAMES = {".ipynb_checkpoints", "__pycache__", ".DS_Store", ".pytest_cache"}
IGNORED_SUFFIXES = (".pyc", ".db", ".db-journal", ".log")


class ReleaseError(ValueError):
    """nbgrader could not generate a lab's student version; the message says why."""


class UnknownLabError(ValueError):
    """A lab was named that has no master in ``autograder/source/``."""


def _ignored(path: Path) -> bool:
    return any(part in IGNORED_NAMES for part in path.parts) or path.name.endswith(IGNORED_SUFFIXES)


def discover_labs(source: Path | None = None) -> list[str]:
    """Every lab: each folder of ``autograder/source/`` that holds an ``.ipynb``, sorted.

    >>> discover_labs()                   # doctest: +SKIP
    ['00-getting-started']
    """
    source = Path(source) if source is not None else course_dir() / "source"
    if not source.is_dir():
        return []
    return sorted(
        p.name
        for p in source.iterdir()
        if p.is_dir() and not _ignored(p) and any(p.glob("*.ipynb"))
    )


def _resolve_labs(requested: Iterable[str] | None, available: list[str]) -> list[str]:
    if not requested:
        return list(available)
    chosen: list[str] = []
    for name in requested:
        # Accept "labs/00-getting-started/" or "autograder/source/00-getting-started" too.
        lab = Path(str(name).rstrip("/")).name
        if lab not in available:
            close = difflib.get_close_matches(lab, available, n=1) or [
                a for a in available if a[:3] == lab[:3] and lab[:2].isdigit()
            ]
            raise UnknownLabError(
                f"no lab called {name!r}: a lab is a folder in autograder/source/ that holds "
                f"a notebook. Known labs: {', '.join(available) or '(none)'}"
                + (f". Did you mean {close[0]!r}?" if close else ".")
            )
        if lab not in chosen:
            chosen.append(lab)
    return chosen


def _stable_cell_id(lab: str, notebook: str, index: int) -> str:
    digest = hashlib.sha1(f"{lab}/{notebook}/{index}".encode()).hexdigest()
    return digest[:12]


def normalise_notebook(nb: Any, lab: str = "", notebook: str = "") -> Any:
    """Put a notebook in the stored form of this course, in place, and return it.

    No outputs or execution counts, nbformat 4.5, every cell with an id (a master's id is
    kept; a missing one is derived from the lab, notebook and position, so it is the same
    on every run), and no per-run metadata such as execution timings.
    """
    nb.nbformat = 4
    nb.nbformat_minor = max(int(nb.get("nbformat_minor", 0)), 5)
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        cell_id = cell.get("id")
        if not cell_id or cell_id in seen:
            cell_id = _stable_cell_id(lab, notebook, index)
        cell["id"] = cell_id
        seen.add(cell_id)
        meta = cell.setdefault("metadata", {})
        for key in ("execution", "collapsed", "scrolled", "ExecuteTime"):
            meta.pop(key, None)
        if cell.cell_type == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    return nb


def dumps_notebook(nb: Any) -> str:
    """The stored text of a notebook: nbformat's JSON (sorted keys, indent 1) and a newline."""
    import nbformat

    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


def _scripts_on_path() -> None:
    """nbgrader runs the ``alembic`` script of its own environment by name; make sure the
    scripts folder of this Python is on ``PATH`` even when the environment is not activated."""
    scripts = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if scripts not in path.split(os.pathsep):
        os.environ["PATH"] = scripts + (os.pathsep + path if path else "")


def nbgrader_api(root: Path, extra: Any = None, *, log_level: str = "WARN") -> Any:
    """An ``nbgrader.apps.NbGraderAPI`` for the course at ``root``.

    The course's ``nbgrader_config.py`` (from ``root`` if it has one, else the repository's)
    is loaded, the course root is pointed at ``root``, so a temporary copy of the course has
    its own gradebook and release folders, and ``extra`` (a traitlets ``Config``) goes on top.
    Release and grading both build their API here.
    """
    try:
        from nbgrader.apps import NbGraderAPI
    except ImportError as exc:
        raise ReleaseError(
            "this command needs nbgrader, which is not installed: "
            "pip install 'ai2med-labs[course]' (or the [test] extra)"
        ) from exc
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    _scripts_on_path()
    root = Path(root).resolve()
    config_dir = root if (root / "nbgrader_config.py").is_file() else course_dir()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(config_dir)).load_config()
    overrides = Config()
    overrides.CourseDirectory.root = str(root)
    overrides.NbGraderAPI.log_level = log_level
    config.merge(overrides)
    if extra is not None:
        config.merge(extra)
    return NbGraderAPI(config=config)


@contextmanager
def temporary_course(labs: Iterable[str] | None = None) -> Iterator[Path]:
    """A throw-away copy of the nbgrader course (config and the masters of ``labs``).

    Yields the copy's root; it and its gradebook vanish afterwards.

    >>> with temporary_course(["00-getting-started"]) as root:   # doctest: +SKIP
    ...     api = nbgrader_api(root)
    """
    source_course = course_dir()
    available = discover_labs(source_course / "source")
    chosen = _resolve_labs(labs, available)
    with tempfile.TemporaryDirectory(prefix="ai2med-course-") as tmp:
        root = Path(tmp) / "course"
        (root / "source").mkdir(parents=True)
        shutil.copy2(source_course / "nbgrader_config.py", root / "nbgrader_config.py")
        for lab in chosen:
            shutil.copytree(
                source_course / "source" / lab,
                root / "source" / lab,
                ignore=lambda _d, names: [n for n in names if _ignored(Path(n))],
            )
        yield root


def _generate(api: Any, lab: str) -> None:
    result = api.generate_assignment(lab, force=True, create=True)
    if not result.get("success"):
        detail = (result.get("error") or "") + (result.get("log") or "")
        raise ReleaseError(
            f"nbgrader could not generate the student version of {lab!r}; fix the master "
            f"autograder/source/{lab}/ (nbgrader metadata, BEGIN/END SOLUTION markers) and "
            f"run `ai2med-labs release {lab}` again.\n{detail.strip()}"
        )


def build_releases(course_root: Path, labs: Iterable[str], out: Path) -> dict[str, Path]:
    """Generate the student version of each lab with nbgrader and write its normal form
    to ``out/<lab>/``. Returns the folder written for each lab."""
    import nbformat

    api = nbgrader_api(course_root)
    written: dict[str, Path] = {}
    for lab in labs:
        _generate(api, lab)
        generated = Path(course_root) / "release" / lab
        dest = Path(out) / lab
        if dest.exists():
            shutil.rmtree(dest)
        for path in sorted(generated.rglob("*")):
            rel = path.relative_to(generated)
            if path.is_dir() or _ignored(rel):
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if path.suffix == ".ipynb":
                nb = nbformat.read(path, as_version=4)
                normalise_notebook(nb, lab, path.stem)
                target.write_text(dumps_notebook(nb), encoding="utf-8", newline="\n")
            else:
                shutil.copyfile(path, target)
        written[lab] = dest
    return written


def _files(folder: Path) -> set[Path]:
    if not folder.is_dir():
        return set()
    return {
        p.relative_to(folder)
        for p in folder.rglob("*")
        if p.is_file() and not _ignored(p.relative_to(folder))
    }


def _diff(expected: Path, actual: Path) -> list[str]:
    """What differs between a fresh release and ``labs/<lab>``; empty when in sync."""
    want, have = _files(expected), _files(actual)
    problems = [f"missing {p.as_posix()}" for p in sorted(want - have)]
    problems += [f"extra {p.as_posix()}" for p in sorted(have - want)]
    problems += [
        f"changed {p.as_posix()}"
        for p in sorted(want & have)
        if not filecmp.cmp(expected / p, actual / p, shallow=False)
    ]
    return problems


def _released_lab_folders(labs_root: Path) -> list[str]:
    if not labs_root.is_dir():
        return []
    return sorted(
        p.name for p in labs_root.iterdir() if p.is_dir() and not _ignored(p) and any(p.rglob("*.ipynb"))
    )


def check_releases(labs: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Compare ``labs/`` with a fresh release of the masters, changing nothing.

    Returns ``{lab: [problem, ...]}`` for each lab that is missing, has drifted, or (when
    no labs are named) has a folder in ``labs/`` but no master. Empty when in sync.
    """
    available = discover_labs()
    chosen = _resolve_labs(labs, available)
    target = labs_dir()
    problems: dict[str, list[str]] = {}
    with temporary_course(chosen) as root:
        fresh = root / "_labs"
        build_releases(root, chosen, fresh)
        for lab in chosen:
            if not (target / lab).is_dir():
                problems[lab] = [f"missing: labs/{lab}/ does not exist"]
                continue
            diff = _diff(fresh / lab, target / lab)
            if diff:
                problems[lab] = [f"drifted: {d}" for d in diff]
    if not labs:
        for extra in sorted(set(_released_lab_folders(target)) - set(available)):
            problems[extra] = [f"extra: labs/{extra}/ has no master in autograder/source/{extra}/"]
    return problems


def release(check: bool = False, labs: list[str] | None = None) -> int:
    """Regenerate ``labs/`` from the masters (``check=False``), or only compare (``check=True``).

    Returns the exit code: 0 when done or in sync, 1 when ``check`` found drift. Raises
    :class:`UnknownLabError` for a lab name with no master.

    >>> release(check=True)               # doctest: +SKIP
    labs/ is in sync with the masters (1 lab).
    0
    """
    available = discover_labs()
    if not available:
        raise UnknownLabError(
            f"no labs found: expected folders with a master notebook in {course_dir() / 'source'}"
        )
    chosen = _resolve_labs(labs, available)
    if check:
        problems = check_releases(labs)
        if not problems:
            print(f"labs/ is in sync with the masters ({len(chosen)} lab{'s' * (len(chosen) != 1)}).")
            return 0
        for lab, items in problems.items():
            print(f"{lab}: out of sync", file=sys.stderr)
            for item in items:
                print(f"  - {item}", file=sys.stderr)
        print(
            f"{len(problems)} lab(s) out of sync: {', '.join(problems)}. "
            "Run `ai2med-labs release` to regenerate labs/ from autograder/source/, then commit.",
            file=sys.stderr,
        )
        return 1

    target = labs_dir()
    target.mkdir(exist_ok=True)
    with temporary_course(chosen) as root:
        fresh = root / "_labs"
        build_releases(root, chosen, fresh)
        for lab in chosen:
            dest = target / lab
            keep = {p for p in _files(dest)} if dest.exists() else set()
            new = _files(fresh / lab)
            for stale in sorted(keep - new):
                (dest / stale).unlink()
            for rel in sorted(new):
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(fresh / lab / rel, dest / rel)
            _prune_empty_dirs(dest)
            print(f"released {lab} -> labs/{lab}/")
    if not labs:
        for extra in sorted(set(_released_lab_folders(target)) - set(available)):
            shutil.rmtree(target / extra)
            print(f"removed labs/{extra}/: it has no master in autograder/source/")
    return 0


def _prune_empty_dirs(folder: Path) -> None:
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        if not any(sub.iterdir()):
            sub.rmdir()
