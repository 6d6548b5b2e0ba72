"""Screening of answer cells before grading (issue 8, item 3)."""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest

from ai2med_labs.grading.screening import screen_notebook, screen_source

ROOT = Path(__file__).resolve().parents[1]

ATTACKS = [
    "import sys\nsys.settrace(None)",
    "import sys as s\ns.settrace(lambda *a: None)",
    "from sys import settrace as t\nt(None)",
    "import sys\nsys.setprofile(None)",
    "import threading\nthreading.settrace(print)",
    "import sys\nsys.addaudithook(print)",
    "import sys\nsys.monitoring.use_tool_id(1, 'x')",
    "import sys\nf = sys._getframe(1)",
    "import inspect\ninspect.currentframe().f_back.f_locals['x'] = 1",
    "def f(): pass\ng = f.__code__",
    "import types\ntypes.FunctionType(f.__code__, {})",
    "get_ipython().events.register('pre_run_cell', print)",
    "ip = get_ipython()\nip.input_transformers_post.append(str)",
    "get_ipython().ast_transformers.append(None)",
    "get_ipython().set_custom_exc((Exception,), print)",
    "import builtins\nbuiltins.print = len",
    "__builtins__.len = lambda x: 3",
    "import importlib\nimportlib.reload(np)",
    "import sys\nsys.modules['numpy'] = None",
    "import sys\nsys.meta_path.insert(0, None)",
    "m = __import__('os')",
    "code = 'x' + '=1'\nexec(code)",
    "import ctypes",
    "import gc\ngc.get_objects()",
    "import signal\nsignal.alarm(0)",
    "import atexit\natexit.register(print)",
    "import os\nos.system('ls')",
    "import os\nos.kill(1, 9)",
    "import subprocess\nsubprocess.run(['ls'])",
    "import threading\nthreading.Thread(target=print).start()",
    "import socket",
    "import numpy as np\nsetattr(np, 'isclose', lambda *a, **k: True)",
    "import numpy as np\nnp.isclose = lambda *a, **k: True",
    "object.__subclasses__()",
    "().__class__.__bases__[0].__subclasses__()",
    "def f(): pass\nf.__globals__['x'] = 1",
    "class F(float):\n    def __eq__(self, other): return True",
    "import numpy as np\nclass A(np.ndarray):\n    def __eq__(self, o): return True",
    "class S(str):\n    def __hash__(self): return 0",
    "g = (i for i in [1])\ng.gi_frame.f_globals",
]

ORDINARY = [
    "import pandas as pd\ndf = pd.DataFrame({'a': [1]})\nout = df.groupby('a').size().reset_index()",
    "name = 'x'\nmsg = f'Hello {name}, {len(name):>3}'",
    "square = lambda x: x * x\nresult = list(map(square, range(3)))",
    "class Patient:\n    def __init__(self, age):\n        self.age = age",
    "from dataclasses import dataclass\n@dataclass\nclass P:\n    age: int = 0",
    "rows = sorted([(1, 'a')], key=lambda r: r[1], reverse=True)",
    "import numpy as np\nok = np.isclose(0.1 + 0.2, 0.3)",
    "evens = [x for x in range(10) if x % 2 == 0]",
    "%matplotlib inline\nimport matplotlib.pyplot as plt",
    "import sys\nprint(sys.version)",
    "class Patient:\n    def __repr__(self):\n        return f'{type(self).__name__}()'",
    "try:\n    x = int('3')\nexcept ValueError as exc:\n    print(exc)",
    "this is not python (",
]


@pytest.mark.parametrize("snippet", ATTACKS)
def test_attacks_are_held(snippet):
    assert screen_source(snippet), snippet


@pytest.mark.parametrize("snippet", ORDINARY)
def test_ordinary_code_is_not_held(snippet):
    assert screen_source(snippet) == []


def test_finding_says_where():
    found = screen_source("x = 1\nimport sys\nsys.settrace(None)", cell="ex1")
    assert [str(f) for f in found][-1] == "cell ex1 line 3: sys.settrace (a tracing hook)"


def _notebooks():
    for path in sorted((ROOT / "autograder" / "source").glob("*/*.ipynb")):
        yield path, path
    for path in sorted((ROOT / "labs").glob("*/*.ipynb")):
        master = ROOT / "autograder" / "source" / path.parent.name / path.name
        yield path, master if master.is_file() else None


@pytest.mark.parametrize("path,master", list(_notebooks()),
                         ids=lambda p: str(p.relative_to(ROOT)) if isinstance(p, Path) else "")
def test_no_false_holds_in_masters_and_releases(path, master):
    nb = nbformat.read(path, as_version=4)
    master_nb = nbformat.read(master, as_version=4) if master else None
    # A master is screened with all its solution cells as if a student wrote them.
    assert screen_notebook(nb, master_nb if master != path else None) == []


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_held_submission_is_graded_listed_and_reviewed(tmp_path):
    from test_autograde import LAB, _prepend, _scores, make_course, solved_release

    from ai2med_labs.grading import Limits, autograde
    from ai2med_labs.grading.grader import GradingError, is_held, load_report
    from ai2med_labs.grading.review import review

    course = make_course(tmp_path)
    subs = tmp_path / "class"
    for student in ("tracer", "tracer2", "honest"):
        nb = solved_release()
        if student != "honest":
            _prepend(nb, "ex1-bmi-answer", "import sys; sys.settrace(None)")
        (subs / student / LAB).mkdir(parents=True)
        nbformat.write(nb, subs / student / LAB / f"{LAB}.ipynb")
    run = autograde(LAB, subs, course=course, workers=2, progress=False,
                    limits=Limits(cell_timeout=20, notebook_timeout=60))
    held = {o.student for o in run.held}
    assert held == {"tracer", "tracer2"}
    assert all(o.graded and o.score > 0 for o in run.held)
    assert "Held for review" in run.summary() and "tracer" in run.summary()
    report = load_report(course, LAB)
    assert report["tracer"]["status"].startswith(
        "held for review: cell ex1-bmi-answer line 1: sys.settrace")
    assert report["tracer"]["held"] and is_held(course, LAB, "tracer")
    assert not is_held(course, LAB, "honest")
    # a held score is not released: blank in the export (and so in the LMS files), no feedback
    from ai2med_labs.grading.export import export_grades
    from ai2med_labs.grading.feedback import write_feedback

    export_grades(tmp_path / "grades.csv", course=course)
    with open(tmp_path / "grades.csv", newline="", encoding="utf-8-sig") as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle)}
    assert rows["tracer"]["score"] == "" and rows["tracer"]["status"].startswith("held for review")
    assert float(rows["honest"]["score"]) > 0
    written = write_feedback(LAB, course)
    assert {p.parent.parent.name for p in written} == {"honest"}

    with pytest.raises(GradingError, match="not held"):
        review(course, LAB, "honest", "clear")
    with pytest.raises(GradingError, match="no student"):
        review(course, LAB, "nobody", "zero")

    assert review(course, LAB, "tracer", "zero", note="tracing").startswith("zeroed after review")
    assert all(not s for s in _scores(course, "tracer").values())
    assert review(course, LAB, "tracer2", "clear", note="harmless") == \
        "graded (cleared by instructor: harmless)"
    report = load_report(course, LAB)
    assert report["tracer"]["review_history"][0]["findings"]
    assert not is_held(course, LAB, "tracer2")
    export_grades(tmp_path / "grades.csv", course=course)
    with open(tmp_path / "grades.csv", newline="", encoding="utf-8-sig") as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle)}
    assert float(rows["tracer"]["score"]) == 0 and float(rows["tracer2"]["score"]) > 0
    assert {p.parent.parent.name for p in write_feedback(LAB, course)} == {"honest", "tracer", "tracer2"}
