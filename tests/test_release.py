"""``ai2med-labs release``: labs/ is in sync, output is deterministic, drift is named."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import LABS, LABS_DIR, REPO, SOURCE, lab_params

from ai2med_labs.cli import main
from ai2med_labs.course import (
    UnknownLabError,
    build_releases,
    check_releases,
    discover_labs,
    normalise_notebook,
    release,
    temporary_course,
)

FIX = "Run `ai2med-labs release` (or `ai2med-labs release LAB`) and commit labs/."


@pytest.fixture(scope="module")
def drift() -> dict[str, list[str]]:
    """``release --check`` once for every lab (one temporary course), shared by the tests."""
    return check_releases()


@pytest.mark.parametrize("lab", lab_params())
def test_labs_in_sync_with_masters(lab: str, drift) -> None:
    assert lab not in drift, (
        f"labs/{lab}/ does not match a fresh release of autograder/source/{lab}/:\n  "
        + "\n  ".join(drift[lab])
        + f"\n{FIX}"
    )


def test_no_released_lab_without_master(drift) -> None:
    orphans = sorted(set(drift) - set(LABS))
    assert not orphans, (
        f"labs/ has folders with no master in autograder/source/: {orphans}. {FIX}"
    )


def test_release_is_byte_for_byte_deterministic(tmp_path) -> None:
    if not LABS:
        pytest.skip("no labs")
    outputs = []
    for run in ("a", "b"):
        with temporary_course(LABS) as root:
            build_releases(root, LABS, tmp_path / run)
        outputs.append({p.relative_to(tmp_path / run): p.read_bytes()
                        for p in sorted((tmp_path / run).rglob("*")) if p.is_file()})
    assert outputs[0].keys() == outputs[1].keys()
    differ = [str(p) for p in outputs[0] if outputs[0][p] != outputs[1][p]]
    assert not differ, f"two releases of the same masters differ in: {differ}"


def test_discovery_finds_folders_with_notebooks_only(tmp_path) -> None:
    (tmp_path / "03-b").mkdir()
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "03-b" / "03-b.ipynb")
    (tmp_path / "01-a").mkdir()
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "01-a" / "whatever.ipynb")
    (tmp_path / "02-data-only").mkdir()
    (tmp_path / "02-data-only" / "notes.md").write_text("no notebook here")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / ".ipynb_checkpoints" / "x.ipynb")
    assert discover_labs(tmp_path) == ["01-a", "03-b"]
    assert discover_labs(SOURCE) == LABS


def test_normalise_strips_outputs_and_keeps_ids() -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("1 + 1", id="kept-id", execution_count=3,
                                  outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "2"})]),
        nbformat.v4.new_markdown_cell("text"),
    ])
    nb.nbformat_minor = 4
    del nb.cells[1]["id"]
    nb.cells[0].metadata["execution"] = {"iopub.status.busy": "2024-01-01T00:00:00"}
    first = normalise_notebook(nb, "lab", "nb")
    assert first.nbformat_minor == 5
    assert first.cells[0].id == "kept-id" and first.cells[0].outputs == []
    assert first.cells[0].execution_count is None and "execution" not in first.cells[0].metadata
    again = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1", id="kept-id"),
                                            nbformat.v4.new_markdown_cell("text")])
    del again.cells[1]["id"]
    assert normalise_notebook(again, "lab", "nb").cells[1].id == first.cells[1].id


# --- drift, missing and extra labs, in a copy of the repository ------------------------------


@pytest.fixture
def repo_copy(tmp_path, monkeypatch) -> Path:
    """A minimal copy of the course (config, one master, its release), used via AI2MED_REPO."""
    if not LABS:
        pytest.skip("no labs")
    lab = LABS[0]
    root = tmp_path / "repo"
    (root / "autograder" / "source").mkdir(parents=True)
    shutil.copy2(REPO / "autograder" / "nbgrader_config.py", root / "autograder")
    shutil.copytree(SOURCE / lab, root / "autograder" / "source" / lab)
    shutil.copytree(LABS_DIR / lab, root / "labs" / lab)
    monkeypatch.setenv("AI2MED_REPO", str(root))
    return root


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def test_check_names_drifted_missing_and_extra_labs(repo_copy, capsys) -> None:
    lab = LABS[0]
    before = _tree(repo_copy)
    assert release(check=True) == 0
    assert "in sync" in capsys.readouterr().out

    # Drift: a student-facing edit that did not go through the master.
    released = next((repo_copy / "labs" / lab).glob("*.ipynb"))
    nb = nbformat.read(released, as_version=4)
    nb.cells[0].source += "\nEdited by hand."
    nbformat.write(nb, released)
    # Extra: a lab whose master is gone.
    (repo_copy / "labs" / "98-retired").mkdir()
    nbformat.write(nbformat.v4.new_notebook(), repo_copy / "labs" / "98-retired" / "98-retired.ipynb")
    assert release(check=True) == 1
    err = capsys.readouterr().err
    assert f"{lab}: out of sync" in err and f"changed {released.name}" in err
    assert "98-retired" in err and "no master" in err
    assert "ai2med-labs release" in err
    assert nbformat.read(released, as_version=4).cells[0].source.endswith("Edited by hand.")  # unchanged

    # Missing: the release folder was never made.
    shutil.rmtree(repo_copy / "labs" / lab)
    assert main(["release", "--check"]) == 1
    assert f"missing: labs/{lab}/" in capsys.readouterr().err

    # `release` repairs everything, and leaves no nbgrader state in the course.
    assert main(["release"]) == 0
    assert release(check=True) == 0
    assert not (repo_copy / "labs" / "98-retired").exists()
    assert _tree(repo_copy) == before, "release left files behind or lost some"


def test_unknown_lab_is_a_clear_error(repo_copy, capsys) -> None:
    with pytest.raises(UnknownLabError, match="Known labs: .*" + LABS[0]):
        release(labs=["42-no-such-lab"])
    assert main(["release", "--check", "no-such-lab"]) == 2
    assert "no lab called 'no-such-lab'" in capsys.readouterr().err


def test_release_of_one_lab_by_path(repo_copy, capsys) -> None:
    assert main(["release", "--check", f"labs/{LABS[0]}/"]) == 0
