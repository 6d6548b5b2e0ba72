"""Screen submissions, before grading, for code that reaches into the interpreter or the grader.

The answer cells of a notebook (nbgrader ``solution`` cells, and any code cell the student
added that is not in the master) are read as Python syntax, never run. Code that installs
tracing hooks, touches frames, code objects, builtins or the import machinery, starts
processes or threads, patches modules, or defines look-alike numbers whose comparisons lie
is *held for review*: it is still graded, but the score waits for an instructor.

>>> [f.what for f in screen_source("import sys as s\\ns.settrace(None)")]
['sys.settrace (a tracing hook)']
>>> screen_source("total = sum(x * 2 for x in range(3))")
[]
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

__all__ = ["Finding", "screen_source", "screen_notebook", "answer_cells"]


@dataclass(frozen=True)
class Finding:
    """One construct held for review: where (cell grade_id or index, line) and what."""

    cell: str
    line: int
    what: str

    def __str__(self) -> str:
        where = f"cell {self.cell} " if self.cell else ""
        return f"{where}line {self.line}: {self.what}"


# Qualified names (after resolving aliases) that are held wherever they appear.
_NAMES: dict[str, str] = {
    "sys.settrace": "a tracing hook",
    "sys.setprofile": "a profiling hook",
    "sys.gettrace": "a tracing hook",
    "sys.addaudithook": "an audit hook",
    "sys.monitoring": "a monitoring hook",
    "sys._getframe": "a frame object",
    "sys._current_frames": "a frame object",
    "sys.exc_info": None,  # ordinary
    "sys.modules": "the import machinery",
    "sys.meta_path": "the import machinery",
    "sys.path_hooks": "the import machinery",
    "sys.path_importer_cache": "the import machinery",
    "sys.excepthook": "the interpreter's hooks",
    "sys.displayhook": "the interpreter's hooks",
    "sys.setrecursionlimit": None,
    "threading.settrace": "a tracing hook",
    "threading.setprofile": "a profiling hook",
    "threading.Thread": "a thread",
    "threading.Timer": "a thread",
    "_thread": "a thread",
    "inspect.currentframe": "a frame object",
    "inspect.stack": "a frame object",
    "inspect.getouterframes": "a frame object",
    "inspect.trace": "a frame object",
    "types.CodeType": "a code object",
    "types.FunctionType": "a function built from a code object",
    "types.FrameType": "a frame object",
    "types.ModuleType": "a module object",
    "builtins": "the builtins",
    "__builtins__": "the builtins",
    "__import__": "the import machinery",
    "importlib": "the import machinery",
    "imp": "the import machinery",
    "ctypes": "ctypes (raw memory)",
    "gc": "the garbage collector",
    "signal": "signal handlers",
    "atexit": "exit hooks",
    "faulthandler": "the interpreter's hooks",
    "os.fork": "a new process",
    "os.forkpty": "a new process",
    "os.kill": "a signal to a process",
    "os.killpg": "a signal to a process",
    "os.system": "a shell command",
    "os.popen": "a shell command",
    "os.spawnl": "a new process",
    "os.execv": "a new process",
    "os.execl": "a new process",
    "os._exit": "the process's exit",
    "subprocess": "a new process",
    "multiprocessing": "a new process",
    "concurrent.futures": "a new process",
    "pty": "a pseudo-terminal",
    "socket": "a network socket",
    "get_ipython": "the IPython shell",
}
_PREFIX_HELD = {"os.exec", "os.spawn", "os.posix_spawn"}

# Attributes held on any object.
_ATTRS: dict[str, str] = {
    "f_back": "a frame object", "f_locals": "a frame object", "f_globals": "a frame object",
    "f_code": "a frame object", "f_builtins": "a frame object", "f_trace": "a frame object",
    "gi_frame": "a frame object", "cr_frame": "a frame object", "ag_frame": "a frame object",
    "tb_frame": "a frame object", "tb_next": "a frame object",
    "gi_code": "a code object", "co_code": "a code object",
}
# Dunder attributes a learner may use; any other dunder attribute is held.
_ORDINARY_DUNDERS = {
    "__init__", "__name__", "__doc__", "__len__", "__repr__", "__str__", "__class__",
    "__module__", "__qualname__", "__version__", "__dict__", "__iter__", "__next__",
    "__enter__", "__exit__", "__getitem__", "__setitem__", "__contains__", "__annotations__",
    "__dataclass_fields__", "__post_init__", "__call__", "__file__", "__all__", "__slots__",
    "__add__", "__mul__", "__format__", "__new__", "__setattr__", "__getattr__", "__delitem__",
}
_CLASS_WALK = {"__subclasses__", "__bases__", "__base__", "__mro__", "mro"}
# IPython shell methods that %magic lines turn into.
_IPYTHON_OK = {"run_line_magic", "run_cell_magic"}
# Look-alike classes: subclasses of these that define any of the dunders below.
_VALUE_BASES = {"float", "int", "str", "bool", "list", "dict", "tuple", "complex", "set",
                "numpy.ndarray", "pandas.DataFrame", "pandas.Series", "numpy.float64"}
_LYING_DUNDERS = {"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__",
                  "__float__", "__int__", "__index__", "__hash__", "__abs__", "__sub__",
                  "__instancecheck__", "__subclasscheck__", "__round__", "__len__",
                  "__array__", "__array_ufunc__", "__array_function__", "__rsub__"}
_DYNAMIC = {"exec", "eval", "compile"}


def _describe(qualname: str) -> str | None:
    for name in (qualname, *_parents(qualname)):
        if name in _NAMES:
            why = _NAMES[name]
            return None if why is None else f"{qualname} ({why})"
    if any(qualname.startswith(p) for p in _PREFIX_HELD):
        return f"{qualname} (a new process)"
    return None


def _parents(qualname: str) -> list[str]:
    parts = qualname.split(".")
    return [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]


class _Screen(ast.NodeVisitor):
    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.modules: set[str] = set()
        self.found: list[tuple[int, str]] = []

    # -- names ---------------------------------------------------------------------------
    def qualname(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            func = self.aliases.get(node.func.id, node.func.id)
            if func == "getattr" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) \
                    and isinstance(node.args[1].value, str):
                base = self.qualname(node.args[0])
                return f"{base}.{node.args[1].value}" if base else None
            if func == "get_ipython":
                return "get_ipython()"
        return None

    def hold(self, node: ast.AST, what: str) -> None:
        self.found.append((getattr(node, "lineno", 1), what))

    # -- imports and aliases -------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            local = alias.asname or alias.name.split(".")[0]
            self.aliases[local] = alias.name if alias.asname else alias.name.split(".")[0]
            self.modules.add(local)
            what = _describe(alias.name)
            if what:
                self.hold(node, f"import {what}")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        mod = node.module or ""
        what = _describe(mod) if mod else None
        if what:
            self.hold(node, f"import from {what}")
            return
        for alias in node.names:
            full = f"{mod}.{alias.name}"
            self.aliases[alias.asname or alias.name] = full
            what = _describe(full)
            if what:
                self.hold(node, f"import {what}")
            elif alias.name == "*" and mod in ("sys", "os", "inspect", "types", "threading"):
                self.hold(node, f"from {mod} import * (hides where names come from)")

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        value = self.qualname(node.value) if isinstance(node.value, (ast.Name, ast.Attribute,
                                                                     ast.Call)) else None
        if value == "get_ipython()":
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.aliases[target.id] = value
            return
        if isinstance(node.value, ast.Call) and value is not None:
            value = None  # getattr(mod, "name") results are checked where they are called
        for target in node.targets:
            if isinstance(target, ast.Name) and value and value != target.id:
                if isinstance(node.value, ast.Name) and node.value.id in self.modules:
                    self.modules.add(target.id)
                if _describe(value) or value.split(".")[0] in {"sys", "os", "inspect", "types",
                                                               "threading", "builtins"}:
                    self.aliases[target.id] = value
            self._store(target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.generic_visit(node)
        self._store(node.target)

    def _store(self, target: ast.AST) -> None:
        """Writes to a module's attribute or to an object's ``__dict__``."""
        if isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._store(elt)
        elif isinstance(target, ast.Attribute):
            if isinstance(target.value, ast.Name) and target.value.id in self.modules:
                self.hold(target, f"assignment to {self.qualname(target)} (patching a module)")
            if target.attr == "__dict__":
                self.hold(target, "a write to __dict__")
        elif isinstance(target, ast.Subscript):
            if isinstance(target.value, ast.Attribute) and target.value.attr == "__dict__":
                self.hold(target, "a write to __dict__")
            elif isinstance(target.value, ast.Call) and isinstance(target.value.func, ast.Name) \
                    and target.value.func.id in ("globals", "vars"):
                self.hold(target, f"a write through {target.value.func.id}()")

    # -- uses ----------------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if node.id in ("__builtins__", "__import__"):
            self.hold(node, f"{node.id} ({_NAMES[node.id]})")
        elif node.id in self.aliases and isinstance(node.ctx, ast.Load):
            what = _describe(self.aliases[node.id])
            if what and self.aliases[node.id] != node.id:
                self.hold(node, what)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        qual = self.qualname(node)
        if qual and qual.startswith("get_ipython()."):
            if node.attr not in _IPYTHON_OK:
                self.hold(node, f"get_ipython().{node.attr} (the IPython shell's hooks)")
            self.generic_visit(node)
            return
        what = _describe(qual) if qual else None
        if what:
            self.hold(node, what)
            return  # one finding per chain
        if node.attr in _ATTRS:
            self.hold(node, f".{node.attr} ({_ATTRS[node.attr]})")
        elif node.attr in _CLASS_WALK and (node.attr != "mro" or _is_class_attr(node.value)):
            self.hold(node, f".{node.attr} (walking the class hierarchy)")
        elif node.attr.startswith("__") and node.attr.endswith("__") \
                and node.attr not in _ORDINARY_DUNDERS:
            self.hold(node, f".{node.attr} (an interpreter internal)")
        elif node.attr in ("update", "setdefault", "pop", "clear") \
                and isinstance(node.value, ast.Attribute) and node.value.attr == "__dict__":
            self.hold(node, "a write to __dict__")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = self.qualname(node.func) if isinstance(node.func, (ast.Name, ast.Attribute)) \
            else None
        if func in _DYNAMIC and not (node.args and isinstance(node.args[0], ast.Constant)):
            self.hold(node, f"{func}() of code built at run time")
        elif func in _DYNAMIC:
            self.hold(node, f"{func}() of a string")
        elif func in ("setattr", "delattr") and node.args:
            target = node.args[0]
            if isinstance(target, ast.Name) and target.id in self.modules:
                self.hold(node, f"{func} on the module {self.qualname(target)}")
            elif isinstance(target, (ast.Name, ast.Attribute)) and _describe(
                    self.qualname(target) or ""):
                self.hold(node, f"{func} on {self.qualname(target)}")
        elif func == "getattr" and len(node.args) >= 2:
            qual = self.qualname(node)
            what = _describe(qual) if qual else None
            if what:
                self.hold(node, what)
            elif isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
                attr = node.args[1].value
                if attr in _ATTRS or attr in _CLASS_WALK or (
                        attr.startswith("__") and attr not in _ORDINARY_DUNDERS):
                    self.hold(node, f"getattr(..., {attr!r}) (an interpreter internal)")
            elif not isinstance(node.args[1], ast.Constant):
                pass  # getattr(obj, name) with a computed name: ordinary enough on its own
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        bases = {self.qualname(b) for b in node.bases}
        if bases & _VALUE_BASES:
            defined = {n.name for n in node.body
                       if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
            defined |= {t.id for n in node.body if isinstance(n, ast.Assign)
                        for t in n.targets if isinstance(t, ast.Name)}
            lying = sorted(defined & _LYING_DUNDERS)
            if lying:
                base = sorted(b for b in bases & _VALUE_BASES)[0]
                self.hold(node, f"class {node.name}({base}) defines {', '.join(lying)} "
                                "(a look-alike value)")
        for kw in node.keywords:
            if kw.arg == "metaclass":
                self.hold(node, f"class {node.name} with a metaclass")
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            if name.startswith("__"):
                self.hold(node, f"global {name}")


def _is_class_attr(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "__class__" or isinstance(
        node, ast.Name) and node.id in ("object", "type", "int", "float", "str")


def _python(source: str) -> tuple[str, int]:
    """The cell as plain Python (IPython magics and ``!`` lines transformed), and the
    line offset of its body (1 for a cell magic whose body is screened as Python)."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].lstrip()[2:].split()
        if magic and magic[0] in ("time", "timeit", "capture", "prun", "debug"):
            return "\n".join(lines[1:]), 1
        return "", 0  # %%bash, %%html...: not Python
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source), 0
    except Exception:  # pragma: no cover - IPython missing or odd input
        return source, 0


def screen_source(source: str, cell: str = "") -> list[Finding]:
    """The constructs in ``source`` (one cell's text) that are held for review.

    A cell that does not parse is not held: it fails when it runs.

    >>> screen_source("from sys import settrace as t\\nt(None)", cell="ex1")[-1].what
    'sys.settrace (a tracing hook)'
    >>> screen_source("%matplotlib inline\\nimport numpy as np\\nnp.isclose(1, 1.0)")
    []
    """
    code, offset = _python(source)
    if not code.strip():
        return []
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return []
    screen = _Screen()
    # Imports anywhere in the cell define aliases for the whole of it.
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if isinstance(node, ast.Import):
                    screen.modules.add(alias.asname or alias.name.split(".")[0])
    screen.visit(tree)
    seen: set[tuple[int, str]] = set()
    out = []
    for line, what in screen.found:
        if (line, what) not in seen:
            seen.add((line, what))
            out.append(Finding(cell, line + offset, what))
    return out


def _nbgrader(cell: Any) -> dict[str, Any]:
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def answer_cells(nb: Any, master_nb: Any = None) -> list[tuple[str, str]]:
    """(label, source) of the code cells a student wrote: nbgrader solution cells, and any
    code cell that is neither a cell of the master (by grade_id) nor a master's given code."""
    master_ids: set[str] = set()
    master_sources: set[str] = set()
    for cell in (master_nb or {}).get("cells", []) if master_nb is not None else []:
        meta = _nbgrader(cell)
        if meta.get("grade_id") and not meta.get("solution"):
            master_ids.add(meta["grade_id"])
        if cell.get("cell_type") == "code" and not meta.get("solution"):
            master_sources.add(_text(cell).strip())
    out = []
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        meta = _nbgrader(cell)
        label = meta.get("grade_id") or f"#{index}"
        source = _text(cell)
        if meta.get("solution"):
            out.append((label, source))
        elif meta.get("grade_id") in master_ids:
            continue  # a given or test cell: nbgrader puts the master's copy back
        elif master_nb is not None and source.strip() in master_sources:
            continue
        elif master_nb is None and meta.get("locked"):
            continue
        else:
            out.append((label, source))
    return out


def _text(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def screen_notebook(nb: Any, master_nb: Any = None) -> list[Finding]:
    """Findings in the answer cells of ``nb`` (a notebook node or dict), given its master.

    >>> nb = {"cells": [{"cell_type": "code", "metadata": {"nbgrader": {
    ...     "solution": True, "grade_id": "ex1"}}, "source": "import sys\\nsys.settrace(None)"}]}
    >>> [str(f) for f in screen_notebook(nb, {"cells": []})]
    ['cell ex1 line 2: sys.settrace (a tracing hook)']
    """
    findings: list[Finding] = []
    for label, source in answer_cells(nb, master_nb):
        findings += screen_source(source, cell=label)
    return findings
