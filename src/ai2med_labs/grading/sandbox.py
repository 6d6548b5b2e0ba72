"""Run a student's notebook where it cannot hurt the grading: limits, a sandbox, repairs.

Three pieces plug into nbgrader's own autograde (configured by
:mod:`ai2med_labs.grading.autograde`):

- :class:`SandboxKernelManager`: the kernel starts in a throw-away folder holding a copy of
  the student's files, as an unprivileged user of its own (when the grader runs as root),
  in a private mount namespace where the course folder and the submissions are hidden,
  under memory, CPU, file-size and process limits. It degrades, with a note, where the
  system does not allow a step (see :func:`isolation_available`).
- :class:`SafeExecute`: nbgrader's ``Execute`` plus a wall-clock limit for the notebook,
  a cap on the output kept per cell, a guard that undoes monkeypatching of what the tests
  import before each test cell, and, when the kernel dies or time runs out, an error on
  every test cell that did not run (nbgrader gives full marks to a test cell with no
  output, so it must never be left empty).
- :func:`repair_submission`: before nbgrader sees a submission, cells whose nbgrader
  metadata was edited lose it, and cells of the assignment that are missing (deleted, or
  un-marked above) are put back from the gradebook, so the tests always run.

>>> Limits().cell_timeout
120
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Limits",
    "Isolation",
    "isolation_available",
    "repair_submission",
    "kernel_env",
]

LAUNCHER = Path(__file__).with_name("_launch.py")
ZYGOTE = Path(__file__).with_name("_zygote.py")
MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Limits for grading one notebook.

    ``cell_timeout`` and ``notebook_timeout`` are wall-clock seconds; ``memory`` is the
    kernel's address space in bytes (numpy, pandas and scikit-learn need about 1 GiB of it
    before any data); ``output`` is the characters of output kept per cell.

    >>> Limits(notebook_timeout=60).notebook_timeout
    60
    """

    cell_timeout: int = 120
    notebook_timeout: int = 600
    memory: int = 3 * 1024 * MiB
    file_size: int = 256 * MiB
    processes: int = 256
    output: int = 100_000

    def __post_init__(self) -> None:
        for name in ("cell_timeout", "notebook_timeout", "memory", "file_size", "processes", "output"):
            if int(getattr(self, name)) <= 0:
                raise ValueError(f"Limits.{name} must be positive, got {getattr(self, name)!r}")


@dataclass
class Isolation:
    """What isolation the grader can give on this system, and why not the rest."""

    separate_user: bool
    hide_paths: bool
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = ["limits on time, memory, file size and processes", "a throw-away working folder"]
        if self.separate_user:
            parts.append("an unprivileged user per submission")
        if self.hide_paths:
            parts.append("the course folder and submissions hidden")
        text = "isolation: " + ", ".join(parts) + "."
        return text + "".join(f"\n  note: {n}" for n in self.notes)


_ISOLATION_CACHE: dict[bool, Isolation] = {}


def isolation_available(want_sandbox: bool = True) -> Isolation:
    """Probe once what this system allows: root for a separate user; a private mount
    namespace (root, or CAP_SYS_ADMIN) for hiding folders."""
    if want_sandbox in _ISOLATION_CACHE:
        return _ISOLATION_CACHE[want_sandbox]
    notes: list[str] = []
    if not want_sandbox:
        iso = Isolation(False, False, ["sandbox switched off: student code runs as you, and can "
                                       "read everything you can (use only for trusted notebooks)"])
        _ISOLATION_CACHE[want_sandbox] = iso
        return iso
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if not is_root:
        notes.append(
            "not running as root: student code runs as your user and can read what you can "
            "(the masters and the gradebook unless their permissions forbid it); run the "
            "grading as root, or in a container (autograder/README.md)"
        )
    can_hide = False
    if is_root and sys.platform.startswith("linux"):
        import subprocess

        probe = subprocess.run(
            [sys.executable, str(LAUNCHER), "--cwd", "/", "--hide", "/tmp", "--", "true"],
            capture_output=True, text=True, timeout=30,
        )
        can_hide = probe.returncode == 0
        if not can_hide:
            notes.append(
                "this system refuses private mount namespaces (no CAP_SYS_ADMIN): the course "
                "folder is protected only by its permissions; make it unreadable to others "
                "(chmod -R o-rwx autograder) or grade in a container"
            )
    iso = Isolation(is_root, can_hide, notes)
    _ISOLATION_CACHE[want_sandbox] = iso
    return iso


def readable_by_others(path: Path) -> bool:
    """Whether a user with no special rights can read ``path`` (and reach it)."""
    path = Path(path).resolve()
    try:
        for parent in path.parents:
            if not os.stat(parent).st_mode & 0o001:
                return False
        mode = os.stat(path).st_mode
    except OSError:
        return False
    need = 0o005 if path.is_dir() else 0o004
    return mode & need == need


def kernel_env(home: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a grading kernel: a short allow-list of the grader's variables
    (no tokens or keys), a private home, one thread for the numeric libraries."""
    base = dict(os.environ if base is None else base)
    keep = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "AI2MED_DATA_DIR", "AI2MED_REPO",
            "PYTHONPATH", "VIRTUAL_ENV", "CONDA_PREFIX", "SYSTEMROOT")
    env = {k: base[k] for k in keep if k in base}
    if env.get("AI2MED_DATA_DIR"):  # the kernel starts elsewhere: make it absolute
        env["AI2MED_DATA_DIR"] = str(Path(env["AI2MED_DATA_DIR"]).resolve())
    env.update(
        HOME=str(home), USER="student", LOGNAME="student", IPYTHONDIR=str(home / ".ipython"),
        MPLCONFIGDIR=str(home / ".matplotlib"), JUPYTER_PLATFORM_DIRS="1",
        OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
        PYTHONDONTWRITEBYTECODE="1", NBGRADER_EXECUTION="autograde",
    )
    env.setdefault("PATH", "/usr/bin:/bin")
    return env


# --- the kernel manager -------------------------------------------------------------------

_ZYGOTE: dict[str, Any] = {}


def _is_ipykernel(cmd: list[str]) -> bool:
    return "-m" in cmd and "ipykernel_launcher" in cmd


def _zygote_socket() -> str | None:
    """The socket of this process's kernel fork server, started on first use; None (and
    the exec launcher is used) when it cannot start."""
    if "socket" in _ZYGOTE:
        return _ZYGOTE["socket"]
    if _ZYGOTE.get("failed"):
        return None
    import atexit
    import tempfile

    folder = tempfile.mkdtemp(prefix="ai2med-zygote-")
    path = os.path.join(folder, "fork.sock")
    env = kernel_env(Path(folder))
    try:
        proc = subprocess.Popen([sys.executable, str(ZYGOTE), path], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                                cwd=folder)
        import select as _select

        ready, _, _ = _select.select([proc.stdout], [], [], 120)
        if not ready or proc.stdout.readline().strip() != b"ready":
            raise RuntimeError("the kernel fork server did not start")
    except Exception:
        _ZYGOTE["failed"] = True
        shutil.rmtree(folder, ignore_errors=True)
        return None

    def stop() -> None:
        try:
            proc.stdin.close()
            proc.wait(timeout=10)
        except Exception:
            proc.kill()
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(stop)
    _ZYGOTE.update(socket=path, process=proc)
    return path


def _kernel_manager_class():
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import Bool, Integer, List, Unicode

    class SandboxKernelManager(AsyncKernelManager):
        """Starts the kernel through ``_launch.py``: copy of the files, user, mounts, limits."""

        sandbox_root = Unicode("", help="folder for the kernel's working copies").tag(config=True)
        sandbox_uid = Integer(-1, help="uid to run the kernel as (-1: unchanged)").tag(config=True)
        hide = List(Unicode(), help="folders hidden from the kernel").tag(config=True)
        memory = Integer(0).tag(config=True)
        cpu = Integer(0).tag(config=True)
        fsize = Integer(0).tag(config=True)
        nproc = Integer(0).tag(config=True)
        use_launcher = Bool(True).tag(config=True)
        use_zygote = Bool(True, help="fork kernels from a pre-started server").tag(config=True)

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            origin = Path(kw.get("cwd") or os.getcwd())
            root = Path(self.sandbox_root or origin)
            work = root / "work"
            if work.exists():
                shutil.rmtree(work)
            # The student's files, without notebooks: the autograded notebook beside them
            # already holds the hidden tests.
            shutil.copytree(origin, work, ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
            uid = self.sandbox_uid if self.sandbox_uid >= 0 else None
            if uid is not None:
                os.chmod(root, 0o711)
                chown_tree(work, uid)
                os.chmod(work, 0o700)
            kw["env"] = kernel_env(work, kw.get("env"))
            kw["stdout"] = kw["stderr"] = subprocess.DEVNULL  # the kernel's own chatter
            kw["cwd"] = str(work)
            # The fork server's kernels become the user in a private mount namespace (where
            # the interpreter's own folders are made reachable): with a user, only with hiding.
            forkable = self.use_zygote and _is_ipykernel(kernel_cmd) and (uid is None or self.hide)
            zygote = _zygote_socket() if forkable else None
            if zygote:
                request = {
                    "argv": kernel_cmd[kernel_cmd.index("ipykernel_launcher") + 1:],
                    "cwd": str(work), "uid": uid, "hide": list(self.hide),
                    "memory": self.memory, "cpu": self.cpu, "fsize": self.fsize,
                    "nproc": self.nproc, "env": kw["env"],
                }
                kernel_cmd = [sys.executable, str(ZYGOTE), "--client", zygote, json.dumps(request)]
            elif self.use_launcher:
                prefix = [sys.executable, str(LAUNCHER), "--cwd", str(work)]
                if uid is not None:
                    prefix += ["--uid", str(uid), "--nproc", str(self.nproc)]
                for path in self.hide:
                    prefix += ["--hide", path]
                prefix += ["--memory", str(self.memory), "--cpu", str(self.cpu),
                           "--fsize", str(self.fsize), "--"]
                kernel_cmd = prefix + list(kernel_cmd)
            self._sandbox_started = time.monotonic()
            await super()._async_launch_kernel(kernel_cmd, **kw)

        def kernel_pid(self) -> int | None:
            process = getattr(self.provisioner, "process", None)
            return getattr(process, "pid", None)

        def kill_sandbox_user(self) -> None:
            """SIGKILL every process left by the kernel's user (it has no other)."""
            uid = self.sandbox_uid
            if uid < 0 or not os.path.isdir("/proc"):
                return
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    if os.stat(f"/proc/{entry}").st_uid == uid:
                        os.kill(int(entry), signal.SIGKILL)
                except OSError:
                    pass

    return SandboxKernelManager


# --- execution: deadline, output cap, monkeypatch guard, unrun test cells ------------------

GUARD_SETUP = r"""
def __ai2med_install(names):
    import builtins, importlib, sys
    saved = {}
    for name in ['builtins'] + list(names):
        try:
            module = importlib.import_module(name)
        except Exception:
            continue
        attrs = dict(vars(module))
        if name == 'builtins':
            for key in ('exit', 'quit', 'get_ipython', 'input', 'raw_input', '_', '__', '___',
                        '__ai2med_restore__'):
                attrs.pop(key, None)
        saved[name] = (module, attrs)
    meta_path, import_ = list(sys.meta_path), builtins.__import__
    _setattr, _vars, _list, _isinstance = setattr, vars, list, isinstance
    def restore():
        changed = []
        if builtins.__import__ is not import_:
            builtins.__import__ = import_
            changed.append('builtins.__import__')
        if sys.meta_path != meta_path:
            sys.meta_path[:] = meta_path
            changed.append('sys.meta_path')
        for name, (module, attrs) in saved.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
                changed.append(f'sys.modules[{name!r}]')
            current = _vars(module)
            for key, value in attrs.items():
                if current.get(key, restore) is not value:
                    current[key] = value
                    changed.append(f'{name}.{key}')
        return changed
    return restore
__import__('builtins').__dict__['__ai2med_restore__'] = __ai2med_install(%r)
del __ai2med_install
"""
GUARD_CHECK = "__import__('builtins').__dict__['__ai2med_restore__']()"
GUARD_MISSING = "guard-missing"


def modules_used_by_tests(nb: Any) -> list[str]:
    """The modules the test cells import (``import x``, ``from x import y``), in order."""
    import ast

    from nbgrader import utils

    names: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code" or not utils.is_grade(cell):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found = [node.module]
            else:
                continue
            for name in found:
                if name not in names:
                    names.append(name)
    return names


class NotebookAborted(Exception):
    """Grading of a notebook stopped early; the message says why (for the student too)."""


def _execute_class():
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from nbformat.notebooknode import NotebookNode
    from nbgrader import utils
    from nbgrader.preprocessors import Execute
    from traitlets import Integer

    class SafeExecute(Execute):
        notebook_timeout = Integer(600, help="wall-clock seconds for the whole notebook").tag(config=True)
        output_limit = Integer(100_000, help="characters of output kept per cell").tag(config=True)

        #: (notebook, kind, detail) for the worker's report: kind is "tampering" (detail:
        #: (grade_id, [names restored])) or "aborted" (detail: the reason)
        events: list = []

        def __init__(self, *args, **kwargs):
            kwargs["kernel_manager_class"] = grading_classes()["SandboxKernelManager"]
            super().__init__(*args, **kwargs)

        def preprocess(self, nb, resources, km=None):
            self._notebook = (resources.get("nbgrader") or {}).get("notebook", "?")
            self._done: set[int] = set()
            self._running: int | None = None
            self._guard_ready = False
            self._modules = modules_used_by_tests(nb)
            self._exit_code = None
            self._deadline = time.monotonic() + self.notebook_timeout
            reason = None
            try:
                return super().preprocess(nb, resources, km=km)
            except NotebookAborted as exc:
                reason = str(exc)
            except DeadKernelError:
                reason = self._death_reason()
            except CellTimeoutError:
                reason = f"a cell ran longer than {self.timeout} s"
            except Exception as exc:  # anything else nbclient raises mid-run
                if not self._done and self._running is None:
                    raise  # the kernel never started: the grader's problem, not the student's
                reason = f"execution stopped: {type(exc).__name__}: {str(exc)[:300]}"
            finally:
                km_ = getattr(self, "km", None)
                if km_ is not None and hasattr(km_, "kill_sandbox_user"):
                    km_.kill_sandbox_user()
            SafeExecute.events.append((self._notebook, "aborted", reason))
            self._mark_unrun(nb, reason)
            return nb, resources

        async def _async_check_alive(self) -> None:
            try:
                await super()._async_check_alive()
            except DeadKernelError:
                try:
                    self._exit_code = self.km.provisioner.process.poll()
                except Exception:
                    pass
                raise

        def _death_reason(self) -> str:
            code = getattr(self, "_exit_code", None)
            if code is not None and code < 0:
                try:
                    name = signal.Signals(-code).name
                except ValueError:
                    name = f"signal {-code}"
                why = {"SIGKILL": "killed: time or memory limit, or the code killed it",
                       "SIGXCPU": "CPU time limit reached", "SIGSEGV": "it crashed (segfault)"}
                return f"the kernel died ({name}: {why.get(name, 'crashed')})"
            if code is not None:
                return f"the kernel exited (exit code {code}): the code stopped Python"
            return "the kernel died"

        def _error(self, ename: str, evalue: str) -> Any:
            return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                                traceback=[f"{ename}: {evalue}"])

        def _mark_unrun(self, nb, reason: str) -> None:
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code" or index in self._done:
                    continue
                if index == self._running:
                    cell.setdefault("outputs", []).append(
                        self._error("GradingStopped", f"{reason}, while this cell ran"))
                elif utils.is_grade(cell):
                    cell["outputs"] = [self._error(
                        "NotRun", f"this test did not run because {reason} earlier in the notebook")]

        def _guard(self, cell) -> None:
            """Install the guard (first cell) or run it (before a test cell), silently."""
            if not self._guard_ready:
                code, expressions = GUARD_SETUP % (self._modules,), {}
            elif utils.is_grade(cell) and cell.cell_type == "code":
                code, expressions = "", {"changed": GUARD_CHECK}
            else:
                return
            msg_id = self.kc.execute(code, silent=True, store_history=False,
                                     user_expressions=expressions)
            reply = self.wait_for_reply(msg_id)
            if not self._guard_ready:
                self._guard_ready = True
                return
            result = ((reply or {}).get("content", {}).get("user_expressions") or {}).get("changed", {})
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
            if result.get("status") == "ok":
                import ast

                try:
                    changed = ast.literal_eval(result["data"]["text/plain"])
                except (ValueError, SyntaxError, KeyError):
                    changed = ["(unreadable guard reply)"]
                if changed:
                    SafeExecute.events.append((self._notebook, "tampering", (grade_id, list(changed))))
            else:
                SafeExecute.events.append((self._notebook, "tampering", (grade_id, [GUARD_MISSING])))

        def preprocess_cell(self, cell, resources, index):
            if time.monotonic() > self._deadline:
                raise NotebookAborted(f"the notebook ran longer than {self.notebook_timeout} s")
            if cell.cell_type == "code" and cell.source.strip():
                self._guard(cell)
            self._running = index
            self._cell_chars = 0
            self._cell_truncated = False
            cell, resources = super().preprocess_cell(cell, resources, index)
            self._done.add(index)
            self._running = None
            if time.monotonic() > self._deadline and any(
                o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", [])
            ):
                raise NotebookAborted(f"the notebook ran longer than {self.notebook_timeout} s")
            return cell, resources

        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            size = len(str(content.get("text", ""))) + sum(
                len(str(v)) for v in (content.get("data") or {}).values())
            self._cell_chars = getattr(self, "_cell_chars", 0) + size
            if self._cell_chars > self.output_limit and msg["msg_type"] != "error":
                if not getattr(self, "_cell_truncated", False):
                    self._cell_truncated = True
                    marker = NotebookNode(output_type="stream", name="stdout",
                                          text=f"\n... output truncated by the grader after "
                                               f"{self.output_limit} characters ...\n")
                    outs.append(marker)
                return None
            return super().output(outs, msg, display_id, cell_index)

    return SafeExecute


def _limit_output_class():
    from nbgrader.preprocessors import LimitOutput
    from traitlets import Integer

    class SafeLimitOutput(LimitOutput):
        """nbgrader's line limit, plus a character limit per output (one huge line)."""

        max_chars = Integer(100_000).tag(config=True)

        def preprocess_cell(self, cell, resources, cell_index):
            cell, resources = super().preprocess_cell(cell, resources, cell_index)
            if cell.cell_type == "code":
                for output in cell.get("outputs", []):
                    if output.get("output_type") == "stream" and len(output.text) > self.max_chars:
                        output.text = output.text[: self.max_chars] + "\n... Output truncated ...\n"
                    if output.get("output_type") == "error":
                        output.evalue = str(output.get("evalue", ""))[: self.max_chars]
            return cell, resources

    return SafeLimitOutput


_CLASSES: dict[str, Any] = {}


def grading_classes() -> dict[str, Any]:
    """The classes above, built on first use (they subclass nbgrader's, imported lazily)."""
    if not _CLASSES:
        _CLASSES["SandboxKernelManager"] = _kernel_manager_class()
        _CLASSES["SafeExecute"] = _execute_class()
        _CLASSES["SafeLimitOutput"] = _limit_output_class()
    return _CLASSES


# --- repairs before nbgrader sees a submission ---------------------------------------------

_COMPARED = ("grade", "solution", "locked", "task")


def repair_submission(nb: Any, gradebook_notebook: Any) -> list[str]:
    """Undo edits to the structure nbgrader grades by, in place; returns what was repaired.

    - a cell whose nbgrader metadata no longer matches the gradebook (unknown grade_id,
      grade/solution/locked flags or type changed, invalid metadata, a duplicate) loses
      its nbgrader metadata and is then an ordinary cell;
    - every cell of the assignment that is then missing is inserted again from the
      gradebook after the cell that precedes it in the release, so test cells always run
      (an answer cell comes back as the unanswered stub, which scores nothing);
    - missing or duplicate cell ids are replaced (nbformat 4.5 needs unique ids).

    ``gradebook_notebook`` is an ``nbgrader.api.Notebook`` (source, grade, solution cells).
    """
    from nbformat.notebooknode import from_dict
    from nbgrader.nbgraderformat import MetadataValidator, ValidationError

    notes: list[str] = []
    sources = list(gradebook_notebook.source_cells)
    by_name = {c.name: c for c in sources}
    grade_cells = {c.name: c for c in gradebook_notebook.grade_cells}
    solution_names = {c.name for c in gradebook_notebook.solution_cells}
    task_names = {c.name for c in getattr(gradebook_notebook, "task_cells", [])}
    validator = MetadataValidator()

    def expected(name: str) -> dict[str, Any]:
        src = by_name[name]
        return {"grade": name in grade_cells, "solution": name in solution_names,
                "locked": bool(src.locked), "task": name in task_names}

    seen: set[str] = set()
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is None:
            continue
        name = meta.get("grade_id") if isinstance(meta, dict) else None
        problem = None
        if not isinstance(meta, dict):
            problem = "nbgrader metadata is not a mapping"
        elif name is None:
            if any(meta.get(k) for k in _COMPARED):
                problem = "nbgrader metadata without a grade_id"
        elif name not in by_name:
            problem = f"grade_id {name!r} is not in the assignment"
        elif name in seen:
            problem = f"grade_id {name!r} appears twice"
        elif by_name[name].cell_type != cell.cell_type:
            problem = f"cell {name!r} changed type to {cell.cell_type}"
        else:
            want = expected(name)
            got = {k: bool(meta.get(k, False)) for k in _COMPARED}
            diff = [k for k in _COMPARED if want[k] != got[k]]
            if diff:
                problem = f"cell {name!r}: nbgrader metadata changed ({', '.join(diff)})"
            elif by_name[name].locked and _squash(cell.source) not in (
                    _squash(_visible(by_name[name].source)), _squash(by_name[name].source)):
                notes.append(f"read-only cell {name!r} was edited; nbgrader restores the original")
            if not problem:
                try:
                    validator.upgrade_cell_metadata(cell)
                    validator.validate_cell(cell)
                except (ValidationError, KeyError, TypeError, ValueError) as exc:
                    problem = f"cell {name!r}: invalid nbgrader metadata ({exc})"
        if problem:
            del cell["metadata"]["nbgrader"]
            notes.append(f"{problem}; the cell is ignored and the original restored")
        elif name:
            seen.add(name)

    # Put back every missing cell of the assignment, in release order.
    present = {c.metadata.get("nbgrader", {}).get("grade_id"): i
               for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("nbgrader")}
    for pos, src in enumerate(sources):
        if src.name in present:
            continue
        want = expected(src.name)
        meta = {"grade": want["grade"], "solution": want["solution"], "locked": want["locked"],
                "grade_id": src.name, "schema_version": 3, "checksum": src.checksum,
                "cell_type": src.cell_type}
        if want["task"]:
            meta["task"] = True
        if want["grade"]:
            meta["points"] = float(grade_cells[src.name].max_score)
        cell: dict[str, Any] = {"cell_type": src.cell_type, "id": f"restored-{pos}",
                                "metadata": {"nbgrader": meta}, "source": src.source}
        if src.cell_type == "code":
            cell.update(outputs=[], execution_count=None)
        after = -1
        for prev in reversed(sources[:pos]):
            if prev.name in present:
                after = present[prev.name]
                break
        nb.cells.insert(after + 1, from_dict(cell))
        present = {c.metadata.get("nbgrader", {}).get("grade_id"): i
                   for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("nbgrader")}
        kind = "test" if want["grade"] and not want["solution"] else "answer" if want["solution"] else "locked"
        notes.append(f"{kind} cell {src.name!r} was missing; restored from the gradebook")

    ids: set[str] = set()
    fixed_ids = 0
    for index, cell in enumerate(nb.cells):
        cid = cell.get("id")
        if not isinstance(cid, str) or not cid or cid in ids or len(cid) > 64:
            cell["id"] = f"cell-{index}"
            while cell["id"] in ids:
                cell["id"] += "x"
            fixed_ids += 1
        ids.add(cell["id"])
    if fixed_ids:
        notes.append(f"{fixed_ids} missing or duplicate cell id(s) replaced")
    nb.nbformat, nb.nbformat_minor = 4, max(int(nb.get("nbformat_minor", 5) or 5), 5)
    return notes


def _visible(source: str) -> str:
    """A cell's source as released: without the hidden tests."""
    import re

    return re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", source or "", flags=re.DOTALL)


def _squash(text: str) -> str:
    return "".join((text or "").split())


def uid_for(slot: int, counter: int, base: int = 2_000_000) -> int:
    """A uid no account uses, unique per worker slot and task."""
    return base + (slot % 10_000) * 1_000 + counter % 1_000


def chown_tree(path: Path, uid: int) -> None:
    for dirpath, _dirs, files in os.walk(path):
        os.chown(dirpath, uid, uid)
        for name in files:
            os.chown(os.path.join(dirpath, name), uid, uid)


def existing(paths: Iterable[Path]) -> list[str]:
    return [str(p) for p in paths if p and Path(p).exists()]
