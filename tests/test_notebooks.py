"""The stored form and nbgrader metadata of every master and every released lab.

The masters themselves are executed top to bottom by nbval, from the same ``pytest``
command (``autograder/source`` is in ``testpaths``; see ``[tool.pytest.ini_options]``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import LABS_DIR, REPO, lab_params, master_notebooks

FIX_RELEASE = "then run `ai2med-labs release` to regenerate labs/"
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS",
           "### END HIDDEN TESTS", "=== BEGIN MARK SCHEME ===")


def _notebooks(lab: str, kind: str) -> list[Path]:
    if kind == "master":
        return master_notebooks(lab)
    return sorted((LABS_DIR / lab).glob("*.ipynb"))


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _stored_form_problems(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    problems = []
    if (nb.nbformat, nb.nbformat_minor) != (4, 5):
        problems.append(f"nbformat is {nb.nbformat}.{nb.nbformat_minor}, expected 4.5")
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        problems.append(f"not a valid notebook: {str(exc).splitlines()[0]}")
    ids = [c.get("id") for c in nb.cells]
    if not all(ids):
        problems.append(f"{ids.count(None) + ids.count('')} cell(s) without an id")
    dupes = sorted({i for i in ids if i and ids.count(i) > 1})
    if dupes:
        problems.append(f"duplicate cell ids {dupes}")
    for n, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
            problems.append(f"cell {n} ({cell.get('id')}) has stored outputs or an execution count")
    if nb.metadata.get("kernelspec", {}).get("name") != "python3":
        problems.append("kernelspec is not python3")
    return problems


@pytest.mark.parametrize("kind", ["master", "release"])
@pytest.mark.parametrize("lab", lab_params())
def test_stored_without_outputs_as_nbformat_4_5(lab: str, kind: str) -> None:
    paths = _notebooks(lab, kind)
    assert paths, f"{lab}: no {kind} notebook" + ("" if kind == "master" else f"; {FIX_RELEASE}")
    problems = [f"{p.relative_to(REPO)}: {msg}" for p in paths for msg in _stored_form_problems(p)]
    fix = (
        "Clear outputs and save with JupyterLab 4 (nbformat 4.5 gives every cell an id)"
        if kind == "master"
        else "Fix the master if needed"
    )
    assert not problems, "\n".join(problems) + f"\n{fix}; {FIX_RELEASE}."


@pytest.mark.parametrize("kind", ["master", "release"])
@pytest.mark.parametrize("lab", lab_params())
def test_graded_cells_have_unique_ids_and_points(lab: str, kind: str) -> None:
    problems, seen, autograded_tests = [], {}, 0
    for path in _notebooks(lab, kind):
        nb = nbformat.read(path, as_version=4)
        for n, cell in enumerate(nb.cells):
            meta = _nbgrader(cell)
            if not meta or not (meta.get("grade") or meta.get("solution") or meta.get("task")):
                continue
            where = f"{path.name} cell {n}"
            grade_id = meta.get("grade_id")
            if not grade_id:
                problems.append(f"{where}: nbgrader cell without a grade_id")
            elif grade_id in seen:
                problems.append(f"{where}: grade_id {grade_id!r} already used by {seen[grade_id]}")
            else:
                seen[grade_id] = where
            if meta.get("grade") or meta.get("task"):
                points = meta.get("points")
                if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
                    problems.append(f"{where} ({grade_id}): graded cell needs points > 0, has {points!r}")
            if meta.get("grade") and not meta.get("solution") and cell.cell_type == "code":
                autograded_tests += 1
                if not meta.get("locked"):
                    problems.append(f"{where} ({grade_id}): test cell is not locked")
    if not problems and autograded_tests == 0:
        problems.append("no autograded test cell (grade=true, solution=false, points)")
    assert not problems, f"{lab} {kind}:\n  " + "\n  ".join(problems) + (
        "\nSet the metadata in JupyterLab's nbgrader 'Create Assignment' toolbar"
        + ("" if kind == "master" else f", {FIX_RELEASE}") + "."
    )


@pytest.mark.parametrize("lab", lab_params())
def test_master_solutions_and_hidden_tests_are_marked(lab: str) -> None:
    problems = []
    for path in master_notebooks(lab):
        for n, cell in enumerate(nbformat.read(path, as_version=4).cells):
            meta, src = _nbgrader(cell), cell.source
            for begin, end in (("### BEGIN SOLUTION", "### END SOLUTION"),
                               ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")):
                if src.count(begin) != src.count(end):
                    problems.append(f"{path.name} cell {n}: unbalanced {begin!r} / {end!r}")
            if meta.get("solution") and cell.cell_type == "code" and "### BEGIN SOLUTION" not in src:
                problems.append(f"{path.name} cell {n} ({meta.get('grade_id')}): code solution "
                                "cell without ### BEGIN SOLUTION (the whole cell would be blanked)")
            if "### BEGIN SOLUTION" in src and not meta.get("solution"):
                problems.append(f"{path.name} cell {n}: solution markers in a cell not marked as a solution")
            if "### BEGIN HIDDEN TESTS" in src and not meta.get("grade"):
                problems.append(f"{path.name} cell {n}: hidden tests in a cell that is not a test cell")
    assert not problems, f"{lab}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("lab", lab_params())
def test_release_has_no_solutions_or_hidden_tests(lab: str) -> None:
    leaks = [
        f"{path.name} cell {n}: contains {marker!r}"
        for path in _notebooks(lab, "release")
        for n, cell in enumerate(nbformat.read(path, as_version=4).cells)
        for marker in MARKERS
        if marker in cell.source
    ]
    assert not leaks, f"labs/{lab} gives away answers:\n  " + "\n  ".join(leaks) + f"\n{FIX_RELEASE}."


#: The introduction (lab 00) teaches how grading works with fewer, smaller exercises.
MIN_AUTOGRADED = {"00-getting-started": 3}
MIN_AUTOGRADED_DEFAULT = 5  # issues 3 and 4: at least five autograded exercises per lab


@pytest.mark.parametrize("lab", lab_params())
def test_master_has_enough_exercises_and_a_written_answer(lab: str) -> None:
    cells = [c for path in master_notebooks(lab) for c in nbformat.read(path, as_version=4).cells]
    autograded = [c for c in cells if _nbgrader(c).get("grade") and not _nbgrader(c).get("solution")]
    written = [c for c in cells if _nbgrader(c).get("grade") and _nbgrader(c).get("solution")]
    wanted = MIN_AUTOGRADED.get(lab, MIN_AUTOGRADED_DEFAULT)
    assert len(autograded) >= wanted, (
        f"{lab}: {len(autograded)} autograded test cell(s); the course asks for at least {wanted}"
    )
    assert written, (
        f"{lab}: no written answer graded by hand (a markdown cell with nbgrader grade and "
        "solution both true, and points): COURSE.md asks for one where judgement is the skill"
    )
    assert all(c.cell_type == "markdown" for c in written), (
        f"{lab}: a manually graded answer should be a markdown cell"
    )


@pytest.mark.parametrize("lab", lab_params())
def test_master_opens_with_objectives_and_ends_with_summary(lab: str) -> None:
    for path in master_notebooks(lab):
        cells = nbformat.read(path, as_version=4).cells
        text = [c.source.lower() for c in cells if c.cell_type == "markdown"]
        assert text, f"{path.name}: no text cells"
        top, tail = "\n".join(text[:3]), "\n".join(text[-3:])
        missing = [w for w in ("objectives", "prerequisites", "estimated time") if w not in top]
        missing += [w for w in ("summary", "further reading") if w not in tail and
                    not (w == "summary" and "key points" in tail)]
        assert not missing, (
            f"{lab}/{path.name}: COURSE.md asks for learning objectives, prerequisites and an "
            f"estimated time at the top and a summary and further reading at the end; missing: {missing}"
        )


def test_pytest_runs_every_master_under_nbval() -> None:
    """The README's `pytest` command executes the masters: keep this configuration."""
    if sys.version_info >= (3, 11):
        import tomllib

        config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
        testpaths, addopts = config["testpaths"], config["addopts"]
    else:  # pragma: no cover - Python 3.10 has no tomllib
        text = (REPO / "pyproject.toml").read_text()
        testpaths = re.search(r"^testpaths\s*=\s*(.*)$", text, re.M).group(1)
        addopts = re.search(r"^addopts\s*=\s*(.*)$", text, re.M).group(1)
    assert "autograder/source" in testpaths, "pytest must collect the masters in autograder/source"
    assert re.search(r"--nbval(-lax)?\b", addopts), "pytest must run notebooks with nbval"
