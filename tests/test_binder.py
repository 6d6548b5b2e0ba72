"""Binder, without Docker: build the environment from ``binder/`` as repo2docker would, run the labs.

repo2docker, with a ``binder/`` folder, reads only that folder: ``runtime.txt`` picks the
Python, and ``requirements.txt`` (which holds ``.``, a local reference) makes it copy the
repository and run ``pip install --no-cache-dir -r binder/requirements.txt`` from the
repository root, into an environment that already has JupyterLab and ipykernel; then
``binder/postBuild`` if there is one. This test does the same in a fresh virtual environment
made from a copy of the repository (the files git would clone), letting pip use its local
cache, then executes the labs in that environment's kernel:

- what Binder users open, lab 00's *release*: every cell runs, except that the answer cells
  raise ``NotImplementedError`` and the check cells after them fail, as they should before
  a student has answered;
- every *master*, top to bottom with no error: the solutions run with only the runtime
  dependencies, so no lab needs a package that Binder lacks.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import LABS, REPO, lab_params

pytestmark = pytest.mark.slow

BINDER = REPO / "binder"
REPO2DOCKER_FILES = {"requirements.txt", "runtime.txt", "postBuild", "apt.txt", "start", "README.md"}
#: What the Binder image already has (repo2docker's base environment: JupyterLab, notebook,
#: nbconvert), standing in for it: the kernel, and jinja2, which pandas' DataFrame.style needs.
IMAGE_BASE = ["ipykernel", "jinja2"]
#: Development and grading tools that must not be in the learners' image.
NOT_FOR_BINDER = ["nbgrader", "pytest", "nbval", "ruff", "pycanon", "faker"]
LAB00 = "00-getting-started"
ALLOWED_RELEASE_ERRORS = {"NotImplementedError", "CheckFailed", "NameError"}


def _runtime_version() -> str:
    text = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(3\.\d+)", text)
    assert match, f"binder/runtime.txt must read like 'python-3.11', not {text!r}"
    return match.group(1)


def _python_for(version: str) -> str | None:
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return sys.executable
    return shutil.which(f"python{version}")


def _repo_files() -> list[str]:
    """The files a clone would have: tracked plus new ones not ignored (work in progress)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=REPO, check=True, capture_output=True, text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: cannot tell which files a clone would have")
    return [f for f in out.split("\0") if f and (REPO / f).is_file()]


def _run(cmd: list[str], cwd: Path, env: dict[str, str], what: str) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, (
        f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{proc.stdout[-3000:]}\n"
        f"{proc.stderr[-3000:]}"
    )


def test_binder_folder_holds_repo2docker_files_only() -> None:
    files = {p.name for p in BINDER.iterdir()}
    assert {"requirements.txt", "runtime.txt"} <= files
    assert not files - REPO2DOCKER_FILES, f"unexpected files in binder/: {files - REPO2DOCKER_FILES}"
    assert not (BINDER / "environment.yml").exists(), "a conda environment.yml would replace pip"
    lines = [
        line.split("#")[0].strip()
        for line in (BINDER / "requirements.txt").read_text().splitlines()
    ]
    lines = [line for line in lines if line]
    assert "." in lines, "binder/requirements.txt must install this repository ('.')"
    heavy = [line for line in lines if any(tool in line.lower() for tool in NOT_FOR_BINDER)]
    assert not heavy, f"binder/requirements.txt installs development tools: {heavy}"
    _runtime_version()


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory) -> dict:
    """A fresh environment built from ``binder/`` in a copy of the repository."""
    version = _runtime_version()
    python = _python_for(version)
    if python is None:
        pytest.skip(f"binder/runtime.txt asks for Python {version}, which is not on this machine")
    base = tmp_path_factory.mktemp("binder")
    repo = base / "repo"
    for rel in _repo_files():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, repo / rel)
    venv = base / "venv"
    # The machine's pip settings (index, certificates) stay; nothing of this Python's own.
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "AI2MED_REPO")}
    _run([python, "-m", "venv", str(venv)], base, env, "creating the virtual environment")
    bindir = venv / "bin"
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    pip = [str(bindir / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    _run([*pip, "install", *IMAGE_BASE], repo, env, "installing the image's base (ipykernel, jinja2)")
    # repo2docker: pip install --no-cache-dir -r binder/requirements.txt (here the cache may serve)
    if (repo / "binder" / "requirements.txt").exists():
        _run([*pip, "install", "-r", "binder/requirements.txt"], repo, env,
             "pip install -r binder/requirements.txt")
    if (repo / "binder" / "postBuild").exists():
        _run(["bash", "binder/postBuild"], repo, env, "binder/postBuild")
    kernels = base / "kernels" / "ai2med-binder"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(bindir / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Binder environment",
        "language": "python",
        "env": {"PATH": env["PATH"], "VIRTUAL_ENV": str(venv)},
    }))
    return {"repo": repo, "venv": venv, "python": bindir / "python", "kernels": kernels.parent,
            "env": env}


def test_binder_env_is_lean_and_has_the_package(binder_env) -> None:
    probe = (
        "import importlib.util, json, ai2med_labs\n"
        "from ai2med_labs import load_cohort\n"
        "c = load_cohort()\n"
        f"print(json.dumps({{'file': ai2med_labs.__file__, 'patients': len(c.patients), "
        f"'absent': [m for m in {NOT_FOR_BINDER!r} if importlib.util.find_spec(m) is None]}}))\n"
    )
    proc = subprocess.run([str(binder_env["python"]), "-c", probe], cwd=binder_env["repo"] / "labs",
                          env=binder_env["env"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(info["file"]).resolve().is_relative_to(binder_env["venv"].resolve()), (
        f"ai2med_labs was imported from {info['file']}, not from the Binder environment"
    )
    assert info["patients"] > 0, "the packaged default cohort did not load"
    assert sorted(info["absent"]) == sorted(NOT_FOR_BINDER), (
        "development tools leaked into the Binder environment: "
        f"{sorted(set(NOT_FOR_BINDER) - set(info['absent']))}; keep them out of the runtime "
        "dependencies in pyproject.toml"
    )


def _execute(path: Path, binder_env: dict, allow_errors: bool) -> nbformat.NotebookNode:
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    # A last cell proves the kernel is the Binder environment's, not the test runner's.
    nb.cells.append(nbformat.v4.new_code_cell(
        "import sys as _s, ai2med_labs as _a\nprint('KERNEL', _s.prefix, _a.__file__)"
    ))
    km = KernelManager(
        kernel_name="ai2med-binder",
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(binder_env["kernels"])]),
    )
    client = NotebookClient(
        nb, km=km, timeout=600, allow_errors=allow_errors,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    probe = nb.cells.pop()
    text = "".join(o.get("text", "") for o in probe.get("outputs", []))
    venv = str(binder_env["venv"])
    assert text.count(venv) == 2, f"the kernel did not run in the Binder environment: {text!r}"
    return nb


def _errors(nb) -> list[tuple[int, dict, str]]:
    found = []
    for n, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append((n, cell.metadata.get("nbgrader", {}), out.get("ename")))
    return found


@pytest.mark.skipif(LAB00 not in LABS, reason="lab 00 is not in autograder/source/")
def test_lab00_release_runs_on_binder(binder_env) -> None:
    release = binder_env["repo"] / "labs" / LAB00
    assert release.is_dir(), f"labs/{LAB00} is missing: run `ai2med-labs release`"
    for path in sorted(release.glob("*.ipynb")):
        nb = _execute(path, binder_env, allow_errors=True)
        unexpected = [
            f"cell {n} ({meta.get('grade_id', 'not an exercise')}): {ename}"
            for n, meta, ename in _errors(nb)
            if not (meta.get("solution") or meta.get("grade")) or ename not in ALLOWED_RELEASE_ERRORS
        ]
        assert not unexpected, (
            f"labs/{LAB00}/{path.name} fails on Binder outside the exercises:\n  "
            + "\n  ".join(unexpected)
        )
        assert any(meta.get("solution") for _, meta, _ in _errors(nb)), (
            "the unanswered exercises should raise NotImplementedError"
        )


@pytest.mark.parametrize("lab", lab_params())
def test_master_runs_on_binder(lab: str, binder_env, tmp_path) -> None:
    folder = tmp_path / lab
    shutil.copytree(binder_env["repo"] / "autograder" / "source" / lab, folder)
    for path in sorted(folder.glob("*.ipynb")):
        nb = _execute(path, binder_env, allow_errors=True)
        errors = [f"cell {n}: {ename}" for n, _, ename in _errors(nb)]
        assert not errors, (
            f"the master of {lab} fails in the Binder environment (runtime dependencies only):\n  "
            + "\n  ".join(errors)
            + "\nAdd what it imports to [project] dependencies in pyproject.toml."
        )
