"""Shared test set-up: lab discovery, notebooks under pytest-xdist, nbgrader grading helpers.

Labs are discovered (every folder of ``autograder/source/`` with a notebook), never listed,
so a new lab is tested the moment its master exists.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ai2med_labs.course import discover_labs
from ai2med_labs.paths import repo_root

# Notebook kernels inherit this: with one xdist worker per core, a model that starts a thread
# per core in every kernel oversubscribes the machine and runs many times slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO = repo_root(Path(__file__).parent)
SOURCE = REPO / "autograder" / "source"
LABS_DIR = REPO / "labs"
LABS = discover_labs(SOURCE)


def lab_params(labs: list[str] = LABS) -> list:
    """``pytest.param`` per lab, so a failure names the lab; one skip if there are none."""
    if not labs:
        return [pytest.param(None, marks=pytest.mark.skip(reason="no labs in autograder/source/"))]
    return [pytest.param(lab, id=lab) for lab in labs]


def master_notebooks(lab: str) -> list[Path]:
    return sorted((SOURCE / lab).glob("*.ipynb"))


# --- notebooks under pytest-xdist ---------------------------------------------------------
# nbval runs the cells of one notebook as separate test items in one kernel, so they must
# all run in the same xdist worker; ``-n N`` alone (``--dist load``) would scatter them.
# With ``--dist load`` this scheduler keeps each notebook's cells together, and the Binder
# tests (one environment built per module) together, and spreads every other test one by
# one, so the per-lab grading tests share the cores. (``--dist loadgroup`` cannot do this
# here: pytest-xdist 3.8 no longer regroups items under pytest 9.2's node ids.)
KEEP_TOGETHER = ("tests/test_binder.py",)


def _xdist_scope(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    if path.endswith(".ipynb") or path.endswith(KEEP_TOGETHER):
        return path
    return nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if config.getvalue("dist") != "load":
        return None  # an explicit --dist choice is respected
    from xdist.scheduler import LoadScopeScheduling

    class NotebookAwareScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _xdist_scope(nodeid)

    return NotebookAwareScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.path)).suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)


# --- grading with nbgrader's own API ------------------------------------------------------


@dataclass
class CellScore:
    """One graded cell of an autograded submission, as the gradebook records it."""

    grade_id: str
    auto_score: float | None
    max_score: float
    outputs: list = field(default_factory=list)

    @property
    def autograded(self) -> bool:
        return self.auto_score is not None

    def why(self) -> str:
        """What the autograded notebook shows for this cell: the error, or stderr output."""
        errors = [o for o in self.outputs if o.get("output_type") == "error"]
        if errors:
            return f"raised {errors[0].get('ename')}: {str(errors[0].get('evalue'))[:500]}"
        stderr = [o for o in self.outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"]
        if stderr:
            text = "".join(o.get("text", "") for o in stderr).strip()
            return (
                "passed but wrote to stderr, and nbgrader gives ZERO to a test cell that writes "
                f"to stderr. Silence it at the source (fix the code that warns):\n    {text[:500]}"
            )
        return "no error and no stderr output in the autograded notebook"


@dataclass
class GradedSubmission:
    lab: str
    who: str
    notebooks: dict[str, list[CellScore]]
    #: (notebook, cell id, text) of every cell of the autograded notebooks that wrote to stderr
    stderr: list[tuple[str, str, str]] = field(default_factory=list)

    def cells(self) -> list[tuple[str, CellScore]]:
        return [(nb, cell) for nb, cells in self.notebooks.items() for cell in cells]


class GradingCourse:
    """A throw-away nbgrader course (own gradebook) where labs are released and autograded.

    One course serves many submissions: each lab is generated once, each submission gets
    its own student id, so the fixed cost of nbgrader (API, gradebook) is paid once.
    """

    def __init__(self, workdir: Path, source: Path = SOURCE) -> None:
        from ai2med_labs.course import nbgrader_api

        self.root = workdir / "course"
        self.source = source
        (self.root / "source").mkdir(parents=True)
        shutil.copy2(REPO / "autograder" / "nbgrader_config.py", self.root / "nbgrader_config.py")
        self.api = nbgrader_api(self.root)
        self._generated: set[str] = set()
        self._count = 0

    def _generate(self, lab: str) -> None:
        from ai2med_labs.course import _generate

        if lab not in self._generated:
            shutil.copytree(self.source / lab, self.root / "source" / lab,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
            _generate(self.api, lab)
            self._generated.add(lab)

    def autograde(
        self, lab: str, which: str, edit: Callable[[Any], None] | None = None
    ) -> GradedSubmission:
        """Autograde the master (``which="master"``) or the student release (``"release"``)
        of ``lab``; scores come from the gradebook, never from an exit code.

        The release is made by nbgrader's generate_assignment from the master, exactly as
        ``ai2med-labs release`` does; a submission is the whole lab folder (support files
        too). ``edit`` may change each submitted notebook first (wrong answers, say).
        """
        import nbformat
        from nbgrader.api import Gradebook

        self._generate(lab)
        self._count += 1
        student = f"{which}-{self._count}"
        root = self.root
        origin = root / ("source" if which == "master" else "release") / lab
        submitted = root / "submitted" / student / lab
        shutil.copytree(origin, submitted)
        if edit is not None:
            for path in submitted.glob("*.ipynb"):
                nb = nbformat.read(path, as_version=4)
                edit(nb)
                nbformat.write(nb, path)
        result = self.api.autograde(lab, student, force=True, create=True)
        assert result.get("success"), (
            f"{lab}: nbgrader could not autograde the {which}:\n{result.get('error') or ''}\n"
            f"{result.get('log') or ''}"
        )
        notebooks: dict[str, list[CellScore]] = {}
        stderr: list[tuple[str, str, str]] = []
        with Gradebook(self.api.coursedir.db_url, self.api.coursedir.course_id) as gb:
            submission = gb.find_submission(lab, student)
            for snb in submission.notebooks:
                graded_path = root / "autograded" / student / lab / f"{snb.name}.ipynb"
                graded = nbformat.read(graded_path, as_version=4)
                outputs = {
                    c.metadata.get("nbgrader", {}).get("grade_id"): c.get("outputs", [])
                    for c in graded.cells
                }
                for cell in graded.cells:
                    text = "".join(
                        o.get("text", "") for o in cell.get("outputs", [])
                        if o.get("output_type") == "stream" and o.get("name") == "stderr"
                    )
                    if text.strip():
                        stderr.append((snb.name, cell.get("id", "?"), text.strip()[:500]))
                notebooks[snb.name] = [
                    CellScore(g.name, g.auto_score, g.max_score, outputs.get(g.name, []))
                    for g in sorted(snb.grades, key=lambda g: g.name)
                ]
        return GradedSubmission(lab, which, notebooks, stderr)


@pytest.fixture(scope="module")
def grading_course(tmp_path_factory) -> GradingCourse:
    """One nbgrader course for all the grading tests of a module (and xdist worker)."""
    return GradingCourse(tmp_path_factory.mktemp("grading"))
